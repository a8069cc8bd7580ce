"""Start rnnsim: ``python main.py`` opens the desktop app (the same as ``rnnsim`` with no arguments).

Importing :mod:`ui.app` is cheap (Qt's core and widgets and the theme); the window's modules and the
engine are imported inside :func:`ui.app.main`, and numba's kernels warm up after the first paint.
"""
import sys

from ui.app import main

if __name__ == "__main__":
    sys.exit(main())
