"""The Tape's data types — Formula, Event, Quantities — and the names quantities go by.

Names follow the notation of the source tutorials: x(t), h(t), c(t), o(t), ŷ(t), L(t); U (input→hidden),
W (hidden→hidden), V (hidden→output), b, c (biases); gates i, f, g, o (LSTM) and r, z, n (GRU). Display times are
1-based as in the tutorials (h(0) is the initial state); ``Event.t`` is the 0-based original index.

In a network with several layers, a layer's states and weights carry its number as a superscript
(h²(3), U²); the reverse direction of a bidirectional layer carries an arrow (h←(3), W←). h←(3) is
the reverse direction's state after it has read x(T) … x(3); its previous state is h←(4), and the
step after it (in its processing order) is h←(2).

An encoder–decoder runs on one timeline: the encoder's steps t = 1..N, then the decoder's t = N+1..N+M.
Encoder states and weights carry ᵉ, the decoder's ᵈ (hᵉ(3), Wᵈ, hᵈ²(7)); the decoder reads d(t), and its
initial state hᵈ(N) is the context, the encoder's final state hᵉ(N).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

KINDS = ("forward", "context", "output", "loss", "backward", "context_back", "truncate", "weight_decay", "clip",
         "update")
PHASES = ("forward", "loss", "backward", "update")
PHASE_OF = {"forward": "forward", "context": "forward", "output": "forward", "loss": "loss", "backward": "backward",
            "context_back": "backward", "truncate": "backward", "weight_decay": "backward", "clip": "backward",
            "update": "update"}


@dataclass(frozen=True, slots=True)
class Formula:
    """``result = template``: ``template`` holds ``{name}`` placeholders of quantity names."""

    result: str
    template: str
    words: str = ""

    def names(self) -> list:
        """The quantity names the template refers to, in order of appearance."""
        return PLACEHOLDER.findall(self.template)

    def plain(self) -> str:
        """'h(3) = tanh(h_pre)': the formula with the braces removed."""
        return f"{self.result} = {PLACEHOLDER.sub(lambda m: m.group(1), self.template)}"

    def substitute(self, values: dict, fmt) -> str:
        """The template with each ``{name}`` replaced by ``fmt(values[name])``."""
        return PLACEHOLDER.sub(lambda m: fmt(values[m.group(1)]), self.template)


class Quantities(dict):
    """An event's named values: ``{name: ndarray}``.

    Keys are the concrete names the formulas use ("h(3)", "∂L/∂h²←(4) from h²←(3)"); the generic
    names of docs/tape.md ("h(t)", "h(t-1)", "∂L/∂h(t) from t+1", "U", ...) are accepted too, as
    aliases: ``q["h(t)"] is q["h(3)"]``. Iteration yields the concrete names only.
    """

    __slots__ = ("aliases",)

    def __init__(self, items=(), aliases=None):
        super().__init__(items)
        self.aliases = aliases or {}

    def __missing__(self, key):
        real = self.aliases.get(key)
        if real is None or real == key or not dict.__contains__(self, real):
            raise KeyError(key)
        return dict.__getitem__(self, real)

    def __contains__(self, key):
        return dict.__contains__(self, key) or (key in self.aliases and dict.__contains__(self, self.aliases[key]))

    def get(self, key, default=None):
        return self[key] if key in self else default

    def resolve(self, key: str) -> str:
        """The concrete name behind ``key`` (itself when it is already concrete)."""
        return key if dict.__contains__(self, key) else self.aliases.get(key, key)


@dataclass(eq=False, slots=True)
class Event:
    """One step of the recording. ``formulas`` and ``quantities`` are built when first read
    (views into the Tape's arrays, kept for the most recently read events)."""

    index: int
    kind: str
    phase: str
    layer: int | None
    direction: int | None
    t: int | None
    title: str
    param: str | None = None            # update events: the parameter's PyTorch name
    _tape: object = field(default=None, repr=False)

    @property
    def formulas(self) -> list:
        return self._tape._built(self).formulas

    @property
    def quantities(self) -> Quantities:
        """Every value the formulas use, for the first sequence of the batch."""
        return self._tape._built(self).quantities

    @property
    def quantities_batch(self) -> Quantities:
        """The same keys; values that differ per sequence have the batch axis first."""
        return self._tape._built(self).quantities_batch

    @property
    def aliases(self) -> dict:
        """Generic name (docs/tape.md) -> the concrete name used in this event."""
        return self._tape._built(self).quantities.aliases

    @property
    def per_sequence(self) -> frozenset:
        """The names whose value differs per sequence (batch axis first in ``quantities_batch``)."""
        return self._tape._built(self).per_sequence

    def to_dict(self, values: bool = True) -> dict:
        """A JSON-ready dict: the fields, the formulas and (with ``values``) every quantity as lists."""
        d = {"index": self.index, "kind": self.kind, "phase": self.phase, "layer": self.layer,
             "direction": self.direction, "t": self.t, "title": self.title}
        if self.param is not None:
            d["param"] = self.param
        d["formulas"] = [{"result": f.result, "template": f.template, "words": f.words} for f in self.formulas]
        if values:
            d["quantities"] = {k: to_json_value(v) for k, v in self.quantities.items()}
            if self._tape.batch > 1:
                d["quantities_batch"] = {k: to_json_value(v) for k, v in self.quantities_batch.items()
                                         if k in self.per_sequence}
        return d


def to_json_value(value):
    a = np.asarray(value)
    if a.dtype.kind in "US":
        return str(a)
    return a.tolist()


# ---- names ---------------------------------------------------------------------------------
def superscript(n: int) -> str:
    return str(n).translate(_SUPERSCRIPT)


class Naming:
    """The concrete names of one recording (they depend on the layer count, direction and T)."""

    def __init__(self, spec, steps: int, rows: list | None = None):
        """``rows``: per row of states (stack, layer in its stack, time of its first step); default one row
        per layer of a plain model."""
        self.spec = spec
        self.T = steps
        self.multi = spec.num_layers > 1
        self.rows = rows if rows is not None else [("rnn", layer, 0) for layer in range(spec.num_layers)]

    def tag(self, layer: int, direction: int) -> str:
        """'' for a single forward layer; '²' for layer 2; '←' for a reverse direction; 'ᵉ' / 'ᵈ²' for an
        encoder–decoder's encoder / decoder layer 2. ``layer`` is the row."""
        stack, stack_layer, _ = self.rows[min(layer, len(self.rows) - 1)]
        mark = {"encoder": "ᵉ", "decoder": "ᵈ"}.get(stack, "")
        return mark + (superscript(stack_layer + 1) if self.multi else "") + ("←" if direction else "")

    def display(self, direction: int, row: int, layer: int = 0) -> int:
        """1-based display time of state row ``row`` of a direction (row 0 = its initial state)."""
        return self.rows[layer][2] + row if direction == 0 else self.T + 1 - row

    def state(self, var: str, layer: int, direction: int, row: int) -> str:
        """'h(3)', 'c²←(4)', 'hᵈ(5)': state ``row`` (0 = initial) of a layer-direction."""
        return f"{var}{self.tag(layer, direction)}({self.display(direction, row, layer)})"

    def is_first_decoder_row(self, layer: int) -> bool:
        return 0 <= layer < len(self.rows) and self.rows[layer][0] == "decoder" and self.rows[layer][1] == 0

    def layer_input(self, layer: int, t: int) -> str:
        """The name of ``layer``'s input at original time t (layer = number of rows: the head's input)."""
        if layer == 0:
            return f"x({t + 1})"
        if self.is_first_decoder_row(layer):
            return f"d({t + 1})"
        below = layer - 1
        if not self.spec.bidirectional:
            return f"h{self.tag(below, 0)}({t + 1})"
        return f"[h{self.tag(below, 0)}({t + 1}); h{self.tag(below, 1)}({t + 1})]"

    def weight(self, letter: str, layer: int, direction: int, gate: str = "") -> str:
        """'U', 'W²←', 'U_i', 'b²_hn', 'b←_ih': the tag goes right after the letter."""
        return f"{letter[0]}{self.tag(layer, direction)}{letter[1:]}" + (f"_{gate}" if gate else "")

    def where(self, layer, direction) -> str:
        stack, stack_layer, _ = self.rows[layer]
        place = f"layer {stack_layer + 1}"
        if stack != "rnn":
            place = stack + (f" layer {stack_layer + 1}" if self.multi else "")
        return place + (" · reverse direction" if direction else "")
