"""Starts or says why: check what Qt's platform needs *before* any Qt library loads.

Qt aborts the whole process (a core dump, a message naming the wrong package) when its platform plugin
cannot start. :func:`problem` finds the cause first and returns one line, and :func:`run_app` — what
``python main.py``, ``rnnsim`` without arguments and the ``rnnsim-app`` launcher run — prints it and
returns exit status 2 instead of starting the app. This module imports only the standard library: the
plugin is located with ``importlib.util.find_spec("PySide6")``, which imports nothing.

The check runs on Linux only (Windows and macOS wheels carry everything their platform plugin needs;
other systems are not checked). Which platforms Qt will try is modelled as Qt 6 chooses them:
``QT_QPA_PLATFORM`` split at ";" when set, else "wayland;xcb" when ``XDG_SESSION_TYPE`` is "wayland",
else "xcb". When that list names anything but xcb and wayland (offscreen, minimal, vnc, eglfs, …) there
is nothing to check. Otherwise a platform can start when its display is set (``DISPLAY`` for xcb,
``WAYLAND_DISPLAY`` for wayland) and its plugin (``PySide6/Qt/plugins/platforms/libqxcb.so``,
``libqwayland.so``) loads; the app starts when one can. The libraries a plugin fails to load come from
``ldd`` ("not found" lines: transitive, the plugin's RPATH respected), or, without ``ldd``, from the
error of loading it with ``ctypes.CDLL`` in a child process (the first missing library only). Each
missing soname is mapped to the Debian/Ubuntu package that ships it (:func:`debian_package`).
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

EXIT_NOT_READY = 2
#: platform name -> (its display variable, its plugin's file name)
PLATFORMS = {"xcb": ("DISPLAY", "libqxcb.so"), "wayland": ("WAYLAND_DISPLAY", "libqwayland.so")}
#: sonames whose Debian/Ubuntu package does not follow :func:`debian_package`'s rule
PACKAGE_EXCEPTIONS = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgmodule-2.0.so.0": "libglib2.0-0",
    "libz.so.1": "zlib1g",
    "libgcc_s.so.1": "libgcc-s1",
    "libm.so.6": "libc6",
    "libdl.so.2": "libc6",
    "librt.so.1": "libc6",
    "libpthread.so.0": "libc6",
    "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1",
    "libgssapi_krb5.so.2": "libgssapi-krb5-2",
}
_SONAME = re.compile(r"^(?P<base>[A-Za-z0-9_+.-]+?)\.so\.(?P<major>\d+)")
_NOT_FOUND = re.compile(r"^\s*(\S+\.so[\w.]*)\s*=>\s*not found", re.MULTILINE)
_CANNOT_OPEN = re.compile(r"(\S+\.so[\w.]*): cannot open shared object file")


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships ``soname``: ``libfoo-bar.so.N`` → ``libfoo-barN``, with a dash
    before N when the name ends in a digit (``libdbus-1.so.3`` → ``libdbus-1-3``), lower-case; the few
    that do not follow the rule are in :data:`PACKAGE_EXCEPTIONS`. A name without a version is returned
    unchanged (lower-case)."""
    if soname in PACKAGE_EXCEPTIONS:
        return PACKAGE_EXCEPTIONS[soname]
    match = _SONAME.match(soname)
    if match is None:
        return soname.lower()
    base, major = match["base"].lower(), match["major"]
    return f"{base}-{major}" if base[-1].isdigit() else f"{base}{major}"


def platform_plugin(file_name: str) -> Path | None:
    """``PySide6/Qt/plugins/platforms/<file_name>`` located without importing PySide6; None when absent."""
    spec = importlib.util.find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        plugin = Path(folder, "Qt", "plugins", "platforms", file_name)
        if plugin.is_file():
            return plugin
    return None


def missing_libraries(plugin: Path, ldd: str | None = "auto") -> list[str]:
    """The sonames ``plugin`` fails to load, in ``ldd``'s order (every one, transitively); with
    ``ldd=None`` (or no ``ldd`` on PATH) the one a ``ctypes.CDLL`` load in a child process names."""
    ldd = shutil.which("ldd") if ldd == "auto" else ldd
    if ldd is not None:
        result = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=60)
        return list(dict.fromkeys(_NOT_FOUND.findall(result.stdout + result.stderr)))
    result = subprocess.run([sys.executable, "-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])", str(plugin)],
                            capture_output=True, text=True, timeout=60)
    return _CANNOT_OPEN.findall(result.stderr)[:1]


def platforms_to_try(environ) -> list[str]:
    """The platform plugins Qt 6 will try, in order (see the module docstring)."""
    chosen = environ.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return [name.split(":")[0].strip() for name in chosen.split(";") if name.strip()]
    return ["wayland", "xcb"] if environ.get("XDG_SESSION_TYPE", "") == "wayland" else ["xcb"]


def problem(environ=None, system: str | None = None) -> str | None:
    """One line saying why Qt's platform cannot start here, or None when it can (or is not checked)."""
    environ = os.environ if environ is None else environ
    if (system or sys.platform) != "linux":
        return None
    names = platforms_to_try(environ)
    if any(name not in PLATFORMS for name in names):
        return None
    with_display = [name for name in names if environ.get(PLATFORMS[name][0])]
    if not with_display:
        unset = " and ".join(dict.fromkeys(PLATFORMS[name][0] for name in names))
        return (f"rnnsim: no display: {unset} not set; run it in a desktop session, set DISPLAY "
                f"(e.g. DISPLAY=:0), or set QT_QPA_PLATFORM=offscreen for headless use")
    first_failure = None
    for name in with_display:
        plugin = platform_plugin(PLATFORMS[name][1])
        if plugin is None:                       # no such plugin: Qt's own error (or the import's) says so
            return None
        missing = missing_libraries(plugin)
        if not missing:
            return None
        first_failure = first_failure or (name, missing)
    name, missing = first_failure
    packages = " ".join(dict.fromkeys(debian_package(soname) for soname in missing))
    return (f"rnnsim: Qt's {name} platform cannot load {', '.join(missing)}: "
            f"install them with: sudo apt-get install {packages}")


def run_app(argv=None) -> int:
    """Check first, then start the desktop app (:func:`ui.app.main`); exit status 2 with one line on
    stderr when it cannot start. The ``rnnsim-app`` launcher (``[project.gui-scripts]``)."""
    line = problem()
    if line is None:
        try:
            from ui.app import main
        except ImportError as exc:               # PySide6 (or one of its libraries) missing
            line = f"rnnsim: the desktop app cannot start ({exc})"
        else:
            return main(argv)
    if sys.stderr is not None:                   # a console-less launcher on Windows has no stderr
        print(line, file=sys.stderr)
    return EXIT_NOT_READY

