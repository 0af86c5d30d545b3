"""A WSGI application served by gunicorn gthread workers, logging as JSON lines."""

from __future__ import annotations

import gc
import socket
from collections.abc import Callable
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication, Config

from platform_common.logs import configure_logging


class JsonGunicornLogger(glogging.Logger):
    """gunicorn's messages through the root logger, which `configure_logging` renders as JSON
    lines; and no access log, since each application logs its requests with a request id."""

    def setup(self, cfg: Config) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.propagate = True

    @property
    def access_log_enabled(self) -> bool:
        # False spares gunicorn from building an access line per request to throw away.
        return False


class GunicornServer(BaseApplication):
    """Serve what ``load_app`` returns, built in each worker after the fork.

    Args:
        load_app: makes the WSGI application (called once per worker).
        options: gunicorn settings added to, or overriding, the common ones below.
    """

    def __init__(
        self,
        load_app: Callable[[], Any],
        *,
        bind: str,
        workers: int,
        threads: int,
        log_level: str,
        options: dict[str, Any] | None = None,
    ) -> None:
        self._load_app = load_app
        self._log_level = log_level
        self._options: dict[str, Any] = {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": None,
            "loglevel": log_level.lower(),
            "logger_class": JsonGunicornLogger,
            # The default control socket is one path per user ($HOME/.gunicorn/gunicorn.ctl):
            # every other gunicorn of this user (the registry, the API) would share it.
            "control_socket_disable": True,
            "graceful_timeout": 10,
            # A listening socket per worker, among which the kernel spreads connections. On
            # one shared socket, whichever worker woke first took them: a client's pool of
            # keep-alive connections could all land on one worker (one core, by the GIL)
            # while the other idled, a third of the throughput lost in some runs.
            "reuse_port": True,
            **(options or {}),
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def run(self) -> None:
        refuse_a_taken_address(self._options["bind"])
        super().run()

    def load(self) -> Any:
        configure_logging(self._log_level)
        app = self._load_app()
        # What a worker builds at start (modules, the application) lives as long as it does.
        # Frozen, it is left out of every later full collection, which otherwise walked it
        # each time: pauses of 60-200 ms that stalled every thread of the worker, and on
        # SQLite the other workers too when it held the write lock.
        gc.collect()
        gc.freeze()
        return app


def refuse_a_taken_address(bind: str) -> None:
    """OSError if something listens on ``bind`` ("host:port") already.

    Sockets that all set SO_REUSEPORT share a port without complaint: a second server of the
    same user would quietly take half of the first one's connections. A plain bind, made
    and dropped before the workers bind theirs, fails as a server without the option would.
    """
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    for family, kind, protocol, _name, address in socket.getaddrinfo(
        host, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        with socket.socket(family, kind, protocol) as probe:
            # As gunicorn's own sockets: a port whose old connections linger in TIME_WAIT
            # is free; one with a listener is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
