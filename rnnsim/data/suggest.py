"""Settings that learn a loaded data file: the network and training settings to start from.

A built-in task brings its own (``Task.model``, ``Task.training``); a file of the learner's does not,
and the settings of whatever was in use before (the digits' SGD at lr 0.01, say) rarely suit it. These
defaults were chosen to learn each kind within a few dozen epochs on this engine:

- text (next character, cross-entropy over the vocabulary): an LSTM of 64 units with Adam, lr 0.005,
  mini-batches of 32, gradient clipping at 5 (character models meet exploding gradients early);
- a time series (regression on the next value): a GRU of 32 units with Adam, lr 0.01, mini-batches
  of 32, a validation split of 0.2;
- other arrays (``x``, ``y`` from an .npz): an LSTM of 32 units with Adam, lr 0.01, mini-batches of
  32, a validation split of 0.2 when there are at least 50 sequences.
"""
from __future__ import annotations

from .dataset import Dataset


def data_kind(dataset: Dataset) -> str:
    """"text", "series" or "arrays": what a loaded data set holds (read from its ``meta``)."""
    meta = dataset.meta or {}
    if meta.get("vocab"):
        return "text"
    if meta.get("columns") is not None or meta.get("targets") is not None:
        return "series"
    return "arrays"


def settings_for(dataset: Dataset) -> dict:
    """{"model": ModelSpec fields, "training": TrainConfig fields} that suit ``dataset`` (see the module)."""
    kind = data_kind(dataset)
    batch = 32 if dataset.size > 32 else None
    if kind == "text":
        return {"model": {"cell": "lstm", "hidden_size": 64, "num_layers": 1, "bidirectional": False},
                "training": {"optimizer": "adam", "lr": 0.005, "batch_size": batch, "epochs": 20, "clip": 5.0}}
    split = 0.2 if dataset.size >= 50 else 0.0
    if kind == "series":
        return {"model": {"cell": "gru", "hidden_size": 32, "num_layers": 1, "bidirectional": False},
                "training": {"optimizer": "adam", "lr": 0.01, "batch_size": batch, "epochs": 50,
                             "validation_split": split}}
    return {"model": {"cell": "lstm", "hidden_size": 32, "num_layers": 1, "bidirectional": False},
            "training": {"optimizer": "adam", "lr": 0.01, "batch_size": batch, "epochs": 50,
                         "validation_split": split}}
