"""``rnnsim predict``: a model's output for an input sequence (a file, inline values or text), in the units
of the data the model was trained on.

A model trained on a CSV series stores its columns' mean and std (the spec's "data" field): ``--input``
is read in the columns' own units and scaled as in training, and the forecast is mapped back to the
target's units. A model trained on a text stores its characters: ``--text`` is encoded with them and the
answer names the most likely next characters. ``--raw`` skips all of that (input and output in the
model's own units).

An encoder–decoder model reads two sequences: ``--input`` (the encoder's N steps) and ``--decoder-input``
(the decoder's M steps, teacher forcing), and answers (batch, M, output_size), exactly
``Model.predict(x, decoder_input=d)``. The engine's own extension, beyond the public contract: ``--steps M``
(with ``--start S``, the decoder's first input; default: the start symbol the model's training data
stored) runs the decoder on its own outputs instead (rnnsim.seq2seq.decode, greedy).
"""
import numpy as np

from ..data.loaders import encode, one_hot
from ..data.meaning import data_kind, stored_data, to_data_units, to_model_input
from ..errors import InputError
from ..limits import MAX_STEPS
from ..seq2seq import decode
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
    seq2seq = p.add_argument_group("an encoder–decoder model")
    seq2seq.add_argument("--decoder-input",
                         help="what the decoder reads at each of its M steps (teacher forcing): a .npy/.csv file "
                              "or inline values as for --input, decoder_input_size values per step")
    seq2seq.add_argument("--steps", type=bounded_int(MAX_STEPS),
                         help="instead of --decoder-input: run the decoder M steps on its own outputs (greedy; "
                              "a cross-entropy model reads back its chosen class one-hot) — the engine's own "
                              "extension, not part of the contract")
    seq2seq.add_argument("--start",
                         help="with --steps: the decoder's first input, decoder_input_size values (a file or "
                              "comma-separated numbers); default: the start symbol stored with the model's data")
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


def check_decoder_options(args, spec) -> None:
    """One clear line when the encoder–decoder options do not fit the model or each other."""
    if not spec.is_seq2seq:
        for given, name in ((args.decoder_input, "--decoder-input"), (args.steps, "--steps"), (args.start, "--start")):
            if given is not None:
                raise InputError(f"{name} is for an encoder–decoder model; this model reads --input alone")
        return
    if args.decoder_input is not None and (args.steps is not None or args.start is not None):
        raise InputError("give either --decoder-input D (teacher forcing) or --steps M [--start S] (the decoder "
                         "reads its own outputs), not both")
    if args.start is not None and args.steps is None:
        raise InputError("--start needs --steps M: how many steps the decoder runs on its own outputs")
    if args.decoder_input is None and args.steps is None:
        raise InputError(f"this encoder–decoder model needs --decoder-input D (M steps of {spec.decoder_inputs} "
                         "values: what its decoder reads), or --steps M to run the decoder on its own outputs")


def decoder_input(args, spec, batch: int) -> np.ndarray:
    """(batch, M, decoder_input_size) from --decoder-input: one sequence is used for every input sequence."""
    d = read_values(args.decoder_input)
    width = spec.decoder_inputs
    if d.ndim == 1:
        d = d[:, None]
    if d.ndim == 2:
        if d.shape[1] != width and d.shape[0] == width == 1:
            d = d.T
        d = d[None]
    if d.ndim != 3 or d.shape[-1] != width:
        raise InputError(f"--decoder-input: the decoder reads {width} value(s) per step; got an array of shape "
                         f"{d.shape}")
    if d.shape[0] == 1 and batch > 1:
        d = np.repeat(d, batch, axis=0)
    if d.shape[0] != batch:
        raise InputError(f"--decoder-input: {d.shape[0]} decoder sequences for {batch} input sequences")
    return d


def start_input(args, spec, meta) -> np.ndarray:
    """(decoder_input_size,): --start, else one-hot at the start symbol the model's training data stored."""
    width = spec.decoder_inputs
    if args.start is None:
        symbol = meta.get("start")
        if isinstance(symbol, bool) or not isinstance(symbol, int) or not 0 <= symbol < width:
            raise InputError("--steps: the model stores no start symbol for its decoder; give --start S "
                             f"({width} values)")
        start = np.zeros(width)
        start[symbol] = 1.0
        return start
    start = read_values(args.start)
    if start.size != width or sum(n != 1 for n in start.shape) > 1:
        raise InputError(f"--start: the decoder reads {width} value(s) per step; got an array of shape {start.shape}")
    return start.reshape(width)


def run(args, out):
    model = load_model(args.model)
    check_decoder_options(args, model.spec)
    meta = {} if args.raw else stored_data(model.spec)
    x = model_input(args, model, meta)
    if args.steps is not None:
        return run_free(args, out, model, x, meta)
    d = decoder_input(args, model.spec, x.shape[0]) if model.spec.is_seq2seq else None
    y = model.predict(x, decoder_input=d)
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


def run_free(args, out, model, x, meta):
    """--steps: greedy decoding without teacher forcing (rnnsim.seq2seq.decode)."""
    start = start_input(args, model.spec, stored_data(model.spec))
    result = decode(model, x, start, args.steps)
    y = result.outputs
    if args.json:
        answer = {"output": y.tolist(), "shape": list(y.shape), "units": "model", "mode": "free-running",
                  "decoder_inputs": result.decoder_inputs.tolist()}
        if result.classes is not None:
            answer["classes"] = result.classes.tolist()
            answer["probabilities"] = softmax(y).tolist()
        answer["meaning"] = [describe_output(model, row, meta, accuracy=meta.get("accuracy"), top=args.top)
                             for row in y]
        out(strict_json(answer))
        return 0
    rule = "its chosen class, one-hot" if result.classes is not None else "its own output"
    out(f"the decoder ran {args.steps} steps on its own outputs (greedy: each step it reads {rule}):")
    for i, row in enumerate(y):
        label = f"sequence {i + 1}: " if len(y) > 1 else ""
        if result.classes is not None:
            labels = meta.get("labels")
            shown = [labels[c] if isinstance(labels, list) and c < len(labels) else str(c) for c in result.classes[i]]
            out(f"{label}classes {' '.join(shown)}")
        else:
            out(f"{label}" + ", ".join(" ".join(f"{v:.6g}" for v in step) for step in row))
    return 0
