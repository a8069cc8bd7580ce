"""``rnnsim predict``: a model's output for an input sequence (a file, inline values or text), in the units
of the data the model was trained on.

A model trained on a CSV series stores its columns' mean and std (the spec's "data" field): ``--input``
is read in the columns' own units and scaled as in training, and the forecast is mapped back to the
target's units. A model trained on a text stores its characters: ``--text`` is encoded with them and the
answer names the most likely next characters. ``--raw`` skips all of that (input and output in the
model's own units).
"""
import numpy as np

from ..data.loaders import encode, one_hot
from ..data.meaning import data_kind, stored_data, to_data_units, to_model_input
from ..errors import InputError
from ..inputs import as_batch, read_values
from ..interpret import describe_output, describe_text, softmax
from ..model import load_model
from ..limits import MAX_OUTPUT_SIZE
from .common import JSON_HELP, bounded_int, strict_json


def register(sub):
    p = sub.add_parser("predict", help="print a model's output for an input sequence")
    p.add_argument("--model", required=True, help="model file (.npz)")
    given = p.add_mutually_exclusive_group(required=True)
    given.add_argument("--input",
                       help="a .npy/.csv file, or inline values: commas separate timesteps, spaces features; "
                            "for a model trained on a CSV series, in the columns' own units")
    given.add_argument("--text", help="a model trained on a text: the characters it reads, one per step")
    p.add_argument("--raw", action="store_true",
                   help="input and output in the model's own units (no scaling from the training data)")
    p.add_argument("--top", type=bounded_int(MAX_OUTPUT_SIZE), default=3,
                   help="a text model: how many of the most likely next characters to list (default 3)")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run)


def model_input(args, model, meta) -> np.ndarray:
    """(batch, T, input_size) as the model reads it, from --input (scaled as in training) or --text."""
    if args.text is not None:
        if data_kind(meta) != "text":
            raise InputError("--text: this model was not trained on a text (its spec stores no characters); "
                             "use --input")
        if not args.text:
            raise InputError("--text: type at least one character")
        return one_hot(encode(meta["vocab"], args.text), model.spec.input_size)[None]
    return to_model_input(meta, as_batch(read_values(args.input), model.spec.input_size))


def run(args, out):
    model = load_model(args.model)
    meta = {} if args.raw else stored_data(model.spec)
    y = model.predict(model_input(args, model, meta))
    meanings = [describe_output(model, row, meta, accuracy=meta.get("accuracy"), top=args.top) for row in y]
    in_data_units = data_kind(meta) == "series"
    shown = to_data_units(meta, y) if in_data_units else y
    if args.json:
        result = {"output": shown.tolist(), "shape": list(y.shape), "units": "data" if in_data_units else "model"}
        if in_data_units:
            result["model_output"] = y.tolist()
            result["names"] = list(meta["targets"])
        if model.spec.loss == "cross_entropy":
            p = softmax(y)
            result["classes"] = p.argmax(axis=-1).tolist()
            result["probabilities"] = p.tolist()
        result["meaning"] = meanings
        out(strict_json(result))
        return 0
    if len(meanings) == 1:
        out(describe_text(meanings[0]))
        return 0
    for i, meaning in enumerate(meanings):
        text = describe_text(meaning).replace("\n", "\n  ")
        out(f"sequence {i + 1}:{chr(10) + '  ' if chr(10) in text else ' '}{text}")
    return 0
