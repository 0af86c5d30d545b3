"""`python -m registry` migrates once, before gunicorn forks; the workers' apps do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from platform_common.serving import GunicornServer
from registry import __main__ as service
from registry.storage import SqlRegistryStore


def test_the_service_migrates_once_before_its_workers_build_their_apps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_DATABASE_URL", f"sqlite:///{tmp_path / 'registry.db'}")
    # The test's own logging stays as pytest set it up.
    monkeypatch.setattr(service, "configure_logging", lambda _level: None)
    migrations: list[str] = []
    migrate = SqlRegistryStore.migrate

    def counted(store: SqlRegistryStore) -> None:
        migrations.append("migrate")
        migrate(store)

    monkeypatch.setattr(SqlRegistryStore, "migrate", counted)
    at_fork: list[int] = []

    def run(server: GunicornServer) -> None:
        at_fork.append(len(migrations))
        for _worker in range(2):
            server._load_app()

    monkeypatch.setattr(GunicornServer, "run", run)
    service.main()
    assert at_fork == [1]
    assert migrations == ["migrate"]
