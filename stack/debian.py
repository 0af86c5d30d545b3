"""Programs from Debian's packages, unpacked into a cache folder once: no root, no install.

`apt-get download` fetches the .deb files as any user, and `dpkg -x` unpacks them; the
program then runs from the folder with its libraries beside it. The benchmark's load
generator comes this way (a compiled one, so that the client does not compete with the
services for the cores the way a Python one does), and the browser the console's tests
drive.
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
    # Also fetch whatever else apt would install with the packages on this machine (their
    # dependencies it lacks, recommends left out), asked of apt at fetch time.
    with_missing_dependencies: bool = False


WRK = DebianTool("wrk", ("wrk", "libluajit2-5.1-2"), "usr/bin/wrk")
# Debian's Chromium wants some 25 libraries (GTK, codecs) a server image lacks.
CHROMIUM = DebianTool(
    "chromium", ("chromium",), "usr/lib/chromium/chromium", with_missing_dependencies=True
)

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
    packages = _missing_with(apt_get, tool) if tool.with_missing_dependencies else tool.packages
    with tempfile.TemporaryDirectory() as downloads:
        _apt(apt_get, ["download", "-q", *packages], f"download {', '.join(packages)}", downloads)
        for deb in sorted(Path(downloads).glob("*.deb")):
            subprocess.run([dpkg, "-x", str(deb), str(staging)], check=True)  # noqa: S603
    (staging / _STAMP).write_text(_stamp(tool))
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return True


def _apt(
    apt_get: str, arguments: list[str], what: str, cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    """apt-get with ``arguments``. A fresh machine may have empty package lists: as root,
    they are fetched once (`apt-get update`) and the command tried again."""

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            command, cwd=cwd, capture_output=True, text=True, check=False
        )

    done = run([apt_get, *arguments])
    if done.returncode != 0 and os.geteuid() == 0:
        run([apt_get, "update", "-q"])
        done = run([apt_get, *arguments])
    if done.returncode != 0:
        raise StackError(
            f"apt-get could not {what} (as root, 'apt-get update' once if the package lists "
            f"are empty):\n{done.stderr}"
        )
    return done


def _library_folders(folder: Path) -> list[str]:
    """The unpacked library folder, and those below it that hold libraries too: a library's
    own search path names where it is installed (`/usr/lib/.../pulseaudio`), not this."""
    root = folder / _LIBRARIES
    below = {path.parent for path in root.rglob("*.so*") if path.parent != root}
    return [str(root), *sorted(str(path) for path in below)]


def _missing_with(apt_get: str, tool: DebianTool) -> tuple[str, ...]:
    """The tool's packages and those apt would install with them here: a simulation, which
    any user may run, lists each as an `Inst <package> ...` line."""
    simulated = _apt(
        apt_get,
        ["install", "--simulate", "--no-install-recommends", "-q", *tool.packages],
        f"resolve {', '.join(tool.packages)}",
    )
    to_install = [
        line.split()[1] for line in simulated.stdout.splitlines() if line.startswith("Inst ")
    ]
    return tuple(dict.fromkeys([*tool.packages, *to_install]))


def tool_command(folder: Path, tool: DebianTool) -> tuple[list[str], dict[str, str]]:
    """The program's command and the environment it runs in: from ``folder`` once fetched,
    else the one on PATH (a system without apt-get)."""
    if tool_present(folder, tool):
        libraries = ":".join(_library_folders(folder))
        inherited = os.environ.get("LD_LIBRARY_PATH")
        path = f"{libraries}:{inherited}" if inherited else libraries
        return [str(folder / tool.program)], {**os.environ, "LD_LIBRARY_PATH": path}
    on_path = shutil.which(tool.name)
    if on_path is None:
        raise StackError(f"{tool.name} is missing: run 'make {tool.name}'")
    return [on_path], dict(os.environ)
