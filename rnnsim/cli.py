"""The ``rnnsim`` command. Every subcommand takes ``--json``; bad arguments or files exit 2 with one line.

The subcommands live in ``rnnsim.commands`` (one module each, ``register(subparsers)`` and ``run(args,
out)``); what they share — the one-line parser, the argument types — in ``rnnsim.commands.common``."""
from __future__ import annotations

import importlib
import sys

from .commands import bench, gradcheck, predict, trace, train
from .commands.common import USAGE_ERROR, Parser, UsageError
from .errors import RnnsimError


def build_parser():
    parser = Parser(prog="rnnsim", description="Recurrent networks, visible. Without a command: open the app.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (train, gradcheck, predict, bench, trace):
        command.register(sub)
    return parser


def open_app():
    """Start the desktop app (the ``ui`` package beside the engine). The engine itself never
    imports Qt: the app is looked up by name only when it is asked for."""
    try:
        app = importlib.import_module("ui.app")
    except ImportError as exc:
        raise UsageError(f"rnnsim: the desktop app cannot start ({exc})") from None
    return app.main()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out = print
    try:
        if not argv:
            return open_app()
        args = build_parser().parse_args(argv)
        if args.command is None:
            return open_app()
        return args.run(args, out)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return USAGE_ERROR
    except RnnsimError as exc:
        print(f"rnnsim: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("rnnsim: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"rnnsim: {exc}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
