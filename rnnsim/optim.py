"""Optimizers with PyTorch's parameter names and update rules (``torch.optim``), one ``step()`` each.

Every optimizer updates ``params`` in place from ``grads`` (both ``{name: ndarray}``) and keeps
its per-parameter state in ``self.state[name]`` — momentum buffers, Rprop's step sizes and
previous gradients, Adam's moments — which the Tape shows beside each update.
"""
from __future__ import annotations

import inspect
import math
import numbers

import numpy as np

from .errors import ConfigError


def _real(value) -> float:
    """``value`` as a float; NaN for anything that is not a real number, so that every range check refuses it."""
    return float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else math.nan


def _pair(value) -> tuple[float, float]:
    """``value`` as two floats (NaN where it is not a pair of real numbers)."""
    if isinstance(value, (tuple, list, np.ndarray)) and len(value) == 2:
        return _real(value[0]), _real(value[1])
    return math.nan, math.nan


def _check(what, value, low=0.0, high=math.inf, *, open_low=False, open_high=False) -> float:
    """``value`` as a float if it lies in the interval, else a ConfigError naming ``what`` and the interval."""
    v = _real(value)
    if not (math.isfinite(v) and (v > low if open_low else v >= low) and (v < high if open_high else v <= high)):
        if high == math.inf:
            allowed = f"a number {'>' if open_low else '≥'} {low:g}"
        else:
            allowed = f"in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        raise ConfigError(f"{what} must be {allowed}, got {value!r}")
    return v


class Optimizer:
    name = ""

    def __init__(self, lr):
        self.lr = _check("learning rate", lr, open_low=True)
        self.state: dict[str, dict] = {}
        self.steps = 0

    def step(self, params: dict, grads: dict) -> None:
        self.steps += 1
        for name, p in params.items():
            self._update(name, p, grads[name], self.state.setdefault(name, {}))

    def _update(self, name, p, g, state):  # pragma: no cover - abstract
        raise NotImplementedError

    def hyperparameters(self) -> dict:
        return {"lr": self.lr}


class SGD(Optimizer):
    """p ← p − lr·g; with momentum μ: b ← μ·b + (1−dampening)·g (b = g at the first step),
    and the step uses b, or g + μ·b with Nesterov."""

    name = "sgd"

    def __init__(self, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False):
        super().__init__(lr)
        self.momentum = _check("SGD momentum", momentum, high=1.0)
        self.dampening = _check("SGD dampening", dampening, high=1.0)
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ConfigError("Nesterov momentum needs a momentum > 0 and zero dampening")
        self.nesterov = bool(nesterov)

    def _update(self, name, p, g, state):
        if self.momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = g.copy()
            else:
                buf = state["momentum_buffer"]
                buf *= self.momentum
                buf += (1.0 - self.dampening) * g
            buf = state["momentum_buffer"]
            g = g + self.momentum * buf if self.nesterov else buf
        p -= self.lr * g

    def hyperparameters(self):
        return {"lr": self.lr, "momentum": self.momentum, "dampening": self.dampening, "nesterov": self.nesterov}


class Rprop(Optimizer):
    """Resilient backprop (the optimizer of the Chinese linear-RNN tutorial's bit counter): each weight moves by −sign(g)·Δ, its own step size Δ
    (starting at ``lr``) growing by η+ while the gradient keeps its sign and shrinking by η− when
    it flips, clamped to ``step_sizes``. As PyTorch, a flipped gradient is treated as zero for that step."""

    name = "rprop"

    def __init__(self, lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)):
        super().__init__(lr)
        self.eta_minus, self.eta_plus = _pair(etas)
        if not 0 < self.eta_minus < 1 < self.eta_plus < math.inf:
            raise ConfigError(f"Rprop etas (η−, η+) must satisfy 0 < η− < 1 < η+, got {etas!r}")
        self.step_min, self.step_max = _pair(step_sizes)
        if not 0 < self.step_min <= self.step_max < math.inf:
            raise ConfigError(f"Rprop step sizes (smallest, largest) must satisfy 0 < smallest ≤ largest, "
                              f"got {step_sizes!r}")

    def _update(self, name, p, g, state):
        if "step_size" not in state:
            state["prev"] = np.zeros_like(p)
            state["step_size"] = np.full_like(p, self.lr)
        agreement = np.sign(g * state["prev"])
        factor = np.where(agreement > 0, self.eta_plus, np.where(agreement < 0, self.eta_minus, 1.0))
        step = np.clip(state["step_size"] * factor, self.step_min, self.step_max)
        g = np.where(agreement < 0, 0.0, g)
        p -= np.sign(g) * step
        state["step_size"] = step
        state["prev"] = g

    def hyperparameters(self):
        return {"lr": self.lr, "etas": (self.eta_minus, self.eta_plus), "step_sizes": (self.step_min, self.step_max)}


class Adam(Optimizer):
    """m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)."""

    name = "adam"

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(lr)
        self.beta1, self.beta2 = _pair(betas)
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ConfigError(f"Adam betas (β1, β2) must both be in [0, 1), got {betas!r}")
        self.eps = _check("Adam eps (ε)", eps, open_low=True)

    def _update(self, name, p, g, state):
        if "exp_avg" not in state:
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            state["step"] = 0
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        bias1 = 1.0 - self.beta1 ** t
        bias2 = 1.0 - self.beta2 ** t
        p -= (self.lr / bias1) * m / (np.sqrt(v) / np.sqrt(bias2) + self.eps)

    def hyperparameters(self):
        return {"lr": self.lr, "betas": (self.beta1, self.beta2), "eps": self.eps}


class RMSprop(Optimizer):
    """v ← α·v + (1−α)·g²;  p ← p − lr·g/(√v + ε)  (with momentum μ: b ← μ·b + g/(√v + ε), p ← p − lr·b)."""

    name = "rmsprop"

    def __init__(self, lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0):
        super().__init__(lr)
        self.alpha = _check("RMSprop alpha (α)", alpha, high=1.0)
        self.eps = _check("RMSprop eps (ε)", eps, open_low=True)
        self.momentum = _check("RMSprop momentum", momentum, high=1.0)

    def _update(self, name, p, g, state):
        if "square_avg" not in state:
            state["square_avg"] = np.zeros_like(p)
            if self.momentum:
                state["momentum_buffer"] = np.zeros_like(p)
        v = state["square_avg"]
        v *= self.alpha
        v += (1.0 - self.alpha) * g * g
        scaled = g / (np.sqrt(v) + self.eps)
        if self.momentum:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += scaled
            scaled = buf
        p -= self.lr * scaled

    def hyperparameters(self):
        return {"lr": self.lr, "alpha": self.alpha, "eps": self.eps, "momentum": self.momentum}


class Adagrad(Optimizer):
    """s ← s + g²;  p ← p − lr/(1 + (t−1)·lr_decay) · g/(√s + ε)."""

    name = "adagrad"

    def __init__(self, lr=0.01, lr_decay=0.0, eps=1e-10, initial_accumulator_value=0.0):
        super().__init__(lr)
        self.lr_decay = _check("Adagrad lr_decay", lr_decay)
        self.eps = _check("Adagrad eps (ε)", eps, open_low=True)
        self.initial = _check("Adagrad initial_accumulator_value", initial_accumulator_value)

    def _update(self, name, p, g, state):
        if "sum" not in state:
            state["sum"] = np.full_like(p, self.initial)
            state["step"] = 0
        state["step"] += 1
        s = state["sum"]
        s += g * g
        clr = self.lr / (1.0 + (state["step"] - 1) * self.lr_decay)
        p -= clr * g / (np.sqrt(s) + self.eps)

    def hyperparameters(self):
        return {"lr": self.lr, "lr_decay": self.lr_decay, "eps": self.eps,
                "initial_accumulator_value": self.initial}


OPTIMIZERS = {cls.name: cls for cls in (SGD, Rprop, Adam, RMSprop, Adagrad)}


def _settings() -> dict:
    """``SETTINGS``, read from the constructors' signatures."""
    table: dict[str, dict] = {}
    for name, cls in OPTIMIZERS.items():
        for parameter in inspect.signature(cls).parameters.values():
            if parameter.name != "lr":
                table.setdefault(parameter.name, {})[name] = parameter.default
    return table


SETTINGS = _settings()
"""Every optimizer setting besides the learning rate (``torch.optim``'s keyword arguments), read from the
constructors above: ``{setting: {name of an optimizer that takes it: its default}}``, e.g.
``SETTINGS["eps"] == {"adam": 1e-8, "rmsprop": 1e-8, "adagrad": 1e-10}``."""

_LABELS = {"nesterov": "Nesterov momentum"}


def make(name: str, lr: float, momentum: float = 0.0, nesterov: bool = False, **settings) -> Optimizer:
    """An optimizer by name, with the learning rate and any of its ``SETTINGS`` (e.g. ``betas=(0.8, 0.99)``).

    One set of settings serves every optimizer (the command line's and the app's ``TrainConfig``): a
    setting given as None takes the optimizer's default, and a setting this optimizer does not take is
    refused unless it is None or at the default of the optimizers that take it.
    """
    if name not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer '{name}'; choose one of {', '.join(OPTIMIZERS)}")
    chosen = {}
    for key, value in {"momentum": momentum, "nesterov": nesterov, **settings}.items():
        if key not in SETTINGS:
            raise ConfigError(f"unknown optimizer setting '{key}'; the settings are {', '.join(SETTINGS)}")
        takers = SETTINGS[key]
        if value is None:
            continue
        if name in takers:
            chosen[key] = value
        elif any(value != default for default in takers.values()):
            names = list(takers)
            listing = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
            raise ConfigError(f"{name} has no {_LABELS.get(key, key)} setting; it belongs to {listing}")
    return OPTIMIZERS[name](lr, **chosen)
