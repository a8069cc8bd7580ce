"""Model: a ModelSpec plus parameters under their PyTorch names — the public face of the engine."""
from __future__ import annotations

import math

import numpy as np

from . import io, losses, network
from .errors import ConfigError, InputError, shown
from .limits import MAX_STEPS, over
from .init import initialise
from .spec import ModelSpec


class Model:
    """A recurrent network as PyTorch's ``nn.RNN/LSTM/GRU`` (batch_first) plus an optional ``nn.Linear`` head.

    ``params`` maps each PyTorch parameter name to a float64 array; ``extras`` holds arrays a
    loaded file carried beyond the model (kept on save).
    """

    def __init__(self, spec: ModelSpec, params: dict, extras: dict | None = None):
        self.spec = spec
        self.params = {k: np.ascontiguousarray(params[k], dtype=np.float64) for k in spec.param_shapes()}
        self.extras = dict(extras or {})

    # ---- construction and files ---------------------------------------------------------
    @classmethod
    def create(cls, spec: ModelSpec, init: str = "pytorch", seed: int = 0,
               forget_bias: float | None = None) -> "Model":
        return cls(spec, initialise(spec, init, seed, forget_bias))

    @classmethod
    def load(cls, path) -> "Model":
        spec, params, extras = io.load(path)
        return cls(spec, params, extras)

    def save(self, path) -> None:
        io.save(path, self.spec, self.params, self.extras)

    def state_dict(self) -> dict:
        """{name: float64 array}, copies, in PyTorch's order."""
        return {k: v.copy() for k, v in self.params.items()}

    def copy(self) -> "Model":
        return Model(self.spec, self.state_dict(), {k: v.copy() for k, v in self.extras.items()})

    # ---- computation --------------------------------------------------------------------
    def predict(self, x, decoder_input=None) -> np.ndarray:
        """x (batch, T, input_size) -> (batch, T, out) for output "sequence", (batch, out) for "last":
        fc(out), or σ(fc(out)) for the spec's output_activation "sigmoid".

        An encoder–decoder model also takes ``decoder_input`` (batch, M, decoder_input_size) — teacher
        forcing: the decoder reads these M vectors — and returns (batch, M, output_size).
        """
        x = self.check_input(x)
        return network.predict(self.spec, self.params, x, self.check_decoder_input(decoder_input, x))

    def loss(self, x, target, decoder_input=None) -> float:
        """The spec's loss on (x, target), without gradients."""
        x = self.check_input(x)
        decoder_x = self.check_decoder_input(decoder_input, x)
        target = self.check_target(target, x, decoder_x)
        with np.errstate(all="ignore"):
            return losses.compute(self.spec.loss, network.predict(self.spec, self.params, x, decoder_x), target,
                                  self.spec.reduction)[0]

    def loss_and_grads(self, x, target, truncate: int | None = None, l2: float = 0.0, decoder_input=None):
        """Loss of the spec's kind on (x, target) and its gradient for every parameter.

        x (batch, T, input_size); target shaped like ``predict``'s output for "mse"/"mae", integer
        class indices (batch, T) or (batch,) for "cross_entropy". ``truncate``: BPTT window in
        steps (None = full BPTT). ``l2``: adds l2/2 · Σ w² over the weight matrices.
        An encoder–decoder model takes ``decoder_input`` (batch, M, decoder_input_size) and a target over
        the M decoder steps; the gradient flows from the decoder through the context into the encoder
        (full BPTT: ``truncate`` is refused for it).
        Returns (loss: float, {name: ndarray}) with the names and shapes of ``state_dict()``.
        """
        x = self.check_input(x)
        decoder_x = self.check_decoder_input(decoder_input, x)
        target = self.check_target(target, x, decoder_x)
        truncate = check_truncate(truncate)
        if truncate is not None and self.spec.is_seq2seq:
            raise ConfigError("truncated BPTT is not available for an encoder–decoder model (it trains with full "
                              "BPTT through the decoder and the encoder)")
        if not (np.isfinite(l2) and l2 >= 0):
            raise ConfigError(f"l2 must be a finite number ≥ 0, got {l2!r}")
        loss, grads, _ = network.loss_and_grads(self.spec, self.params, x, target, truncate, float(l2),
                                                decoder_x=decoder_x)
        return loss, grads

    # ---- validation ---------------------------------------------------------------------
    def check_input(self, x) -> np.ndarray:
        """Contiguous float64 (batch, T, input_size) with finite values, or InputError."""
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("input must be numbers") from None
        if x.ndim != 3 or x.shape[2] != self.spec.input_size:
            raise InputError(f"input must have shape (batch, T, {self.spec.input_size}), got {x.shape}")
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise InputError(f"input must hold at least one sequence of at least one step, got {x.shape}")
        if not np.all(np.isfinite(x)):
            raise InputError("input contains NaN or infinity")
        return np.ascontiguousarray(x)

    def check_decoder_input(self, decoder_input, x) -> np.ndarray | None:
        """None for a plain model (which refuses one); for an encoder–decoder, contiguous float64
        (batch, M, decoder_input_size) with finite values and x's batch, or InputError."""
        if not self.spec.is_seq2seq:
            if decoder_input is not None:
                raise InputError("decoder_input is only for an encoder_decoder model; this one reads x alone")
            return None
        if decoder_input is None:
            raise InputError("an encoder_decoder model needs decoder_input (batch, M, "
                             f"{self.spec.decoder_inputs}): what its decoder reads at each step")
        try:
            d = np.asarray(decoder_input, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("decoder_input must be numbers") from None
        width = self.spec.decoder_inputs
        if d.ndim != 3 or d.shape[2] != width or d.shape[0] != x.shape[0] or d.shape[1] == 0:
            raise InputError(f"decoder_input must have shape ({x.shape[0]}, M, {width}) with M ≥ 1, got {d.shape}")
        if d.shape[1] > MAX_STEPS:
            raise InputError(over("decoder steps", d.shape[1], MAX_STEPS))
        if not np.all(np.isfinite(d)):
            raise InputError("decoder_input contains NaN or infinity")
        return np.ascontiguousarray(d)

    def output_shape(self, batch: int, steps: int) -> tuple:
        out = self.spec.out_features
        return (batch, steps, out) if self.spec.output == "sequence" else (batch, out)

    def check_target(self, target, x, decoder_x=None) -> np.ndarray:
        batch, steps, _ = x.shape
        if decoder_x is not None:
            steps = decoder_x.shape[1]
        elif self.spec.is_seq2seq:
            raise InputError("an encoder_decoder model's target follows its decoder_input: give decoder_input")
        shape = self.output_shape(batch, steps)
        if self.spec.loss != "cross_entropy":          # mse, mae: numbers shaped like the output
            try:
                target = np.asarray(target, dtype=np.float64)
            except (TypeError, ValueError):
                raise InputError("target must be numbers") from None
            if target.shape != shape:
                raise InputError(f"target must have shape {shape} for loss '{self.spec.loss}', got {target.shape}")
            if not np.all(np.isfinite(target)):
                raise InputError("target contains NaN or infinity")
            return np.ascontiguousarray(target)
        target = np.asarray(target)
        if target.shape != shape[:-1]:
            raise InputError(f"target must hold class indices of shape {shape[:-1]}, got {target.shape}")
        if target.dtype.kind == "f":
            if not np.all(np.isfinite(target)) or np.any(target != np.round(target)):
                raise InputError("cross-entropy targets must be whole class indices")
        elif target.dtype.kind not in "iub":
            raise InputError(f"cross-entropy targets must be integers, got dtype {target.dtype}")
        target = target.astype(np.int64)
        classes = self.spec.output_size
        if target.size and (target.min() < 0 or target.max() >= classes):
            raise InputError(f"class indices must be in 0..{classes - 1}, got {target.min()}..{target.max()}")
        return target

    def __repr__(self):
        s = self.spec
        if s.is_seq2seq:
            return (f"Model(encoder_decoder {s.cell}, input={s.input_size}, hidden={s.hidden_size}, "
                    f"layers={s.num_layers}, decoder_input={s.decoder_inputs}, output_size={s.output_size})")
        return (f"Model({s.cell}, input={s.input_size}, hidden={s.hidden_size}, layers={s.num_layers}, "
                f"bidirectional={s.bidirectional}, output_size={s.output_size}, output={s.output})")


def check_truncate(truncate):
    """None (full BPTT) for None or 0, else the window as an int in 1..MAX_STEPS; ConfigError otherwise."""
    whole = (not isinstance(truncate, (bool, np.bool_)) and isinstance(truncate, (int, float, np.integer, np.floating))
             and math.isfinite(truncate) and int(truncate) == truncate)
    if truncate is None or (whole and truncate == 0):
        return None
    if not whole or truncate < 1:
        raise ConfigError(f"truncate must be a whole number of steps ≥ 1 (or None), got {shown(truncate)}")
    if truncate > MAX_STEPS:
        raise ConfigError(over("truncate", int(truncate), MAX_STEPS))
    return int(truncate)


def load_model(path) -> Model:
    """Read a model file (named float arrays plus the spec JSON); raises ModelFileError naming the problem."""
    return Model.load(path)
