"""N-to-M tasks for encoder–decoder models: the encoder reads N symbols, the decoder writes M.

``reverse``: the encoder reads a sequence of N digits (0–9, one-hot); the decoder writes them in reverse
order (M = N), one class per step. With teacher forcing the decoder reads a start symbol and then the
true previous digit: decoder input j is one-hot over 11 values, position 10 the start symbol

    x       = one_hot(d1 d2 … dN)                       (n, N, 10)
    decoder = one_hot(START dN … d2)                    (n, N, 11)
    target  = dN dN-1 … d1                              (n, N) class indices

The whole sequence has to pass through the context (the encoder's final state): the first digit read
is the last one written, N steps later.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError
from .dataset import Dataset

DIGITS = 10
START = DIGITS                      # the start symbol's position in the decoder input


def reverse_target(x: np.ndarray) -> np.ndarray:
    """Class indices (batch, N): the digits of one-hot x (batch, N, 10) in reverse order."""
    return np.ascontiguousarray(x.argmax(axis=2)[:, ::-1])


def teacher_inputs(target: np.ndarray) -> np.ndarray:
    """The decoder's teacher-forced inputs (batch, M, 11) for class targets (batch, M): the start symbol,
    then each true previous digit, one-hot."""
    batch, steps = target.shape
    d = np.zeros((batch, steps, DIGITS + 1))
    d[:, 0, START] = 1.0
    rows = np.arange(batch)[:, None]
    d[rows, np.arange(1, steps)[None, :], target[:, :-1]] = 1.0
    return d


def start_input() -> np.ndarray:
    """(11,): the start symbol the decoder reads first when it runs on its own outputs."""
    s = np.zeros(DIGITS + 1)
    s[START] = 1.0
    return s


def make_reverse(seed=0, n=2000, length=5) -> Dataset:
    """``n`` random digit sequences of ``length`` with their reversals (see the module docstring)."""
    for name, value, high in (("n", n, 100_000), ("length", length, 50)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise DataError(f"reverse: {name} must be a whole number in 1..{high}, got {value!r}")
    digits = np.random.default_rng(seed).integers(0, DIGITS, (n, length))
    x = np.eye(DIGITS)[digits]
    target = reverse_target(x)
    meta = {"classes": DIGITS, "start": START, "decoder": "start symbol, then the previous digit (one-hot of 11)",
            "labels": [str(k) for k in range(DIGITS)]}
    return Dataset("reverse", x, target, "sequence", "cross_entropy", "argmax", "", meta,
                   decoder_x=teacher_inputs(target))
