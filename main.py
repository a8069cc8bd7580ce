"""Start rnnsim: ``python main.py`` opens the desktop app (the same as ``rnnsim`` with no arguments)."""
import sys

from rnnsim.cli import main

if __name__ == "__main__":
    sys.exit(main([]))
