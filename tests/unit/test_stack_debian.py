"""Programs unpacked from Debian's packages: run from the cache once stamped, else from PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from stack.debian import WRK, DebianTool, ensure_tool, tool_command, tool_present
from stack.errors import StackError

TOOL = DebianTool("some-tool", ("some-tool", "libsome1"), "usr/bin/some-tool")


def test_an_unpacked_tool_runs_from_the_cache_with_its_libraries(tmp_path: Path) -> None:
    (tmp_path / ".packages").write_text("some-tool libsome1")
    assert tool_present(tmp_path, TOOL)
    assert not ensure_tool(tmp_path, TOOL), "a stamped cache is not fetched again"
    command, environment = tool_command(tmp_path, TOOL)
    assert command == [str(tmp_path / "usr/bin/some-tool")]
    assert environment["LD_LIBRARY_PATH"].startswith(str(tmp_path / "usr/lib/x86_64-linux-gnu"))


def test_a_cache_of_other_packages_does_not_count(tmp_path: Path) -> None:
    (tmp_path / ".packages").write_text("some-tool")
    assert not tool_present(tmp_path, TOOL)


def test_without_a_cache_the_tool_comes_from_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = tmp_path / "bin" / "some-tool"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(program.parent))
    assert tool_command(tmp_path / "cache", TOOL)[0] == [str(program)]
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(StackError, match="make some-tool"):
        tool_command(tmp_path / "cache", TOOL)


def test_wrk_brings_the_lua_library_it_links() -> None:
    assert WRK.packages[0] == "wrk"
    assert any(package.startswith("libluajit") for package in WRK.packages)


def test_libraries_in_folders_below_the_library_folder_are_found_too(tmp_path: Path) -> None:
    (tmp_path / ".packages").write_text("some-tool libsome1")
    nested = tmp_path / "usr/lib/x86_64-linux-gnu/pulseaudio"
    nested.mkdir(parents=True)
    (nested / "libpulsecommon-16.1.so").write_text("")
    folders = tool_command(tmp_path, TOOL)[1]["LD_LIBRARY_PATH"].split(":")
    assert folders[:2] == [str(tmp_path / "usr/lib/x86_64-linux-gnu"), str(nested)]
