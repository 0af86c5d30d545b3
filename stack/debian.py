"""Programs from Debian's packages, unpacked into a cache folder once: no root, no install.

`apt-get download` fetches the .deb files as any user, and `dpkg -x` unpacks them; the
program then runs from the folder with its libraries beside it. Only the benchmark uses
these (a compiled load generator, so that the client does not compete with the services
for the cores the way a Python one does).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from stack.errors import StackError


@dataclass(frozen=True)
class DebianTool:
    name: str
    # The program's package first, then the libraries it links that a base system lacks.
    packages: tuple[str, ...]
    program: str


WRK = DebianTool("wrk", ("wrk", "libluajit2-5.1-2"), "usr/bin/wrk")

_STAMP = ".packages"
_LIBRARIES = "usr/lib/x86_64-linux-gnu"


def _stamp(tool: DebianTool) -> str:
    return " ".join(tool.packages)


def tool_present(folder: Path, tool: DebianTool) -> bool:
    stamp = folder / _STAMP
    return stamp.exists() and stamp.read_text().strip() == _stamp(tool)


def ensure_tool(folder: Path, tool: DebianTool) -> bool:
    """Unpack the tool's packages into ``folder`` once; True when they were fetched.

    Unpacked into a sibling folder first and renamed into place, so an interrupted fetch
    never leaves a half-filled cache that looks done.
    """
    if tool_present(folder, tool):
        return False
    apt_get, dpkg = shutil.which("apt-get"), shutil.which("dpkg")
    if apt_get is None or dpkg is None:
        raise StackError(
            f"{tool.name} comes from Debian's packages (apt-get download, dpkg -x); "
            "on another system, install it and put it on PATH"
        )
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as downloads:
        fetched = subprocess.run(  # noqa: S603
            [apt_get, "download", "-q", *tool.packages],
            cwd=downloads,
            capture_output=True,
            text=True,
            check=False,
        )
        if fetched.returncode != 0:
            raise StackError(
                f"apt-get could not download {', '.join(tool.packages)} "
                f"(run 'apt-get update' once if the package lists are empty):\n{fetched.stderr}"
            )
        for deb in sorted(Path(downloads).glob("*.deb")):
            subprocess.run([dpkg, "-x", str(deb), str(staging)], check=True)  # noqa: S603
    (staging / _STAMP).write_text(_stamp(tool))
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return True


def tool_command(folder: Path, tool: DebianTool) -> tuple[list[str], dict[str, str]]:
    """The program's command and the environment it runs in: from ``folder`` once fetched,
    else the one on PATH (a system without apt-get)."""
    if tool_present(folder, tool):
        libraries = str(folder / _LIBRARIES)
        inherited = os.environ.get("LD_LIBRARY_PATH")
        path = f"{libraries}:{inherited}" if inherited else libraries
        return [str(folder / tool.program)], {**os.environ, "LD_LIBRARY_PATH": path}
    on_path = shutil.which(tool.name)
    if on_path is None:
        raise StackError(f"{tool.name} is missing: run 'make {tool.name}'")
    return [on_path], dict(os.environ)
