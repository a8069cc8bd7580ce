"""``rnnsim evaluate``: a saved model's loss (and accuracy where it applies) on a data file.

The data options are those of ``rnnsim train --data``; what they leave out comes from what the model
stored about its training data: a text's window, a series' input and target columns, window and
horizon. The data are put
into the model's terms (its vocabulary, its columns' mean and std) by rnnsim.evaluate.
``--task NAME`` (with ``--option KEY=VALUE`` and ``--seed``) evaluates on a built-in task's data instead —
the way to evaluate an encoder–decoder model, whose data need decoder inputs (task ``reverse``): its loss
and accuracy with teacher forcing, and its free-running accuracy when the decoder reads its own outputs.
``--json`` → ``{"loss", "accuracy" (null when it does not apply), "samples", "loss_kind",
"free_running_accuracy" (null unless an encoder–decoder classifier with a known start symbol)}``."""
from pathlib import Path

from ..data import load_data, make_task
from ..data.loaders import SUFFIXES
from ..data.meaning import data_kind, stored_data
from ..evaluate import evaluate
from ..model import load_model
from ..errors import DataError
from .common import JSON_HELP, seed_int, steps_int, strict_json
from .train import _task_options


def register(sub):
    p = sub.add_parser("evaluate", help="print a saved model's loss and accuracy on a data file")
    p.add_argument("--model", required=True, help="model file (.npz)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="data file: .npz (arrays x, y), .csv time series, or .txt text")
    source.add_argument("--task", help="a built-in task's data (e.g. reverse for an encoder–decoder model)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="--task: a task option, e.g. --option n=500 (repeatable)")
    p.add_argument("--seed", type=seed_int, default=0, help="--task: the seed of its data (default 0)")
    p.add_argument("--columns", help="CSV: comma-separated input columns (default: the model's)")
    p.add_argument("--target-columns", help="CSV: comma-separated target columns (default: the model's)")
    p.add_argument("--window", type=steps_int, help="CSV/text: steps per sequence (default: the model's)")
    p.add_argument("--horizon", type=steps_int, help="CSV: how many rows ahead to forecast (default: the model's)")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run)


def _columns(text):
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def data_options(args, model) -> dict:
    """The loader options for --data: the ones typed, else the ones the model stored."""
    meta = stored_data(model.spec)
    kind = SUFFIXES.get(Path(args.data).suffix.lower())
    stored = meta if data_kind(meta) in ("text", "series") else {}
    if kind == "npz":
        return {}                        # output and loss are read from y's dtype and shape, then compared
    options = {"window": args.window if args.window is not None else stored.get("window")}
    if kind == "csv":
        options.update(inputs=_columns(args.columns) or stored.get("inputs"),
                       targets=_columns(args.target_columns) or stored.get("targets"),
                       horizon=args.horizon if args.horizon is not None else stored.get("horizon"))
    return {k: v for k, v in options.items() if v is not None}


def load_dataset(args, model):
    """The data to evaluate on: --task's (with --option, --seed) or --data's (with the loader options)."""
    if args.task:
        given = [f"--{n.replace('_', '-')}" for n in ("columns", "target_columns", "window", "horizon")
                 if getattr(args, n) is not None]
        if given:
            raise DataError(f"{', '.join(given)}: these read a data file; a task makes its own data (use --option)")
        return make_task(args.task, seed=args.seed, **_task_options(args.option))[0]
    if args.option:
        raise DataError("--option sets a task's option: give --task NAME")
    if model.spec.is_seq2seq:
        raise DataError("an encoder–decoder model needs data with decoder inputs, which a data file does not "
                        "hold; evaluate it on a task that has them (e.g. --task reverse)")
    return load_data(args.data, **data_options(args, model))


def run(args, out):
    model = load_model(args.model)
    dataset = load_dataset(args, model)
    result = evaluate(model, dataset)
    if args.json:
        out(strict_json({"loss": result.loss, "accuracy": result.accuracy, "samples": result.samples,
                         "loss_kind": model.spec.loss, "free_running_accuracy": result.free_running_accuracy}))
        return 0
    teacher = " with teacher forcing" if model.spec.is_seq2seq else ""
    shown = f"loss {result.loss:.6g} ({model.spec.loss}){teacher} on {result.samples} sequence(s)"
    if result.accuracy is not None:
        shown += f", accuracy {result.accuracy:.1%}"
    if result.free_running_accuracy is not None:
        shown += f"; {result.free_running_accuracy:.1%} right when the decoder reads its own outputs"
    out(shown)
    return 0
