"""``rnnsim trace``: the headless twin of the app's BPTT debugger — every forward step, the loss, every
backward step, truncation, clipping and the optimizer's update of one input sequence, each with its
formula and numbers (rnnsim.tape)."""
from __future__ import annotations

import json
import math

from ..cli import nonnegative_float, positive_float, positive_int
from ..errors import InputError
from ..inputs import as_batch, read_values
from ..model import load_model
from ..optim import OPTIMIZERS, make
from ..tape import record, render_text, to_json
from ..tape.events import PHASES


def register(sub):
    p = sub.add_parser("trace", help="step through forward, BPTT and the update of one sequence, with formulas")
    p.add_argument("--model", required=True, help="model file (.npz)")
    p.add_argument("--input", required=True,
                   help="a .npy/.csv file, or inline values: commas separate timesteps, spaces features")
    p.add_argument("--target", required=True,
                   help="a .npy/.csv file or inline values: class indices (cross-entropy) or output values (mse), "
                        "one per timestep for output 'sequence'")
    p.add_argument("--truncate", type=positive_int, help="truncated BPTT window (steps)")
    p.add_argument("--l2", type=nonnegative_float, default=0.0, help="L2 term λ/2·Σw² added to the loss")
    p.add_argument("--clip", type=positive_float, help="clip the gradient's global norm (or values) to this")
    p.add_argument("--clip-mode", choices=("norm", "value"), default="norm")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd",
                   help="the optimizer whose update is shown (default sgd)")
    p.add_argument("--lr", type=positive_float, default=0.01, help="learning rate (default 0.01; Rprop: Δ0)")
    p.add_argument("--momentum", type=nonnegative_float, default=0.0)
    p.add_argument("--nesterov", action="store_true")
    p.add_argument("--no-update", action="store_true", help="stop after BPTT (and clipping): no update events")
    p.add_argument("--phase", action="append", choices=PHASES,
                   help="print only the events of this phase (repeatable; default: all)")
    p.add_argument("--values", type=positive_int, default=8, metavar="N",
                   help="text: print arrays of up to N numbers in full, larger ones as a summary (default 8)")
    p.add_argument("--json", action="store_true", help="print one JSON object with every event and its numbers")
    p.set_defaults(run=run)


def read_target(text, model, x):
    """--target as the model's target array for the input ``x`` (batch, T, features)."""
    spec = model.spec
    values = read_values(text)
    shape = model.output_shape(*x.shape[:2])
    if spec.loss == "cross_entropy":
        shape, what = shape[:-1], "class index"
    else:
        what = f"value{'s' if shape[-1] > 1 else ''} ({shape[-1]} per output)"
    count = math.prod(shape)
    if values.size != count:
        per = "per timestep" if spec.output == "sequence" else "per sequence"
        raise InputError(f"--target: this model needs one {what} {per} — {count} number(s) for the input's "
                         f"shape {x.shape} — got {values.size}")
    return values.reshape(shape)


def run(args, out):
    model = load_model(args.model)
    x = as_batch(read_values(args.input), model.spec.input_size)
    target = read_target(args.target, model, x)
    optimizer = None if args.no_update else make(args.optimizer, args.lr, args.momentum, args.nesterov)
    tape = record(model, x, target, truncate=args.truncate, l2=args.l2, clip=args.clip, clip_mode=args.clip_mode,
                  optimizer=optimizer)
    if args.json:
        out(json.dumps(to_json(tape, phases=args.phase)))
        return 0
    out(render_text(tape, phases=args.phase, max_values=args.values))
    summary = f"loss L = {tape.loss:.6g}; {len(tape.events)} events"
    if tape.clip is not None:
        summary += f"; gradient norm {tape.clip['before']:.6g} → {tape.clip['after']:.6g} after clipping"
    if optimizer is not None:
        summary += f"; update: {args.optimizer} lr {args.lr:g}"
    out("")
    out(summary)
    return 0
