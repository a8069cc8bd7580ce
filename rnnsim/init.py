"""Seeded parameter initialisation schemes.

- ``pytorch``: PyTorch's defaults — every recurrent parameter uniform in ±1/√hidden, the head
  as ``nn.Linear`` (weight and bias uniform in ±1/√fan_in).
- ``zeros``: every parameter 0 (a lesson in symmetry: all hidden units stay identical).
- ``xavier``: Glorot-uniform weights (per gate block), zero biases.
- ``orthogonal``: Xavier input weights, an orthogonal W_hh per gate block, zero biases.
``forget_bias`` (LSTM) sets b_ih's forget-gate block, so that f starts near σ(forget_bias).
"""
from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError, shown
from .spec import ModelSpec

SCHEMES = ("pytorch", "zeros", "xavier", "orthogonal")


def _xavier(rng, shape, blocks):
    rows = shape[0] // blocks
    bound = np.sqrt(6.0 / (rows + shape[1]))
    return rng.uniform(-bound, bound, size=shape)


def _orthogonal(rng, shape, blocks):
    rows = shape[0] // blocks
    parts = []
    for _ in range(blocks):
        a = rng.standard_normal((max(rows, shape[1]), min(rows, shape[1])))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        parts.append(q if rows >= shape[1] else q.T)
    return np.concatenate(parts, axis=0)[: shape[0], : shape[1]]


def initialise(spec: ModelSpec, scheme: str = "pytorch", seed: int = 0,
               forget_bias: float | None = None) -> dict:
    """Fresh parameters {name: float64 array} for ``spec``; the same seed gives the same values."""
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown initialisation '{scheme}'; choose one of {', '.join(SCHEMES)}")
    if forget_bias is not None and spec.cell != "lstm":
        raise ConfigError("a forget-gate bias only applies to the lstm cell")
    if forget_bias is not None and (isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float, np.integer, np.floating))
                                    or not math.isfinite(forget_bias)):
        raise ConfigError(f"the forget-gate bias must be a finite number, got {shown(forget_bias)}")
    rng = np.random.default_rng(seed)
    blocks = spec.gate_blocks
    params = {}
    for name, shape in spec.param_shapes().items():
        is_fc = name.startswith("fc.")
        if scheme == "zeros":
            value = np.zeros(shape)
        elif scheme == "pytorch":
            fan = spec.hidden_size * spec.directions if is_fc else spec.hidden_size
            bound = 1.0 / np.sqrt(fan)
            value = rng.uniform(-bound, bound, size=shape)
        elif ".bias" in name:
            value = np.zeros(shape)
        elif scheme == "orthogonal" and "weight_hh" in name:
            value = _orthogonal(rng, shape, blocks)
        else:
            value = _xavier(rng, shape, 1 if is_fc else blocks)
        params[name] = np.ascontiguousarray(value, dtype=np.float64)
    if forget_bias is not None:
        h = spec.hidden_size
        for name in params:
            if "bias_ih" in name:
                params[name][h:2 * h] = forget_bias
            elif "bias_hh" in name:
                params[name][h:2 * h] = 0.0
    return params
