"""The ``rnnsim`` command. Every subcommand takes ``--json``; bad arguments or files exit 2 with one line."""
from __future__ import annotations

import argparse
import importlib
import json
import sys

import numpy as np

from .clip import check_threshold
from .errors import ConfigError, RnnsimError
from .spec import GATE_BLOCKS, LOSSES, OUTPUTS, REDUCTIONS

USAGE_ERROR = 2


class UsageError(Exception):
    """Raised instead of argparse's two-line usage message."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message} (see --help)")


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def nonnegative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not (np.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number ≥ 0, got {text}")
    return value


def clip_threshold(text):
    """--clip: a gradient-clipping threshold, checked by rnnsim.clip.check_threshold."""
    try:
        return check_threshold(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def number_pair(text):
    """'A,B' → (A, B), two finite numbers; which values fit is the engine's to judge."""
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"takes two numbers separated by a comma, got '{text}'")
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{part.strip()}' is not a number") from None
        if not np.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be finite numbers, got '{text}'")
        values.append(value)
    return tuple(values)


def add_architecture(p, cell="lstm", hidden=3, input_size=2, output_size=2):
    """The options that describe a network (shared by gradcheck and train)."""
    p.add_argument("--cell", choices=sorted(GATE_BLOCKS), default=cell)
    p.add_argument("--input-size", type=positive_int, default=input_size)
    p.add_argument("--hidden", type=positive_int, default=hidden, help="hidden units per layer")
    p.add_argument("--layers", type=positive_int, default=1)
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument("--no-bias", action="store_true", help="recurrent layers without biases")
    p.add_argument("--output-size", type=positive_int, default=output_size)
    p.add_argument("--no-head", action="store_true", help="no linear head: output the top hidden state")
    p.add_argument("--output", choices=OUTPUTS, default="sequence")
    p.add_argument("--loss", choices=LOSSES, default="mse")
    p.add_argument("--reduction", choices=REDUCTIONS, default="mean")


def spec_from_args(args):
    from .spec import ModelSpec
    return ModelSpec(cell=args.cell, input_size=args.input_size, hidden_size=args.hidden,
                     num_layers=args.layers, bidirectional=args.bidirectional, bias=not args.no_bias,
                     output_size=None if args.no_head else args.output_size, output=args.output,
                     loss=args.loss, reduction=args.reduction)


def build_parser():
    from .commands import bench, gradcheck, predict, trace, train
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
