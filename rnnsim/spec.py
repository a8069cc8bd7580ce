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
#: "rnn": one recurrent stack and a head (PyTorch's nn.RNN/LSTM/GRU + nn.Linear); "encoder_decoder": an
#: encoder stack whose final states (the context) start a decoder stack, and a head on the decoder
ARCHITECTURES = ("rnn", "encoder_decoder")
#: the parameter-name prefix of each recurrent stack, per architecture
STACKS = {"rnn": ("rnn",), "encoder_decoder": ("encoder", "decoder")}

_KNOWN = ("format", "version", "cell", "input_size", "hidden_size", "num_layers",
          "bidirectional", "bias", "output_size", "output", "loss", "reduction", "output_activation")
#: fields written only for an encoder–decoder model (a plain model's file stays as before)
_SEQ2SEQ_KNOWN = ("architecture", "decoder_input_size")


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
    ``architecture`` "encoder_decoder" (N-to-M): an encoder stack reads x (batch, N, input_size) from
    zero states; its final h (and c) of every layer, the context, is the decoder stack's initial state;
    the decoder reads decoder_input (batch, M, decoder_input_size — default output_size) and the head
    maps its states to (batch, M, output_size). Parameters ``encoder.*``, ``decoder.*``, ``fc.*``.
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
    architecture: str = "rnn"
    decoder_input_size: int | None = None
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
        _choice("architecture", self.architecture, ARCHITECTURES)
        if self.decoder_input_size is not None:
            _positive_int("decoder_input_size", self.decoder_input_size)
        if self.is_seq2seq:
            if self.output_size is None:
                raise SpecError("an encoder_decoder model needs 'output_size' (its head maps the decoder's states)")
            if self.bidirectional:
                raise SpecError("an encoder_decoder model cannot be bidirectional")
            if self.output != "sequence":
                raise SpecError("an encoder_decoder model has an output at every decoder step: output must be "
                                "'sequence'")
            if self.decoder_input_size is None:
                object.__setattr__(self, "decoder_input_size", self.output_size)
        elif self.decoder_input_size is not None:
            raise SpecError("'decoder_input_size' belongs to architecture 'encoder_decoder'")
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
    def is_seq2seq(self) -> bool:
        return self.architecture == "encoder_decoder"

    @property
    def stacks(self) -> tuple:
        """The parameter-name prefixes of the recurrent stacks: ("rnn",) or ("encoder", "decoder")."""
        return STACKS[self.architecture]

    @property
    def decoder_inputs(self) -> int | None:
        """Width of one decoder input vector (encoder_decoder): decoder_input_size, default output_size."""
        if not self.is_seq2seq:
            return None
        return self.decoder_input_size if self.decoder_input_size is not None else self.output_size

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
        count = 0
        for stack in self.stacks:
            count += d * (gh * self.stack_input_size(stack) + per_direction)
            count += (self.num_layers - 1) * d * (gh * h * d + per_direction)
        if self.output_size is not None:
            count += self.output_size * (h * d + 1)
        return count

    def stack_input_size(self, stack: str = "rnn") -> int:
        """What the first layer of a stack reads: decoder_inputs for the decoder, else input_size."""
        return self.decoder_inputs if stack == "decoder" else self.input_size

    def layer_input_size(self, layer: int, stack: str = "rnn") -> int:
        return self.stack_input_size(stack) if layer == 0 else self.hidden_size * self.directions

    @staticmethod
    def suffix(layer: int, direction: int) -> str:
        return f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every parameter's PyTorch name and shape, in ``state_dict()`` order."""
        shapes: dict[str, tuple[int, ...]] = {}
        gh = self.gate_blocks * self.hidden_size
        for stack in self.stacks:
            for layer in range(self.num_layers):
                for direction in range(self.directions):
                    sfx = self.suffix(layer, direction)
                    shapes[f"{stack}.weight_ih{sfx}"] = (gh, self.layer_input_size(layer, stack))
                    shapes[f"{stack}.weight_hh{sfx}"] = (gh, self.hidden_size)
                    if self.bias:
                        shapes[f"{stack}.bias_ih{sfx}"] = (gh,)
                        shapes[f"{stack}.bias_hh{sfx}"] = (gh,)
        if self.output_size is not None:
            shapes["fc.weight"] = (self.output_size, self.hidden_size * self.directions)
            shapes["fc.bias"] = (self.output_size,)
        return shapes

    # ---- JSON ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {"format": FORMAT, "version": VERSION}
        d.update({k: getattr(self, k) for k in _KNOWN[2:]})
        if self.is_seq2seq:
            d.update({k: getattr(self, k) for k in _SEQ2SEQ_KNOWN})
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
        known = _KNOWN + _SEQ2SEQ_KNOWN
        kwargs = {k: d[k] for k in known[2:] if k in d}
        for key in ("input_size", "hidden_size", "num_layers", "output_size", "decoder_input_size"):
            if key in kwargs and not (key in ("output_size", "decoder_input_size") and kwargs[key] is None):
                _positive_int(key, kwargs[key])                                   # sizes before anything else
        extra = {k: v for k, v in d.items() if k not in known}
        return cls(**kwargs, extra=extra)

    @classmethod
    def from_json(cls, text: str) -> "ModelSpec":
        if not isinstance(text, str):
            raise SpecError(f"the model spec must be JSON text, got {type(text).__name__}")
        return cls.from_dict(parse_json(text, "the model spec", SpecError))
