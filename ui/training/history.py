"""Snapshots accumulated into arrays that plots draw directly (cheap appends, no copies on draw).

The Trainer's :class:`~rnnsim.train.History` holds the per-step loss, learning rate and global
gradient norm; the per-parameter gradient norms and the probe's inner state only travel in
snapshots, so the dashboard keeps them here. Steps whose update diverged (NaN/inf) are not
recorded as points — they become ``divergences`` marks, as the Trainer does not record them either.

The path of the watched weights (``Trainer.watch``, e.g. the two a cost surface is drawn over) is kept
here too: ``path`` (n, k) and ``path_step`` (n,), starting at the weights the path began from.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from rnnsim.train import rollback_point


class Series:
    """A growable float64 array: ``append`` is amortised O(1); ``view()`` is the filled part (no copy)."""

    __slots__ = ("_buf", "_n")

    def __init__(self, values=None, capacity: int = 256):
        values = np.asarray([] if values is None else values, dtype=np.float64).ravel()
        self._buf = np.empty(max(capacity, 2 * values.size))
        self._buf[:values.size] = values
        self._n = values.size

    def __len__(self):
        return self._n

    def append(self, value) -> None:
        if self._n == self._buf.size:
            grown = np.empty(2 * self._buf.size)
            grown[:self._n] = self._buf[:self._n]
            self._buf = grown
        self._buf[self._n] = math.nan if value is None else value
        self._n += 1

    def view(self) -> np.ndarray:
        return self._buf[:self._n]

    def truncate(self, n: int) -> None:
        self._n = max(0, min(n, self._n))

    def last(self, default=math.nan) -> float:
        return float(self._buf[self._n - 1]) if self._n else default


STEP_KEYS = ("step", "loss", "lr", "grad_norm", "clipped")
EPOCH_KEYS = ("epoch", "epoch_step", "train_loss", "val_loss", "accuracy", "val_accuracy")


class PathSeries:
    """Rows of k floats, growable like :class:`Series`: ``view()`` is the filled (n, k) part (no copy)."""

    __slots__ = ("_buf", "_n")

    def __init__(self, k: int, rows=None, capacity: int = 256):
        rows = np.asarray(rows if rows is not None and len(rows) else np.empty((0, k)), dtype=np.float64)
        self._buf = np.empty((max(capacity, 2 * rows.shape[0]), k))
        self._buf[:rows.shape[0]] = rows
        self._n = rows.shape[0]

    def __len__(self):
        return self._n

    def append(self, row) -> None:
        if self._n == self._buf.shape[0]:
            grown = np.empty((2 * self._buf.shape[0], self._buf.shape[1]))
            grown[:self._n] = self._buf[:self._n]
            self._buf = grown
        self._buf[self._n] = row
        self._n += 1

    def view(self) -> np.ndarray:
        return self._buf[:self._n]

    def truncate(self, n: int) -> None:
        self._n = max(0, min(n, self._n))


class PlotHistory:
    """Per step: step, loss, lr, grad_norm, clipped (0/1) and ``param_norms[name]``; per epoch: epoch,
    epoch_step, train/val loss and accuracy (NaN where absent); ``divergences``: [(step, reason)];
    ``latest``: the newest snapshot that carries detail (weights, gradients, the probe's state);
    ``checkpoints``: (step, weights after that step) of the last few detailed snapshots, and ``start``:
    the weights the history started from — where a rollback after a divergence can go.

    ``path`` (n, k): the watched scalars ``path_watch`` [(name, index)] at the steps ``path_step`` (n,) — the
    first row where the path began (the history's start weights, or the weights when the watch was set),
    then one row per successful update. Until a path has its first row (``start_path``), snapshots add
    no rows: a path never lacks its starting point."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        for key in STEP_KEYS + EPOCH_KEYS:
            setattr(self, key, Series())
        self.param_norms: dict[str, Series] = {}
        self.divergences: list[tuple[int, str]] = []
        self.latest = None
        self.checkpoints = deque(maxlen=4)
        self.start = None
        self.path_watch: list = []
        self._path = PathSeries(0)
        self.path_step = Series()
        self.version = 0                     # bumped on every change: views redraw when it moved

    def __len__(self):
        return len(self.step)

    @property
    def path(self) -> np.ndarray:
        """(n, len(path_watch)) the watched values per recorded point (a view: copy it to keep it)."""
        return self._path.view()

    def start_path(self, watch, values, step: int) -> None:
        """A new path of the scalars ``watch`` [(name, index)], starting with ``values`` (a tuple, the watched
        values at step ``step``); ``values`` None: empty until the next ``start_path``."""
        self.path_watch = list(watch)
        self._path = PathSeries(len(self.path_watch))
        self.path_step = Series()
        if values is not None and self.path_watch:
            self._path.append(values)
            self.path_step.append(step)
        self.version += 1

    # ---- filling --------------------------------------------------------------------------
    def extend(self, snapshots) -> None:
        for snap in snapshots:
            if snap.diverged:
                self.divergences.append((snap.step, "NaN/inf"))
            else:
                self.step.append(snap.step)
                self.loss.append(snap.loss)
                self.lr.append(snap.lr)
                self.grad_norm.append(snap.grad_norm)
                self.clipped.append(1.0 if snap.clipped else 0.0)
                for name, value in snap.grad_norms.items():
                    series = self.param_norms.get(name)
                    if series is None:                      # a parameter first seen late: pad with NaN
                        series = self.param_norms[name] = Series(np.full(len(self.step) - 1, np.nan))
                    series.append(value)
                if (snap.watched is not None and len(self._path) and len(snap.watched) == len(self.path_watch)
                        and snap.step > self.path_step.last()):
                    self._path.append(snap.watched)
                    self.path_step.append(snap.step)
            if snap.epoch_done:
                self.epoch.append(snap.epoch + 1)
                self.epoch_step.append(snap.step)
                self.train_loss.append(snap.train_loss)
                self.val_loss.append(snap.val_loss)
                self.accuracy.append(snap.accuracy)
                self.val_accuracy.append(snap.val_accuracy)
            if snap.probe is not None or snap.params is not None:
                self.latest = snap
                if snap.params is not None and not snap.diverged:
                    self.checkpoints.append((snap.step, snap.params))
        if snapshots:
            self.version += 1

    @classmethod
    def from_history(cls, history, grad_norms: dict | None = None, divergences=(), watch=(),
                     path=None) -> "PlotHistory":
        """From a Trainer's History (e.g. a reopened session), the saved per-parameter norms, and the saved
        path (steps (p,), values (p, len(watch))) of the watched weights ``watch``."""
        h = cls()
        if path is not None and len(watch):
            h.path_watch = list(watch)
            h._path = PathSeries(len(h.path_watch), path[1])
            h.path_step = Series(path[0])
        h.step, h.loss, h.lr, h.grad_norm = (Series(history.step), Series(history.loss), Series(history.lr),
                                             Series(history.grad_norm))
        h.clipped = Series(np.zeros(len(history.step)))
        for key in EPOCH_KEYS:
            h.__dict__[key] = Series([math.nan if v is None else v for v in getattr(history, key)])
        h.param_norms = {k: Series(v) for k, v in (grad_norms or {}).items() if len(v) == len(history.step)}
        h.divergences = [(int(s), str(r)) for s, r in divergences]
        h.version += 1
        return h

    def truncate(self, step: int) -> None:
        """Forget every step after ``step`` (a rollback)."""
        n = int(np.searchsorted(self.step.view(), step, side="right"))
        for key in STEP_KEYS:
            getattr(self, key).truncate(n)
        for series in self.param_norms.values():
            series.truncate(n)
        m = int(np.searchsorted(self.epoch_step.view(), step, side="right"))
        for key in EPOCH_KEYS:
            getattr(self, key).truncate(m)
        p = int(np.searchsorted(self.path_step.view(), step, side="right"))
        self._path.truncate(p)
        self.path_step.truncate(p)
        self.checkpoints = deque((c for c in self.checkpoints if c[0] <= step), maxlen=4)
        if self.latest is not None and self.latest.step > step:
            self.latest = None
        self.version += 1

    def rollback_point(self, snap, last_finite: dict, factor: float = 10.0):
        """(step, weights) to continue from after the diverged snapshot ``snap`` — the engine's policy
        (rnnsim.train.rollback_point) over this history's losses and checkpoints."""
        return rollback_point(self.step.view(), self.loss.view(), list(self.checkpoints), last_finite, snap.step,
                              snap.loss, start=self.start, factor=factor)

    def grad_norms(self) -> dict:
        """{name: (steps,) copy} for saving."""
        return {k: v.view().copy() for k, v in self.param_norms.items()}

    def has_accuracy(self) -> bool:
        acc = self.accuracy.view()
        return bool(acc.size) and bool(np.isfinite(acc).any())
