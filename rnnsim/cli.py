"""The ``rnnsim`` command. Every subcommand takes ``--json``; bad arguments or files exit 2 with one line."""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from .errors import RnnsimError
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
    value = 0.0 if text in ("0", "0.0") else None
    return value if value is not None else positive_float(text)


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


# ---- gradcheck ---------------------------------------------------------------------------
def cmd_gradcheck(args, out):
    from . import gradcheck
    from .model import Model, load_model
    model = load_model(args.model) if args.model else Model.create(spec_from_args(args), seed=args.seed)
    x, target = gradcheck.random_problem(model, batch=args.batch, steps=args.steps, seed=args.seed)
    result = gradcheck.gradcheck(model, x, target, truncate=args.truncate, l2=args.l2,
                                 eps=args.eps, tolerance=args.tolerance)
    if args.json:
        out(json.dumps(result.to_json()))
    else:
        for name, err in result.parameters.items():
            out(f"{name:28} {err:.3e}")
        verdict = "passed" if result.passed else "FAILED"
        out(f"worst relative error {result.max_rel_error:.3e} (tolerance {result.tolerance:.0e}): {verdict}")
    return 0 if result.passed else 1


# ---- predict -----------------------------------------------------------------------------
def cmd_predict(args, out):
    from .inputs import as_batch, read_values
    from .model import load_model
    model = load_model(args.model)
    x = as_batch(read_values(args.input), model.spec.input_size)
    y = model.predict(x)
    if args.json:
        out(json.dumps({"output": y.tolist(), "shape": list(y.shape)}))
    else:
        with np.printoptions(precision=6, suppress=True, linewidth=100):
            out(str(y[0] if y.shape[0] == 1 else y))
    return 0


# ---- bench -------------------------------------------------------------------------------
def cmd_bench(args, out):
    from . import bench
    with_torch = False if args.no_torch else None
    if args.json:
        results = bench.run(min_time=args.seconds, with_torch=with_torch)
        out(json.dumps({"results": results, "unit": "training steps/s (forward + BPTT + SGD), float64"}))
    else:
        out("training steps/s (forward + BPTT + SGD update), float64")
        out(bench.HEADER)
        bench.run(min_time=args.seconds, with_torch=with_torch, progress=lambda r: out(bench.format_row(r)))
    return 0


def build_parser():
    parser = Parser(prog="rnnsim", description="Recurrent networks, visible. Without a command: open the app.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("gradcheck", help="compare BPTT gradients with central differences")
    add_architecture(p)
    p.add_argument("--model", help="check this model file instead of a random one")
    p.add_argument("--steps", type=positive_int, default=5, help="sequence length T")
    p.add_argument("--batch", type=positive_int, default=2)
    p.add_argument("--truncate", type=positive_int, default=None, help="truncated BPTT window (steps)")
    p.add_argument("--l2", type=nonnegative_float, default=0.0, help="L2 weight-decay term")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eps", type=positive_float, default=1e-4, help="central-difference step")
    p.add_argument("--tolerance", type=positive_float, default=1e-6)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_gradcheck)

    p = sub.add_parser("predict", help="print a model's output for an input sequence")
    p.add_argument("--model", required=True, help="model file (.npz)")
    p.add_argument("--input", required=True,
                   help="a .npy/.csv file, or inline values: commas separate timesteps, spaces features")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_predict)

    p = sub.add_parser("bench", help="training throughput beside PyTorch (when installed)")
    p.add_argument("--seconds", type=positive_float, default=1.0, help="time per measurement")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_bench)
    return parser


def open_app():
    try:
        from ui.app import main as app_main
    except ImportError as exc:
        raise UsageError(f"rnnsim: the desktop app cannot start ({exc})") from None
    return app_main()


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
