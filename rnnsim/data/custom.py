""""Your own sequence": made-up data of any shape, for a network the learner sizes freely or a model
whose training data are not at hand. The inputs are uniform in [−1, 1] (rounded to two decimals so
they read well on screen) or, for a text model (``vocab``), one-hot characters of its vocabulary; the
targets are uniform values (mse) or uniform class indices (cross-entropy). Nothing here is learnable —
it is a probe to step through, and the learner types the input and target they want to see.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError
from .dataset import Dataset

#: sizes a made-up data set may take (the app draws every unit and step)
LIMITS = {"input_size": 512, "output_size": 512, "steps": 10_000, "n": 10_000, "hidden_size": 4096}


def _size(name: str, value, low: int = 1) -> int:
    high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise DataError(f"your own sequence: {name} must be a whole number in {low}..{high}, got {value!r}")
    return int(value)


def make_custom(input_size: int = 1, output_size: int | None = 1, steps: int = 8, output: str = "sequence",
                loss: str = "mse", hidden_size: int | None = None, bidirectional: bool = False, seed: int = 0,
                n: int = 4, vocab: str | None = None) -> Dataset:
    """``n`` made-up sequences: x (n, steps, input_size); y (n, steps, out) or (n, out) for mse, class
    indices (n, steps) or (n,) for cross-entropy. ``output_size`` None: no head — the output is the
    hidden state, ``hidden_size`` (× 2 when ``bidirectional``) values wide. ``vocab``: a text model's
    characters; the inputs are then one-hot characters (``input_size`` must be ``len(vocab)``)."""
    input_size, steps, n = _size("input_size", input_size), _size("steps", steps), _size("n", n)
    if output not in ("sequence", "last"):
        raise DataError(f"your own sequence: output must be 'sequence' or 'last', got {output!r}")
    if loss not in ("mse", "mae", "cross_entropy"):
        raise DataError(f"your own sequence: loss must be 'mse', 'mae' or 'cross_entropy', got {loss!r}")
    if output_size is None:
        if loss == "cross_entropy" or hidden_size is None:
            raise DataError("your own sequence: without a head (output_size none) the loss must be mse or mae and "
                            "hidden_size given")
        width = _size("hidden_size", hidden_size) * (2 if bidirectional else 1)
    else:
        width = _size("output_size", output_size)
    if loss == "cross_entropy" and width < 2:
        raise DataError("your own sequence: cross-entropy needs at least 2 classes (output_size ≥ 2)")
    rng = np.random.default_rng(seed)
    meta: dict = {}
    if vocab:
        if not isinstance(vocab, str) or len(vocab) != input_size:
            raise DataError(f"your own sequence: the vocabulary has {len(vocab) if isinstance(vocab, str) else '?'} "
                            f"characters; input_size is {input_size}")
        x = np.eye(input_size)[rng.integers(0, input_size, size=(n, steps))]
        meta["vocab"] = vocab
    else:
        x = rng.uniform(-1.0, 1.0, size=(n, steps, input_size)).round(2)
    if loss == "cross_entropy":
        y = rng.integers(0, width, size=(n, steps) if output == "sequence" else (n,))
        meta["classes"] = width
    else:
        y = rng.uniform(-1.0, 1.0, size=(n, steps, width) if output == "sequence" else (n, width)).round(2)
    accuracy = "argmax" if loss == "cross_entropy" else None
    return Dataset("custom", x, y, output, loss, accuracy,
                   "Your own sequence: made-up values of the shape you chose; type the input and the target.",
                   meta)
