"""``rnnsim evaluate``: a saved model's loss (and accuracy where it applies) on a data file.

The data options are those of ``rnnsim train --data``; what they leave out comes from what the model
stored about its training data: a text's window, a series' input and target columns, window and
horizon. The data are put
into the model's terms (its vocabulary, its columns' mean and std) by rnnsim.evaluate.
``--json`` → ``{"loss", "accuracy" (null when it does not apply), "samples", "loss_kind"}``."""
from pathlib import Path

from ..data import load_data
from ..data.loaders import SUFFIXES
from ..data.meaning import data_kind, stored_data
from ..evaluate import evaluate
from ..model import load_model
from .common import JSON_HELP, steps_int, strict_json


def register(sub):
    p = sub.add_parser("evaluate", help="print a saved model's loss and accuracy on a data file")
    p.add_argument("--model", required=True, help="model file (.npz)")
    p.add_argument("--data", required=True, help="data file: .npz (arrays x, y), .csv time series, or .txt text")
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


def run(args, out):
    model = load_model(args.model)
    dataset = load_data(args.data, **data_options(args, model))
    result = evaluate(model, dataset)
    if args.json:
        out(strict_json({"loss": result.loss, "accuracy": result.accuracy, "samples": result.samples,
                         "loss_kind": model.spec.loss}))
        return 0
    shown = f"loss {result.loss:.6g} ({model.spec.loss}) on {result.samples} sequence(s)"
    if result.accuracy is not None:
        shown += f", accuracy {result.accuracy:.1%}"
    out(shown)
    return 0
