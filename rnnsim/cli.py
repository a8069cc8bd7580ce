"""The ``rnnsim`` command. Every subcommand takes ``--json``; bad arguments or files exit 2 with one line.

The subcommands live in ``rnnsim.commands`` (one module each, ``register(subparsers)`` and ``run(args,
out)``); what they share — the one-line parser, the argument types — in ``rnnsim.commands.common``.

Whatever goes wrong reaches the user as one printable line on stderr (``rnnsim: …``, at most
``limits.MAX_MESSAGE_CHARS`` characters) and exit status 2; numpy's RuntimeWarnings (an overflow inside a
model) never reach stderr; Ctrl-C exits 130 and SIGTERM 143, both after every ``finally`` has run (a save's
temporary file is removed)."""
from __future__ import annotations

import importlib
import signal
import sys
import threading
import warnings

import numpy as np

from .commands import bench, evaluate, generate, gradcheck, install_desktop, predict, trace, train, warmup
from .commands.common import TERMINATED, USAGE_ERROR, Parser, Terminated, UsageError, join_dash_values
from .errors import RnnsimError, one_line
from .limits import MAX_MESSAGE_CHARS


def build_parser():
    parser = Parser(prog="rnnsim", description="Recurrent networks, visible. Without a command: open the app.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (train, gradcheck, predict, evaluate, generate, bench, trace, warmup, install_desktop):
        command.register(sub)
    return parser


def open_app():
    """Start the desktop app (the ``ui`` package beside the engine) through its pre-flight check (one
    line and exit 2 when Qt's platform cannot start). The engine itself never imports Qt: the app is
    looked up by name only when it is asked for."""
    try:
        launcher = importlib.import_module("ui.preflight")
    except ImportError as exc:
        raise UsageError(f"rnnsim: the desktop app cannot start ({exc})") from None
    return launcher.run_app()


def _terminate(signum, frame):
    raise Terminated()


def _fail(message) -> int:
    # the engine's messages are at most MAX_MESSAGE_CHARS already; room for the "rnnsim …: " prefix
    print(one_line(message, MAX_MESSAGE_CHARS + 24), file=sys.stderr)
    return USAGE_ERROR


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        return open_app()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return _run(argv)
    except UsageError as exc:
        return _fail(str(exc))
    except RnnsimError as exc:
        return _fail(f"rnnsim: {exc}")
    except KeyboardInterrupt:
        print("rnnsim: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("rnnsim: terminated", file=sys.stderr)
        return TERMINATED
    except OSError as exc:
        return _fail(f"rnnsim: {exc}")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _run(argv):
    parser = build_parser()
    args = parser.parse_args(join_dash_values(parser, argv))
    if args.command is None:
        return open_app()
    return args.run(args, print)


if __name__ == "__main__":
    sys.exit(main())
