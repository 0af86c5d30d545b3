"""Detached processes tracked by a pid file, so `down` stops exactly what `up` started."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from stack.errors import StackError

# Popen handles of the children this interpreter started. Kept so that a process started
# and stopped by the same interpreter (the test fixtures) is reaped, not left a zombie.
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ProcessRecord:
    """What a pid file holds: enough to recognise the process even after pid reuse."""

    pid: int
    create_time: float
    port: int
    command: list[str]


class ManagedProcess:
    """One service instance: its pid file and log under its own state directory."""

    def __init__(self, name: str, state_dir: Path) -> None:
        self.name = name
        self.state_dir = state_dir
        self.pid_file = state_dir / "pid.json"
        self.log_file = state_dir / f"{name}.log"

    def record(self) -> ProcessRecord | None:
        """The record in the pid file, alive or not."""
        try:
            raw = json.loads(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return ProcessRecord(
            pid=int(raw["pid"]),
            create_time=float(raw["create_time"]),
            port=int(raw["port"]),
            command=[str(part) for part in raw["command"]],
        )

    def running(self) -> ProcessRecord | None:
        """The recorded process if it is still the one we started and has not exited."""
        record = self.record()
        if record is None:
            return None
        return record if _is_alive(record) else None

    def start(
        self,
        command: Sequence[str],
        *,
        port: int,
        env: Mapping[str, str] | None = None,
        user: str | None = None,
    ) -> ProcessRecord:
        """Start ``command`` in its own session, output appended to the log file."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            child = subprocess.Popen(  # noqa: S603 - commands are built by this package
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own session and process group: `down` signals the whole group, so
                # helpers a service forks (PostgreSQL's backends) go with it.
                start_new_session=True,
                env=dict(env) if env is not None else None,
                **identity(user),
            )
        _children[child.pid] = child
        record = ProcessRecord(
            pid=child.pid,
            create_time=psutil.Process(child.pid).create_time(),
            port=port,
            command=list(command),
        )
        temporary = self.pid_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(record)))
        temporary.replace(self.pid_file)
        return record

    def exited(self, record: ProcessRecord) -> bool:
        return not _is_alive(record)

    def stop(self, *, timeout: float, stop_signal: signal.Signals = signal.SIGTERM) -> bool:
        """Stop the recorded process group: ``stop_signal``, then SIGKILL after ``timeout``.

        Returns True when a live process was stopped. The pid file is removed either way.
        """
        record = self.running()
        stopped = False
        if record is not None:
            stopped = True
            _signal_group(record.pid, stop_signal)
            if not _wait_gone(record, timeout):
                _signal_group(record.pid, signal.SIGKILL)
                if not _wait_gone(record, 10.0):
                    raise StackError(f"{self.name} (pid {record.pid}) survived SIGKILL")
        self.pid_file.unlink(missing_ok=True)
        return stopped

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def identity(user: str | None) -> dict[str, Any]:
    """Popen arguments that run a child as ``user`` with that user's groups only.

    Changing the uid alone would keep root's gid, and on root-owned directories the
    group bits (often none) would then apply instead of the "other" bits.
    """
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _is_alive(record: ProcessRecord) -> bool:
    child = _children.get(record.pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        process = psutil.Process(record.pid)
        # A pid reused by an unrelated process has another start time.
        if abs(process.create_time() - record.create_time) > 1.0:
            return False
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _wait_gone(record: ProcessRecord, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    child = _children.get(record.pid)
    if child is not None:
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        _children.pop(record.pid, None)
        return _group_gone(record.pid, deadline)
    while time.monotonic() < deadline:
        if not _is_alive(record):
            return _group_gone(record.pid, deadline)
        time.sleep(0.05)
    return False


def _group_gone(pgid: int, deadline: float) -> bool:
    """Wait for the rest of the process group (children of the leader) to exit too."""
    while _group_members(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _group_members(pgid: int) -> list[int]:
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc.pid)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return members
