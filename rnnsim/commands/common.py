"""What every subcommand shares: the argument parser that fails in one line, the argument types, the
options that describe a network, strict JSON output. ``rnnsim.cli`` and each ``rnnsim.commands`` module
import it.

Numbers on the command line are plain decimal notation (``1_000`` and ``0x10`` are refused); sizes are
bounded by rnnsim.limits; ``--json`` output is strict JSON (``json.dumps(allow_nan=False)``): a NaN or
infinite number is written as ``null``."""
from __future__ import annotations

import argparse
import json
import math
import re

import numpy as np

from ..clip import check_threshold
from ..errors import ConfigError, one_line
from ..inputs import strict_float
from ..limits import MAX_HIDDEN_SIZE, MAX_INPUT_SIZE, MAX_LAYERS, MAX_OUTPUT_SIZE, MAX_SEED, MAX_STEPS
from ..spec import GATE_BLOCKS, LOSSES, OUTPUTS, REDUCTIONS, ModelSpec

USAGE_ERROR = 2
JSON_HELP = "print one JSON object (strict JSON: a NaN or infinite number is null)"
#: exit status after SIGTERM (128 + 15), as shells report it
TERMINATED = 143
_WHOLE = re.compile(r"[+-]?\d{1,30}", re.ASCII)


class UsageError(Exception):
    """Raised instead of argparse's two-line usage message."""


class Terminated(BaseException):
    """Raised by the command line's SIGTERM handler, so that every ``finally`` (a save's temporary file)
    runs before the process ends; like KeyboardInterrupt it is not an Exception."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _whole(text):
    """A whole number typed in digits, or in exponent notation when it is exactly whole (``1e6``)."""
    if isinstance(text, str) and _WHOLE.fullmatch(text.strip()):
        return int(text)
    value = strict_float(text)
    if value is not None and "e" in text.lower() and value.is_integer():
        return int(value)
    raise argparse.ArgumentTypeError(f"'{_bare(text)}' is not a whole number")


def positive_int(text):
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def bounded_int(limit, low=1):
    """An argument type: a whole number in low..limit (the limit named when it is exceeded)."""
    def parse(text):
        value = _whole(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        if value > limit:
            raise argparse.ArgumentTypeError(f"{value} is over the limit of {limit}")
        return value
    parse.__name__ = "whole number"
    return parse


seed_int = bounded_int(MAX_SEED, low=0)
seed_int.__name__ = "seed"


def _bare(text) -> str:
    """Typed text quoted as typed, short and printable."""
    return one_line(text, 40)


def _number(text):
    value = strict_float(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"'{_bare(text)}' is not a number")
    return value


def finite_float(text):
    value = _number(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {_bare(text)}")
    return value


def positive_float(text):
    value = _number(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {_bare(text)}")
    return value


def nonnegative_float(text):
    value = _number(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number ≥ 0, got {_bare(text)}")
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
        raise argparse.ArgumentTypeError(f"takes two numbers separated by a comma, got '{_bare(text)}'")
    values = []
    for part in parts:
        value = strict_float(part)
        if value is None:
            raise argparse.ArgumentTypeError(f"'{_bare(part.strip())}' is not a number")
        if not np.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be finite numbers, got '{_bare(text)}'")
        values.append(value)
    return tuple(values)


def add_architecture(p, cell="lstm", hidden=3, input_size=2, output_size=2):
    """The options that describe a network (shared by gradcheck and train)."""
    p.add_argument("--cell", choices=sorted(GATE_BLOCKS), default=cell)
    p.add_argument("--input-size", type=bounded_int(MAX_INPUT_SIZE), default=input_size)
    p.add_argument("--hidden", type=bounded_int(MAX_HIDDEN_SIZE), default=hidden, help="hidden units per layer")
    p.add_argument("--layers", type=bounded_int(MAX_LAYERS), default=1)
    p.add_argument("--bidirectional", action="store_true")
    p.add_argument("--no-bias", action="store_true", help="recurrent layers without biases")
    p.add_argument("--output-size", type=bounded_int(MAX_OUTPUT_SIZE), default=output_size)
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


steps_int = bounded_int(MAX_STEPS)


# ---- output --------------------------------------------------------------------------------------
def strict_json(value) -> str:
    """``value`` as strict JSON text: numpy values become Python ones, NaN and ±inf become null (plain
    JSON has no such numbers; ``json.dumps`` would write the invalid ``NaN``/``Infinity``)."""
    return json.dumps(_finite_only(value), allow_nan=False)


def _finite_only(value):
    if isinstance(value, dict):
        return {str(k): _finite_only(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_only(v) for v in value]
    if isinstance(value, np.ndarray):
        return _finite_only(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, complex):
        return None
    return value


# ---- argv ----------------------------------------------------------------------------------------
def join_dash_values(parser: argparse.ArgumentParser, argv: list) -> list:
    """``argv`` with every value that starts with "-" joined to its option: ``--input -1,2`` becomes
    ``--input=-1,2`` (argparse would read "-1,2" as an unknown option and refuse it).

    A token is taken as a value when it follows an option of ``parser`` (or of the chosen subcommand's
    parser) that takes one, and is not itself an option of that parser."""
    argv = list(argv)
    sub = None
    for action in parser._actions:                         # the subcommand's own parser, when one is named
        if isinstance(action, argparse._SubParsersAction) and argv and argv[0] in action.choices:
            sub = action.choices[argv[0]]
    target = sub or parser
    takes_value, options = set(), set()
    for action in target._actions:
        options.update(action.option_strings)
        if action.option_strings and action.nargs is None and not isinstance(
                action, (argparse._StoreConstAction, argparse._CountAction, argparse._HelpAction,
                         argparse._VersionAction)):
            takes_value.update(action.option_strings)
    long_options = [o for o in options if o.startswith("--")]
    out, i = [], 0
    while i < len(argv):
        token = argv[i]
        if token.startswith("--") and token not in options and "=" not in token:
            matches = [o for o in long_options if o.startswith(token)]
            token = matches[0] if len(matches) == 1 else token       # argparse's abbreviations
        following = argv[i + 1] if i + 1 < len(argv) else None
        if (token in takes_value and isinstance(following, str) and following.startswith("-")
                and following.split("=", 1)[0] not in options and following != "--"):
            out.append(f"{token}={following}")
            i += 2
            continue
        out.append(token)
        i += 1
    return out
