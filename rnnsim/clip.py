"""Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (the cure for the "cliffs" of
exploding gradients in the Russian BPTT tutorial)."""
from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError, shown

MODES = ("norm", "value")


def check_threshold(value) -> float | None:
    """A clipping threshold as a float, or None (no clipping); ConfigError unless it is a finite number > 0.

    The one check of a threshold: TrainConfig, the Tape's recorder and the command line all call it."""
    if value is None:
        return None
    number = None
    if not isinstance(value, (bool, np.bool_)):
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            pass
    if number is None or not (math.isfinite(number) and number > 0):
        raise ConfigError(f"gradient clipping threshold must be a positive number, got {shown(value)}")
    return number


def check_mode(mode) -> str:
    """"norm" (clip the global norm) or "value" (clamp each element); ConfigError otherwise."""
    if mode not in MODES:
        raise ConfigError(f"clip mode must be 'norm' or 'value', got {mode!r}")
    return mode


def global_norm(grads: dict) -> float:
    """‖g‖₂ over every parameter's gradient taken together."""
    return float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))


def clip_by_norm(grads: dict, max_norm: float) -> float:
    """Scale all gradients in place so their global norm is at most ``max_norm``.

    Returns the norm before clipping. Like PyTorch, the scale is max_norm / (norm + 1e-6), applied
    only when that is below 1.
    """
    norm = global_norm(grads)
    scale = max_norm / (norm + 1e-6)
    if scale < 1.0:
        for g in grads.values():
            g *= scale
    return norm


def clip_by_value(grads: dict, limit: float) -> float:
    """Clamp every gradient element into [-limit, limit] in place; returns the global norm before."""
    norm = global_norm(grads)
    for g in grads.values():
        np.clip(g, -limit, limit, out=g)
    return norm
