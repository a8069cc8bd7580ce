"""Build the one-folder bundle of the app that needs no Python: ``python scripts/build_bundle.py``.

Makes ``dist/rnnsim/``: the executable ``dist/rnnsim/rnnsim`` (``rnnsim.exe`` on Windows) and its
``_internal/`` folder (Python, numpy, numba and llvmlite, SciPy's BLAS, PySide6 with its plugins,
pyqtgraph, the app and resources/). Double-clicking the executable opens the app; with a command it is
the command line (``dist/rnnsim/rnnsim warmup``). What goes in is decided by packaging/rnnsim.spec.

PyInstaller is a build-only dependency (the ``bundle`` extra in pyproject.toml); when it is missing this
script installs that extra's requirements with pip first. After PyInstaller, the engine's sources in the
bundle get their .pyc files (checked-hash, so they hold wherever the bundle is copied and need no
writable folder). ``scripts/check_bundle.py`` starts the result under Xvfb.
"""
from __future__ import annotations

import argparse
import compileall
import importlib.util
import py_compile
import shutil
import subprocess
import sys
import time
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:          # Python 3.10
    tomllib = None

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "rnnsim.spec"
NAME = "rnnsim"


def bundle_requirements() -> list[str]:
    """The ``bundle`` extra of pyproject.toml (PyInstaller's pinned range)."""
    if tomllib is None:
        return ["pyinstaller>=6.6"]
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["optional-dependencies"]["bundle"]


def ensure_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is not None:
        return
    requirements = bundle_requirements()
    print(f"build_bundle: installing {' '.join(requirements)}", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", *requirements], check=True)


def executable(dist: Path) -> Path:
    """The bundle's program inside ``dist``."""
    return dist / NAME / (NAME + ".exe" if sys.platform == "win32" else NAME)


def folder_size(folder: Path) -> int:
    """Bytes in the files under ``folder`` (links not followed)."""
    return sum(path.lstat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def build(dist: Path, work: Path) -> Path:
    """Run PyInstaller on packaging/rnnsim.spec into ``dist``/rnnsim, then compile the engine's .pyc files;
    return the executable."""
    ensure_pyinstaller()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(dist), "--workpath", str(work), str(SPEC)], check=True, cwd=ROOT)
    internal = dist / NAME / "_internal"
    engine = internal / "rnnsim"
    if not (engine / "paths.py").is_file():
        raise SystemExit(f"build_bundle: the engine's sources are missing from {engine}")
    ok = compileall.compile_dir(str(engine), quiet=1, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    if not ok:
        raise SystemExit("build_bundle: compiling the engine's sources in the bundle failed")
    program = executable(dist)
    if not program.is_file():
        raise SystemExit(f"build_bundle: PyInstaller made no {program}")
    return program


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where rnnsim/ is made (default: dist)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bundle",
                        help="PyInstaller's work folder (default: build/bundle)")
    parser.add_argument("--clean", action="store_true", help="remove the work folder first (a build from scratch)")
    args = parser.parse_args(argv)
    if args.clean and args.work.exists():
        shutil.rmtree(args.work)
    started = time.perf_counter()
    program = build(args.dist.resolve(), args.work.resolve())
    seconds = time.perf_counter() - started
    size = folder_size(program.parent)
    print(f"build_bundle: {program} ({size / 2**20:.0f} MiB in {program.parent}) built in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
