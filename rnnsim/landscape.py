"""The loss over a plane of weights: the cost surface.

A plane through weight space is θ(a, b) = θ₀ + a·d₁ + b·d₂ (every parameter of the model, by its
PyTorch name). Two kinds:

- **two scalar parameters** (:func:`parameter_plane`): d₁, d₂ are unit vectors on two chosen weights
  and θ₀ holds the model's other weights with those two set to 0, so (a, b) *are* the two weights'
  values — the (w_x, w_rec) surface of P. Roelants' counting-ones tutorial;
- **two random directions** (:func:`direction_plane`), filter-normalised as in Li et al. 2018,
  "Visualizing the Loss Landscape of Neural Nets": θ₀ is the current weights and each row of a
  direction's weight matrix (one unit's incoming weights — the RNN analogue of a filter) is scaled to
  the norm of the same row of θ₀; biases do not move (the paper's choice for biases).

:func:`loss_surface` evaluates the loss on a grid of (a, b) for every grid point at once: the batch
of the forward pass becomes (grid points × sequences), and each matrix product with a weight of the
plane is θ₀'s product plus a·(d₁'s) plus b·(d₂'s) — three shared products, or a single column for a
unit direction, instead of one network per grid point. Points are processed in chunks that keep the
work arrays under :data:`WORK_BUDGET` floats, with a progress callback between chunks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError, shown
from .model import Model
from .spec import ModelSpec

#: at most this many float64 values in one chunk's work arrays (≈ 64 MB)
WORK_BUDGET = 8_000_000
#: at most this many grid points along one axis, and in all
MAX_SIDE, MAX_POINTS = 1000, 250_000


@dataclass(frozen=True)
class ScalarParameter:
    """One number of the model: ``params[name][index]``."""

    name: str
    index: tuple

    @property
    def label(self) -> str:
        """e.g. ``rnn.weight_hh_l0[0,0]``."""
        return f"{self.name}[{','.join(str(i) for i in self.index)}]"


def scalar_parameters(spec: ModelSpec) -> list[ScalarParameter]:
    """Every scalar of the model, parameter by parameter in the spec's order, row-major within one."""
    return [ScalarParameter(name, tuple(int(i) for i in idx))
            for name, shape in spec.param_shapes().items() for idx in np.ndindex(*shape)]


def check_scalar(spec: ModelSpec, p) -> ScalarParameter:
    """``p`` as a ScalarParameter of this model (a ScalarParameter or a (name, index) pair); ConfigError if
    the name or the index does not exist."""
    name, index = (p.name, p.index) if isinstance(p, ScalarParameter) else p
    shapes = spec.param_shapes()
    if name not in shapes:
        raise ConfigError(f"the model has no parameter {shown(name)} (it has {', '.join(shapes)})")
    index = tuple(index) if isinstance(index, (tuple, list)) else (index,)
    shape = shapes[name]
    if (len(index) != len(shape) or any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in index)
            or any(not 0 <= i < n for i, n in zip(index, shape))):
        raise ConfigError(f"{name} has shape {tuple(shape)}; index {shown(index)} is not inside it")
    return ScalarParameter(name, tuple(int(i) for i in index))


@dataclass(frozen=True)
class Unit:
    """A direction that moves one scalar of a parameter by 1 (the rest 0)."""

    index: tuple


@dataclass
class Plane:
    """θ(a, b) = origin + a·d1 + b·d2. ``d1``/``d2`` map a parameter name to a dense array of its shape or a
    :class:`Unit`; parameters a direction does not move are absent. ``axes``: the two axis titles."""

    spec: ModelSpec
    origin: dict
    d1: dict
    d2: dict
    axes: tuple
    kind: str                                   # "parameters" or "directions"
    parameters: tuple = ()                      # the two ScalarParameters of a "parameters" plane
    seed: int | None = None                     # the seed of a "directions" plane

    def params_at(self, a: float, b: float) -> dict:
        """Every parameter at the plane point (a, b)."""
        params = {k: v.copy() for k, v in self.origin.items()}
        for coeff, direction in ((a, self.d1), (b, self.d2)):
            for name, d in direction.items():
                if isinstance(d, Unit):
                    params[name][d.index] += coeff
                else:
                    params[name] += coeff * d
        return params

    def put(self, params: dict, a: float, b: float) -> dict:
        """Weights at the plane point (a, b) starting from ``params`` (a model's weights, not changed): for a
        parameter plane ``params`` with its two weights set to a and b — the other weights as they are now,
        not as when the plane was made; for a direction plane θ₀ + a·d₁ + b·d₂."""
        if self.kind != "parameters":
            return self.params_at(a, b)
        out = {k: v.copy() for k, v in params.items()}
        for p, value in zip(self.parameters, (a, b)):
            out[p.name][p.index] = value
        return out

    def coordinates(self, params: dict) -> tuple[float, float]:
        """(a, b) of ``params`` on this plane: exact for a parameter plane (the two weights' values); for a
        direction plane the least-squares projection of θ − θ₀ onto (d₁, d₂) — a point off the plane is
        drawn where it projects."""
        if self.kind == "parameters":
            p, q = self.parameters
            return float(params[p.name][p.index]), float(params[q.name][q.index])
        names = list(self.origin)
        delta = np.concatenate([(params[n] - self.origin[n]).ravel() for n in names])
        basis = np.stack([np.concatenate([self._dense(d, n).ravel() for n in names]) for d in (self.d1, self.d2)],
                         axis=1)
        (a, b), *_ = np.linalg.lstsq(basis, delta, rcond=None)
        return float(a), float(b)

    def _dense(self, direction: dict, name: str) -> np.ndarray:
        d = direction.get(name)
        out = np.zeros_like(self.origin[name])
        if isinstance(d, Unit):
            out[d.index] = 1.0
        elif d is not None:
            out[...] = d
        return out


def check_single_stack(spec: ModelSpec) -> None:
    """ConfigError for an encoder–decoder: the surface's vectorised evaluation runs one recurrent stack."""
    if spec.is_seq2seq:
        raise ConfigError("the cost surface is drawn for models of one recurrent stack; an encoder–decoder has two "
                          "(train it, and step its Tape, instead)")


def parameter_plane(model: Model, first, second) -> Plane:
    """The plane of two scalar parameters (``(name, index)`` pairs or ScalarParameters); (a, b) are their
    values, every other weight stays as in ``model``."""
    check_single_stack(model.spec)
    p, q = check_scalar(model.spec, first), check_scalar(model.spec, second)
    if p == q:
        raise ConfigError(f"choose two different parameters (both are {p.label})")
    origin = model.state_dict()
    origin[p.name][p.index] = 0.0
    origin[q.name][q.index] = 0.0
    return Plane(model.spec, origin, {p.name: Unit(p.index)}, {q.name: Unit(q.index)}, (p.label, q.label),
                 "parameters", (p, q))


def direction_plane(model: Model, seed: int = 0) -> Plane:
    """Two seeded random directions through the current weights, filter-normalised (see the module doc):
    for every weight matrix, row r of a direction is scaled to ‖θ₀[r]‖; biases stay. (a, b) = (0, 0) is
    the current model; a = ±1 moves each unit's incoming weights by as much as their own norm."""
    check_single_stack(model.spec)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"the seed must be a whole number ≥ 0, got {shown(seed)}")
    rng = np.random.default_rng(int(seed))
    origin = model.state_dict()
    directions = ({}, {})
    for d in directions:
        for name, w in origin.items():
            if ".weight" not in name:
                continue
            r = rng.standard_normal(w.shape)
            rows_w = np.linalg.norm(w.reshape(w.shape[0], -1), axis=1, keepdims=True)
            rows_r = np.linalg.norm(r.reshape(r.shape[0], -1), axis=1, keepdims=True)
            d[name] = (r.reshape(r.shape[0], -1) * rows_w / (rows_r + 1e-10)).reshape(w.shape)
    return Plane(model.spec, origin, directions[0], directions[1], ("direction 1", "direction 2"),
                 "directions", seed=int(seed))


@dataclass
class Surface:
    """The loss on a grid: ``loss[j, i]`` at (a[i], b[j]) — rows follow b (the vertical axis)."""

    plane: Plane
    a: np.ndarray          # (na,)
    b: np.ndarray          # (nb,)
    loss: np.ndarray       # (nb, na)
    complete: bool = True  # False when the progress callback stopped it (the rest is NaN)


def grid_axis(lo, hi, n, what: str) -> np.ndarray:
    """``n`` evenly spaced values from ``lo`` to ``hi``; ConfigError for a range that is not one."""
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v):
            raise ConfigError(f"the {what} range must be two finite numbers, got {shown(lo)} to {shown(hi)}")
    if not lo < hi:
        raise ConfigError(f"the {what} range must go from a smaller to a larger number, got {lo:g} to {hi:g}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_SIDE:
        raise ConfigError(f"the {what} axis needs between 2 and {MAX_SIDE} points, got {shown(n)}")
    return np.linspace(float(lo), float(hi), int(n))


def loss_surface(model: Model, x, target, plane: Plane, a_values, b_values, l2: float = 0.0,
                 progress=None) -> Surface:
    """The loss (the model's own loss, plus l2/2·Σ‖W‖² over the weight matrices when ``l2`` > 0) at
    every grid point (a_values[i], b_values[j]), for the sequences ``x (N, T, input_size)`` and
    ``target`` (the model's target shape). ``progress(done, total) -> bool``: called after each chunk of
    grid points; returning False stops (the Surface is then marked incomplete)."""
    a_values = np.asarray(a_values, dtype=np.float64)
    b_values = np.asarray(b_values, dtype=np.float64)
    if a_values.ndim != 1 or b_values.ndim != 1 or a_values.size * b_values.size > MAX_POINTS:
        raise ConfigError(f"a grid needs two 1-D axes of at most {MAX_POINTS} points together, got shapes "
                          f"{a_values.shape} and {b_values.shape}")
    aa, bb = np.meshgrid(a_values, b_values)
    stopped = []

    def track(done, total):
        go = progress is None or progress(done, total) is not False
        if not go:
            stopped.append(done)
        return go

    loss = plane_losses(model, x, target, plane, aa.ravel(), bb.ravel(), l2, track)
    return Surface(plane, a_values, b_values, loss.reshape(aa.shape), complete=not stopped)


def plane_losses(model: Model, x, target, plane: Plane, a, b, l2: float = 0.0, progress=None) -> np.ndarray:
    """(G,) the loss at each plane point (a[g], b[g]); see :func:`loss_surface`. Points not computed because
    ``progress`` asked to stop are NaN."""
    if plane.spec != model.spec:
        raise ConfigError("this plane was made for another network; make it again for this model")
    x = model.check_input(x)
    target = model.check_target(target, x)
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ConfigError("the plane points must be two equally long lists of finite numbers")
    if not (isinstance(l2, (int, float)) and math.isfinite(l2) and l2 >= 0):
        raise ConfigError(f"l2 must be a finite number ≥ 0, got {shown(l2)}")
    spec = plane.spec
    n, steps, _ = x.shape
    width = max(spec.gate_blocks * spec.hidden_size, spec.directions * spec.hidden_size, spec.output_size or 1)
    per_point = n * steps * width * (3 + spec.num_layers)
    chunk = max(1, WORK_BUDGET // per_point)
    x_tm = np.ascontiguousarray(x.swapaxes(0, 1))
    tgt = np.ascontiguousarray(target.swapaxes(0, 1)) if spec.output == "sequence" else target
    out = np.full(a.size, np.nan)
    for start in range(0, a.size, chunk):
        stop = min(a.size, start + chunk)
        with np.errstate(all="ignore"):         # a cliff of the surface is shown by its value (inf), not a warning
            out[start:stop] = _chunk_losses(plane, x_tm, tgt, a[start:stop], b[start:stop])
        if progress is not None and progress(stop, a.size) is False:
            break
    if l2:
        out += 0.5 * l2 * _weight_norms(plane, a, b)
    return out


# ---- the batched forward pass ------------------------------------------------------------------
class _Coefficients:
    """The per-point coefficients of a chunk, shaped to broadcast over (points, sequences, features)."""

    def __init__(self, a, b):
        self.a = a[:, None, None]
        self.b = b[:, None, None]


def _affine(plane: Plane, name: str, inp: np.ndarray, coeff: _Coefficients, shared: bool) -> np.ndarray:
    """inp @ W(a, b)ᵀ for every point: W₀'s product plus a·(d₁'s) plus b·(d₂'s).

    ``inp``: (..., G, N, in), or (..., N, in) when the same for every point (``shared``); returns
    (..., G, N, out)."""
    w0 = plane.origin[name]
    base = inp @ w0.T
    out = np.broadcast_to(base[..., None, :, :], base.shape[:-2] + (coeff.a.shape[0],) + base.shape[-2:]).copy() \
        if shared else base
    for c, direction in ((coeff.a, plane.d1), (coeff.b, plane.d2)):
        d = direction.get(name)
        if d is None:
            continue
        if isinstance(d, Unit):
            row, col = d.index
            column = inp[..., None, :, col] if shared else inp[..., col]
            out[..., row] += c[..., 0] * column
        else:
            part = inp @ d.T
            out += c * (part[..., None, :, :] if shared else part)
    return out


def _bias(plane: Plane, name: str, coeff: _Coefficients, size: int) -> np.ndarray:
    """b(a, b) for every point: (G, 1, size) (zeros when the model has no bias)."""
    b0 = plane.origin.get(name)
    out = np.zeros((coeff.a.shape[0], 1, size)) + (0.0 if b0 is None else b0)
    for c, direction in ((coeff.a, plane.d1), (coeff.b, plane.d2)):
        d = direction.get(name)
        if d is None:
            continue
        if isinstance(d, Unit):
            out[..., d.index[0]] += c[..., 0]
        else:
            out += c * d
    return out


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _softplus(v):
    """PyTorch's softplus (beta 1, threshold 20): v itself above 20."""
    return np.where(v > 20.0, v, np.log1p(np.exp(np.minimum(v, 20.0))))


def _hard_sigmoid(v):
    """PyTorch's hardsigmoid: min(max(v + 3, 0), 6) / 6."""
    return np.minimum(np.maximum(v + 3.0, 0.0), 6.0) / 6.0


_ELMAN = {"linear": lambda v: v, "rnn_tanh": np.tanh, "rnn_relu": lambda v: np.maximum(v, 0.0),
          "rnn_sigmoid": _sigmoid, "rnn_softplus": _softplus, "rnn_hard_sigmoid": _hard_sigmoid}


def _run_direction(plane: Plane, spec: ModelSpec, sfx: str, xproj: np.ndarray, coeff: _Coefficients) -> np.ndarray:
    """One direction of one layer over time: xproj (T, G, N, gates) → h (T, G, N, H)."""
    steps, points, batch, gates = xproj.shape
    hidden = spec.hidden_size
    h = np.zeros((points, batch, hidden))
    c = np.zeros((points, batch, hidden))
    b_hh = _bias(plane, "rnn.bias_hh" + sfx, coeff, gates)
    out = np.empty((steps, points, batch, hidden))
    for t in range(steps):
        hproj = _affine(plane, "rnn.weight_hh" + sfx, h, coeff, shared=False) + b_hh
        if spec.cell in _ELMAN:
            h = _ELMAN[spec.cell](xproj[t] + hproj)
        elif spec.cell == "lstm":
            z = xproj[t] + hproj
            i, f, g, o = (z[..., k * hidden:(k + 1) * hidden] for k in range(4))
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
        else:                                                   # gru
            xr, xz, xn = (xproj[t][..., k * hidden:(k + 1) * hidden] for k in range(3))
            hr, hz, hn = (hproj[..., k * hidden:(k + 1) * hidden] for k in range(3))
            r, zg = _sigmoid(xr + hr), _sigmoid(xz + hz)
            h = (1.0 - zg) * np.tanh(xn + r * hn) + zg * h
        out[t] = h
    return out


def _chunk_losses(plane: Plane, x_tm: np.ndarray, target: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(G,) losses of one chunk of points; x_tm (T, N, I) shared by every point."""
    spec = plane.spec
    coeff = _Coefficients(a, b)
    gates = spec.gate_blocks * spec.hidden_size
    layer_in, shared = x_tm, True
    for layer in range(spec.num_layers):
        outputs = []
        for direction in range(spec.directions):
            sfx = spec.suffix(layer, direction)
            inp = layer_in if direction == 0 else layer_in[::-1]
            xproj = _affine(plane, "rnn.weight_ih" + sfx, inp, coeff, shared) + _bias(plane, "rnn.bias_ih" + sfx,
                                                                                      coeff, gates)
            h = _run_direction(plane, spec, sfx, xproj, coeff)
            outputs.append(h if direction == 0 else h[::-1])
        layer_in, shared = (outputs[0] if len(outputs) == 1 else np.concatenate(outputs, axis=-1)), False
    features = layer_in[-1] if spec.output == "last" else layer_in       # (G, N, F) or (T, G, N, F)
    if spec.output_size is not None:
        output = _affine(plane, "fc.weight", features, coeff, shared=False) + _bias(plane, "fc.bias", coeff,
                                                                                   spec.output_size)
    else:
        output = features
    if getattr(spec, "output_activation", "identity") == "sigmoid":
        output = _sigmoid(output)
    return _losses(spec, output, target)


def _losses(spec: ModelSpec, output: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per point, the model's loss (rnnsim.losses' meaning): output (G, N, out) or (T, G, N, out); target
    (N, out)/(N,) or (T, N, out)/(T, N) for a sequence."""
    point_axis = 1 if spec.output == "sequence" else 0
    out = np.moveaxis(output, point_axis, 0)                          # (G, ...)
    points = out.shape[0]
    if spec.loss == "cross_entropy":
        flat = out.reshape(points, -1, out.shape[-1])
        shifted = flat - flat.max(axis=-1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        idx = target.reshape(-1).astype(np.intp)
        per_point = -logp[:, np.arange(idx.size), idx].sum(axis=1)
        count = idx.size
    else:
        diff = out - target[None]
        per_element = np.abs(diff) if spec.loss == "mae" else diff * diff
        per_point = per_element.reshape(points, -1).sum(axis=1)
        count = target.size
    return per_point / count if spec.reduction == "mean" else per_point


def _weight_norms(plane: Plane, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Σ over weight matrices of ‖W₀ + a·d₁ + b·d₂‖², per point, from the inner products (exact)."""
    total = np.zeros_like(a)
    for name in plane.origin:
        if ".weight" not in name:
            continue
        w0, d1, d2 = plane.origin[name], plane._dense(plane.d1, name), plane._dense(plane.d2, name)
        total += (np.sum(w0 * w0) + 2 * a * np.sum(w0 * d1) + 2 * b * np.sum(w0 * d2)
                  + a * a * np.sum(d1 * d1) + 2 * a * b * np.sum(d1 * d2) + b * b * np.sum(d2 * d2))
    return total
