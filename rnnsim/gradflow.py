"""The gradient over time: how ∂L/∂h(k) changes as BPTT carries it back from the loss to the first step.

Steps are numbered as P. Roelants' counting-ones tutorial numbers its states: k = 0 is the initial state
h(0) (the engine's h0), k = 1..T the state after input x(k) (the engine's t = k − 1). One value per k:

- signed, when the layer has one unit in one direction: Σ over the sequences of ∂L/∂h(k) — the
  tutorial's curve, which keeps the sign so that w_rec < 0 is seen to alternate;
- otherwise the norm ‖∂L/∂H(k)‖ over every sequence and unit of the layer-direction.

:func:`curves_at_points` computes one curve per weight point of a plane (rnnsim.landscape), and
:func:`describe` says in words what a curve does (explodes, vanishes, alternates, stays constant,
dies at once) — from its numbers, so the words are always the curve's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import network
from .errors import ConfigError, shown
from .landscape import Plane
from .model import Model


@dataclass
class GradientOverTime:
    """``values[k]`` for k = 0..T (see the module doc); ``label`` names the weights it was computed at."""

    k: np.ndarray            # (T + 1,) 0..T
    values: np.ndarray       # (T + 1,)
    signed: bool
    layer: int
    direction: int
    label: str = ""


def gradient_over_time(model: Model, x, target, truncate: int | None = None, layer: int | None = None,
                       direction: int = 0, label: str = "") -> GradientOverTime:
    """The curve for ``model`` on sequences ``x (N, T, input_size)`` and their ``target``; ``layer``:
    which layer's states (default the top one); ``direction`` 1 is a bidirectional layer's backward
    direction (its k still counts the original time order; k = 0 is then its state after the last input)."""
    spec = model.spec
    if spec.is_seq2seq:
        raise ConfigError("the gradient-over-time curves are drawn for models of one recurrent stack; an "
                          "encoder–decoder's gradient over time is in its Tape (step the backward pass)")
    layer = spec.num_layers - 1 if layer is None else layer
    if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < spec.num_layers:
        raise ConfigError(f"layer must be 0..{spec.num_layers - 1}, got {shown(layer)}")
    if direction not in range(spec.directions):
        raise ConfigError(f"direction must be 0..{spec.directions - 1}, got {shown(direction)}")
    x = model.check_input(x)
    target = model.check_target(target, x)
    grads: dict = {}
    network.loss_and_grads(spec, model.params, x, target, truncate, 0.0, state_grads=grads)
    dh = grads[(layer, direction)]                      # (T, N, H), original time order
    dh0 = grads[(layer, direction, "h0")]               # (N, H)
    if direction == 1:                                   # its "initial" state comes after the last step
        states = np.concatenate([dh, dh0[None]], axis=0)[::-1]
    else:
        states = np.concatenate([dh0[None], dh], axis=0)  # (T + 1, N, H)
    signed = spec.hidden_size == 1
    with np.errstate(all="ignore"):
        values = states.sum(axis=(1, 2)) if signed else np.sqrt(np.sum(states * states, axis=(1, 2)))
    return GradientOverTime(np.arange(states.shape[0]), values, signed, layer, direction, label)


def curves_at_points(model: Model, x, target, plane: Plane, points, truncate: int | None = None,
                     labels=None) -> list[GradientOverTime]:
    """One curve per plane point (a, b) in ``points``; labelled "(a, b)" unless ``labels`` are given."""
    points = [tuple(float(v) for v in p) for p in points]
    labels = list(labels) if labels is not None else [f"({a:g}, {b:g})" for a, b in points]
    if len(labels) != len(points):
        raise ConfigError(f"{len(points)} points but {len(labels)} labels")
    return [gradient_over_time(Model(model.spec, plane.params_at(a, b)), x, target, truncate, label=label)
            for (a, b), label in zip(points, labels)]


def describe(curve: GradientOverTime, rtol: float = 1e-9) -> str:
    """What the curve does going back from k = T to k = 0, in a few words, read from its numbers."""
    v = curve.values
    last = v[-1]
    if not np.all(np.isfinite(v)):
        return "overflows"
    if last == 0:
        return "no gradient (zero error)"
    if np.all(v[:-1] == 0):
        return "dies at once"
    if np.allclose(v, last, rtol=rtol, atol=0):
        return "stays constant"
    words = []
    if curve.signed and np.any(np.sign(v[:-1]) * np.sign(v[1:]) < 0):
        words.append("alternates sign")
    first = abs(v[0])
    if first > 10 * abs(last):
        words.insert(0, f"explodes (×{first / abs(last):.3g} back to k = 0)")
    elif first < 0.1 * abs(last):
        words.insert(0, f"vanishes (×{first / abs(last):.2g} back to k = 0)")
    else:
        words.insert(0, "changes little")
    return ", ".join(words)
