"""Session files: a model, its training settings, its data source and its training history in one ``.npz``.

What the app saves so that a learner can close it and come back to the same model *and* the same
plots. No Qt here; never unpickles. Layout of the archive (``numpy.savez_compressed``):

- every model parameter under its PyTorch name (``rnn.weight_ih_l0``, ``fc.bias``, ...), float64;
- ``session``: a 0-d unicode array holding one JSON object::

      {"format": "rnnsim.session", "version": 1,
       "spec": {...ModelSpec.to_dict()...},
       "training": {...TrainConfig.to_dict()...},
       "data": {"kind": "task", "name": "bitcount", "seed": 0, "options": {}}
            or {"kind": "file", "path": "/abs/series.csv", "options": {"window": 20, ...},
                "dataset": {"name", "output", "loss", "accuracy", "description", "meta"}},
       "model_options": {"init": "pytorch", "seed": 0, ...},     # how Reset rebuilds the model
       "probe": {"stored": true} or null,
       "history": {...History.to_dict()...},
       "grad_norms": ["rnn.weight_ih_l0", ...],                   # names of the arrays below
       "progress": {...} or null,                                 # the Trainer's counters, to resume
       "watch": [["rnn.weight_hh_l0", [0, 0]], ...],              # the watched weights (optional)
       "path": {"points": 12} or null,                            # their path in this history (optional)
       "runs": [{...}, ...],                                      # kept runs (optional; rnnsim/runs.py)
       "extras": [...], "ui": {...}}

- ``probe::x``, ``probe::y``: the probe sequence (``probe::d``: its decoder input, an encoder–decoder's); ``data::x``, ``data::y``: the data of a file source
  (so the session opens even when the file has moved or changed); ``grad_norms::<name>``: the
  per-parameter gradient norm at every recorded step; ``progress::order`` and
  ``optimizer::<name>::<key>``: where the Trainer is in its epoch and the optimizer's memory
  (momentum, Adam's averages, Rprop's step sizes); ``extra::<key>``: the model's extra arrays;
  ``path::steps`` (p,), ``path::values`` (p, len(watch)): the watched weights at those steps;
  ``run::<i>::<key>``: the arrays of kept run i (rnnsim.runs.runs_to_file). A file without "runs", "watch"
  or "path" (written before they existed) opens with none.

Non-finite numbers in the JSON are written as the strings "NaN", "Infinity", "-Infinity" (plain
JSON has no such numbers). Saving is atomic: a temporary file in the same folder, then a rename.
Every refusal raises :class:`rnnsim.ModelFileError` with a message naming the file and the problem.

Opening checks every field, so that a session that opens also works (Reset, Train, Save): the sizes,
types and ranges of the spec, the training settings, the data source (a task is built with its options),
the history (whole, increasing step and epoch numbers, no later than the saved counters), the network
options Reset uses, the probe and stored data against the model (every class index), the optimizer's
memory against the optimizer and the parameters' shapes, and the saved position inside the epoch; the
epoch's stored losses must equal the history's last steps (they are not trusted on their own). Then a
Trainer is built from it all and the progress restored, as the app will — when the data are at hand
(a task, or data stored in the file).
"""
from __future__ import annotations

import io as _io
import json
import math
from dataclasses import dataclass, field

import numpy as np

from . import recipe
from .data.dataset import ACCURACY_KINDS, Dataset
from .data.setup import NETWORK_KEYS
from .data.tasks import get_task, make_task
from .errors import ModelFileError, RnnsimError, shown
from .init import SCHEMES
from .io import check_output_path, read_arrays, read_params, text_array, write_atomic
from .limits import MAX_HIDDEN_SIZE, MAX_LAYERS, MAX_SEED
from .model import Model
from .reading import display_name, parse_json
from .spec import GATE_BLOCKS, LOSSES, OUTPUTS, ModelSpec
from .runs import runs_from_file, runs_to_file
from .session_progress import (SEP, _NONFINITE, _array, _object, _progress_from_file, _progress_to_file,  # noqa: F401
                               capture_progress, restore_progress)        # capture_progress: re-exported
from .train import History, TrainConfig, Trainer, check_watch

FORMAT = "rnnsim.session"
VERSION = 1
DATA_KINDS = ("task", "file")
_STEP_LISTS = ("step", "loss", "lr", "grad_norm")
_EPOCH_LISTS = ("epoch", "epoch_step", "train_loss", "val_loss", "accuracy", "val_accuracy")
_OPTIONAL = ("val_loss", "accuracy", "val_accuracy")          # may hold null
_NETWORK = NETWORK_KEYS


@dataclass
class SessionData:
    """Everything a session file holds. ``params`` by PyTorch name; arrays are float64 unless noted."""

    spec: ModelSpec
    params: dict
    config: TrainConfig
    data: dict                                      # the data source, see the module docstring
    history: History = field(default_factory=History)
    model_options: dict = field(default_factory=dict)
    probe: tuple | None = None                      # (x (1, T, I), target[, decoder input (1, M, D)])
    dataset: Dataset | None = None                  # stored data (file sources)
    grad_norms: dict = field(default_factory=dict)  # {name: (len(history.step),)}
    progress: dict | None = None                    # capture_progress(trainer)
    extras: dict = field(default_factory=dict)      # the model's extra arrays
    ui: dict = field(default_factory=dict)          # free-form JSON for the app
    watch: list = field(default_factory=list)       # [(parameter name, index tuple)] the app follows
    path: tuple | None = None                       # (steps (p,), values (p, len(watch))) of this history
    runs: list = field(default_factory=list)        # kept runs (rnnsim.runs.RunRecord)


# ---- JSON helpers ------------------------------------------------------------------------------


def _jsonable(value):
    """Plain JSON values: numpy scalars and arrays become Python numbers and lists, NaN/inf strings."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isfinite(v):
            return v
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return value


def _number(name, where, value, optional=False):
    if value is None and optional:
        return None
    if isinstance(value, str) and value in _NONFINITE:
        return _NONFINITE[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelFileError(f"{name}: {where} holds {shown(value)}, a number was expected")
    try:
        return float(value)
    except OverflowError:
        raise ModelFileError(f"{name}: {where} holds {shown(value)}, too large a number") from None


# ---- saving ------------------------------------------------------------------------------------
def save(path, state: SessionData) -> None:
    """Write ``state`` to ``path`` atomically (temp file in the same folder, then ``os.replace``); the target
    is checked first (``rnnsim.io.check_output_path``)."""
    name = display_name(path)
    check_output_path(path, "session file")
    shapes = state.spec.param_shapes()
    arrays: dict[str, np.ndarray] = {}
    for pname, shape in shapes.items():
        if pname not in state.params:
            raise ModelFileError(f"{name}: cannot save: parameter '{pname}' is missing")
        arr = np.ascontiguousarray(state.params[pname], dtype=np.float64)
        if arr.shape != shape:
            raise ModelFileError(f"{name}: cannot save: parameter '{pname}' has shape {arr.shape}, expected {shape}")
        arrays[pname] = arr
    doc = {"format": FORMAT, "version": VERSION, "spec": state.spec.to_dict(),
           "training": state.config.to_dict(), "data": dict(state.data),
           "model_options": dict(state.model_options), "history": state.history.to_dict(),
           "probe": None, "grad_norms": [], "progress": None, "extras": [], "ui": dict(state.ui)}
    if state.probe is not None:
        arrays["probe::x"] = np.asarray(state.probe[0])
        arrays["probe::y"] = np.asarray(state.probe[1])
        if len(state.probe) > 2 and state.probe[2] is not None:
            arrays["probe::d"] = np.asarray(state.probe[2])
        doc["probe"] = {"stored": True}
    if state.dataset is not None:
        d = state.dataset
        arrays["data::x"], arrays["data::y"] = d.x, d.y
        doc["data"]["dataset"] = {"name": d.name, "output": d.output, "loss": d.loss, "accuracy": d.accuracy,
                                  "description": d.description, "meta": d.meta}
    steps = len(state.history.step)
    for pname, values in (state.grad_norms or {}).items():
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size != steps:
            raise ModelFileError(f"{name}: cannot save: {values.size} gradient norms for '{pname}' but "
                                 f"{steps} recorded steps")
        arrays[f"grad_norms{SEP}{pname}"] = values
        doc["grad_norms"].append(pname)
    if state.progress is not None:
        doc["progress"] = _progress_to_file(state.progress, arrays)
    for key, value in (state.extras or {}).items():
        arrays[f"extra{SEP}{key}"] = np.asarray(value)
        doc["extras"].append(key)
    doc["watch"] = [[n, list(i)] for n, i in state.watch]
    doc["path"] = None
    if state.path is not None:
        steps, values = (np.asarray(a, dtype=np.float64) for a in state.path)
        if values.shape != (steps.size, len(state.watch)):
            raise ModelFileError(f"{name}: cannot save: a path of shape {values.shape} for {steps.size} steps and "
                                 f"{len(state.watch)} watched weights")
        arrays[f"path{SEP}steps"], arrays[f"path{SEP}values"] = steps, values
        doc["path"] = {"points": int(steps.size)}
    doc["runs"] = runs_to_file(state.runs or [], arrays)
    for key, arr in arrays.items():
        if arr.dtype.kind not in "biufcUS":
            raise ModelFileError(f"{name}: cannot save: array '{key}' has dtype {arr.dtype}; only numbers and text")
    try:
        text = json.dumps(_jsonable(doc), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{name}: cannot save: the session holds a value JSON cannot store ({exc})") from None
    arrays["session"] = np.array(text)
    buffer = _io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomic(path, buffer.getvalue())


# ---- loading -----------------------------------------------------------------------------------
def load(path) -> SessionData:
    """Read a session file; every problem raises ModelFileError naming the file and what is wrong."""
    name = display_name(path)
    arrays = read_arrays(path, kind="session")
    if "session" not in arrays:
        if "spec" in arrays:
            raise ModelFileError(f"{name}: this is a model file, not a session (it holds a model but no "
                                 "training history); open it as a model instead")
        raise ModelFileError(f"{name}: not an rnnsim session: no 'session' array (the JSON description)")
    doc = _document(name, arrays.pop("session"))
    try:
        spec = ModelSpec.from_dict(doc["spec"])
    except RnnsimError as exc:
        raise ModelFileError(f"{name}: the model description is invalid: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{name}: the model description is invalid ({exc})") from None
    params = read_params(name, spec, arrays)
    config = _config(name, doc["training"])
    data = _data_source(name, doc["data"])
    history = _history(name, doc["history"])
    state = SessionData(spec, params, config, data, history,
                        model_options=_model_options(name, doc.get("model_options", {})),
                        ui=_object(name, "ui", doc.get("ui", {})))
    model = Model(spec, params)
    if doc.get("probe"):
        state.probe = (_array(name, arrays, "probe::x", "f", ndim=3), _array(name, arrays, "probe::y", "fiu"))
        if spec.is_seq2seq:
            state.probe += (_array(name, arrays, "probe::d", "f", ndim=3),)
        if state.probe[0].shape[0] != 1 or state.probe[0].shape[2] != spec.input_size or 0 in state.probe[0].shape:
            raise ModelFileError(f"{name}: the probe sequence has shape {state.probe[0].shape}, expected "
                                 f"(1, T, {spec.input_size})")
        try:
            decoder_x = model.check_decoder_input(state.probe[2] if len(state.probe) > 2 else None, state.probe[0])
            model.check_target(state.probe[1], state.probe[0], decoder_x)
        except RnnsimError as exc:
            raise ModelFileError(f"{name}: the probe's target does not fit the model: {exc}") from None
    if "dataset" in data:
        state.dataset = _dataset(name, data, arrays, model)
    steps = len(history.step)
    names = doc.get("grad_norms") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n in params for n in names):
        raise ModelFileError(f"{name}: 'grad_norms' must be a list of the model's parameter names")
    for pname in names:
        values = _array(name, arrays, f"grad_norms{SEP}{pname}", "f", ndim=1)
        if values.size != steps:
            raise ModelFileError(f"{name}: {values.size} gradient norms for '{pname}' but {steps} recorded steps")
        state.grad_norms[pname] = values
    if doc.get("progress") is not None:
        state.progress = _progress_from_file(name, doc["progress"], arrays)
    _history_fits_counters(name, history, state.progress)
    extras = doc.get("extras") or []
    if not isinstance(extras, list) or not all(isinstance(k, str) and k for k in extras):
        raise ModelFileError(f"{name}: 'extras' must be a list of array names")
    for key in extras:
        state.extras[key] = _array(name, arrays, f"extra{SEP}{key}", "biufcUS")
    state.watch, state.path = _watch_and_path(name, doc, arrays, params, state.progress, history)
    state.runs = runs_from_file(name, doc.get("runs"), arrays)
    _rehearse(name, state, model)
    return state


def _rehearse(name, state: SessionData, model: Model) -> None:
    """Build what the app builds on opening — the data set, a Trainer, the restored progress, the network
    Reset would make — and refuse the file if any of it fails (skipped for a data file not stored inside)."""
    source = state.data
    try:
        if source["kind"] == "task":
            dataset, task = make_task(source["name"], seed=source.get("seed", 0), **source.get("options", {}))
        elif state.dataset is not None:
            dataset, task = state.dataset, None
        else:
            return                                    # the data file is read when the app opens the session
        recipe.check_fits(model, dataset)
        trainer = Trainer(Model(model.spec, model.params), dataset, state.config, probe=state.probe)
        if state.progress is not None:
            restore_progress(trainer, state.progress, history=state.history)
        network = {k: v for k, v in state.model_options.items() if k in _NETWORK}
        arch = {"cell": network.get("cell"), "hidden_size": network.get("hidden_size"),
                "num_layers": network.get("num_layers"), "bidirectional": network.get("bidirectional")}
        recipe.build_spec(dataset, task.model if task else None, arch)     # Reset's network: sizes in range
    except ModelFileError as exc:
        message = str(exc)
        raise ModelFileError(message if message.startswith(name) else f"{name}: {message}") from None
    except RnnsimError as exc:
        raise ModelFileError(f"{name}: the session does not work with its data: {exc}") from None


def _watch_and_path(name, doc, arrays, params, progress, history):
    """The watched weights (checked against the model) and their path in this history: (p,) whole steps
    increasing, no later than the steps done, and (p, len(watch)) finite values."""
    watch = doc.get("watch") or []
    if not isinstance(watch, list) or not all(isinstance(w, list) and len(w) == 2 for w in watch):
        raise ModelFileError(f"{name}: 'watch' must be a list of [parameter name, index] pairs")
    try:
        watch = check_watch(params, [(n, tuple(i) if isinstance(i, list) else i) for n, i in watch])
    except RnnsimError as exc:
        raise ModelFileError(f"{name}: the watched weights do not fit the model: {exc}") from None
    if doc.get("path") is None:
        return watch, None
    steps = _array(name, arrays, f"path{SEP}steps", "fiu", ndim=1).astype(np.float64)
    values = _array(name, arrays, f"path{SEP}values", "fiu", ndim=2).astype(np.float64)
    done = progress["step_count"] if progress is not None else len(history.step)
    if values.shape != (steps.size, len(watch)):
        raise ModelFileError(f"{name}: the path has shape {values.shape}; {steps.size} points of {len(watch)} "
                             "watched weights were expected")
    if steps.size and not (np.all(steps == np.round(steps)) and steps.min() >= 0 and steps.max() <= done
                           and np.all(np.diff(steps) > 0)):
        raise ModelFileError(f"{name}: the path's steps must be increasing whole numbers up to the {done} steps done")
    return watch, (steps, values)


def _document(name, arr) -> dict:
    text = text_array(name, arr, "session")
    doc = parse_json(text, f"{name}: the session description", ModelFileError)
    if not isinstance(doc, dict):
        raise ModelFileError(f"{name}: the session description must be a JSON object, got {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        raise ModelFileError(f"{name}: foreign format {shown(doc.get('format'))}; an rnnsim session has format "
                             f"'{FORMAT}'")
    version = doc.get("version")
    if isinstance(version, bool) or version != VERSION:
        raise ModelFileError(f"{name}: session version {shown(version)} is not supported (this rnnsim reads "
                             f"version {VERSION})")
    for key in ("spec", "training", "data", "history"):
        if key not in doc:
            raise ModelFileError(f"{name}: the session description has no '{key}'")
    return doc


def _config(name, d) -> TrainConfig:
    d = _object(name, "training", d)
    values = {k: _NONFINITE.get(v, v) if isinstance(v, str) else v for k, v in d.items()}
    try:
        return TrainConfig.from_dict(values).check()
    except RnnsimError as exc:
        raise ModelFileError(f"{name}: the training settings are invalid: {exc}") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ModelFileError(f"{name}: the training settings are invalid ({exc})") from None


def _data_source(name, d) -> dict:
    d = _object(name, "data", d)
    kind = d.get("kind")
    if kind not in DATA_KINDS:
        raise ModelFileError(f"{name}: the data source kind {shown(kind)} is unknown (expected 'task' or 'file')")
    _object(name, "data options", d.get("options", {}))
    if kind == "task":
        if not isinstance(d.get("name"), str):
            raise ModelFileError(f"{name}: the data source names no task")
        seed = d.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise ModelFileError(f"{name}: the task seed must be a whole number in 0..{MAX_SEED}, got {shown(seed)}")
        try:
            task = get_task(d["name"])
        except RnnsimError as exc:
            raise ModelFileError(f"{name}: {exc}") from None
        unknown = [k for k in d.get("options", {}) if k not in task.options]
        if unknown:
            raise ModelFileError(f"{name}: task '{task.name}' has no option {shown(unknown[0])}")
    elif not isinstance(d.get("path"), str) or not d["path"]:
        raise ModelFileError(f"{name}: the data source names no file")
    return d


def _model_options(name, d) -> dict:
    """The network options Reset builds a model from: each of the right type and within the limits."""
    d = _object(name, "model_options", d)
    checks = {
        "cell": lambda v: v in GATE_BLOCKS,
        "hidden_size": lambda v: _whole_in(v, 1, MAX_HIDDEN_SIZE),
        "num_layers": lambda v: _whole_in(v, 1, MAX_LAYERS),
        "bidirectional": lambda v: isinstance(v, bool),
        "init": lambda v: v in SCHEMES,
        "forget_bias": lambda v: v is None or (not isinstance(v, bool) and isinstance(v, (int, float))
                                               and _finite(v)),
        "seed": lambda v: _whole_in(v, 0, MAX_SEED),
    }
    for key, ok in checks.items():
        if key in d and not (isinstance(d[key], (str, int, float, bool, type(None))) and ok(d[key])):
            raise ModelFileError(f"{name}: the network option {key!r} cannot be {shown(d[key])}")
    if d.get("forget_bias") is not None and d.get("cell", "lstm") != "lstm":
        raise ModelFileError(f"{name}: a forget-gate bias is set for the {d['cell']} cell; it only applies to lstm")
    return d


def _whole_in(value, low, high) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


def _finite(value) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _dataset(name, data: dict, arrays, model: Model) -> Dataset:
    info = _object(name, "data.dataset", data["dataset"])
    x = _array(name, arrays, "data::x", "f", ndim=3)
    y = _array(name, arrays, "data::y", "fiu")
    output, loss, accuracy = info.get("output", "sequence"), info.get("loss", "mse"), info.get("accuracy")
    if output not in OUTPUTS or loss not in LOSSES or accuracy not in ACCURACY_KINDS:
        raise ModelFileError(f"{name}: the stored data set's output, loss or accuracy is unknown "
                             f"({shown(output)}, {shown(loss)}, {shown(accuracy)})")
    if loss == "cross_entropy" and y.dtype.kind == "f":
        raise ModelFileError(f"{name}: the stored data set's class targets must be integers, got {y.dtype}")
    try:
        dataset = Dataset(str(info.get("name", "data"))[:200], x, y, output, loss, accuracy,
                          str(info.get("description", ""))[:10_000],
                          _object(name, "data.dataset.meta", info.get("meta", {})))
        model.check_target(dataset.y, dataset.x)
    except RnnsimError as exc:
        raise ModelFileError(f"{name}: the stored data set is invalid: {exc}") from None
    classes = dataset.meta.get("classes") if loss == "cross_entropy" else None
    if classes is not None and not _whole_in(classes, 1, model.spec.out_features):
        raise ModelFileError(f"{name}: the stored data set says it has {shown(classes)} classes; the model has "
                             f"{model.spec.out_features} outputs")
    return dataset


def _history(name, d) -> History:
    d = _object(name, "history", d)
    d = dict(d)
    for group in (_STEP_LISTS, _EPOCH_LISTS):
        lengths = set()
        for key in group:
            values = d.get(key, [])
            if not isinstance(values, list):
                raise ModelFileError(f"{name}: history '{key}' must be a list")
            d[key] = [_number(name, f"history '{key}'", v, key in _OPTIONAL) for v in values]
            lengths.add(len(values))
        if len(lengths) > 1:
            raise ModelFileError(f"{name}: the history lists {', '.join(group)} have different lengths "
                                 f"{sorted(lengths)}")
    for key, strictly in (("step", True), ("epoch", True), ("epoch_step", False)):
        values = d[key]
        if not all(math.isfinite(v) and v == int(v) and v >= (1 if strictly else 0) for v in values):
            raise ModelFileError(f"{name}: history '{key}' must hold whole numbers ≥ {1 if strictly else 0}")
        d[key] = [int(v) for v in values]
        pairs = zip(d[key], d[key][1:])
        if not all((b > a) if strictly else (b >= a) for a, b in pairs):
            raise ModelFileError(f"{name}: history '{key}' must {'increase' if strictly else 'never decrease'}")
    return History.from_dict(d)


def _history_fits_counters(name, history: History, progress) -> None:
    """The history's last step and epoch are no later than the Trainer's counters (without saved progress,
    the app counts the history's entries), so that new steps keep increasing."""
    steps = progress["step_count"] if progress is not None else len(history.step)
    epochs = progress["epoch"] if progress is not None else len(history.epoch)
    if history.step and history.step[-1] > steps:
        raise ModelFileError(f"{name}: the history records step {history.step[-1]}, after the {steps} steps done")
    if history.epoch and history.epoch[-1] > epochs:
        raise ModelFileError(f"{name}: the history records epoch {history.epoch[-1]}, after the {epochs} epochs "
                             f"done")
    if history.epoch_step and history.epoch_step[-1] > steps:
        raise ModelFileError(f"{name}: the history ends an epoch at step {history.epoch_step[-1]}, after the "
                             f"{steps} steps done")
