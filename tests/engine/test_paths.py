"""rnnsim.paths: the user's cache folder on each system and the numba cache the bundle points at."""
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

from rnnsim import paths


def test_linux_uses_xdg_cache_home_when_absolute():
    environ = {"HOME": "/home/ada", "XDG_CACHE_HOME": "/var/cache/ada"}
    assert PurePosixPath(paths.cache_dir(environ, "linux")) == PurePosixPath("/var/cache/ada/rnnsim")


def test_linux_ignores_a_relative_or_empty_xdg_cache_home():
    for xdg in ("relative/cache", ""):
        environ = {"HOME": "/home/ada", "XDG_CACHE_HOME": xdg}
        assert PurePosixPath(paths.cache_dir(environ, "linux")) == PurePosixPath("/home/ada/.cache/rnnsim")


def test_macos_uses_library_caches():
    environ = {"HOME": "/Users/ada", "XDG_CACHE_HOME": "/ignored"}
    assert PurePosixPath(paths.cache_dir(environ, "darwin")) == PurePosixPath("/Users/ada/Library/Caches/rnnsim")


def test_windows_uses_localappdata_else_the_profile():
    with_local = {"LOCALAPPDATA": r"C:\Users\ada\AppData\Local", "USERPROFILE": r"C:\Users\ada"}
    assert PureWindowsPath(paths.cache_dir(with_local, "win32")) == PureWindowsPath(r"C:\Users\ada\AppData\Local\rnnsim")
    without = {"USERPROFILE": r"D:\profiles\ada"}
    assert PureWindowsPath(paths.cache_dir(without, "win32")) == PureWindowsPath(r"D:\profiles\ada\AppData\Local\rnnsim")


def test_this_system_gets_a_concrete_path():
    assert isinstance(paths.cache_dir({"HOME": "/h", "USERPROFILE": r"C:\h", "LOCALAPPDATA": r"C:\h\L"}), Path)


def test_user_numba_cache_dir_is_inside_the_cache_folder():
    environ = {"HOME": "/home/ada"}
    assert PurePosixPath(paths.user_numba_cache_dir(environ, "linux")) == PurePosixPath("/home/ada/.cache/rnnsim/numba")


def test_use_user_numba_cache_sets_the_variable_once_and_keeps_the_users_choice():
    environ = {"HOME": "/home/ada"}
    assert paths.use_user_numba_cache(environ, "linux") == Path("/home/ada/.cache/rnnsim/numba")
    assert environ["NUMBA_CACHE_DIR"] == str(Path("/home/ada/.cache/rnnsim/numba"))
    chosen = {"HOME": "/home/ada", "NUMBA_CACHE_DIR": "/tmp/mine"}
    assert paths.use_user_numba_cache(chosen, "linux") == Path("/tmp/mine")
    assert chosen["NUMBA_CACHE_DIR"] == "/tmp/mine"


def test_numba_cache_dir_reports_the_variable_or_none():
    assert paths.numba_cache_dir({}) is None
    assert paths.numba_cache_dir({"NUMBA_CACHE_DIR": ""}) is None
    assert paths.numba_cache_dir({"NUMBA_CACHE_DIR": "/tmp/k"}) == Path("/tmp/k")


def test_the_module_loads_from_its_file_without_rnnsim_or_numba():
    """The bundle's start-up hook loads paths.py by file before numba is imported: it must need neither."""
    code = ("import importlib.util, sys\n"
            "spec = importlib.util.spec_from_file_location('p', sys.argv[1])\n"
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
            "print(m.use_user_numba_cache({'HOME': '/home/x'}, 'linux'))\n"
            "assert 'numba' not in sys.modules and 'rnnsim' not in sys.modules, sorted(sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code, paths.__file__], capture_output=True, text=True,
                            timeout=120, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(Path("/home/x/.cache/rnnsim/numba"))
