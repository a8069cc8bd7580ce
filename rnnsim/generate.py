"""Sampling a continuation from a text model (one trained on a text file), one character at a time.

A text model reads one-hot characters and its head gives logits z (V,) over the same characters (its
spec's "data" field keeps them: ``vocab``). After reading the prime, each step draws the next character
k with probability p_k = softmax(z / temperature)_k and feeds it back as the next input:

    for c in prime:   z = step(one_hot(c))           # the state (h, c) of every layer carried forward
    repeat length:    k ~ softmax(z / temperature);  text += vocab[k];  z = step(one_hot(k))

:class:`Stepper` runs the network one step at a time from a carried state, with the same compiled cell
kernels as the whole-sequence forward pass (``rnnsim.network.forward``), so n characters cost O(n)
steps, not the O(n²) of re-running the whole prefix for each one. Low temperatures sharpen the
distribution (→ always the most likely character), high ones flatten it. The same seed gives the same
text: the draws come from ``numpy.random.default_rng(seed)``.

    result = generate(model, prime="the ", length=200, temperature=0.8, seed=0)
    result.text            # prime + continuation
    result.probabilities   # (length,) the probability each drawn character had
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .cells import CELLS
from .data.loaders import one_hot
from .data.meaning import data_kind, stored_data
from .errors import ConfigError, InputError, shown
from .interpret import softmax
from .limits import MAX_GENERATE_CHARS, MAX_STEPS, MAX_SEED, over
from .network import sigmoid


class Stepper:
    """A unidirectional network run one step at a time, its state carried between calls.

    ``state`` holds per layer (h (batch, H), c (batch, H) or None); it starts at zeros, as the
    whole-sequence forward pass does, so stepping through x (batch, T, I) row by row gives exactly
    ``Model.predict(x)`` for output "sequence" (and its last row for output "last").
    """

    def __init__(self, spec, params: dict, batch: int = 1, stack: str = "rnn", state: list | None = None):
        """``stack``: which recurrent stack runs ("rnn", or an encoder–decoder's "decoder"); ``state``: per
        layer (h (batch, H), c (batch, H) or None) to start from (an encoder's context), else zeros."""
        if spec.bidirectional:
            raise ConfigError("a bidirectional model reads the whole sequence at once (its backward direction "
                              "starts at the end); it cannot run one step at a time")
        self.spec, self.cell = spec, CELLS[spec.cell]
        hidden, gates = spec.hidden_size, self.cell.gate_blocks * spec.hidden_size
        self.layers = []
        for layer in range(spec.num_layers):
            sfx = spec.suffix(layer, 0)
            b_ih = params.get(f"{stack}.bias_ih{sfx}")
            b_hh = params.get(f"{stack}.bias_hh{sfx}")
            self.layers.append((np.ascontiguousarray(params[f"{stack}.weight_ih{sfx}"].T),
                                np.ascontiguousarray(params[f"{stack}.weight_hh{sfx}"].T),
                                np.zeros(gates) if b_ih is None else b_ih,
                                np.zeros(gates) if b_hh is None else b_hh))
        self.head = None
        if spec.output_size is not None:
            self.head = (np.ascontiguousarray(params["fc.weight"].T), params["fc.bias"])
        self.state = list(state) if state is not None else [
            (np.zeros((batch, hidden)), np.zeros((batch, hidden)) if self.cell.has_cell_state else None)
            for _ in range(spec.num_layers)]

    def step(self, x: np.ndarray) -> np.ndarray:
        """One step: x (batch, input_size) → the network's output (batch, out_features), i.e. fc(h_top)
        (σ of it for output_activation "sigmoid", h_top itself without a head); the state moves on."""
        layer_in = np.asarray(x, dtype=np.float64)
        batch = layer_in.shape[0]
        zeros = None
        for i, (w_ih_t, w_hh_t, b_ih, b_hh) in enumerate(self.layers):
            h, c = self.state[i]
            xproj = (layer_in @ w_ih_t + b_ih)[None]                      # (1, batch, G·H)
            rec = self.cell.allocate(1, batch, self.spec.hidden_size)
            if c is None:
                zeros = np.zeros_like(h) if zeros is None else zeros      # c0 is unused by GRU and Elman
            self.cell.forward(rec, xproj, w_hh_t, b_hh, h, zeros if c is None else c, 0, 1)
            self.state[i] = (rec.h[0], rec.c[0] if c is not None else None)
            layer_in = rec.h[0]
        if self.head is None:
            return layer_in.copy()
        logits = layer_in @ self.head[0] + self.head[1]
        return sigmoid(logits) if self.spec.output_activation == "sigmoid" else logits


@dataclass
class Generation:
    """What :func:`generate` drew: ``text`` = ``prime`` + ``continuation``; ``probabilities`` (length,)
    the probability softmax(z / temperature) gave each drawn character when it was drawn."""

    prime: str
    continuation: str
    probabilities: np.ndarray
    temperature: float
    seed: int

    @property
    def text(self) -> str:
        return self.prime + self.continuation


def text_vocabulary(model) -> str:
    """The characters of a text model in one-hot order; InputError when the model was not trained on a
    text (ModelFileError when its stored description is broken)."""
    meta = stored_data(model.spec)
    if data_kind(meta) != "text":
        raise InputError("this model was not trained on a text (its file stores no characters); "
                         "train one on a .txt file or the 'python-source' task")
    if model.spec.loss != "cross_entropy" or model.spec.output_size is None:
        raise InputError("this text model has no cross-entropy head to sample characters from")
    return meta["vocab"]


def default_prime(vocab: str) -> str:
    """The character a continuation starts from when none is given: a newline if the model knows one,
    else a space, else its first character."""
    for ch in ("\n", " "):
        if ch in vocab:
            return ch
    return vocab[0]


def check_temperature(temperature) -> float:
    """A finite temperature > 0 as float, or ConfigError in one line."""
    try:
        value = float(temperature)
    except (TypeError, ValueError):
        raise ConfigError(f"temperature must be a number > 0, got {shown(temperature)}") from None
    if isinstance(temperature, bool) or not (math.isfinite(value) and value > 0):
        raise ConfigError(f"temperature must be a finite number > 0, got {shown(temperature)}")
    return value


def encode_prime(vocab: str, prime: str) -> np.ndarray:
    """Indices (len(prime),) of the prime's characters; InputError naming every character the model
    does not know."""
    if not isinstance(prime, str) or not prime:
        raise InputError("the prime must be at least one character")
    if len(prime) > MAX_STEPS:
        raise InputError(over("the prime's length", len(prime), MAX_STEPS))
    index = {ch: i for i, ch in enumerate(vocab)}
    unknown = list(dict.fromkeys(ch for ch in prime if ch not in index))
    if unknown:
        listed = ", ".join(repr(ch) for ch in unknown[:10]) + (", …" if len(unknown) > 10 else "")
        raise InputError(f"the prime has characters the model never saw (its alphabet has {len(vocab)}): {listed}")
    return np.array([index[ch] for ch in prime], dtype=np.int64)


def generate(model, prime: str | None = None, length: int = 200, temperature: float = 1.0,
             seed: int = 0) -> Generation:
    """Sample ``length`` characters after ``prime`` from a text model (see the module docstring).

    ``prime`` None: :func:`default_prime`. Refuses in one line, before computing: a model not trained
    on a text or bidirectional, a prime with unknown characters, a length outside 0..MAX_GENERATE_CHARS,
    a temperature that is not a finite number > 0, a seed outside 0..MAX_SEED.
    """
    prime, pieces = generate_chunks(model, prime, length, temperature, seed)
    texts, probabilities = [], []
    for text, chosen in pieces:
        texts.append(text)
        probabilities.append(chosen)
    chosen = np.concatenate(probabilities) if probabilities else np.empty(0)
    return Generation(prime, "".join(texts), chosen, check_temperature(temperature), int(seed))


def generate_chunks(model, prime: str | None = None, length: int = 200, temperature: float = 1.0,
                    seed: int = 0, chunk: int = 16):
    """The draws of :func:`generate` as they happen: → (prime, iterator of (characters, probabilities
    (len(characters),)) pieces of ≤ ``chunk`` characters). Joined, the pieces are exactly generate()'s
    continuation and probabilities for the same arguments. Refuses as generate() does, before returning.
    """
    vocab = text_vocabulary(model)
    if prime is None:
        prime = default_prime(vocab)
    codes = encode_prime(vocab, prime)
    temperature = check_temperature(temperature)
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ConfigError(f"length must be a whole number ≥ 0, got {shown(length)}")
    if length > MAX_GENERATE_CHARS:
        raise ConfigError(over("length", int(length), MAX_GENERATE_CHARS))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"seed must be a whole number in 0..{MAX_SEED}, got {shown(seed)}")
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ConfigError(f"chunk must be a whole number ≥ 1, got {shown(chunk)}")
    stepper = Stepper(model.spec, model.params)
    return prime, _draws(stepper, vocab, codes, int(length), temperature, int(seed), int(chunk))


def _draws(stepper: Stepper, vocab: str, codes: np.ndarray, length: int, temperature: float, seed: int,
           chunk: int):
    """The sampling loop of the module docstring, yielding (characters, probabilities) every ``chunk`` draws."""
    size = len(vocab)
    eye = np.eye(size)
    with np.errstate(all="ignore"):
        for k in codes:
            logits = stepper.step(eye[k][None])[0]
        rng = np.random.default_rng(seed)
        for start in range(0, length, chunk):
            count = min(chunk, length - start)
            drawn = np.empty(count, dtype=np.int64)
            chosen = np.empty(count)
            for i in range(count):
                p = softmax(logits / temperature)
                if not np.all(np.isfinite(p)):
                    raise InputError("the model's outputs are not finite numbers (NaN or infinity); "
                                     "it cannot be sampled")
                cumulative = np.cumsum(p)
                k = min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")), size - 1)
                drawn[i], chosen[i] = k, p[k]
                logits = stepper.step(eye[k][None])[0]
            yield "".join(vocab[int(k)] for k in drawn), chosen


def next_char_probabilities(model, text: str) -> np.ndarray:
    """(V,) softmax of the text model's logits after reading ``text`` step by step."""
    vocab = text_vocabulary(model)
    stepper = Stepper(model.spec, model.params)
    with np.errstate(all="ignore"):
        for row in one_hot(encode_prime(vocab, text), len(vocab)):
            logits = stepper.step(row[None])[0]
    return softmax(logits)
