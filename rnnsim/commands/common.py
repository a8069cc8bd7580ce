"""What every subcommand shares: the argument parser that fails in one line, the argument types, the
options that describe a network. ``rnnsim.cli`` and each ``rnnsim.commands`` module import it."""
from __future__ import annotations

import argparse

import numpy as np

from ..clip import check_threshold
from ..errors import ConfigError
from ..spec import GATE_BLOCKS, LOSSES, OUTPUTS, REDUCTIONS, ModelSpec

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
    """The ModelSpec the options of :func:`add_architecture` describe."""
    return ModelSpec(cell=args.cell, input_size=args.input_size, hidden_size=args.hidden,
                     num_layers=args.layers, bidirectional=args.bidirectional, bias=not args.no_bias,
                     output_size=None if args.no_head else args.output_size, output=args.output,
                     loss=args.loss, reduction=args.reduction)
