"""Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (the cure for LESSONS 000's cliffs)."""
from __future__ import annotations

import numpy as np


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
