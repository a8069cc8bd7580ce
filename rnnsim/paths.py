"""Where rnnsim keeps files of its own on the user's machine: the cache folder and numba's compiled kernels.

numba normally caches a kernel beside its source file (``__pycache__``), which a read-only install (the
bundle made by ``scripts/build_bundle.py``, a system-wide package) cannot write. The bundle therefore
points ``NUMBA_CACHE_DIR`` at the user's cache folder (:func:`use_user_numba_cache`), and About can show
where the kernels live (:func:`numba_cache_dir`).

    cache_dir()        # Linux  $XDG_CACHE_HOME/rnnsim, else ~/.cache/rnnsim
                       # Windows %LOCALAPPDATA%\\rnnsim, else ~\\AppData\\Local\\rnnsim
                       # macOS  ~/Library/Caches/rnnsim

This module imports only the standard library and nothing of rnnsim: the bundle's start-up hook loads it
from its file before numba is imported (numba reads ``NUMBA_CACHE_DIR`` once, when it is imported).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

APP_NAME = "rnnsim"
NUMBA_VARIABLE = "NUMBA_CACHE_DIR"


def _home(environ, windows: bool):
    """The user's home folder as the platform's path type: ``HOME`` (``USERPROFILE`` on Windows) when set,
    else :meth:`Path.home`."""
    flavour = PureWindowsPath if windows else PurePosixPath
    home = environ.get("USERPROFILE" if windows else "HOME") or str(Path.home())
    return flavour(home)


def cache_dir(environ=None, system: str | None = None):
    """The user's cache folder for rnnsim (not created here).

    - Linux and other systems: ``$XDG_CACHE_HOME/rnnsim`` when that variable holds an absolute path
      (the XDG base-directory rule: a relative one is ignored), else ``~/.cache/rnnsim``;
    - Windows (``system`` "win32"): ``%LOCALAPPDATA%\\rnnsim``, else ``~\\AppData\\Local\\rnnsim``;
    - macOS ("darwin"): ``~/Library/Caches/rnnsim``.

    ``environ`` defaults to ``os.environ`` and ``system`` to ``sys.platform``; the result is a
    :class:`pathlib.Path` for this system, or a pure Windows/POSIX path when asked about another one.
    """
    environ = os.environ if environ is None else environ
    system = sys.platform if system is None else system
    windows = system == "win32"
    if windows:
        local = environ.get("LOCALAPPDATA", "")
        base = PureWindowsPath(local) if local and PureWindowsPath(local).is_absolute() \
            else _home(environ, True) / "AppData" / "Local"
    elif system == "darwin":
        base = _home(environ, False) / "Library" / "Caches"
    else:
        xdg = environ.get("XDG_CACHE_HOME", "")
        base = PurePosixPath(xdg) if xdg and PurePosixPath(xdg).is_absolute() else _home(environ, False) / ".cache"
    folder = base / APP_NAME
    native = (system == "win32") == (os.name == "nt")
    return Path(folder) if native else folder


def numba_cache_dir(environ=None):
    """Where numba writes the compiled kernels: ``NUMBA_CACHE_DIR`` when set (non-empty), else None when
    the kernels are cached beside their sources (numba's default, a source checkout or a pip install)."""
    environ = os.environ if environ is None else environ
    chosen = environ.get(NUMBA_VARIABLE, "")
    return Path(chosen) if chosen else None


def user_numba_cache_dir(environ=None, system: str | None = None):
    """The kernels' folder inside the user's cache folder: ``cache_dir(environ, system) / "numba"``."""
    return cache_dir(environ, system) / "numba"


def use_user_numba_cache(environ=None, system: str | None = None):
    """Point numba's cache at :func:`user_numba_cache_dir` by setting ``NUMBA_CACHE_DIR`` in ``environ``
    (``os.environ`` by default) unless the user set it already; return the folder in use. Must run
    before numba is imported. The folder is created by numba when it first writes a kernel."""
    environ = os.environ if environ is None else environ
    if not environ.get(NUMBA_VARIABLE):
        environ[NUMBA_VARIABLE] = str(user_numba_cache_dir(environ, system))
    return Path(environ[NUMBA_VARIABLE])
