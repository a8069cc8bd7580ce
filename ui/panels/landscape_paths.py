"""The optimizer paths the cost surface draws: the current run's and the kept runs', read from the
controller (the watched weights after every step), each with a label saying what ran and how it ended —
"SGD lr 0.001: diverged at step 3", "Rprop: (1.00006, 0.99999)"."""
from __future__ import annotations

import numpy as np

OPTIMIZER_NAMES = {"sgd": "SGD", "rprop": "Rprop", "adam": "Adam", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


def optimizer_text(optimizer: str, lr: float) -> str:
    """"SGD lr 0.001"; Rprop's lr is its first step size, named so."""
    name = OPTIMIZER_NAMES.get(optimizer, optimizer)
    return f"{name} Δ₀ {lr:g}" if optimizer == "rprop" else f"{name} lr {lr:g}"


def path_label(what: str, end: str) -> str:
    return f"{what}: {end}" if end else what


def end_text(path: np.ndarray, diverged_at: int | None, running: bool, steps: int) -> str:
    """How a path ended: "diverged at step N", "step N" while running, else its last point."""
    if diverged_at is not None:
        return f"diverged at step {diverged_at}"
    if running:
        return f"step {steps}"
    if path.shape[0] == 0:
        return ""
    return f"({path[-1, 0]:.6g}, {path[-1, 1]:.6g})"


def _watch_matches(watch, plane) -> bool:
    wanted = [(p.name, tuple(p.index)) for p in plane.parameters]
    return [(name, tuple(index)) for name, index in (watch or ())] == wanted


def run_paths(controller, plane, hidden=frozenset()) -> dict:
    """{key: (a (n,), b (n,), label)} for every path recorded on ``plane``'s two weights: the kept runs'
    (visible ones, not in ``hidden``) and the current history's under the key "current" once it has a step."""
    paths = {}
    for run in getattr(controller, "runs", ()):
        key = f"run-{run.id}"
        path = getattr(run, "path", None)
        if key in hidden or not getattr(run, "visible", True) or path is None or not _watch_matches(run.watch, plane):
            continue
        path = np.asarray(path, dtype=float)
        if path.ndim == 2 and path.shape[0]:
            paths[key] = (path[:, 0], path[:, 1], run_label(run, path))
    history = controller.history
    path = getattr(history, "path", None)
    if path is not None and _watch_matches(getattr(history, "path_watch", None), plane):
        path = np.asarray(path, dtype=float)
        if path.ndim == 2 and (path.shape[0] > 1 or history.divergences):   # (a lone start point: the target)
            config = controller.config
            diverged = history.divergences[-1][0] if history.divergences else None
            end = end_text(path, diverged, controller.running, controller.step_count)
            paths["current"] = (path[:, 0], path[:, 1],
                                path_label(optimizer_text(config.optimizer, config.lr), end))
    return paths


def run_label(run, path: np.ndarray) -> str:
    """A kept run's path label: its name (or optimizer and learning rate) and how it ended."""
    settings = getattr(run, "settings", {}) or {}
    what = getattr(run, "name", None) or optimizer_text(settings.get("optimizer", "?"), float(settings.get("lr", 0.0)))
    diverged = getattr(run, "diverged_at", None)
    return path_label(what, end_text(path, diverged, False, 0))
