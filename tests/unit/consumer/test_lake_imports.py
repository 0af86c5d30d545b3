"""A writer of files never imports pyiceberg (about 20 MB of its memory); a table writer does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECK = """
import json, sys
from consumer.lake import open_lake
from consumer.settings import LakeSettings
from tests.unit.consumer.samples import READER_SCHEMA
lake = open_lake(LakeSettings(output=sys.argv[1], format=sys.argv[2]), READER_SCHEMA)
lake.close()
print(json.dumps("pyiceberg" in sys.modules))
"""
REPO_ROOT = Path(__file__).resolve().parents[3]


def _imports_pyiceberg(lake_format: str, folder: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(folder), lake_format],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1] == "true"


def test_only_a_table_writer_imports_pyiceberg(tmp_path: Path) -> None:
    assert not _imports_pyiceberg("parquet", tmp_path / "parquet")
    assert not _imports_pyiceberg("avro", tmp_path / "avro")
    assert _imports_pyiceberg("iceberg", tmp_path / "iceberg")
