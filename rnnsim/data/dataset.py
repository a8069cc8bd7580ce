"""Dataset: sequences and targets ready for a model, plus what a learner needs to read them."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError

ACCURACY_KINDS = (None, "argmax", "round", "threshold")
#: where the input sequence carries values: at every step (many-to-many, many-to-one), at the first step
#: only with zeros after it (one-to-many), or the same value repeated at every step (one-to-many)
INPUT_MODES = ("every", "first", "repeat")


@dataclass
class Dataset:
    """x (N, T, input_size) float64; y shaped for the model's loss:

    - loss "mse": (N, T, out) for output "sequence", (N, out) for "last";
    - loss "cross_entropy": int64 class indices (N, T) or (N,).

    ``accuracy`` says how outputs count as right: "argmax" (class = argmax of the output; for
    cross-entropy, or one-hot mse targets), "round" (rounded output equals the target, e.g. a
    count), "threshold" (output > 0.5 equals target > 0.5), or None (no accuracy, e.g. regression).
    ``meta`` holds what prediction needs later (normalisation, vocabulary, column names) as
    JSON-able values and numeric arrays; it is saved with the model.

    ``inputs`` names where x carries values (:data:`INPUT_MODES`): "every" step, the "first" step only
    (x[:, 1:] is zero — one-to-many, drawn without input arrows after the first step), or the same value
    at every step ("repeat"). ``decoder_x`` (N, M, decoder_input_size), for an encoder–decoder model:
    the decoder's input at each of its M steps (teacher forcing); the targets then cover the M decoder
    steps, (N, M, out) or class indices (N, M), and ``output`` is "sequence".
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    output: str = "sequence"           # "sequence" or "last": which outputs carry targets
    loss: str = "mse"                  # "mse" or "cross_entropy"
    accuracy: str | None = None
    description: str = ""
    meta: dict = field(default_factory=dict)
    inputs: str = "every"
    decoder_x: np.ndarray | None = None

    def __post_init__(self):
        self.x = self._sequences(self.x, "inputs")
        n = self.x.shape[0]
        steps = self.x.shape[1]
        if self.decoder_x is not None:
            self.decoder_x = self._sequences(self.decoder_x, "decoder inputs")
            if self.decoder_x.shape[0] != n:
                raise DataError(f"{self.name}: {self.decoder_x.shape[0]} decoder input sequences for {n} input sequences")
            if self.output != "sequence":
                raise DataError(f"{self.name}: an encoder–decoder data set has a target at every decoder step "
                                f"(output 'sequence'), not {self.output!r}")
            steps = self.decoder_x.shape[1]
        self._check_input_mode()
        if self.loss == "cross_entropy":
            want = (n, steps) if self.output == "sequence" else (n,)
            if self.y.shape != want or self.y.dtype.kind not in "iu":
                raise DataError(f"{self.name}: class targets must be integers of shape {want}, got {self.y.dtype} {self.y.shape}")
            self.y = np.ascontiguousarray(self.y, dtype=np.int64)
        else:
            self.y = np.ascontiguousarray(self.y, dtype=np.float64)
            ok = self.y.ndim == (3 if self.output == "sequence" else 2) and self.y.shape[0] == n
            if ok and self.output == "sequence":
                ok = self.y.shape[1] == steps
            if not ok:
                raise DataError(f"{self.name}: targets of shape {self.y.shape} do not match inputs {self.x.shape} "
                                f"for output '{self.output}'")
            if not np.all(np.isfinite(self.y)):
                raise DataError(f"{self.name}: targets contain NaN or infinity")
        if self.accuracy not in ACCURACY_KINDS:
            raise DataError(f"{self.name}: unknown accuracy kind {self.accuracy!r}")

    def _sequences(self, a, what) -> np.ndarray:
        a = np.ascontiguousarray(a, dtype=np.float64)
        if a.ndim != 3 or 0 in a.shape:
            raise DataError(f"{self.name}: {what} must have shape (N, T, features) with no empty axis, got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise DataError(f"{self.name}: {what} contain NaN or infinity")
        return a

    def _check_input_mode(self):
        if self.inputs not in INPUT_MODES:
            raise DataError(f"{self.name}: unknown input mode {self.inputs!r} (expected one of {', '.join(INPUT_MODES)})")
        if self.inputs == "first" and np.any(self.x[:, 1:]):
            raise DataError(f"{self.name}: input mode 'first' means zeros after the first step")
        if self.inputs == "repeat" and np.any(self.x != self.x[:, :1]):
            raise DataError(f"{self.name}: input mode 'repeat' means the same input at every step")

    # ---- shapes a model needs ------------------------------------------------------------
    @property
    def size(self) -> int:
        return self.x.shape[0]

    @property
    def steps(self) -> int:
        return self.x.shape[1]

    @property
    def input_size(self) -> int:
        return self.x.shape[2]

    @property
    def target_steps(self) -> int:
        """Steps that carry outputs: the decoder's M for an encoder–decoder data set, else T."""
        return self.decoder_x.shape[1] if self.decoder_x is not None else self.steps

    @property
    def decoder_input_size(self) -> int | None:
        return self.decoder_x.shape[2] if self.decoder_x is not None else None

    @property
    def shape_name(self) -> str:
        """The input/output structure in the source's words: one-to-one, one-to-many, many-to-one,
        many-to-many or N-to-M (encoder–decoder)."""
        if self.decoder_x is not None:
            return "N-to-M (encoder–decoder)"
        if self.output == "last":
            return "one-to-one" if self.steps == 1 else "many-to-one"
        if self.inputs in ("first", "repeat") and self.steps > 1:
            return "one-to-many" + (" (input at the first step)" if self.inputs == "first" else " (input repeated)")
        return "one-to-one" if self.steps == 1 else "many-to-many"

    @property
    def output_size(self) -> int:
        """Classes for cross-entropy, else the width of a target vector."""
        if self.loss == "cross_entropy":
            return int(self.meta.get("classes", int(self.y.max()) + 1))
        return self.y.shape[-1]

    def subset(self, index) -> "Dataset":
        return Dataset(self.name, self.x[index], self.y[index], self.output, self.loss,
                       self.accuracy, self.description, self.meta, self.inputs,
                       None if self.decoder_x is None else self.decoder_x[index])

    def split(self, validation_fraction: float, seed: int = 0):
        """(train, validation or None): a seeded random split; validation keeps at least one sequence."""
        if not validation_fraction:
            return self, None
        if not 0 < validation_fraction < 1:
            raise DataError(f"validation split must be in [0, 1), got {validation_fraction}")
        n_val = int(round(self.size * validation_fraction))
        if n_val < 1 or n_val >= self.size:
            raise DataError(f"{self.name}: {self.size} sequences are too few for a validation split of "
                            f"{validation_fraction:.0%}")
        order = np.random.default_rng(seed).permutation(self.size)
        return self.subset(np.sort(order[n_val:])), self.subset(np.sort(order[:n_val]))


def accuracy(kind: str | None, output: np.ndarray, target: np.ndarray) -> float | None:
    """Fraction of positions the model gets right, by the dataset's accuracy kind."""
    if kind is None:
        return None
    if kind == "argmax":
        pred = output.argmax(axis=-1)
        truth = target if target.ndim == pred.ndim else target.argmax(axis=-1)
        return float(np.mean(pred == truth))
    if kind == "round":
        return float(np.mean(np.all(np.round(output) == np.round(target), axis=-1)))
    return float(np.mean(np.all((output > 0.5) == (target > 0.5), axis=-1)))
