"""The bundle's program (``dist/rnnsim/rnnsim``): what ``scripts/build_bundle.py`` freezes.

- no arguments: the desktop app through its pre-flight check (:func:`ui.preflight.run_app`, the same
  path as the ``rnnsim-app`` launcher): one line and exit 2 when Qt's platform cannot start;
- a command (``rnnsim warmup``, ``rnnsim train …``): the command line, :func:`rnnsim.cli.main`;
- ``-c CODE [ARG …]`` and ``-m MODULE [ARG …]``: what ``python -c`` / ``python -m`` would do. The program
  starts children of its own with ``sys.executable -c …`` — the training worker (rnnsim/train_process.py)
  and the pre-flight check's library probe where there is no ``ldd`` — and the menu entry that
  ``rnnsim install-desktop`` writes may start ``sys.executable -m rnnsim``; in the bundle
  ``sys.executable`` is this program.

The start-up hook (packaging/rthook_numba_cache.py) has already pointed numba's cache at the user's
cache folder when this runs.
"""
import runpy
import sys


def run_code(code: str, args: list) -> int:
    """Run ``code`` like ``python -c code *args``: ``sys.argv == ["-c", *args]``, in a fresh ``__main__``
    namespace; an uncaught SystemExit ends with its status as Python's would."""
    sys.argv = ["-c", *args]
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(compile(code, "<string>", "exec"), namespace)
    return 0


def run_module(name: str, args: list) -> int:
    """Run module ``name`` like ``python -m name *args`` (``sys.argv[0]`` becomes its file)."""
    sys.argv = ["-m", *args]
    runpy.run_module(name, run_name="__main__", alter_sys=True)
    return 0


def main() -> int:
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "-c":
        return run_code(args[1], args[2:])
    if len(args) >= 2 and args[0] == "-m":
        return run_module(args[1], args[2:])
    if not args:
        from ui.preflight import run_app
        return run_app()
    from rnnsim.cli import main as command_line
    return command_line(args)


if __name__ == "__main__":
    sys.exit(main())
