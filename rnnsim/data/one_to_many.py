"""One-to-many data: one starting value in, a whole sequence out.

A one-to-many model is an ordinary RNN: it reads x(1) at the first step and then either zeros (input mode
"first": U·0 = 0, only the biases enter the later steps, so the network must carry the value in its state)
or x(1) again at every step (input mode "repeat"). PyTorch users build it the same way: an ``nn.RNN`` fed
a sequence whose later steps are zeros or copies of the first.

    x (N, T, 2): (sin φ, cos φ) at t = 1, then zeros ("first") or the same pair ("repeat")
    y (N, T, 1): sin(φ + ω·t) for t = 1..T, ω = 2π / SINE_PERIOD
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..limits import MAX_SEQUENCES, MAX_STEPS, over
from .dataset import Dataset
from .loaders import check_data_size

#: steps per turn of the generated wave (ω = 2π / SINE_PERIOD): fixed, so the target is a rule of x(1) alone
SINE_PERIOD = 12
ONE_TO_MANY_MODES = ("first", "repeat")

SINE_FROM_START_TEXT = (
    "One-to-many: the first step reads one starting angle φ as (sin φ, cos φ), and the network writes the "
    "next 12 values (option steps) of the sine wave sin(φ + 2π·t/12), squared error. With inputs='first' "
    "(the default) the later steps get no input (x = 0, drawn without an input arrow), so the network must "
    "carry φ in its state and turn it a little at every step; inputs='repeat' feeds the same pair at every "
    "step — either way an ordinary RNN, as PyTorch users build one-to-many models. The suggested tanh RNN of "
    "16 units (Adam, lr 0.01, batches of 32) takes the mean squared error from about 0.5 to below 0.001 in "
    "its 30 epochs, in about a second.")


def _whole(name, value, limit) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DataError(f"task 'sine-from-start': option '{name}' must be a whole number ≥ 1, got {value!r}")
    if value > limit:
        raise DataError(f"task 'sine-from-start': {over(f'option {name!r}', int(value), limit)}")
    return int(value)


def sine_from_start_target(x, output="sequence") -> np.ndarray | None:
    """sin(φ + ω·t) for t = 1..T, float (batch, T, 1), where φ is the angle of x(1) = (sin φ, cos φ)
    (φ = atan2(x₁, x₂), so any non-zero pair names an angle) and ω = 2π / SINE_PERIOD. Only x(1) is read:
    the later steps carry nothing (zeros) or a copy of it. None when some x(1) is (0, 0) (no angle)."""
    first = x[:, 0, :2]
    if np.any(np.all(first == 0, axis=1)):
        return None
    phase = np.arctan2(first[:, 0], first[:, 1])
    t = np.arange(1, x.shape[1] + 1, dtype=np.float64)
    return np.sin(phase[:, None] + 2 * np.pi / SINE_PERIOD * t[None, :])[:, :, None]


def make_sine_from_start(seed=0, n=256, steps=12, inputs="first") -> Dataset:
    """``n`` sequences of ``steps`` steps (see the module doc); φ uniform in [0, 2π), seeded.

    ``inputs``: "first" (x(1) then zeros) or "repeat" (x(1) at every step)."""
    n = _whole("n", n, MAX_SEQUENCES)
    steps = _whole("steps", steps, MAX_STEPS)
    if inputs not in ONE_TO_MANY_MODES:
        raise DataError(f"task 'sine-from-start': option 'inputs' must be 'first' or 'repeat', got {inputs!r}")
    check_data_size("task 'sine-from-start'", n, steps, 2)
    phase = np.random.default_rng(seed).uniform(0.0, 2 * np.pi, size=n)
    start = np.stack([np.sin(phase), np.cos(phase)], axis=1)   # (n, 2)
    x = np.zeros((n, steps, 2))
    if inputs == "first":
        x[:, 0] = start
    else:
        x[:] = start[:, None, :]
    return Dataset("sine-from-start", x, sine_from_start_target(x), "sequence", "mse", None, SINE_FROM_START_TEXT, {"period": SINE_PERIOD, "inputs": inputs}, inputs)
