"""A Trainer's progress in a session file: counters, early-stopping state, the shuffling RNG, the position
inside the epoch and the optimizer's memory — captured so that a fresh Trainer continues the same run
bit for bit (rnnsim.session_file stores it; see its docstring for the file layout)."""
from __future__ import annotations

import math

import numpy as np

from .errors import ModelFileError, shown
from .train import History

SEP = "::"
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _object(name, what, value) -> dict:
    if not isinstance(value, dict):
        raise ModelFileError(f"{name}: '{what}' must be a JSON object, got {type(value).__name__}")
    return value


def _array(name, arrays, key, kinds, ndim=None) -> np.ndarray:
    if key not in arrays:
        raise ModelFileError(f"{name}: array {shown(key, 60)} is missing")
    arr = arrays[key]
    if arr.dtype.kind not in kinds:
        raise ModelFileError(f"{name}: array {shown(key, 60)} has dtype {arr.dtype}, which does not fit")
    if ndim is not None and arr.ndim != ndim:
        raise ModelFileError(f"{name}: array {shown(key, 60)} has {arr.ndim} dimension(s), expected {ndim}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)) and not key.startswith("grad_norms"):
        raise ModelFileError(f"{name}: array {shown(key, 60)} contains NaN or infinity")
    return arr


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
    ModelFileError when ``progress`` does not fit the trainer: every value is checked (types, the
    shuffling order against the data, the position against the batch size, the epoch's losses against
    the last steps of ``history``, the optimizer's memory against the optimizer and the parameters)
    before anything of the trainer changes.
    """
    try:
        counters = {"step_count": _whole(progress["step_count"]), "epoch": _whole(progress["epoch"]),
                    "best": _best(progress["best"]), "bad_epochs": _whole(progress["bad_epochs"])}
        finished, stop_reason = progress["finished"], progress["stop_reason"]
        if not isinstance(finished, (bool, np.bool_)) or not isinstance(stop_reason, str):
            raise ValueError("'finished' must be true or false and 'stop_reason' text")
        position = _position(trainer, progress, history) if order else None
        opt = progress["optimizer"]
        state = steps = None
        if optimizer and opt["name"] == trainer.optimizer.name:
            state = _optimizer_state(trainer, opt["state"])
            steps = _whole(opt["steps"])
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, IndexError) as exc:
        raise ModelFileError(f"the saved training progress does not fit this model and data ({exc})") from None
    trainer.step_count, trainer.epoch = counters["step_count"], counters["epoch"]
    trainer.best, trainer.bad_epochs = counters["best"], counters["bad_epochs"]
    trainer.finished, trainer.stop_reason = bool(finished), stop_reason[:200]
    if position is not None:
        trainer.rng, trainer._order, trainer._pos, trainer._epoch_losses = position
    if state is not None:
        trainer.optimizer.state = state
        trainer.optimizer.steps = steps
    if history is not None:
        trainer.history = history
    trainer.last_finite = trainer.model.state_dict()


def _best(value) -> float:
    value = _NONFINITE.get(value, value) if isinstance(value, str) else value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"'best' must be a number, got {shown(value)}")
    value = float(value)
    if math.isnan(value):
        raise ValueError("'best' is NaN")
    return value


def _position(trainer, progress, history):
    """(rng, order, pos, epoch losses) to resume inside an epoch, checked against the trainer's data."""
    n = trainer.train_set.size
    size = trainer.config.batch_size or n          # how far each step moves the position (Trainer._next_batch)
    saved = progress["order"]
    if saved is not None:
        saved = np.asarray(saved)
        if saved.dtype.kind not in "iu" or saved.shape != (n,) or not np.array_equal(np.sort(saved), np.arange(n)):
            raise ValueError("the saved shuffling order does not fit the training data")
        saved = saved.astype(np.int64)
    pos = _whole(progress["pos"])
    rng = np.random.default_rng(0)
    try:
        rng.bit_generator.state = progress["rng"]
    except Exception as exc:                       # noqa: BLE001 - numpy's setter raises many kinds
        raise ValueError(f"the saved random generator state is invalid ({type(exc).__name__})") from None
    losses = progress["epoch_losses"]
    if not isinstance(losses, list) or len(losses) > n:
        raise ValueError("'epoch_losses' must be a list of [loss, count] pairs, at most one per batch")
    pairs = []
    for item in losses:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ValueError("'epoch_losses' must be a list of [loss, count] pairs")
        loss, count = _best(item[0]), _whole(item[1])
        if not (math.isfinite(loss) and loss >= 0) or count != min(size, n):
            raise ValueError(f"an epoch loss entry {shown(list(item))} is not a finite loss of one batch of "
                             f"{min(size, n)}")
        pairs.append((loss, count))
    if saved is None:                              # at the start of an epoch (the position is not used)
        if pairs:
            raise ValueError("the epoch's losses are saved without a position inside the epoch")
        return rng, None, 0, []
    if pos % size or len(pairs) > pos // size or pos >= n + size:
        raise ValueError(f"position {pos} in the epoch does not fit {n} sequences in batches of {size}")
    if pos >= n:                                   # the epoch's last batch diverged before the epoch could end
        return rng, None, 0, []
    if history is not None and pairs:
        recent = history.loss[-len(pairs):] if len(history.loss) >= len(pairs) else None
        if recent is None or [l for l, _ in pairs] != [float(v) for v in recent]:
            raise ValueError("the epoch's saved losses are not the losses of the history's last steps")
    return rng, saved, pos, pairs


#: the optimizer's memory per parameter: key → "array" (the parameter's shape) or "count"; the key sets an
#: optimizer needs once it has stepped (beyond a fresh, empty state)
_OPTIMIZER_STATE = {"sgd": {"momentum_buffer": "array"},
                    "rprop": {"prev": "array", "step_size": "array"},
                    "adam": {"exp_avg": "array", "exp_avg_sq": "array", "step": "count"},
                    "rmsprop": {"square_avg": "array", "momentum_buffer": "array"},
                    "adagrad": {"sum": "array", "step": "count"}}
_NON_NEGATIVE = ("exp_avg_sq", "square_avg", "sum")


def _required(optimizer) -> set:
    name = optimizer.name
    if name == "sgd":
        return {"momentum_buffer"} if optimizer.momentum else set()
    if name == "rmsprop":
        return {"square_avg", "momentum_buffer"} if optimizer.momentum else {"square_avg"}
    return set(_OPTIMIZER_STATE.get(name, {}))


def _optimizer_state(trainer, saved) -> dict:
    if not isinstance(saved, dict):
        raise ValueError("the optimizer's state must be an object")
    schema = _OPTIMIZER_STATE.get(trainer.optimizer.name, {})
    required = _required(trainer.optimizer)
    state = {}
    for pname, entries in saved.items():
        if pname not in trainer.model.params:
            raise ValueError(f"optimizer state for unknown parameter {shown(pname, 60)}")
        if not isinstance(entries, dict):
            raise ValueError(f"the optimizer state of '{pname}' must be an object")
        unknown = [k for k in entries if k not in schema]
        if unknown:
            raise ValueError(f"{trainer.optimizer.name} keeps no {shown(unknown[0])} for '{pname}'")
        if entries and not required <= set(entries):
            raise ValueError(f"the optimizer state of '{pname}' lacks {', '.join(sorted(required - set(entries)))}")
        shape = trainer.model.params[pname].shape
        state[pname] = {}
        for key, value in entries.items():
            if schema[key] == "count":
                state[pname][key] = _whole(value)
                continue
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
                raise ValueError(f"optimizer state '{key}' of '{pname}' must be an array of numbers")
            if value.shape != shape:
                raise ValueError(f"optimizer state '{key}' of '{pname}' has shape {value.shape}, expected {shape}")
            value = np.array(value, dtype=np.float64)
            if not np.all(np.isfinite(value)) or (key in _NON_NEGATIVE and np.any(value < 0)):
                raise ValueError(f"optimizer state '{key}' of '{pname}' holds "
                                 f"{'negative' if np.all(np.isfinite(value)) else 'non-finite'} values")
            state[pname][key] = value
    return state


def _whole(v) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 0:
        raise ValueError(f"{shown(v)} is not a whole number ≥ 0")
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
        for key in ("step_count", "epoch", "bad_epochs", "pos"):
            _whole(doc[key])
        progress["order"] = (_array(name, arrays, f"progress{SEP}order", "iu", ndim=1) if doc["order"] else None)
        opt = _object(name, "progress.optimizer", doc["optimizer"])
        if not isinstance(opt.get("name"), str):
            raise ModelFileError(f"{name}: the saved optimizer has no name")
        state = {}
        for pname, entries in _object(name, "progress.optimizer.state", opt["state"]).items():
            state[pname] = {}
            for key, value in _object(name, "optimizer state", entries).items():
                if isinstance(value, dict) and value.get("array"):
                    value = _array(name, arrays, f"optimizer{SEP}{pname}{SEP}{key}", "f")
                state[pname][key] = value
        progress["optimizer"] = {"name": opt["name"], "steps": _whole(opt["steps"]), "state": state}
    except ModelFileError:
        raise
    except KeyError as exc:
        raise ModelFileError(f"{name}: the saved training progress has no {exc}") from None
    except ValueError as exc:
        raise ModelFileError(f"{name}: the saved training progress is invalid: {exc}") from None
    return progress
