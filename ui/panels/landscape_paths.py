"""The optimizer paths the cost surface draws: the current run's and the kept runs', read from the
controller (the watched weights after every step), each with a label saying what ran and how it ended —
"SGD lr 0.001: diverged at step 3", "Rprop: (1.00006, 0.99999)"."""
from __future__ import annotations

import numpy as np

from rnnsim.runs import OPTIMIZER_NAMES, path_caption


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
    for run in controller.runs:
        key = f"run-{run.id}"
        if key in hidden or not run.visible or not _watch_matches(run.watch, plane):
            continue
        if run.path.shape[0]:
            paths[key] = (run.path[:, 0], run.path[:, 1], run_label(run))
    history = controller.history
    if _watch_matches(history.path_watch, plane):
        path = history.path
        if path.shape[0] > 1 or history.divergences:          # (a lone start point: the target shows it)
            config = controller.config
            diverged = history.divergences[-1][0] if history.divergences else None
            end = end_text(path, diverged, controller.running, controller.step_count)
            paths["current"] = (path[:, 0], path[:, 1],
                                path_label(optimizer_text(config.optimizer, config.lr), end))
    return paths


def run_label(run) -> str:
    """A kept run's path label: its name (or optimizer and learning rate) and how it ended (rnnsim.runs)."""
    what = run.name or optimizer_text(run.settings.get("optimizer", "?"), float(run.settings.get("lr", 0.0)))
    return path_caption(run, what)
