"""ui.preflight: Qt's platform checked before any Qt library loads (imports only the standard library,
so these tests need no Qt and live beside the engine's)."""
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ui import preflight
from ui.preflight import debian_package, missing_libraries, platform_plugin, problem

ROOT = Path(__file__).resolve().parents[2]
#: the environment a child process starts from: no display, no platform chosen
BARE = {k: v for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")}
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the pre-flight check runs on Linux only")


def _main_py(env):
    return subprocess.run([sys.executable, "main.py"], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("soname, package", [
    ("libxcb-icccm.so.4", "libxcb-icccm4"), ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-cursor.so.0", "libxcb-cursor0"), ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libxcb-image.so.0", "libxcb-image0"), ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libEGL.so.1", "libegl1"), ("libGL.so.1", "libgl1"), ("libdbus-1.so.3", "libdbus-1-3"),
    ("libfontconfig.so.1", "libfontconfig1"), ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libxcb-util.so.1", "libxcb-util1"), ("libpng16.so.16", "libpng16-16"),
    ("libglib-2.0.so.0", "libglib2.0-0"), ("libgthread-2.0.so.0", "libglib2.0-0"), ("libz.so.1", "zlib1g"),
    ("libgcc_s.so.1", "libgcc-s1"), ("libxcb-xinerama.so.0.0.0", "libxcb-xinerama0"),
])
def test_sonames_map_to_debian_packages(soname, package):
    assert debian_package(soname) == package


PROBE = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("ui.preflight", sys.argv[1])
preflight = importlib.util.module_from_spec(spec)
spec.loader.exec_module(preflight)
preflight.problem({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}, "linux")
preflight.platform_plugin("libqxcb.so")
print(sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "ui")))
"""


def test_the_check_itself_loads_no_qt():
    """The module, loaded on its own, runs the whole check (ldd included) and imports nothing of Qt."""
    result = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "ui" / "preflight.py")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, env={**BARE, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_importing_it_through_the_ui_package_loads_no_gui_library():
    """``import ui.preflight`` runs ``ui/__init__`` first, whose refcount guard imports PySide6.QtCore on
    Python 3.11 (never QtGui or QtWidgets, never a platform plugin: nothing that can abort)."""
    probe = ("import sys, ui.preflight as p; p.problem({'QT_QPA_PLATFORM': 'xcb', 'DISPLAY': ':0'}, 'linux');"
             "print(sorted(m for m in sys.modules if m.startswith(('PySide6.Qt', 'ui.'))))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**BARE, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    expected = ["PySide6.QtCore"] if sys.version_info < (3, 12) else []
    assert ast.literal_eval(result.stdout.strip()) == expected + ["ui.preflight"]


@linux_only
def test_missing_libraries_give_one_line_naming_the_packages_and_exit_2(tmp_path):
    """A fake ``ldd`` first on PATH reports two libraries missing, as on a fresh Debian desktop."""
    called_with = tmp_path / "ldd-argument"
    fake_ldd = tmp_path / "bin" / "ldd"
    fake_ldd.parent.mkdir()
    fake_ldd.write_text("#!/bin/sh\n"
                        f"echo \"$1\" > '{called_with}'\n"
                        "printf '\\tlinux-vdso.so.1 (0x00007ffd)\\n\\tlibxcb-icccm.so.4 => not found\\n'\n"
                        "printf '\\tlibxcb-keysyms.so.1 => not found\\n\\tlibxcb-icccm.so.4 => not found\\n'\n"
                        "printf '\\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\\n'\n")
    fake_ldd.chmod(0o755)
    if platform_plugin("libqxcb.so") is None:
        pytest.skip("PySide6's xcb platform plugin is not installed here")
    env = {**BARE, "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":99",
           "PATH": f"{fake_ldd.parent}{os.pathsep}{os.environ['PATH']}"}
    result = _main_py(env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == ("rnnsim: Qt's xcb platform cannot load libxcb-icccm.so.4, libxcb-keysyms.so.1: "
                             "install them with: sudo apt-get install libxcb-icccm4 libxcb-keysyms1\n")
    assert called_with.read_text().strip().endswith("plugins/platforms/libqxcb.so")


@linux_only
def test_no_display_gives_one_line_and_exit_2_without_a_qt_abort():
    result = _main_py(BARE)
    assert result.returncode == 2                           # not -6 (Qt's abort) nor a core dump
    assert result.stdout == ""
    assert result.stderr == ("rnnsim: no display: DISPLAY not set; run it in a desktop session, set DISPLAY "
                             "(e.g. DISPLAY=:0), or set QT_QPA_PLATFORM=offscreen for headless use\n")
    wayland = problem({"XDG_SESSION_TYPE": "wayland"}, "linux")
    assert wayland.startswith("rnnsim: no display: WAYLAND_DISPLAY and DISPLAY not set;")


@pytest.mark.parametrize("platform", ["offscreen", "minimal", "vnc", "eglfs", "xcb;offscreen"])
def test_a_platform_without_a_display_is_not_checked(platform, monkeypatch):
    monkeypatch.setattr(preflight, "missing_libraries", lambda plugin: pytest.fail("nothing to check"))
    assert problem({"QT_QPA_PLATFORM": platform}, "linux") is None


@pytest.mark.parametrize("system", ["win32", "darwin", "freebsd14"])
def test_other_systems_are_not_checked(system):
    assert problem({}, system) is None


def test_wayland_then_xcb_as_qt_tries_them(monkeypatch):
    """On a Wayland session Qt tries wayland, then xcb: the app starts when either loads."""
    missing = {"libqwayland.so": ["libwayland-cursor.so.0"], "libqxcb.so": []}
    monkeypatch.setattr(preflight, "platform_plugin", lambda name: Path("/plugins", name))
    monkeypatch.setattr(preflight, "missing_libraries", lambda plugin: missing[plugin.name])
    session = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert problem(session, "linux") is None
    missing["libqxcb.so"] = ["libxcb-cursor.so.0"]
    assert problem(session, "linux") == ("rnnsim: Qt's wayland platform cannot load libwayland-cursor.so.0: "
                                         "install them with: sudo apt-get install libwayland-cursor0")
    assert problem({**session, "WAYLAND_DISPLAY": ""}, "linux").startswith(
        "rnnsim: Qt's xcb platform cannot load libxcb-cursor.so.0:")


@linux_only
def test_ldd_and_its_ctypes_fallback_find_what_a_plugin_cannot_load(tmp_path):
    """The real xcb plugin copied away from the Qt libraries its RPATH points at cannot load them."""
    plugin = platform_plugin("libqxcb.so")
    if plugin is None:
        pytest.skip("PySide6's xcb platform plugin is not installed here")
    stray = Path(shutil.copy(plugin, tmp_path / "libqxcb.so"))
    if shutil.which("ldd") is not None:
        assert "libQt6XcbQpa.so.6" in missing_libraries(stray)
    assert missing_libraries(stray, ldd=None) == ["libQt6XcbQpa.so.6"]


@linux_only
def test_this_machine_has_what_the_xcb_platform_needs():
    """.ci/run installs the libraries the README lists: with them the real plugin loads (ldd and
    ctypes agree), so the check passes for the real xcb platform."""
    if platform_plugin("libqxcb.so") is None:
        pytest.skip("PySide6's xcb platform plugin is not installed here")
    assert missing_libraries(platform_plugin("libqxcb.so")) == []
    assert missing_libraries(platform_plugin("libqxcb.so"), ldd=None) == []
    assert problem({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}, "linux") is None
