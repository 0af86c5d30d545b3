"""The local stack runner against real processes: idempotent up, clean down, clear errors."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import psutil
import pytest

from stack import runner
from stack.errors import StackError
from stack.process import ManagedProcess
from stack.settings import StackSettings
from tests.conftest import ProcessDirs, shared_jar_dir


def _settings(stack_dir: Path) -> StackSettings:
    return StackSettings.on_free_ports(stack_dir, kafka_jar_dir=shared_jar_dir())


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_up_twice_starts_nothing_new_and_down_leaves_nothing(process_dirs: ProcessDirs) -> None:
    settings = _settings(process_dirs.make("stack"))
    first: list[str] = []
    try:
        runner.up(settings, first.append)
        assert any(line.startswith("kafka ") and " ready on " in line for line in first)
        assert any(line.startswith("postgres ") and " ready on " in line for line in first)
        assert f"KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:{settings.kafka_port}" in first
        assert f"CONSOLE_URL=http://127.0.0.1:{settings.console_port}" in first

        statuses = runner.status(settings)
        assert [(row.name, row.ready) for row in statuses] == [
            ("kafka", True),
            ("postgres", True),
            ("registry", True),
            ("api", True),
            ("relay", True),
            ("consumer", True),
            ("console", True),
        ]
        pids = [row.pid for row in statuses]
        assert all(pids)

        second: list[str] = []
        runner.up(settings, second.append)
        assert sum(" already running on " in line for line in second) == 7
        assert [row.pid for row in runner.status(settings)] == pids
    finally:
        runner.down(settings, lambda _line: None)

    for pid in pids:
        assert pid is not None and _gone(pid), f"pid {pid} survived `down`"
    assert all(row.pid is None for row in runner.status(settings))


def test_taken_port_is_named_with_its_variable(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", settings.kafka_port))
        squatter.listen()
        with pytest.raises(StackError, match=rf"port {settings.kafka_port} .*KAFKA_PORT"):
            runner.up(settings, lambda _line: None)
    assert all(row.pid is None for row in runner.status(settings))


def test_stop_takes_the_whole_process_group(tmp_path: Path) -> None:
    process = ManagedProcess("sleeper", tmp_path)
    script = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"
    record = process.start([sys.executable, "-c", script], port=0)
    deadline = time.monotonic() + 10
    while len(psutil.Process(record.pid).children()) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = psutil.Process(record.pid).children()[0].pid

    assert process.stop(timeout=5.0)
    assert _gone(record.pid)
    assert _gone(grandchild)
    assert not process.pid_file.exists()
    assert os.path.exists(process.log_file)
