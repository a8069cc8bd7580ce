"""Start rnnsim: ``python main.py`` opens the desktop app (the same as ``rnnsim`` with no arguments).

:func:`ui.preflight.run_app` first checks, before any Qt library loads, that Qt's platform can start
here (a display, the system libraries its plugin needs) and otherwise prints one line saying what to do
and exits 2; then it imports :mod:`ui.app` (Qt's core and widgets and the theme) and runs its ``main``.
"""
import sys

from ui.preflight import run_app

if __name__ == "__main__":
    sys.exit(run_app())
