"""Gradient checking: BPTT gradients against central differences, parameter by parameter.

With truncated BPTT the engine's gradient is the exact gradient of a slightly different
function — the loss with the hidden state held fixed where each window starts. The numeric side
differentiates exactly that function (``network.forward(frozen=...)``), so truncation is checked
as strictly as full BPTT.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import losses, network
from .model import Model, check_truncate

# eps 1e-4 balances the two errors of a central difference in float64: truncation ~eps² and
# round-off ~1e-16·|L|/eps, which at 1e-6 already rivals the tiny gradients of deep stacks.
EPS = 1e-4
TOLERANCE = 1e-6


@dataclass
class GradcheckResult:
    parameters: dict          # name -> relative error
    max_rel_error: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return bool(self.max_rel_error <= self.tolerance)

    def to_json(self) -> dict:
        return {"max_rel_error": self.max_rel_error, "tolerance": self.tolerance,
                "passed": self.passed, "parameters": self.parameters}


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖a − n‖ / max(‖a‖ + ‖n‖, 1e-12): 0 for equal arrays, ~1 for unrelated ones."""
    return float(np.linalg.norm(analytic - numeric) / max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-12))


def loss_function(model: Model, x, target, truncate=None, l2=0.0):
    """The scalar function whose gradient ``loss_and_grads`` returns, as a closure over params."""
    spec = model.spec
    x = model.check_input(x)
    target = model.check_target(target, x)
    x_tm = network.to_time_major(x)
    tgt = network.to_time_major(target) if spec.output == "sequence" else target
    frozen = network.forward(spec, model.params, x_tm) if truncate else None

    def f(params):
        fp = network.forward(spec, params, x_tm, frozen=frozen, truncate=truncate)
        loss, _ = losses.compute(spec.loss, fp.output, tgt, spec.reduction)
        if l2:
            loss += 0.5 * l2 * sum(float(np.sum(w * w)) for k, w in params.items() if ".weight" in k)
        return loss

    return f


def numeric_grads(model: Model, x, target, truncate=None, l2=0.0, eps=EPS) -> dict:
    """Central differences (f(θ+ε) − f(θ−ε)) / 2ε for every element of every parameter."""
    truncate = check_truncate(truncate)
    f = loss_function(model, x, target, truncate, l2)
    params = {k: v.copy() for k, v in model.params.items()}
    grads = {}
    for name, value in params.items():
        g = np.empty_like(value)
        flat, gflat = value.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            keep = flat[i]
            flat[i] = keep + eps
            up = f(params)
            flat[i] = keep - eps
            down = f(params)
            flat[i] = keep
            gflat[i] = (up - down) / (2 * eps)
        grads[name] = g
    return grads


def compare(analytic: dict, numeric: dict, tolerance=TOLERANCE) -> GradcheckResult:
    errors = {name: relative_error(analytic[name], numeric[name]) for name in numeric}
    return GradcheckResult(errors, max(errors.values(), default=0.0), tolerance)


def gradcheck(model: Model, x, target, truncate=None, l2=0.0, eps=EPS, tolerance=TOLERANCE) -> GradcheckResult:
    """Check ``model.loss_and_grads`` against central differences on (x, target)."""
    _, analytic = model.loss_and_grads(x, target, truncate=truncate, l2=l2)
    return compare(analytic, numeric_grads(model, x, target, truncate, l2, eps), tolerance)


def random_problem(model: Model, batch=2, steps=5, seed=0):
    """A random input and a target of the right kind for ``model``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, model.spec.input_size))
    shape = model.output_shape(batch, steps)
    if model.spec.loss == "mse":
        target = rng.standard_normal(shape)
    else:
        target = rng.integers(0, model.spec.output_size, size=shape[:-1])
    return x, target
