"""Workers listen with SO_REUSEPORT; a server must still refuse a port another one holds.
What a worker builds at start is frozen out of the garbage collector's full collections."""

from __future__ import annotations

import gc
import socket

import pytest

from platform_common.serving import GunicornServer, refuse_a_taken_address


def _listener(*, reuse_port: bool) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener


@pytest.mark.parametrize("reuse_port", [True, False])
def test_a_port_with_a_listener_is_refused(reuse_port: bool) -> None:
    with _listener(reuse_port=reuse_port) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            refuse_a_taken_address(f"127.0.0.1:{port}")
    refuse_a_taken_address(f"127.0.0.1:{port}")


def test_loading_the_application_freezes_what_it_built(monkeypatch: pytest.MonkeyPatch) -> None:
    # The process's logging stays as the other tests expect it.
    monkeypatch.setattr("platform_common.serving.configure_logging", lambda level: None)
    built = {"state": [1, 2, 3]}
    server = GunicornServer(
        lambda: built,
        bind="127.0.0.1:0",
        workers=1,
        threads=1,
        log_level="WARNING",
    )
    try:
        app = server.load()
        assert app is built
        assert gc.get_freeze_count() > 0
        assert not any(obj is app for obj in gc.get_objects())
    finally:
        gc.unfreeze()
