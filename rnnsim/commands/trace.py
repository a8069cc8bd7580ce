"""``rnnsim trace``: the headless twin of the app's BPTT debugger — every forward step, the loss, every
backward step, truncation, clipping and the optimizer's update of one input sequence, each with its
formula and numbers (rnnsim.tape).

A model trained by ``rnnsim train`` remembers its data and its optimizer (spec fields "data" and
"training"): ``--input`` and ``--target`` are then read in the data's own units (a CSV series' columns,
scaled as in training; ``--raw`` reads them in the model's units), and the update is the trained
optimizer's with its settings unless ``--optimizer``, ``--lr``, ``--momentum`` or ``--nesterov`` override
them (another optimizer drops the stored one's settings).

An encoder–decoder model also takes ``--decoder-input D`` (what its decoder reads at each of its M steps,
teacher forcing) and a ``--target`` over those M steps; the trace runs on one timeline of N + M steps:
the encoder, the context handed to the decoder, the decoder, and back."""
from __future__ import annotations

import math

from .. import clip as clipping
from .. import recipe
from ..data.meaning import data_kind, stored_data, to_data_units, to_model_input, to_model_target
from ..errors import InputError
from ..inputs import as_batch, read_values
from ..limits import MAX_TRACE_STEPS, MAX_TRACE_VALUES
from ..model import load_model
from ..optim import OPTIMIZERS
from ..tape import record, render_text, to_json
from ..tape.events import PHASES
from .predict import decoder_input
from .common import clip_threshold, nonnegative_float, positive_float, positive_int, steps_int, strict_json


def register(sub):
    p = sub.add_parser("trace", help="step through forward, BPTT and the update of one sequence, with formulas")
    p.add_argument("--model", required=True, help="model file (.npz)")
    p.add_argument("--input", required=True,
                   help=f"a .npy/.csv file, or inline values: commas separate timesteps, spaces features; at most "
                        f"{MAX_TRACE_STEPS} steps, and steps × the model's parameters at most {MAX_TRACE_VALUES}")
    p.add_argument("--target", required=True,
                   help="a .npy/.csv file or inline values: class indices (cross-entropy) or output values (mse), "
                        "one per timestep for output 'sequence'")
    p.add_argument("--decoder-input",
                   help="an encoder–decoder model: what its decoder reads at each of its M steps (a file or inline "
                        "values as for --input); --target then covers the M decoder steps")
    p.add_argument("--truncate", type=steps_int, help="truncated BPTT window (steps)")
    p.add_argument("--l2", type=nonnegative_float, default=0.0, help="L2 term λ/2·Σw² added to the loss")
    p.add_argument("--clip", type=clip_threshold, help="clip the gradient's global norm (or values) to this")
    p.add_argument("--clip-mode", choices=clipping.MODES, default="norm")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS),
                   help="the optimizer whose update is shown (default: the one the model was trained with, "
                        "else sgd)")
    p.add_argument("--lr", type=positive_float,
                   help="learning rate (default: the trained one, else 0.01; Rprop: Δ0)")
    p.add_argument("--momentum", type=nonnegative_float)
    p.add_argument("--nesterov", action="store_true", default=None)
    p.add_argument("--raw", action="store_true",
                   help="--input and --target in the model's own units (no scaling from the training data)")
    p.add_argument("--no-update", action="store_true", help="stop after BPTT (and clipping): no update events")
    p.add_argument("--phase", action="append", choices=PHASES,
                   help="print only the events of this phase (repeatable; default: all)")
    p.add_argument("--values", type=positive_int, default=8, metavar="N",
                   help="text: print arrays of up to N numbers in full, larger ones as a summary (default 8)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object with every event and its numbers (strict JSON: a NaN or infinite "
                        "number is null)")
    p.set_defaults(run=run)


def read_target(text, model, x, meta=None, decoder_x=None):
    """--target as the model's target array for the input ``x`` (batch, T, features) — for an encoder–decoder,
    for its ``decoder_x`` (batch, M, ·); values of a series model are given in the target columns' units and
    scaled as in training (``meta``: its stored data)."""
    spec = model.spec
    values = read_values(text)
    shape = model.output_shape(*(x if decoder_x is None else decoder_x).shape[:2])
    if spec.loss == "cross_entropy":
        shape, what = shape[:-1], "class index"
    else:
        what = f"value{'s' if shape[-1] > 1 else ''} ({shape[-1]} per output)"
    count = math.prod(shape)
    if values.size != count:
        per = "per timestep" if spec.output == "sequence" else "per sequence"
        raise InputError(f"--target: this model needs one {what} {per} — {count} number(s) for the input's "
                         f"shape {x.shape} — got {values.size}")
    return to_model_target(meta or {}, values.reshape(shape)) if spec.loss != "cross_entropy" else values.reshape(shape)


def choose_optimizer(args, spec):
    """(optimizer, where its settings come from): the model's stored training optimizer and settings,
    overridden by the options given; plain SGD at lr 0.01 for a model without a stored one."""
    stored = recipe.stored_training(spec)
    suggested = recipe.optimizer_settings(stored) if stored is not None else None
    overrides = {"optimizer": args.optimizer, "lr": args.lr, "momentum": args.momentum, "nesterov": args.nesterov}
    config = recipe.build_config(suggested, overrides)
    given = any(v is not None for v in overrides.values())
    source = "as trained" if stored is not None and not given else (
        "options over the trained settings" if stored is not None else "")
    return config.make_optimizer(), source


def check_trace_size(model, x, decoder_x=None) -> None:
    """InputError when the Tape of ``x`` (and ``decoder_x``: an encoder–decoder's N + M steps) would be too
    large: more than MAX_TRACE_STEPS steps, or more than MAX_TRACE_VALUES steps × parameters (the Tape
    keeps every step's numbers)."""
    steps = x.shape[1] + (0 if decoder_x is None else decoder_x.shape[1])
    if steps > MAX_TRACE_STEPS:
        raise InputError(f"--input: trace shows every step; {steps} steps is over the limit of {MAX_TRACE_STEPS}")
    values = steps * model.spec.parameter_count
    if values > MAX_TRACE_VALUES:
        raise InputError(f"--input: trace keeps every step's numbers: {steps} steps × "
                         f"{model.spec.parameter_count} parameters = {values}, over the limit of "
                         f"{MAX_TRACE_VALUES}; trace a shorter input")


def run(args, out):
    model = load_model(args.model)
    meta = {} if args.raw else stored_data(model.spec)
    x = to_model_input(meta, as_batch(read_values(args.input), model.spec.input_size))
    if model.spec.is_seq2seq and args.decoder_input is None:
        raise InputError(f"this encoder–decoder model needs --decoder-input D (M steps of {model.spec.decoder_inputs} "
                         "values: what its decoder reads) and a --target over those M steps")
    if not model.spec.is_seq2seq and args.decoder_input is not None:
        raise InputError("--decoder-input is for an encoder–decoder model; this model reads --input alone")
    decoder_x = decoder_input(args, model.spec, x.shape[0]) if model.spec.is_seq2seq else None
    check_trace_size(model, x, decoder_x)
    target = read_target(args.target, model, x, meta, decoder_x)
    optimizer, source = (None, "") if args.no_update else choose_optimizer(args, model.spec)
    seq2seq = {} if decoder_x is None else {"decoder_input": decoder_x}
    tape = record(model, x, target, truncate=args.truncate, l2=args.l2, clip=args.clip, clip_mode=args.clip_mode,
                  optimizer=optimizer, **seq2seq)
    series = data_kind(meta) == "series"
    if args.json:
        result = to_json(tape, phases=args.phase)
        if series:
            result["data_units"] = {"names": list(meta["targets"]), "output": to_data_units(meta, tape.output).tolist(),
                                    "target": to_data_units(meta, tape.target).tolist()}
        out(strict_json(result))
        return 0
    out(render_text(tape, phases=args.phase, max_values=args.values))
    summary = f"loss L = {tape.loss:.6g}; {len(tape.events)} events"
    if tape.clip is not None:
        summary += f"; gradient norm {tape.clip['before']:.6g} → {tape.clip['after']:.6g} after clipping"
    if optimizer is not None:
        summary += f"; update: {optimizer.name} lr {optimizer.lr:g}" + (f" ({source})" if source else "")
    out("")
    out(summary)
    if series:
        names = meta["targets"]
        output, wanted = to_data_units(meta, tape.output)[0], to_data_units(meta, tape.target)[0]
        rows = zip(output.reshape(-1, len(names)), wanted.reshape(-1, len(names)))
        shown = "; ".join(", ".join(f"{n} {o:.6g} (target {w:.6g})" for n, o, w in zip(names, orow, wrow))
                          for orow, wrow in rows)
        out(f"in the data's units (the events show the model's scaled values): {shown}")
    return 0
