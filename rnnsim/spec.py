"""ModelSpec: what a model is (the spec JSON of a model file), validated, with its PyTorch parameter names and shapes."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from .errors import SpecError, shown
from .limits import MAX_PARAMETERS, SPEC_LIMITS, over
from .reading import parse_json

FORMAT = "rnnsim.model"
VERSION = 1

#: cell name -> number of stacked gate blocks in weight_ih / weight_hh (PyTorch's layout).
GATE_BLOCKS = {
    "linear": 1,
    "rnn_tanh": 1,
    "rnn_relu": 1,
    "rnn_sigmoid": 1,
    "rnn_softplus": 1,
    "rnn_hard_sigmoid": 1,
    "lstm": 4,
    "gru": 3,
}
#: gate names in PyTorch's stacking order, as the UI and the Tape label them.
GATE_NAMES = {
    "linear": ("h",),
    "rnn_tanh": ("h",),
    "rnn_relu": ("h",),
    "rnn_sigmoid": ("h",),
    "rnn_softplus": ("h",),
    "rnn_hard_sigmoid": ("h",),
    "lstm": ("i", "f", "g", "o"),
    "gru": ("r", "z", "n"),
}
OUTPUTS = ("sequence", "last")
LOSSES = ("mse", "mae", "cross_entropy")
#: the losses whose target is numbers shaped like the output (the rest take class indices)
REGRESSION_LOSSES = ("mse", "mae")
REDUCTIONS = ("mean", "sum")
#: what the head applies to fc(out): nothing, or the logistic sigmoid (outputs in (0, 1))
OUTPUT_ACTIVATIONS = ("identity", "sigmoid")

_KNOWN = ("format", "version", "cell", "input_size", "hidden_size", "num_layers",
          "bidirectional", "bias", "output_size", "output", "loss", "reduction", "output_activation")


def _positive_int(name, value):
    """A size: a positive integer at most its limit (rnnsim.limits.SPEC_LIMITS)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"spec field '{name}' must be a positive integer, got {shown(value)}")
    if value > SPEC_LIMITS[name]:
        raise SpecError(over(name, value, SPEC_LIMITS[name]))
    return value


def _choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise SpecError(f"spec field '{name}' must be one of {', '.join(choices)}; got {shown(value)}")
    return value


def _bool(name, value):
    if not isinstance(value, bool):
        raise SpecError(f"spec field '{name}' must be true or false, got {shown(value)}")
    return value


@dataclass(frozen=True)
class ModelSpec:
    """The architecture of a model: PyTorch's ``nn.RNN/LSTM/GRU`` plus an optional ``nn.Linear`` head.

    ``output_activation``: "identity" — the output is fc(out); "sigmoid" — σ(fc(out)), each output in
    (0, 1), and the loss is computed on it (needs a head; not with cross-entropy, which takes logits).
    ``extra`` keeps unknown spec fields so that saving a loaded file loses nothing.
    """

    cell: str
    input_size: int
    hidden_size: int
    num_layers: int = 1
    bidirectional: bool = False
    bias: bool = True
    output_size: int | None = None
    output: str = "sequence"
    loss: str = "mse"
    reduction: str = "mean"
    output_activation: str = "identity"
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        _choice("cell", self.cell, tuple(GATE_BLOCKS))
        _positive_int("input_size", self.input_size)
        _positive_int("hidden_size", self.hidden_size)
        _positive_int("num_layers", self.num_layers)
        _bool("bidirectional", self.bidirectional)
        _bool("bias", self.bias)
        if self.output_size is not None:
            _positive_int("output_size", self.output_size)
        _choice("output", self.output, OUTPUTS)
        _choice("loss", self.loss, LOSSES)
        _choice("reduction", self.reduction, REDUCTIONS)
        _choice("output_activation", self.output_activation, OUTPUT_ACTIVATIONS)
        if self.loss == "cross_entropy" and self.output_size is None:
            raise SpecError("loss 'cross_entropy' needs a linear head: set 'output_size' to the number of classes")
        if self.output_activation == "sigmoid":
            if self.output_size is None:
                raise SpecError("output_activation 'sigmoid' squashes the linear head's output: set 'output_size'")
            if self.loss == "cross_entropy":
                raise SpecError("output_activation 'sigmoid' cannot go with loss 'cross_entropy' (it takes logits)")
        count = self.parameter_count
        if count > MAX_PARAMETERS:
            raise SpecError(f"the model would have {count} parameters, over the limit of {MAX_PARAMETERS}; "
                            f"use fewer or smaller layers")

    # ---- derived sizes -------------------------------------------------------------------
    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def gate_blocks(self) -> int:
        return GATE_BLOCKS[self.cell]

    @property
    def out_features(self) -> int:
        """Width of one output vector: ``output_size``, or the top layer's (directions × hidden)."""
        if self.output_size is not None:
            return self.output_size
        return self.hidden_size * self.directions

    @property
    def parameter_count(self) -> int:
        """How many numbers :meth:`param_shapes` describes (computed without listing them)."""
        gh, h, d = self.gate_blocks * self.hidden_size, self.hidden_size, self.directions
        per_direction = gh * h + (2 * gh if self.bias else 0)
        count = d * (gh * self.input_size + per_direction)
        count += (self.num_layers - 1) * d * (gh * h * d + per_direction)
        if self.output_size is not None:
            count += self.output_size * (h * d + 1)
        return count

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.hidden_size * self.directions

    @staticmethod
    def suffix(layer: int, direction: int) -> str:
        return f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every parameter's PyTorch name and shape, in ``state_dict()`` order."""
        shapes: dict[str, tuple[int, ...]] = {}
        gh = self.gate_blocks * self.hidden_size
        for layer in range(self.num_layers):
            for direction in range(self.directions):
                sfx = self.suffix(layer, direction)
                shapes[f"rnn.weight_ih{sfx}"] = (gh, self.layer_input_size(layer))
                shapes[f"rnn.weight_hh{sfx}"] = (gh, self.hidden_size)
                if self.bias:
                    shapes[f"rnn.bias_ih{sfx}"] = (gh,)
                    shapes[f"rnn.bias_hh{sfx}"] = (gh,)
        if self.output_size is not None:
            shapes["fc.weight"] = (self.output_size, self.hidden_size * self.directions)
            shapes["fc.bias"] = (self.output_size,)
        return shapes

    # ---- JSON ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {"format": FORMAT, "version": VERSION}
        d.update({k: getattr(self, k) for k in _KNOWN[2:]})
        for k, v in self.extra.items():
            d.setdefault(k, v)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d) -> "ModelSpec":
        if not isinstance(d, dict):
            raise SpecError("the model spec must be a JSON object")
        if "format" in d and d["format"] != FORMAT:
            raise SpecError(f"spec field 'format' must be '{FORMAT}', got {shown(d['format'])}")
        if "version" in d and (isinstance(d["version"], bool) or d["version"] != VERSION):
            raise SpecError(f"model file version {shown(d['version'])} is not supported (this rnnsim reads version {VERSION})")
        for required in ("cell", "input_size", "hidden_size"):
            if required not in d:
                raise SpecError(f"spec field '{required}' is missing")
        kwargs = {k: d[k] for k in _KNOWN[2:] if k in d}
        for key in ("input_size", "hidden_size", "num_layers", "output_size"):   # sizes before anything else
            if key in kwargs and not (key == "output_size" and kwargs[key] is None):
                _positive_int(key, kwargs[key])
        extra = {k: v for k, v in d.items() if k not in _KNOWN}
        return cls(**kwargs, extra=extra)

    @classmethod
    def from_json(cls, text: str) -> "ModelSpec":
        if not isinstance(text, str):
            raise SpecError(f"the model spec must be JSON text, got {type(text).__name__}")
        return cls.from_dict(parse_json(text, "the model spec", SpecError))
