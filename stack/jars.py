"""Jars from Maven Central, copied into a cache folder once per pom (Kafka's, Spark's, the
benchmark's peers')."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from stack.errors import StackError

# The poms of this package: the broker's jars, what Spark needs to read the lake, and the
# benchmark's peers (Kafka Connect, and the plugins it runs).
KAFKA_POM = "pom.xml"
SPARK_POM = "spark-pom.xml"
CONNECT_POM = "connect-pom.xml"
# Each Connect plugin in a folder of its own under the plugin path: Connect isolates them.
PLUGIN_POMS = {"debezium": "debezium-pom.xml", "iceberg": "iceberg-connect-pom.xml"}


def peer_jar_folders(peers: Path) -> dict[Path, str]:
    """Where each peer pom's jars go under ``peers``: Connect's own in ``connect``, each
    plugin's in ``plugins/<name>`` (the worker's plugin path)."""
    folders = {peers / "connect": CONNECT_POM}
    folders.update({peers / "plugins" / name: pom for name, pom in PLUGIN_POMS.items()})
    return folders


def pom_path(name: str = KAFKA_POM) -> Path:
    return Path(str(resources.files("stack").joinpath(name)))


def _pom_digest(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()


def jars_present(jar_dir: Path, pom: str = KAFKA_POM) -> bool:
    """True when ``jar_dir`` holds the jars of the current pom."""
    stamp = jar_dir / ".pom.sha256"
    return stamp.exists() and stamp.read_text().strip() == _pom_digest(pom_path(pom))


def ensure_jars(jar_dir: Path, pom: str = KAFKA_POM) -> bool:
    """Copy the pom's runtime jars into ``jar_dir`` with Maven, once per pom.

    Returns True when Maven ran. The copy goes to a sibling folder first and is renamed
    into place, so an interrupted fetch never leaves a half-filled cache that looks done.
    """
    if jars_present(jar_dir, pom):
        return False
    path = pom_path(pom)
    digest = _pom_digest(path)
    maven = shutil.which("mvn")
    if maven is None:
        raise StackError("Maven (mvn) is needed once to fetch the jars; install it")
    staging = jar_dir.with_name(jar_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    result = subprocess.run(  # noqa: S603
        [
            maven,
            "-q",
            "-B",
            "-f",
            str(path),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging.resolve()}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(f"mvn could not fetch the jars of {pom}:\n{result.stdout}{result.stderr}")
    (staging / ".pom.sha256").write_text(digest)
    shutil.rmtree(jar_dir, ignore_errors=True)
    staging.rename(jar_dir)
    return True
