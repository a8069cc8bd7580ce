"""``rnnsim gradcheck``: BPTT gradients against central differences, every parameter.

Three sources of data: random inputs for a random (or ``--model``) network, as before; or, for a saved
model, its own data — a built-in task (``--task NAME``, with ``--option``) or a data file (``--data
FILE``, read by the loaders ``rnnsim train`` uses). A model saved by ``rnnsim train`` or the app
records its training settings: their truncation and L2 term are checked unless ``--truncate`` /
``--l2`` say otherwise.

An encoder–decoder model (``--encoder-decoder`` for a random one, or a saved one) is checked on its
decoder inputs too: random ones of ``--decoder-steps`` M steps, or a task's (``--task reverse``);
truncation is refused for it.
"""
from __future__ import annotations

import dataclasses

from .. import gradcheck, recipe
from ..data import load_data, make_task
from ..errors import ConfigError
from ..limits import MAX_GRADCHECK_WORK, MAX_INPUT_SIZE, MAX_SEQUENCES, MAX_STEPS
from ..model import Model, load_model
from ..reading import display_name
from .common import (JSON_HELP, UsageError, add_architecture, bounded_int, nonnegative_float, positive_float,
                     positive_int, seed_int, spec_from_args, steps_int, strict_json)
from .train import _columns, _task_options

RANDOM_STEPS, RANDOM_BATCH = 5, 2


def register(sub):
    p = sub.add_parser("gradcheck", help="compare BPTT gradients with central differences")
    add_architecture(p)
    p.add_argument("--model", help="check this model file instead of a random one")
    p.add_argument("--encoder-decoder", action="store_true",
                   help="a random encoder–decoder model (N-to-M): an encoder, a decoder started from its final "
                        "state, and a head on the decoder")
    p.add_argument("--decoder-input-size", type=bounded_int(MAX_INPUT_SIZE),
                   help="--encoder-decoder: values the decoder reads per step (default: --output-size)")
    p.add_argument("--decoder-steps", type=bounded_int(MAX_STEPS),
                   help="random inputs for an encoder–decoder: decoder steps M (default: --steps + 1)")
    src = p.add_argument_group("the model's own data (default: random inputs)")
    src.add_argument("--task", help="a built-in task whose data fits the model (needs --model)")
    src.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                     help="a task option, e.g. --option steps=12 (repeatable)")
    src.add_argument("--data", help="a data file the model reads: .npz (arrays x, y), .csv series, .txt text "
                                    "(needs --model)")
    src.add_argument("--columns", help="CSV: comma-separated input columns (default: all numeric)")
    src.add_argument("--target-columns", help="CSV: comma-separated target columns (default: the last)")
    src.add_argument("--window", type=steps_int, help="CSV/text: steps per sequence")
    src.add_argument("--horizon", type=steps_int, help="CSV: how many rows ahead to forecast")
    src.add_argument("--sequences", type=bounded_int(MAX_SEQUENCES),
                     help="use only the first N sequences of the data (default: all)")
    p.add_argument("--steps", type=bounded_int(MAX_STEPS), help=f"random inputs: sequence length T "
                                                                f"(default {RANDOM_STEPS})")
    p.add_argument("--batch", type=bounded_int(MAX_SEQUENCES), help=f"random inputs: sequences "
                                                                   f"(default {RANDOM_BATCH})")
    p.add_argument("--elements", type=positive_int,
                   help="check a sample of at most N elements per parameter, drawn with --seed (default: all)")
    p.add_argument("--truncate", type=bounded_int(MAX_STEPS, low=0), default=None,
                   help="truncated BPTT window (steps; 0: full BPTT); default: the model's training record, "
                        "else full BPTT")
    p.add_argument("--l2", type=nonnegative_float, default=None,
                   help="L2 weight-decay term; default: the model's training record, else 0")
    p.add_argument("--seed", type=seed_int, default=0, help="random network, inputs, task data and sample")
    p.add_argument("--eps", type=positive_float, default=gradcheck.EPS,
                   help=f"central-difference step (default {gradcheck.EPS:g}; the counting-ones tutorial "
                        f"uses {gradcheck.LESSON_EPS:g})")
    p.add_argument("--tolerance", type=positive_float, default=gradcheck.TOLERANCE)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run)


def _random_spec(args):
    """The random model's spec: the architecture options, as an encoder–decoder with --encoder-decoder."""
    spec = spec_from_args(args)
    if not args.encoder_decoder:
        if args.decoder_input_size is not None:
            raise UsageError("rnnsim gradcheck: --decoder-input-size is for --encoder-decoder (see --help)")
        return spec
    return dataclasses.replace(spec, architecture="encoder_decoder", decoder_input_size=args.decoder_input_size)


def _problem(args, model):
    """(x, target, decoder input or None, where the data comes from) for the check."""
    seq2seq = model.spec.is_seq2seq
    if args.decoder_steps is not None and (not seq2seq or args.task or args.data):
        raise UsageError("rnnsim gradcheck: --decoder-steps shapes random decoder inputs of an encoder–decoder "
                         "model (see --help)")
    if args.task and args.data:
        raise UsageError("rnnsim gradcheck: give at most one of --task NAME or --data FILE (see --help)")
    if args.task or args.data:
        if not args.model:
            raise UsageError("rnnsim gradcheck: --task and --data check a saved model on its data: give "
                             "--model m.npz too (see --help)")
        if args.steps is not None or args.batch is not None:
            raise UsageError("rnnsim gradcheck: --steps and --batch shape random inputs; with --task or --data "
                             "use --sequences N (see --help)")
        if args.task:
            data, _ = make_task(args.task, seed=args.seed, **_task_options(args.option))
            source = f"task {data.name}"
        else:
            options = {"inputs": _columns(args.columns), "targets": _columns(args.target_columns),
                       "window": args.window, "horizon": args.horizon}
            data = load_data(args.data, **{k: v for k, v in options.items() if v is not None})
            source = display_name(args.data)
        recipe.check_fits(model, data)
        if seq2seq != (data.decoder_x is not None):
            raise ConfigError("an encoder–decoder model is checked on data with decoder inputs (a task such as "
                              "reverse)" if seq2seq else "these data have decoder inputs: they are for an "
                              "encoder–decoder model")
        return data.x, data.y, data.decoder_x, source
    if args.sequences is not None:
        raise UsageError("rnnsim gradcheck: --sequences takes the first sequences of --task or --data; "
                         "random inputs are shaped by --batch and --steps (see --help)")
    problem = gradcheck.random_problem(model, batch=args.batch or RANDOM_BATCH, steps=args.steps or RANDOM_STEPS,
                                       seed=args.seed, decoder_steps=args.decoder_steps)
    x, target, decoder_x = problem if seq2seq else (*problem, None)
    return x, target, decoder_x, "random inputs"


def _training_terms(args, model):
    """(truncate, l2): the options given, else the model's training record, else full BPTT and 0."""
    stored = recipe.stored_training(model.spec) if args.model else None
    truncate = args.truncate if args.truncate is not None else (stored.truncate if stored else None)
    l2 = args.l2 if args.l2 is not None else (stored.weight_decay if stored else 0.0)
    return truncate or None, l2


def run(args, out):
    if args.model and (args.encoder_decoder or args.decoder_input_size is not None):
        raise UsageError("rnnsim gradcheck: --encoder-decoder describes a random model; a --model file has its "
                         "own architecture (see --help)")
    model = load_model(args.model) if args.model else Model.create(_random_spec(args), seed=args.seed)
    x, target, decoder_x, source = _problem(args, model)
    sequences = min(len(x), args.sequences or len(x))
    elements = gradcheck.elements_to_check(model, args.elements)
    steps = x.shape[1] + (0 if decoder_x is None else decoder_x.shape[1])
    work = elements * sequences * steps
    if work > MAX_GRADCHECK_WORK:
        fewer = "--sequences" if args.task or args.data else "--batch, --steps"
        raise ConfigError(f"gradcheck: {elements} elements × {sequences} sequences × {steps} steps "
                          f"= {work}, over the limit of {MAX_GRADCHECK_WORK}; check a sample "
                          f"(--elements N) or less data ({fewer})")
    truncate, l2 = _training_terms(args, model)
    report = gradcheck.check_gradients(model, x, target, truncate=truncate, l2=l2, eps=args.eps,
                                       tolerance=args.tolerance, max_elements=args.elements,
                                       max_sequences=args.sequences, seed=args.seed, decoder_input=decoder_x)
    if args.json:
        out(strict_json({**report.to_json(), "data": source}))
    else:
        for line in report_lines(report, source):
            out(line)
    return 0 if report.passed else 1


def report_lines(report: gradcheck.GradientReport, source: str) -> list[str]:
    """The report as a text table, then the verdict, any advice and the worst relative error."""
    header = (f"{'parameter':24} {'shape':>10} {'checked':>11} {'rel. error':>10} {'analytic':>17} "
              f"{'numeric':>17}  worst element")
    lines = [header]
    for p in report.parameters:
        shape = "×".join(str(n) for n in p.shape)
        where = "[" + ", ".join(str(i) for i in p.worst_index) + "]"
        lines.append(f"{p.name:24} {shape:>10} {f'{p.checked}/{p.size}':>11} {p.rel_error:10.1e} "
                     f"{p.analytic:17.10g} {p.numeric:17.10g}  {where} {'ok' if p.passed else 'FAILED'}")
    lines.append(f"checked on {source}: {report.summary}")
    lines.append(report.verdict)
    if report.advice:
        lines.append(report.advice)
    verdict = "passed" if report.passed else "FAILED"
    lines.append(f"worst relative error {report.max_rel_error:.3e} (tolerance {report.tolerance:.0e}): {verdict}")
    return lines
