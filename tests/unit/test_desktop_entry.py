"""install_desktop_entry.sh: the build in the user's application menu, with its icon.

The installed entry is read back the way the Desktop Entry Specification says a menu reads it
(string escapes, then Exec's quoting), so a folder with spaces, quotes, $ or % still starts.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install_desktop_entry.sh"
ICON = ROOT / "desk_billing" / "gui" / "icons" / "app.svg"


def _fake_build(folder: Path) -> Path:
    """A build's layout: the binary (here a script that says it ran) and its resources."""
    resources = folder / "_internal" / "resources"
    resources.mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "desk-billing.desktop", resources)
    shutil.copy(ROOT / "resources" / "desk-billing.svg", resources)  # follows the link
    binary = folder / "desk-billing"
    binary.write_text('#!/bin/sh\necho "started $0"\n')
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


def _install(*args: str, home: Path, data_home: Path | None, script: Path = SCRIPT):
    env = {k: v for k, v in os.environ.items() if k != "XDG_DATA_HOME"}
    env["HOME"] = str(home)
    if data_home is not None:
        env["XDG_DATA_HOME"] = str(data_home)
    return subprocess.run(
        ["bash", str(script), *args], capture_output=True, text=True, env=env, timeout=60
    )


def _entry(path: Path) -> dict[str, str]:
    """The [Desktop Entry] group, string values unescaped (\\s \\n \\t \\r \\\\)."""
    escapes = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        key, _, raw = line.partition("=")
        out, chars = [], iter(raw)
        for char in chars:
            out.append(escapes.get(next(chars, ""), "\\?") if char == "\\" else char)
        values[key] = "".join(out)
    return values


def _exec_arguments(value: str) -> list[str]:
    """Exec's arguments: double-quoted ones unescape \\" \\` \\$ \\\\; %% is a literal %."""
    args, current, quoted, chars = [], [], False, iter(value)
    for char in chars:
        if quoted and char == "\\":
            escaped = next(chars)
            assert escaped in '"`$\\', f"\\{escaped} is no escape in a quoted argument"
            current.append(escaped)
        elif quoted and char in "`$":
            raise AssertionError(f"{char} must be escaped in a quoted argument")
        elif char == '"':
            quoted = not quoted
        elif char == " " and not quoted:
            args.append("".join(current))
            current = []
        elif char == "%":
            assert next(chars) == "%", "a field code the entry should not have"
            current.append("%")
        else:
            current.append(char)
    assert not quoted
    return [*args, "".join(current)]


def test_entry_and_icon_go_under_xdg_data_home_and_start_the_build(tmp_path):
    binary = _fake_build(tmp_path / 'Finance "Apps" $HOME `x` 100% \\ off' / "desk-billing")
    home, data_home = tmp_path / "home", tmp_path / "xdg-data"
    home.mkdir()

    result = _install(str(binary.parent), home=home, data_home=data_home)

    assert result.returncode == 0, result.stderr
    entry_path = data_home / "applications" / "desk-billing.desktop"
    entry = _entry(entry_path)
    assert _exec_arguments(entry["Exec"]) == [str(binary)]
    assert entry["TryExec"] == str(binary)
    assert entry["Icon"] == "desk-billing" and entry["StartupWMClass"] == "desk-billing"
    assert entry["Name"] == "desk-billing" and entry["Categories"] == "Office;Finance;"
    icon = data_home / "icons" / "hicolor" / "scalable" / "apps" / "desk-billing.svg"
    assert icon.read_bytes() == ICON.read_bytes()
    assert list(home.iterdir()) == []  # nothing outside XDG_DATA_HOME
    started = subprocess.run(_exec_arguments(entry["Exec"]), capture_output=True, text=True)
    assert started.stdout.strip() == f"started {binary}"


def test_without_xdg_data_home_it_uses_local_share_and_uninstall_removes_both(tmp_path):
    binary = _fake_build(tmp_path / "app")
    home = tmp_path / "home"
    home.mkdir()

    assert _install(str(binary.parent), home=home, data_home=None).returncode == 0
    installed = [
        home / ".local/share/applications/desk-billing.desktop",
        home / ".local/share/icons/hicolor/scalable/apps/desk-billing.svg",
    ]
    assert all(p.is_file() for p in installed)

    assert _install("--uninstall", home=home, data_home=None).returncode == 0
    assert not any(p.exists() for p in installed)


def test_the_copy_shipped_beside_the_binary_installs_its_own_build(tmp_path):
    binary = _fake_build(tmp_path / "unpacked" / "desk-billing")
    shipped = binary.parent / "install-desktop-entry.sh"
    shutil.copy(SCRIPT, shipped)
    data_home = tmp_path / "data"

    result = _install(home=tmp_path, data_home=data_home, script=shipped)

    assert result.returncode == 0, result.stderr
    entry = _entry(data_home / "applications" / "desk-billing.desktop")
    assert entry["TryExec"] == str(binary)


@pytest.mark.parametrize("made", [False, True])
def test_a_folder_that_is_no_build_is_refused_in_one_line(tmp_path, made):
    folder = tmp_path / "not-a-build"
    if made:
        folder.mkdir()
    result = _install(str(folder), home=tmp_path, data_home=tmp_path / "data")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "build" in result.stderr
    assert not (tmp_path / "data").exists()
