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
       "extras": [...], "ui": {...}}

- ``probe::x``, ``probe::y``: the probe sequence; ``data::x``, ``data::y``: the data of a file source
  (so the session opens even when the file has moved or changed); ``grad_norms::<name>``: the
  per-parameter gradient norm at every recorded step; ``progress::order`` and
  ``optimizer::<name>::<key>``: where the Trainer is in its epoch and the optimizer's memory
  (momentum, Adam's averages, Rprop's step sizes); ``extra::<key>``: the model's extra arrays.

Non-finite numbers in the JSON are written as the strings "NaN", "Infinity", "-Infinity" (plain
JSON has no such numbers). Saving is atomic: a temporary file in the same folder, then a rename.
Every refusal raises :class:`rnnsim.ModelFileError` with a message naming the file and the problem.
"""
from __future__ import annotations

import io as _io
import json
import math
import os
from dataclasses import dataclass, field

import numpy as np

from .data.dataset import Dataset
from .errors import ModelFileError, RnnsimError
from .io import read_arrays, read_params, text_array, write_atomic
from .spec import ModelSpec
from .train import History, TrainConfig

FORMAT = "rnnsim.session"
VERSION = 1
DATA_KINDS = ("task", "file")
SEP = "::"
_STEP_LISTS = ("step", "loss", "lr", "grad_norm")
_EPOCH_LISTS = ("epoch", "epoch_step", "train_loss", "val_loss", "accuracy", "val_accuracy")
_OPTIONAL = ("val_loss", "accuracy", "val_accuracy")          # may hold null


@dataclass
class SessionData:
    """Everything a session file holds. ``params`` by PyTorch name; arrays are float64 unless noted."""

    spec: ModelSpec
    params: dict
    config: TrainConfig
    data: dict                                      # the data source, see the module docstring
    history: History = field(default_factory=History)
    model_options: dict = field(default_factory=dict)
    probe: tuple | None = None                      # (x (1, T, I), target)
    dataset: Dataset | None = None                  # stored data (file sources)
    grad_norms: dict = field(default_factory=dict)  # {name: (len(history.step),)}
    progress: dict | None = None                    # capture_progress(trainer)
    extras: dict = field(default_factory=dict)      # the model's extra arrays
    ui: dict = field(default_factory=dict)          # free-form JSON for the app


# ---- JSON helpers ------------------------------------------------------------------------------
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


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
        raise ModelFileError(f"{name}: {where} holds {value!r}, a number was expected")
    return value


# ---- saving ------------------------------------------------------------------------------------
def save(path, state: SessionData) -> None:
    """Write ``state`` to ``path`` atomically (temp file in the same folder, then ``os.replace``)."""
    name = os.fspath(path)
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
    write_atomic(name, buffer.getvalue())


# ---- loading -----------------------------------------------------------------------------------
def load(path) -> SessionData:
    """Read a session file; every problem raises ModelFileError naming the file and what is wrong."""
    name = os.fspath(path)
    arrays = read_arrays(name, kind="session")
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
    state = SessionData(spec, params, config, data, history, model_options=_object(name, "model_options",
                                                                                     doc.get("model_options", {})),
                        ui=_object(name, "ui", doc.get("ui", {})))
    if doc.get("probe"):
        state.probe = (_array(name, arrays, "probe::x", "f", ndim=3), _array(name, arrays, "probe::y", "fiu"))
        if state.probe[0].shape[0] != 1 or state.probe[0].shape[2] != spec.input_size:
            raise ModelFileError(f"{name}: the probe sequence has shape {state.probe[0].shape}, expected "
                                 f"(1, T, {spec.input_size})")
    if "dataset" in data:
        state.dataset = _dataset(name, data, arrays)
    steps = len(history.step)
    names = doc.get("grad_norms") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ModelFileError(f"{name}: 'grad_norms' must be a list of parameter names")
    for pname in names:
        values = _array(name, arrays, f"grad_norms{SEP}{pname}", "f", ndim=1)
        if values.size != steps:
            raise ModelFileError(f"{name}: {values.size} gradient norms for '{pname}' but {steps} recorded steps")
        state.grad_norms[pname] = values
    if doc.get("progress") is not None:
        state.progress = _progress_from_file(name, doc["progress"], arrays)
    extras = doc.get("extras") or []
    if not isinstance(extras, list):
        raise ModelFileError(f"{name}: 'extras' must be a list of array names")
    for key in extras:
        state.extras[key] = _array(name, arrays, f"extra{SEP}{key}", "biufcUS")
    return state


def _document(name, arr) -> dict:
    text = text_array(name, arr, "session")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{name}: the session description is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ModelFileError(f"{name}: the session description must be a JSON object, got {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        raise ModelFileError(f"{name}: foreign format {doc.get('format')!r}; an rnnsim session has format "
                             f"'{FORMAT}'")
    version = doc.get("version")
    if isinstance(version, bool) or version != VERSION:
        raise ModelFileError(f"{name}: session version {version!r} is not supported (this rnnsim reads "
                             f"version {VERSION})")
    for key in ("spec", "training", "data", "history"):
        if key not in doc:
            raise ModelFileError(f"{name}: the session description has no '{key}'")
    return doc


def _object(name, what, value) -> dict:
    if not isinstance(value, dict):
        raise ModelFileError(f"{name}: '{what}' must be a JSON object, got {type(value).__name__}")
    return value


def _array(name, arrays, key, kinds, ndim=None) -> np.ndarray:
    if key not in arrays:
        raise ModelFileError(f"{name}: array '{key}' is missing")
    arr = arrays[key]
    if arr.dtype.kind not in kinds:
        raise ModelFileError(f"{name}: array '{key}' has dtype {arr.dtype}, which does not fit")
    if ndim is not None and arr.ndim != ndim:
        raise ModelFileError(f"{name}: array '{key}' has {arr.ndim} dimension(s), expected {ndim}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)) and not key.startswith("grad_norms"):
        raise ModelFileError(f"{name}: array '{key}' contains NaN or infinity")
    return arr


def _config(name, d) -> TrainConfig:
    d = _object(name, "training", d)
    values = {k: _NONFINITE.get(v, v) if isinstance(v, str) else v for k, v in d.items()}
    try:
        return TrainConfig.from_dict(values).check()
    except RnnsimError as exc:
        raise ModelFileError(f"{name}: the training settings are invalid: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{name}: the training settings are invalid ({exc})") from None


def _data_source(name, d) -> dict:
    d = _object(name, "data", d)
    kind = d.get("kind")
    if kind not in DATA_KINDS:
        raise ModelFileError(f"{name}: the data source kind {kind!r} is unknown (expected 'task' or 'file')")
    if kind == "task":
        if not isinstance(d.get("name"), str):
            raise ModelFileError(f"{name}: the data source names no task")
        seed = d.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ModelFileError(f"{name}: the task seed must be a whole number ≥ 0, got {seed!r}")
    elif not isinstance(d.get("path"), str):
        raise ModelFileError(f"{name}: the data source names no file")
    _object(name, "data options", d.get("options", {}))
    return d


def _dataset(name, data: dict, arrays) -> Dataset:
    info = _object(name, "data.dataset", data["dataset"])
    x = _array(name, arrays, "data::x", "f", ndim=3)
    y = _array(name, arrays, "data::y", "fiu")
    try:
        return Dataset(str(info.get("name", "data")), x, y, info.get("output", "sequence"), info.get("loss", "mse"),
                       info.get("accuracy"), str(info.get("description", "")),
                       _object(name, "data.dataset.meta", info.get("meta", {})))
    except RnnsimError as exc:
        raise ModelFileError(f"{name}: the stored data set is invalid: {exc}") from None


def _history(name, d) -> History:
    d = _object(name, "history", d)
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
    return History.from_dict(d)


# ---- the Trainer's progress: resume exactly where it stopped -------------------------------------
def capture_progress(trainer) -> dict:
    """Where ``trainer`` is: counters, early-stopping state, shuffling RNG, position in the epoch, and
    the optimizer's memory — so that ``restore_progress`` on a fresh Trainer continues the same run."""
    opt = trainer.optimizer
    return {
        "step_count": trainer.step_count, "epoch": trainer.epoch, "best": trainer.best,
        "bad_epochs": trainer.bad_epochs, "finished": trainer.finished, "stop_reason": trainer.stop_reason,
        "rng": trainer.rng.bit_generator.state,
        "order": None if trainer._order is None else np.array(trainer._order),
        "pos": trainer._pos, "epoch_losses": [[float(l), int(n)] for l, n in trainer._epoch_losses],
        "optimizer": {"name": opt.name, "steps": opt.steps,
                      "state": {p: {k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                                for p, s in opt.state.items()}},
    }


def restore_progress(trainer, progress: dict, order: bool = True, optimizer: bool = True,
                     history: History | None = None) -> None:
    """Put ``trainer`` (fresh, built on the same model and data) where ``progress`` says.

    ``order``: also restore the shuffling RNG and the position inside the epoch (only meaningful
    with the same data, batch size, split and seed); ``optimizer``: also the optimizer's memory
    (only when it is the same optimizer). ``history`` becomes the trainer's history. Raises
    ModelFileError when ``progress`` does not fit the trainer.
    """
    try:
        trainer.step_count = _whole(progress["step_count"])
        trainer.epoch = _whole(progress["epoch"])
        trainer.best = float(_NONFINITE.get(progress["best"], progress["best"]))
        trainer.bad_epochs = _whole(progress["bad_epochs"])
        trainer.finished = bool(progress["finished"])
        trainer.stop_reason = str(progress["stop_reason"])
        if order:
            saved = progress["order"]
            n = trainer.train_set.size
            if saved is not None:
                saved = np.asarray(saved, dtype=np.int64)
                if saved.shape != (n,) or not np.array_equal(np.sort(saved), np.arange(n)):
                    raise ValueError("the saved shuffling order does not fit the training data")
            pos = _whole(progress["pos"])
            rng = np.random.default_rng(0)
            rng.bit_generator.state = progress["rng"]
            trainer.rng = rng
            trainer._order, trainer._pos = saved, pos
            trainer._epoch_losses = [(float(l), int(c)) for l, c in progress["epoch_losses"]]
        opt = progress["optimizer"]
        if optimizer and opt["name"] == trainer.optimizer.name:
            state = {}
            for pname, entries in opt["state"].items():
                if pname not in trainer.model.params:
                    raise ValueError(f"optimizer state for unknown parameter '{pname}'")
                shape = trainer.model.params[pname].shape
                state[pname] = {}
                for key, value in entries.items():
                    if isinstance(value, np.ndarray):
                        if value.shape != shape:
                            raise ValueError(f"optimizer state '{key}' of '{pname}' has shape {value.shape}, "
                                             f"expected {shape}")
                        value = np.array(value, dtype=np.float64)
                    state[pname][key] = value
            trainer.optimizer.state = state
            trainer.optimizer.steps = _whole(opt["steps"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"the saved training progress does not fit this model and data ({exc})") from None
    if history is not None:
        trainer.history = history
    trainer.last_finite = trainer.model.state_dict()


def _whole(v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise ValueError(f"{v!r} is not a whole number ≥ 0")
    return int(v)


def _progress_to_file(progress: dict, arrays: dict) -> dict:
    doc = {k: v for k, v in progress.items() if k not in ("order", "optimizer")}
    doc["order"] = progress["order"] is not None
    if progress["order"] is not None:
        arrays[f"progress{SEP}order"] = np.asarray(progress["order"], dtype=np.int64)
    opt = progress["optimizer"]
    scalars = {}
    for pname, entries in opt["state"].items():
        scalars[pname] = {}
        for key, value in entries.items():
            if isinstance(value, np.ndarray):
                arrays[f"optimizer{SEP}{pname}{SEP}{key}"] = np.asarray(value, dtype=np.float64)
                scalars[pname][key] = {"array": True}
            else:
                scalars[pname][key] = value
    doc["optimizer"] = {"name": opt["name"], "steps": opt["steps"], "state": scalars}
    return doc


_PROGRESS_KEYS = ("step_count", "epoch", "best", "bad_epochs", "finished", "stop_reason", "rng", "pos",
                  "epoch_losses", "order", "optimizer")


def _progress_from_file(name, doc, arrays) -> dict:
    doc = _object(name, "progress", doc)
    missing = [k for k in _PROGRESS_KEYS if k not in doc]
    if missing:
        raise ModelFileError(f"{name}: the saved training progress has no '{missing[0]}'")
    try:
        progress = dict(doc)
        progress["order"] = (_array(name, arrays, f"progress{SEP}order", "iu", ndim=1) if doc["order"] else None)
        opt = _object(name, "progress.optimizer", doc["optimizer"])
        state = {}
        for pname, entries in _object(name, "progress.optimizer.state", opt["state"]).items():
            state[pname] = {}
            for key, value in _object(name, "optimizer state", entries).items():
                if isinstance(value, dict) and value.get("array"):
                    value = _array(name, arrays, f"optimizer{SEP}{pname}{SEP}{key}", "f")
                state[pname][key] = value
        progress["optimizer"] = {"name": opt["name"], "steps": opt["steps"], "state": state}
    except KeyError as exc:
        raise ModelFileError(f"{name}: the saved training progress has no {exc}") from None
    return progress
