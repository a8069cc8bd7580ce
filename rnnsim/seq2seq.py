"""Running an encoder–decoder model without teacher forcing: the decoder reads its own outputs.

Training (and ``Model.predict``) feeds the decoder the true previous outputs — teacher forcing. To use
the model on new inputs there is no true output to feed, so :func:`decode` feeds back what it produced:

    context = encoder(x)                          # its final (h, c) of every layer
    d(1) = start                                  # e.g. a start symbol
    for j = 1..M:   y(j) = fc(decoder_step(d(j)))           # the state carried from the context on
                    d(j+1) = one_hot(argmax y(j))           # cross-entropy: the chosen class, one-hot
                          or y(j)                           # mse / mae: the output itself

A cross-entropy model's class k is fed back as the decoder input one-hot at position k (so the decoder
input has at least as many values as there are classes; a start symbol can use one more); a regression
model's output is fed back as it is (decoder_input_size = output_size). Greedy: the most likely class
at each step, no sampling and no beam search.

    result = decode(model, x, start, steps=5)
    result.outputs         # (batch, M, output_size): ŷ at each step
    result.classes         # (batch, M) argmax classes (cross-entropy), else None
    result.decoder_inputs  # (batch, M, decoder_input_size): what the decoder read
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import network, parallel
from .errors import ConfigError, InputError, shown
from .generate import Stepper
from .limits import MAX_STEPS, over


@dataclass
class Decoding:
    outputs: np.ndarray
    decoder_inputs: np.ndarray
    classes: np.ndarray | None


def feedback_rule(spec) -> str:
    """How an output becomes the next decoder input: "class" (one-hot of the argmax) or "output" (itself);
    ConfigError when the widths do not allow either."""
    if not spec.is_seq2seq:
        raise ConfigError("decoding without teacher forcing needs an encoder_decoder model")
    if spec.loss == "cross_entropy":
        if spec.output_size > spec.decoder_inputs:
            raise ConfigError(f"the decoder reads {spec.decoder_inputs} values per step, too few to feed back one of "
                              f"{spec.output_size} classes one-hot")
        return "class"
    if spec.output_size != spec.decoder_inputs:
        raise ConfigError(f"the decoder reads {spec.decoder_inputs} values per step but the model outputs "
                          f"{spec.output_size}: its outputs cannot be fed back")
    return "output"


def decode(model, x, start, steps: int) -> Decoding:
    """Greedy decoding of ``steps`` outputs for x (batch, N, input_size), the decoder's first input
    ``start`` (decoder_input_size,) or (batch, decoder_input_size); see the module docstring."""
    spec = model.spec
    rule = feedback_rule(spec)
    x = model.check_input(x)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise InputError(f"steps must be a whole number ≥ 1, got {shown(steps)}")
    if steps > MAX_STEPS:
        raise InputError(over("decoder steps", int(steps), MAX_STEPS))
    batch, width = x.shape[0], spec.decoder_inputs
    try:
        start = np.asarray(start, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("the start input must be numbers") from None
    if start.shape == (width,):
        start = np.broadcast_to(start, (batch, width))
    if start.shape != (batch, width) or not np.all(np.isfinite(start)):
        raise InputError(f"the start input must be {width} finite numbers (or ({batch}, {width})), got shape "
                         f"{start.shape}")
    outputs = np.empty((batch, int(steps), spec.output_size))
    fed = np.empty((batch, int(steps), width))
    with parallel.single_threaded_blas(), np.errstate(all="ignore"):
        encoder, _ = network.stack_forward(spec, model.params, "encoder", network.to_time_major(x))
        stepper = Stepper(spec, model.params, batch, stack="decoder", state=network.context_of(encoder))
        step_in = np.array(start)
        for j in range(int(steps)):
            fed[:, j] = step_in
            outputs[:, j] = y = stepper.step(step_in)
            if rule == "class":
                step_in = np.zeros((batch, width))
                step_in[np.arange(batch), y.argmax(axis=1)] = 1.0
            else:
                step_in = y
    classes = outputs.argmax(axis=2) if rule == "class" else None
    return Decoding(outputs, fed, classes)
