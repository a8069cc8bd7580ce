"""The ModelSpec that reads a data set: sizes, output mode and loss from the data, the rest from a
task's suggestion and the user's choices; its spec field "data" says what the numbers mean.

(rnnsim.recipe re-exports :func:`build_spec`; it lives here so that a Task can suggest a model without
the data package importing the recipe, which imports the data package.)
"""
from __future__ import annotations

from ..spec import ModelSpec
from .dataset import Dataset
from .meaning import spec_data

MODEL_DEFAULTS = {"cell": "lstm", "hidden_size": 16, "num_layers": 1, "bidirectional": False, "bias": True}


def build_spec(data: Dataset, suggested: dict | None = None, overrides: dict | None = None) -> ModelSpec:
    """A ModelSpec that reads ``data``: sizes, output mode and loss come from the data; its "data" field
    says what the inputs and outputs mean (:func:`rnnsim.data.meaning.spec_data`)."""
    chosen = dict(MODEL_DEFAULTS)
    chosen.update(suggested or {})
    chosen.update({k: v for k, v in (overrides or {}).items() if v is not None})
    output_size = chosen.get("output_size", data.output_size)
    if output_size is None and data.loss == "mse" and data.y.shape[-1] != chosen["hidden_size"] * (
            2 if chosen["bidirectional"] else 1):
        output_size = data.output_size   # no head only works when the hidden state is the target's width
    extra = {"data": spec_data(data)}
    if data.decoder_x is not None:                       # N-to-M data: an encoder–decoder reads it
        seq2seq = {"architecture": "encoder_decoder", "decoder_input_size": data.decoder_input_size,
                   "output_size": data.output_size, "bidirectional": False}
        chosen.update(seq2seq)
        output_size = data.output_size
    return ModelSpec(cell=chosen["cell"], input_size=data.input_size, hidden_size=chosen["hidden_size"],
                     num_layers=chosen["num_layers"], bidirectional=chosen["bidirectional"],
                     bias=chosen["bias"], output_size=output_size, output=data.output, loss=data.loss,
                     reduction=chosen.get("reduction", "mean"),
                     output_activation=chosen.get("output_activation", "identity"),
                     architecture=chosen.get("architecture", "rnn"),
                     decoder_input_size=chosen.get("decoder_input_size"), extra=extra)
