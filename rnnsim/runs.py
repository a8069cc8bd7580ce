"""Kept training runs, side by side: what a finished run leaves for comparison — its curves, its gradients,
the path its watched weights took — named by what differs between the runs. No Qt.

A :class:`RunRecord` is a frozen copy of one training history: the per-step loss and gradient norms, the
per-epoch accuracy and losses, the last probe's ‖∂L/∂h(k)‖, the path of the watched weights
(``Trainer.watch``) with its watch list, the settings that define the run and how it ended.
:func:`labels` names runs by the settings that differ between them ("LSTM" / "tanh RNN", "3 units" /
"50 units", "SGD lr 0.001" / "Rprop"); :func:`to_csv` writes them together in long format;
:func:`runs_to_file` / :func:`runs_from_file` store them in a session file (rnnsim/session_file.py).

    run = RunRecord.create(1, run_settings(network, config, "bitcount"), step=..., loss=..., ...)
    labels([run_a, run_b])          # ["SGD lr 0.001", "Rprop"]
    to_csv([run_a, run_b], "runs.csv")
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError, ModelFileError, shown
from .io import check_output_path, write_atomic
from .limits import MAX_HIDDEN_SIZE, MAX_LAYERS, MAX_SEED
from .train import MAX_WATCHED

__all__ = ["RunRecord", "run_settings", "labels", "path_caption", "to_csv", "runs_to_file", "runs_from_file",
           "MAX_RUNS", "OUTCOMES", "SETTING_KEYS"]

#: at most this many runs are kept (a session file holding more is refused)
MAX_RUNS = 200
MAX_NAME_CHARS = 200
OUTCOMES = ("finished", "diverged", "stopped")
#: the settings that define a run, in the order labels name them
SETTING_KEYS = ("data", "cell", "hidden_size", "num_layers", "bidirectional", "optimizer", "lr", "schedule",
                "batch_size", "weight_decay", "clip", "seed")
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "linear": "linear RNN", "rnn_tanh": "tanh RNN",
              "rnn_relu": "ReLU RNN", "rnn_sigmoid": "sigmoid RNN", "rnn_softplus": "softplus RNN",
              "rnn_hard_sigmoid": "hard-sigmoid RNN"}
OPTIMIZER_NAMES = {"sgd": "SGD", "rprop": "Rprop", "adam": "Adam", "rmsprop": "RMSprop", "adagrad": "Adagrad"}
SEP = "::"


def run_settings(network: dict, config, data_name: str) -> dict:
    """The settings that define a run: the network options (cell, hidden_size, num_layers, bidirectional),
    the TrainConfig's optimizer, lr, schedule, batch_size, weight_decay, clip and seed, and the data's name."""
    return {"data": str(data_name), "cell": network["cell"], "hidden_size": int(network["hidden_size"]),
            "num_layers": int(network["num_layers"]), "bidirectional": bool(network.get("bidirectional", False)),
            "optimizer": config.optimizer, "lr": float(config.lr), "schedule": config.schedule,
            "batch_size": config.batch_size, "weight_decay": float(config.weight_decay),
            "clip": None if config.clip is None else float(config.clip), "seed": int(config.seed)}


def _floats(values, what: str, ndim: int = 1) -> np.ndarray:
    arr = np.array(values if values is not None else [], dtype=np.float64, copy=True)
    if arr.ndim != ndim:
        raise ConfigError(f"a run's {what} must have {ndim} dimension(s), got shape {arr.shape}")
    return arr


@dataclass(eq=False)
class RunRecord:
    """One kept run. Per step (n,): ``step``, ``loss``, ``grad_norm``, ``param_norms`` {name: (n,)}; per
    epoch (m,): ``epoch_step`` (the step that ended it), ``train_loss``, ``val_loss``, ``accuracy`` (NaN where
    absent); ``dh_norms`` {(layer, direction): (T,)}: ‖∂L/∂h(k)‖ of the probe at step ``dh_step``; ``path``
    (p, k): the watched scalars ``watch`` [(name, index)] at the steps ``path_step`` (p,), the first row at the
    history's start weights; ``outcome``: "finished", "diverged" (at ``diverged_at``) or "stopped"."""

    id: int
    settings: dict
    step: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    epoch_step: np.ndarray = field(default_factory=lambda: np.empty(0))
    train_loss: np.ndarray = field(default_factory=lambda: np.empty(0))
    val_loss: np.ndarray = field(default_factory=lambda: np.empty(0))
    accuracy: np.ndarray = field(default_factory=lambda: np.empty(0))
    param_norms: dict = field(default_factory=dict)
    dh_norms: dict = field(default_factory=dict)
    dh_step: int | None = None
    path: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    path_step: np.ndarray = field(default_factory=lambda: np.empty(0))
    watch: list = field(default_factory=list)
    outcome: str = "stopped"
    diverged_at: int | None = None
    name: str | None = None
    visible: bool = True

    @classmethod
    def create(cls, run_id: int, settings: dict, step, loss, grad_norm, epoch_step=(), train_loss=(), val_loss=(),
               accuracy=(), param_norms=None, dh_norms=None, dh_step=None, path=None, path_step=(), watch=(),
               outcome="stopped", diverged_at=None, name=None, visible=True) -> "RunRecord":
        """A RunRecord holding copies of these arrays (None in the epoch lists becomes NaN), checked:
        ConfigError (one line) when anything does not fit (lengths, step order, the path's width …)."""
        def epoch_values(values):
            return _floats([math.nan if v is None else v for v in values], "epoch values")
        watch = [(str(n), tuple(int(i) for i in index)) for n, index in watch]
        path = _floats(path if path is not None and len(path) else np.empty((0, len(watch))), "path", ndim=2)
        run = cls(int(run_id), dict(settings), _floats(step, "steps"), _floats(loss, "losses"),
                  _floats(grad_norm, "gradient norms"), _floats(epoch_step, "epoch steps"),
                  epoch_values(train_loss), epoch_values(val_loss), epoch_values(accuracy),
                  {str(k): _floats(v, f"gradient norms of {k}") for k, v in (param_norms or {}).items()},
                  {(int(k[0]), int(k[1])): _floats(v, "∂L/∂h norms") for k, v in (dh_norms or {}).items()},
                  None if dh_step is None else int(dh_step), path, _floats(path_step, "path steps"), watch,
                  outcome, None if diverged_at is None else int(diverged_at),
                  None if name is None else str(name), bool(visible))
        run.check()
        return run

    def check(self) -> None:
        """ConfigError with the first thing that does not fit."""
        _check_settings(self.settings)
        if self.outcome not in OUTCOMES:
            raise ConfigError(f"a run's outcome must be one of {', '.join(OUTCOMES)}, got {shown(self.outcome)}")
        if (self.outcome == "diverged") != (self.diverged_at is not None):
            raise ConfigError("a diverged run names the step it diverged at, and only a diverged run does")
        if self.diverged_at is not None and self.diverged_at < 1:
            raise ConfigError(f"a run cannot diverge at step {self.diverged_at}")
        n = self.step.size
        if self.loss.size != n or self.grad_norm.size != n or any(v.size != n for v in self.param_norms.values()):
            raise ConfigError("a run's per-step lists (steps, losses, gradient norms) have different lengths")
        m = self.epoch_step.size
        if any(a.size != m for a in (self.train_loss, self.val_loss, self.accuracy)):
            raise ConfigError("a run's per-epoch lists have different lengths")
        for what, steps, strictly in (("steps", self.step, True), ("epoch steps", self.epoch_step, False),
                                      ("path steps", self.path_step, True)):
            if steps.size and not (np.all(np.isfinite(steps)) and np.all(steps == np.round(steps))
                                   and steps.min() >= 0):
                raise ConfigError(f"a run's {what} must be whole numbers ≥ 0")
            gaps = np.diff(steps)
            if gaps.size and not np.all(gaps > 0 if strictly else gaps >= 0):
                raise ConfigError(f"a run's {what} must {'increase' if strictly else 'never decrease'}")
        if len(self.watch) > MAX_WATCHED or any(not n or len(n) > MAX_NAME_CHARS or len(i) > 8
                                                or any(v < 0 for v in i) for n, i in self.watch):
            raise ConfigError("a run's watch list must name at most "
                              f"{MAX_WATCHED} (parameter, index) pairs with indices ≥ 0")
        if self.path.shape != (self.path_step.size, len(self.watch)):
            raise ConfigError(f"a run's path has shape {self.path.shape}; {self.path_step.size} points of "
                              f"{len(self.watch)} watched values were expected")
        if not np.all(np.isfinite(self.path)):
            raise ConfigError("a run's path holds NaN or infinity")
        if self.dh_norms and self.dh_step is None:
            raise ConfigError("a run's ∂L/∂h norms need the step they were taken at")
        if self.name is not None and (not self.name.strip() or len(self.name) > MAX_NAME_CHARS):
            raise ConfigError(f"a run's name must be 1 to {MAX_NAME_CHARS} characters")

    # ---- what the run list shows ---------------------------------------------------------------
    @property
    def final_loss(self) -> float:
        """The loss of the last recorded step (NaN when none was recorded)."""
        return float(self.loss[-1]) if self.loss.size else math.nan

    @property
    def end_point(self) -> tuple | None:
        """The path's last point (the watched values after the last recorded update), or None."""
        return tuple(float(v) for v in self.path[-1]) if self.path.shape[0] and self.path.shape[1] else None

    @property
    def outcome_text(self) -> str:
        """"finished", "stopped" or "diverged at step N"."""
        return f"diverged at step {self.diverged_at}" if self.outcome == "diverged" else self.outcome


def _check_settings(s) -> None:
    if not isinstance(s, dict):
        raise ConfigError(f"a run's settings must be an object, got {type(s).__name__}")
    missing = [k for k in SETTING_KEYS if k not in s]
    if missing:
        raise ConfigError(f"a run's settings lack {missing[0]!r}")

    def whole(v, low, high):
        return isinstance(v, int) and not isinstance(v, bool) and low <= v <= high

    def number(v, allow_none=False):
        if v is None:
            return allow_none
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0

    checks = {"data": lambda v: isinstance(v, str) and len(v) <= MAX_NAME_CHARS,
              "cell": lambda v: v in CELL_NAMES, "hidden_size": lambda v: whole(v, 1, MAX_HIDDEN_SIZE),
              "num_layers": lambda v: whole(v, 1, MAX_LAYERS), "bidirectional": lambda v: isinstance(v, bool),
              "optimizer": lambda v: v in OPTIMIZER_NAMES, "lr": number,
              "schedule": lambda v: isinstance(v, str) and len(v) <= 40,
              "batch_size": lambda v: v is None or whole(v, 1, 1 << 40), "weight_decay": number,
              "clip": lambda v: number(v, allow_none=True), "seed": lambda v: whole(v, 0, MAX_SEED)}
    for key, ok in checks.items():
        if not ok(s[key]):
            raise ConfigError(f"a run's setting {key!r} cannot be {shown(s[key])}")


# ---- names -----------------------------------------------------------------------------------------
def _number(v) -> str:
    return f"{v:g}"


def _part(key: str, s: dict) -> str:
    v = s[key]
    if key == "cell":
        return CELL_NAMES[v]
    if key == "hidden_size":
        return f"{v} unit" + ("" if v == 1 else "s")
    if key == "num_layers":
        return f"{v} layer" + ("" if v == 1 else "s")
    if key == "bidirectional":
        return "bidirectional" if v else "one direction"
    if key == "schedule":
        return f"{v} schedule" if v != "constant" else "constant lr"
    if key == "batch_size":
        return "full batch" if v is None else f"batch {v}"
    if key == "weight_decay":
        return f"L2 {_number(v)}" if v else "no L2"
    if key == "clip":
        return "no clipping" if v is None else f"clip {_number(v)}"
    if key == "seed":
        return f"seed {v}"
    return str(v)                                                        # data


def _optimizer_part(s: dict, optimizer_differs: bool, lr_differs: bool) -> str:
    """The optimizer and its learning rate as far as they tell runs apart. Rprop's lr is only its first step
    Δ0 (each weight then adapts its own), so it is named only when that differs between the runs."""
    name = OPTIMIZER_NAMES[s["optimizer"]]
    lr = _number(s["lr"])
    if s["optimizer"] == "rprop":
        words = [name, f"Δ0 {lr}"] if lr_differs else [name] if optimizer_differs else []
    else:
        words = ([name] if optimizer_differs else []) + ([f"lr {lr}"] if optimizer_differs or lr_differs else [])
    return " ".join(words)


def labels(runs, current: dict | None = None) -> list:
    """A label for each run (aligned with ``runs``): its name when the learner gave one, else the settings in
    which the visible runs (and ``current``, the settings of the run in progress, when given) differ, e.g.
    "LSTM" / "tanh RNN", "3 units" / "50 units", "SGD lr 0.001" / "Rprop". A run that differs in nothing is
    described by its cell, size and optimizer; runs alike in every setting get "#id" to tell them apart."""
    compared = [r.settings for r in runs if r.visible] + ([current] if current is not None else [])
    differs = {k for k in SETTING_KEYS if len({repr(s.get(k)) for s in compared}) > 1}
    out = []
    for run in runs:
        s = run.settings
        parts = []
        for key in SETTING_KEYS:
            if key == "optimizer" or key == "lr":
                if key == "optimizer" and ({"optimizer", "lr"} & differs):
                    parts.append(_optimizer_part(s, "optimizer" in differs, "lr" in differs))
            elif key in differs:
                parts.append(_part(key, s))
        parts = [p for p in parts if p]
        if not parts:
            parts = [CELL_NAMES[s["cell"]], _part("hidden_size", s), _optimizer_part(s, True, True)]
        out.append(", ".join(parts))
    twins = {label for label in out if out.count(label) > 1}
    out = [f"{label} #{run.id}" if label in twins else label for run, label in zip(runs, out)]
    return [run.name if run.name else label for run, label in zip(runs, out)]


def path_caption(run: RunRecord, label: str) -> str:
    """The caption of a run's path on a surface: "SGD lr 0.001: diverged at step 3",
    "Rprop: (1.00006, 0.99999)" (where the path ends), or "label: stopped" with no path."""
    if run.outcome == "diverged":
        return f"{label}: {run.outcome_text}"
    end = run.end_point
    if end is None:
        return f"{label}: {run.outcome_text}"
    return f"{label}: (" + ", ".join(f"{v:.6g}" for v in end) + ")"


# ---- CSV -------------------------------------------------------------------------------------------
def _watched_name(name: str, index: tuple) -> str:
    return f"{name}[{','.join(str(i) for i in index)}]"


def to_csv(runs, path) -> None:
    """Write ``runs`` to ``path`` as one long table, atomically (rnnsim.io.write_atomic): a row per run and
    step — run, label, outcome, step, loss, grad_norm, epoch, train_loss, val_loss, accuracy, one
    ``grad_norm:<parameter>`` column per parameter and one column per watched weight (``name[i,j]``, the
    path) — empty where a run has no value (epoch columns on the step that ended the epoch; the path's start
    at the step it began). ModelFileError when the target cannot be written."""
    check_output_path(path, "CSV file")
    runs = list(runs)
    names = labels(runs)
    params = list(dict.fromkeys(k for r in runs for k in r.param_norms))
    watched = list(dict.fromkeys(_watched_name(n, i) for r in runs for n, i in r.watch))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["run", "label", "outcome", "step", "loss", "grad_norm", "epoch", "train_loss", "val_loss",
                     "accuracy"] + [f"grad_norm:{p}" for p in params] + watched)
    for run, label in zip(runs, names):
        index = {int(s): i for i, s in enumerate(run.step)}
        epochs = {}
        for e, s in enumerate(run.epoch_step):
            epochs[int(s)] = e                    # two epochs ending on one step: the later one
        points = {int(s): i for i, s in enumerate(run.path_step)}
        columns = [watched.index(_watched_name(n, i)) for n, i in run.watch]
        for step in sorted(set(index) | set(epochs) | set(points)):
            i, e, p = index.get(step), epochs.get(step), points.get(step)
            row = [run.id, label, run.outcome_text, step]
            row += [_cell(run.loss, i), _cell(run.grad_norm, i)]
            row += ["" if e is None else e + 1, _cell(run.train_loss, e), _cell(run.val_loss, e),
                    _cell(run.accuracy, e)]
            row += [_cell(run.param_norms[k], i) if k in run.param_norms else "" for k in params]
            values = [""] * len(watched)
            if p is not None:
                for c, v in zip(columns, run.path[p]):
                    values[c] = repr(float(v))
            writer.writerow(row + values)
    write_atomic(path, buffer.getvalue().encode("utf-8"))


def _cell(values, i) -> str:
    if i is None:
        return ""
    v = float(values[i])
    return "" if math.isnan(v) else repr(v)


# ---- session files ---------------------------------------------------------------------------------
_STEP_ARRAYS = ("step", "loss", "grad_norm")
_EPOCH_ARRAYS = ("epoch_step", "train_loss", "val_loss", "accuracy")


def runs_to_file(runs, arrays: dict) -> list:
    """The runs' JSON entries for a session file; their arrays go into ``arrays`` as ``run::<i>::<key>``."""
    docs = []
    for i, run in enumerate(runs):
        prefix = f"run{SEP}{i}{SEP}"
        for key in _STEP_ARRAYS + _EPOCH_ARRAYS + ("path", "path_step"):
            arrays[prefix + key] = np.asarray(getattr(run, key), dtype=np.float64)
        for k, (name, values) in enumerate(run.param_norms.items()):
            arrays[f"{prefix}param_norm{SEP}{k}"] = values
        for k, values in enumerate(run.dh_norms.values()):
            arrays[f"{prefix}dh_norm{SEP}{k}"] = values
        docs.append({"id": run.id, "name": run.name, "visible": run.visible, "settings": dict(run.settings),
                     "outcome": run.outcome, "diverged_at": run.diverged_at,
                     "watch": [[n, list(i)] for n, i in run.watch], "param_norms": list(run.param_norms),
                     "dh_norms": [list(k) for k in run.dh_norms], "dh_step": run.dh_step})
    return docs


def runs_from_file(name: str, docs, arrays: dict) -> list:
    """The runs of a session file (``docs``: its "runs" entry; absent in older files: pass None), each
    checked; ModelFileError naming the file and the first problem."""
    if docs is None:
        return []
    if not isinstance(docs, list):
        raise ModelFileError(f"{name}: 'runs' must be a list, got {type(docs).__name__}")
    if len(docs) > MAX_RUNS:
        raise ModelFileError(f"{name}: {len(docs)} kept runs; at most {MAX_RUNS} are read")
    runs, ids = [], set()
    for i, doc in enumerate(docs):
        try:
            run = _run_from_file(i, doc, arrays)
        except ConfigError as exc:
            raise ModelFileError(f"{name}: kept run {i + 1}: {exc}") from None
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ModelFileError(f"{name}: kept run {i + 1} is damaged ({type(exc).__name__}: {shown(str(exc), 80)})"
                                 ) from None
        if run.id in ids:
            raise ModelFileError(f"{name}: two kept runs have the id {run.id}")
        ids.add(run.id)
        runs.append(run)
    return runs


def _run_from_file(i: int, doc, arrays: dict) -> RunRecord:
    if not isinstance(doc, dict):
        raise ConfigError(f"must be an object, got {type(doc).__name__}")
    prefix = f"run{SEP}{i}{SEP}"

    def array(key, ndim=1):
        if prefix + key not in arrays:
            raise ConfigError(f"array {shown(prefix + key, 60)} is missing")
        arr = arrays[prefix + key]
        if arr.dtype.kind not in "fiu" or arr.ndim != ndim:
            raise ConfigError(f"array {shown(prefix + key, 60)} must be {ndim}-D numbers, got {arr.dtype} "
                              f"{arr.shape}")
        return arr

    run_id, name, visible = doc["id"], doc.get("name"), doc.get("visible", True)
    if isinstance(run_id, bool) or not isinstance(run_id, int) or not 0 <= run_id <= 1 << 53:
        raise ConfigError(f"the id must be a whole number ≥ 0, got {shown(run_id)}")
    if name is not None and not isinstance(name, str):
        raise ConfigError(f"the name must be text, got {shown(name)}")
    if not isinstance(visible, bool):
        raise ConfigError(f"'visible' must be true or false, got {shown(visible)}")
    watch = doc.get("watch", [])
    if not isinstance(watch, list) or not all(
            isinstance(w, list) and len(w) == 2 and isinstance(w[0], str) and isinstance(w[1], list)
            and len(w[1]) <= 8 and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 31
                                       for v in w[1]) for w in watch):
        raise ConfigError("'watch' must be a list of [parameter name, [index, ...]] pairs")
    pnames, dh_keys = doc.get("param_norms", []), doc.get("dh_norms", [])
    if not isinstance(pnames, list) or not all(isinstance(p, str) for p in pnames) or len(set(pnames)) != len(pnames):
        raise ConfigError("'param_norms' must be a list of distinct parameter names")
    if not isinstance(dh_keys, list) or not all(
            isinstance(k, list) and len(k) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                        and 0 <= v <= MAX_LAYERS for v in k) for k in dh_keys):
        raise ConfigError("'dh_norms' must be a list of [layer, direction] pairs")
    for key in ("diverged_at", "dh_step"):
        v = doc.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 1 << 53):
            raise ConfigError(f"{key!r} must be a whole number or null, got {shown(v)}")
    settings = doc["settings"]
    _check_settings(settings)
    return RunRecord.create(
        run_id, settings, *(array(k) for k in _STEP_ARRAYS), *(array(k) for k in _EPOCH_ARRAYS),
        param_norms={p: array(f"param_norm{SEP}{k}") for k, p in enumerate(pnames)},
        dh_norms={tuple(key): array(f"dh_norm{SEP}{k}") for k, key in enumerate(dh_keys)},
        dh_step=doc.get("dh_step"), path=array("path", ndim=2), path_step=array("path_step"),
        watch=[(n, tuple(idx)) for n, idx in watch], outcome=doc.get("outcome"),
        diverged_at=doc.get("diverged_at"), name=name, visible=visible)
