"""The decision boundary of a two-input classifier: the model's answer over the input plane.

A model qualifies when every input is a point of the plane (x₁, x₂) — the XOR network of the
"Like Lego" article after O. Flores' scratch_mlp is the example:

- layout "features": ``input_size`` 2 and sequences of 1 step, the point is x(1) = (x₁, x₂);
- layout "steps": ``input_size`` 1 and sequences of 2 steps (a "two-feature input"), the point is
  read one number per step, x(1) = x₁ then x(2) = x₂;

and its outputs are classes. How outputs become class probabilities follows the model (the same
reading as :func:`rnnsim.interpret.describe_output` and the data set's accuracy kinds):

- ``"softmax"`` — loss cross-entropy, the outputs are logits: p_k = softmax(o)_k;
- ``"share"`` — squared error against one-hot targets (accuracy "argmax", ≥ 2 outputs, e.g. the XOR
  task): the outputs are scores, not logits. Each is clipped to [0, 1] (a sigmoid head's outputs
  already are) and divided by their sum, p_k = clip(o_k) / Σ_j clip(o_j); 1/C each when all clip to 0;
- ``"threshold"`` — one output (accuracy "threshold"): p₁ = clip(o, 0, 1), p₀ = 1 − p₁.

The class shown is the one the data set's accuracy counts: argmax of the raw outputs (softmax and
share), o > 0.5 (threshold). Its probability is therefore at least 1/C, except for the share rule
where outputs tie after clipping (both above 1, say): then it is 1/C, "undecided". With output
"sequence" the answer after the last step is read.

    reading = boundary_reading(model.spec, dataset.steps, dataset.accuracy)   # InputError: why not
    x_range, y_range = input_window(dataset.x)
    grid = decision_grid(model, x_range, y_range, 120, accuracy=dataset.accuracy)
    grid.classes[i, j], grid.probability[i, j]    # at (grid.xs[j], grid.ys[i])
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import parallel
from .data.meaning import stored_data
from .errors import InputError, shown

FEATURES, STEPS = "features", "steps"
RULES = ("softmax", "share", "threshold")
MIN_RESOLUTION, MAX_RESOLUTION = 2, 512
#: more classes than this are not told apart by colour in one picture
MAX_CLASSES = 8
#: multiply-adds one grid may cost (points × weights × steps): ~7 ms on one thread (hidden 50: 66² points), so
#: 10 pictures a second take a tenth of a core beside the training process (bench/bench_boundary_live.py)
GRID_BUDGET = 2.5e7
_FROM_MODEL = object()


@dataclass(frozen=True)
class BoundaryReading:
    """How a qualifying model is asked about a point: ``layout`` ("features" or "steps"), ``classes`` (C)
    and ``rule`` ("softmax", "share" or "threshold")."""

    layout: str
    classes: int
    rule: str

    @property
    def steps(self) -> int:
        return 1 if self.layout == FEATURES else 2


@dataclass(frozen=True)
class DecisionGrid:
    """The model's answer at every point of a grid over the input plane.

    ``xs`` (nx,) the x₁ of the grid's columns, ``ys`` (ny,) the x₂ of its rows (both increasing);
    ``classes`` (ny, nx) int64 the class shown at (xs[j], ys[i]); ``probability`` (ny, nx) that class's
    probability; ``probabilities`` (ny, nx, C) every class's; ``reading`` how they were read.
    """

    xs: np.ndarray
    ys: np.ndarray
    classes: np.ndarray
    probability: np.ndarray
    probabilities: np.ndarray
    reading: BoundaryReading


# ---- which models qualify -------------------------------------------------------------------------
def why_not_drawable(spec, steps: int, accuracy) -> str | None:
    """None when a model of ``spec`` reading sequences of ``steps`` steps, whose outputs count as right by
    ``accuracy`` (a data set's accuracy kind), has a decision boundary to draw; else one sentence why not."""
    if spec.is_seq2seq:
        return "The decision boundary is drawn for models of one recurrent stack, not for an encoder–decoder."
    if spec.input_size == 2 and steps != 1:
        return (f"The decision boundary needs one point (x₁, x₂) per sequence: these sequences have {steps} "
                f"steps of 2 inputs, not 1.")
    if spec.input_size == 1 and steps != 2:
        return (f"The decision boundary needs one point (x₁, x₂) per sequence: these sequences have {steps} "
                f"step{'s' if steps != 1 else ''} of 1 input, not 2 (x₁ then x₂).")
    if spec.input_size not in (1, 2):
        return (f"The decision boundary needs one point (x₁, x₂) per sequence: this model reads "
                f"{spec.input_size} inputs per step (2 in one step, or 1 in each of 2 steps, would do).")
    width = spec.out_features
    if spec.loss == "cross_entropy":
        if width < 2:
            return "The decision boundary needs at least two classes: this model has one."
        classes = width
    elif accuracy == "argmax" and width >= 2:
        classes = width
    elif accuracy == "threshold" and width == 1:
        classes = 2
    else:
        reason = {None: "no classes (they are values, not right or wrong)",
                  "round": "counts, not classes"}.get(accuracy, f"{width} outputs read by {accuracy!r}")
        return f"The decision boundary needs class outputs: this model's outputs are {reason}."
    if classes > MAX_CLASSES:
        return (f"The decision boundary tells at most {MAX_CLASSES} classes apart by colour: this model has "
                f"{classes}.")
    return None


def boundary_reading(spec, steps: int, accuracy=_FROM_MODEL) -> BoundaryReading:
    """How to read a qualifying model (see the module's docstring); InputError with the reason otherwise.
    ``accuracy``: the data's accuracy kind (default: the one stored in the model's spec)."""
    if accuracy is _FROM_MODEL:
        accuracy = stored_data(spec).get("accuracy")
    reason = why_not_drawable(spec, steps, accuracy)
    if reason is not None:
        raise InputError(reason)
    layout = FEATURES if spec.input_size == 2 else STEPS
    if spec.loss == "cross_entropy":
        return BoundaryReading(layout, spec.out_features, "softmax")
    if spec.out_features == 1:
        return BoundaryReading(layout, 2, "threshold")
    return BoundaryReading(layout, spec.out_features, "share")


# ---- points and outputs ---------------------------------------------------------------------------
def as_sequences(points, layout: str) -> np.ndarray:
    """Points (N, 2) of the plane → the model's input: (N, 1, 2) for "features", (N, 2, 1) for "steps"."""
    points = np.asarray(points, dtype=np.float64)
    return points[:, None, :] if layout == FEATURES else points[:, :, None]


def as_points(x, layout: str) -> np.ndarray:
    """A data set's inputs (N, T, F) in ``layout`` → its points (N, 2) = (x₁, x₂) (a copy)."""
    x = np.asarray(x, dtype=np.float64)
    want = (1, 2) if layout == FEATURES else (2, 1)
    if x.ndim != 3 or x.shape[1:] != want or x.shape[0] == 0:
        raise InputError(f"inputs must have shape (N, {want[0]}, {want[1]}) for the layout {layout!r}, got {x.shape}")
    return x.reshape(x.shape[0], 2).copy()


def class_probabilities(reading: BoundaryReading, outputs) -> tuple[np.ndarray, np.ndarray]:
    """Outputs (N, out) → (classes (N,) int64, probabilities (N, C)), by ``reading.rule``."""
    o = np.asarray(outputs, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        if reading.rule == "threshold":
            p1 = np.clip(o[:, 0], 0.0, 1.0)
            return (o[:, 0] > 0.5).astype(np.int64), np.stack([1.0 - p1, p1], axis=1)
        classes = o.argmax(axis=1).astype(np.int64)
        if reading.rule == "softmax":
            e = np.exp(o - o.max(axis=1, keepdims=True))
            return classes, e / e.sum(axis=1, keepdims=True)
        clipped = np.clip(o, 0.0, 1.0)
        total = clipped.sum(axis=1, keepdims=True)
        share = np.divide(clipped, total, out=np.full_like(clipped, 1.0 / o.shape[1]), where=total > 0)
        return classes, share


def classify(model, x, accuracy=_FROM_MODEL) -> tuple[np.ndarray, np.ndarray]:
    """The class shown for each sequence of x (N, T, input_size) and its probability: ((N,) int64, (N,))."""
    x = model.check_input(x)
    reading = boundary_reading(model.spec, x.shape[1], accuracy)
    classes, probabilities = class_probabilities(reading, _last_outputs(model, x))
    return classes, np.take_along_axis(probabilities, classes[:, None], axis=1)[:, 0]


def _last_outputs(model, x) -> np.ndarray:
    out = model.predict(x)
    return out[:, -1, :] if out.ndim == 3 else out


def point_labels(dataset) -> np.ndarray:
    """The class each sequence of a data set belongs to (N,) int64: a class index (cross-entropy; the last
    step's with output "sequence"), the argmax of a one-hot target, or target > 0.5 for one output."""
    y = np.asarray(dataset.y)
    if dataset.loss == "cross_entropy":
        return (y[:, -1] if y.ndim == 2 else y).astype(np.int64)
    last = y[:, -1, :] if y.ndim == 3 else y
    if last.shape[1] == 1:
        return (last[:, 0] > 0.5).astype(np.int64)
    return last.argmax(axis=1).astype(np.int64)


# ---- the window and the grid ----------------------------------------------------------------------
def input_window(x, margin: float = 0.25) -> tuple[tuple[float, float], tuple[float, float]]:
    """The part of the plane to show for inputs x (N, 1, 2) or (N, 2, 1): each axis spans the data's range
    widened by ``margin`` × that range on both sides (a single value: ±0.5 around it) — for XOR's
    corners, [−0.25, 1.25] on both axes. Returns ((x₁ low, x₁ high), (x₂ low, x₂ high))."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[1] * x.shape[2] != 2 or x.shape[0] == 0:
        raise InputError(f"inputs must have shape (N, 1, 2) or (N, 2, 1) with N ≥ 1, got {x.shape}")
    if not (isinstance(margin, (int, float)) and not isinstance(margin, bool)
            and math.isfinite(margin) and 0 <= margin <= 10):
        raise InputError(f"the margin must be a number in 0..10, got {shown(margin)}")
    points = x.reshape(x.shape[0], 2)
    if not np.all(np.isfinite(points)):
        raise InputError("inputs contain NaN or infinity")
    ranges = []
    for low, high in zip(points.min(axis=0), points.max(axis=0)):
        span = float(high - low)
        pad = margin * span if span > 0 else 0.5
        ranges.append((float(low) - pad, float(high) + pad))
    return ranges[0], ranges[1]


def affordable_resolution(spec, most: int = 160, budget: float = GRID_BUDGET) -> int:
    """The finest grid (points per side, between 16 and ``most``) whose prediction costs at most ``budget``
    multiply-adds, counted as points × parameters × steps (2 steps: the dearer layout)."""
    per_point = 2.0 * spec.parameter_count
    side = int(math.sqrt(budget / per_point))
    return max(16, min(int(most), side))


def _check_range(name: str, value) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name} must be two numbers (low, high), got {shown(value)}") from None
    if not (math.isfinite(low) and math.isfinite(high) and math.isfinite(high - low)):
        raise InputError(f"{name} must be finite, got ({low}, {high})")
    if not high > low:
        raise InputError(f"{name} must have low < high, got ({low}, {high})")
    return low, high


def _check_resolution(resolution) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise InputError(f"the resolution must be a whole number of points per side, got {shown(resolution)}")
    if not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
        raise InputError(f"the resolution must be {MIN_RESOLUTION}..{MAX_RESOLUTION} points per side, "
                         f"got {shown(int(resolution))}")
    return int(resolution)


def serial_block(spec) -> int:
    """Points per ``model.predict`` call small enough for the engine to run each call on one thread
    (rnnsim.parallel.MIN_PARALLEL_WORK): a live picture beside a training process then takes one core at most."""
    per_point = 2 * spec.gate_blocks * spec.hidden_size * spec.num_layers * spec.directions
    return max(parallel.MIN_CHUNK, (parallel.MIN_PARALLEL_WORK - 1) // per_point)


def decision_grid(model, x_range, y_range, resolution: int, accuracy=_FROM_MODEL,
                  block: int | None = None) -> DecisionGrid:
    """The model's class and probability at ``resolution`` × ``resolution`` evenly spaced points of
    x_range × y_range (both ends included), predicted by ``model.predict`` on the whole grid at once, or
    on blocks of ``block`` points in turn (e.g. :func:`serial_block`: the same numbers on one thread).

    ``accuracy``: the data's accuracy kind (default: the one stored in the model's spec). Arguments are
    checked before anything is allocated; a model that does not qualify raises InputError with the reason.
    """
    x_range = _check_range("x₁'s range", x_range)
    y_range = _check_range("x₂'s range", y_range)
    resolution = _check_resolution(resolution)
    if block is not None and (isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1):
        raise InputError(f"the block must be a whole number of points ≥ 1, got {shown(block)}")
    spec = model.spec
    reading = boundary_reading(spec, 1 if spec.input_size == 2 else 2, accuracy)
    xs = np.linspace(*x_range, resolution)
    ys = np.linspace(*y_range, resolution)
    gx, gy = np.meshgrid(xs, ys)                                   # (ny, nx): row i is x₂ = ys[i]
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    x = as_sequences(points, reading.layout)
    step = x.shape[0] if block is None else int(block)
    outputs = np.concatenate([_last_outputs(model, x[i:i + step]) for i in range(0, x.shape[0], step)])
    classes, probabilities = class_probabilities(reading, outputs)
    shape = (ys.size, xs.size)
    chosen = np.take_along_axis(probabilities, classes[:, None], axis=1)[:, 0]
    return DecisionGrid(xs, ys, classes.reshape(shape), chosen.reshape(shape),
                        probabilities.reshape(shape + (reading.classes,)), reading)
