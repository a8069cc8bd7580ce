"""``rnnsim install-desktop``: the menu entry and icons in the user's folders (HOME and XDG_DATA_HOME point
at tmp_path here: the real home is never touched), ``--remove``, the Windows shortcut's command."""
import configparser
import json
import shutil
import struct
import subprocess
import sys

import pytest

from rnnsim.cli import main
from rnnsim.commands import install_desktop
from rnnsim.commands.install_desktop import (ICON_SIZES, ICONS, desktop_entry, exec_field, ico_from_pngs,
                                             launcher_command, linux_paths, shortcut_command, windows_paths,
                                             xdg_data_home)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(install_desktop.shutil, "which", lambda name: None)   # no cache tools run
    return tmp_path


def _read_entry(path):
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str                                  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the freedesktop install is for Linux")
def test_install_writes_the_entry_and_every_icon_then_remove_takes_exactly_them(home, capsys):
    neighbour = home / "data" / "applications" / "other.desktop"
    neighbour.parent.mkdir(parents=True)
    neighbour.write_text("[Desktop Entry]\nName=other\n")
    assert main(["install-desktop"]) == 0
    written = linux_paths(home / "data")
    assert all(path.is_file() for path in written.values())
    entry = _read_entry(written["menu entry"])
    assert entry["Type"] == "Application" and entry["Name"] == "rnnsim" and entry["Icon"] == "rnnsim"
    assert entry["Terminal"] == "false" and entry["Categories"] == "Education;Science;"
    assert entry["StartupWMClass"] == "rnnsim"
    assert entry["Exec"].split()[0].startswith("/")           # an absolute path to the launcher or Python
    for size in ICON_SIZES:
        icon = home / "data" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "rnnsim.png"
        data = icon.read_bytes()
        assert data[:8] == PNG_SIGNATURE and struct.unpack(">II", data[16:24]) == (size, size)
    assert not (home / "home").exists()                       # XDG_DATA_HOME wins over HOME
    assert not list((home / "data").rglob("*.rnnsim-partial"))
    assert "menu entry:" in capsys.readouterr().out

    assert main(["install-desktop", "--remove"]) == 0
    assert not any(path.exists() for path in written.values())
    assert neighbour.is_file()                                # nothing else removed
    assert capsys.readouterr().out.strip() == f"removed {len(written)} files"
    assert main(["install-desktop", "--remove"]) == 0
    assert capsys.readouterr().out.strip() == "nothing to remove"
    assert main(["install-desktop", "--json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["written"]) == sorted(map(str, written.values()))
    assert main(["install-desktop", "--remove", "--json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["removed"]) == sorted(map(str, written.values()))


def test_xdg_data_home_falls_back_to_home():
    assert str(xdg_data_home({"HOME": "/h"})) == "/h/.local/share"
    assert str(xdg_data_home({"HOME": "/h", "XDG_DATA_HOME": "relative/ignored"})) == "/h/.local/share"
    assert str(xdg_data_home({"HOME": "/h", "XDG_DATA_HOME": "/x"})) == "/x"


def test_exec_quotes_as_the_desktop_entry_spec_says():
    assert exec_field(["/opt/bin/rnnsim-app"]) == "/opt/bin/rnnsim-app"
    assert exec_field(["/my apps/python", "-m", "rnnsim"]) == '"/my apps/python" -m rnnsim'
    assert exec_field(['/a"b$c']) == '"/a\\\\"b\\\\$c"'          # \" and \$, each backslash then doubled
    assert exec_field(["/100%/x"]) == "/100%%/x"


def test_the_launcher_beside_python_is_preferred(tmp_path):
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.write_text("")
    assert launcher_command(str(python), which=lambda name: None) == [str(python), "-m", "rnnsim"]
    launcher = python.parent / "rnnsim-app"
    launcher.write_text("#!/bin/sh\n")
    launcher.chmod(0o755)
    assert launcher_command(str(python), which=lambda name: "/elsewhere/rnnsim-app") == [str(launcher)]


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils is not installed")
def test_the_entry_passes_desktop_file_validate(tmp_path):
    entry = tmp_path / "rnnsim.desktop"
    entry.write_text(desktop_entry(["/my apps/rnnsim-app"]), encoding="utf-8")
    result = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True, timeout=60)
    # only a hint may remain: Education and Science are both main categories (shown under each)
    problems = [line for line in result.stdout.splitlines() if ": hint: " not in line]
    assert result.returncode == 0 and problems == [], result.stdout + result.stderr


def test_macos_is_refused_in_one_line(capsys, monkeypatch):
    monkeypatch.setattr(install_desktop, "install_linux", lambda *a: pytest.fail("nothing may be written"))
    monkeypatch.setattr(install_desktop.sys, "platform", "darwin")
    assert main(["install-desktop"]) == 2
    assert capsys.readouterr().err == ("rnnsim install-desktop: not supported on macOS; "
                                       "start the app with rnnsim-app\n")


def test_the_windows_shortcut_command_and_icon(tmp_path):
    """Not run on Windows here: the PowerShell command is checked as text, the .ico as bytes."""
    paths = windows_paths({"APPDATA": r"C:\Users\o'neil\AppData\Roaming", "LOCALAPPDATA": r"C:\L"})
    assert paths["shortcut"].name == "rnnsim.lnk" and "Start Menu" in str(paths["shortcut"])
    command = shortcut_command(paths["shortcut"], [r"C:\Py\pythonw.exe", "-m", "rnnsim"], paths["icon"])
    assert command[:2] == ["powershell", "-NoProfile"]
    script = command[-1]
    assert "CreateShortcut(" in script and "o''neil" in script            # a quote doubled, not breaking out
    assert r"$s.TargetPath = 'C:\Py\pythonw.exe'" in script and "$s.Arguments = '-m rnnsim'" in script
    assert script.endswith("$s.Save()")
    pngs = {16: PNG_SIGNATURE + b"a" * 10, 256: PNG_SIGNATURE + b"b" * 20}
    ico = ico_from_pngs(pngs)
    assert struct.unpack("<HHH", ico[:6]) == (0, 1, 2)
    first, second = struct.unpack("<BBBBHHII", ico[6:22]), struct.unpack("<BBBBHHII", ico[22:38])
    assert first[:2] == (16, 16) and second[:2] == (0, 0)                 # 256 is written as 0
    assert ico[first[7]:first[7] + first[6]] == pngs[16] and ico[second[7]:second[7] + second[6]] == pngs[256]


def test_a_bundle_launches_itself(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/rnnsim/rnnsim")
    assert launcher_command(which=lambda name: "/usr/bin/rnnsim-app") == ["/opt/rnnsim/rnnsim"]


def test_the_svg_icon_is_recognised_by_gtk_menus():
    """gdk-pixbuf (the loader GTK menus use for sizes without a PNG) takes a file for SVG only when "<svg"
    is within its first 256 bytes: a comment before the tag made menus show a generic icon instead."""
    assert b"<svg" in (ICONS / "rnnsim.svg").read_bytes()[:256]


def test_every_menu_size_has_its_png():
    """GTK menus draw icons at 22 or 24 px: a PNG at each size keeps them off the SVG altogether."""
    assert {22, 24} <= set(ICON_SIZES)
    for size in ICON_SIZES:
        data = (ICONS / f"rnnsim-{size}.png").read_bytes()
        assert data[:8] == PNG_SIGNATURE and struct.unpack(">II", data[16:24]) == (size, size)
