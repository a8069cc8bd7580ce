"""From a data set and a task's suggestions (plus the user's overrides) to a model and a TrainConfig.

The command line and the app share this, so ``rnnsim train --task bitcount`` and picking
"bitcount" in the app start from the same model and settings.
"""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from . import optim
from .data.dataset import Dataset
from .errors import ConfigError
from .model import Model
from .spec import ModelSpec
from .train import TrainConfig

MODEL_DEFAULTS = {"cell": "lstm", "hidden_size": 16, "num_layers": 1, "bidirectional": False, "bias": True}
TRAIN_FIELDS = {f.name for f in fields(TrainConfig)}


def build_spec(data: Dataset, suggested: dict | None = None, overrides: dict | None = None) -> ModelSpec:
    """A ModelSpec that reads ``data``: sizes, output mode and loss come from the data."""
    chosen = dict(MODEL_DEFAULTS)
    chosen.update(suggested or {})
    chosen.update({k: v for k, v in (overrides or {}).items() if v is not None})
    output_size = chosen.get("output_size", data.output_size)
    if output_size is None and data.loss == "mse" and data.y.shape[-1] != chosen["hidden_size"] * (
            2 if chosen["bidirectional"] else 1):
        output_size = data.output_size   # no head only works when the hidden state is the target's width
    extra = {"data": {"name": data.name, **data.meta}} if data.meta or data.name else {}
    return ModelSpec(cell=chosen["cell"], input_size=data.input_size, hidden_size=chosen["hidden_size"],
                     num_layers=chosen["num_layers"], bidirectional=chosen["bidirectional"],
                     bias=chosen["bias"], output_size=output_size, output=data.output, loss=data.loss,
                     reduction=chosen.get("reduction", "mean"), extra=extra)


def build_model(spec: ModelSpec, init: str = "pytorch", seed: int = 0, forget_bias: float | None = None,
                initial_params: dict | None = None) -> Model:
    """A freshly initialised model; ``initial_params`` (e.g. a lesson's start point) override the init."""
    model = Model.create(spec, init=init, seed=seed, forget_bias=forget_bias)
    for name, value in (initial_params or {}).items():
        value = np.asarray(value, dtype=np.float64)
        if name not in model.params or model.params[name].shape != value.shape:
            raise ConfigError(f"the task's start value for '{name}' does not fit this model")
        model.params[name][...] = value
    return model


def build_config(suggested: dict | None = None, overrides: dict | None = None) -> TrainConfig:
    """A checked TrainConfig: the defaults, then a task's ``suggested`` settings, then the ``overrides`` that
    are not None. When the overrides pick another optimizer, the suggested optimizer's own settings (e.g.
    SGD's momentum) are dropped: they belong to the optimizer that was not chosen."""
    chosen = {k: v for k, v in (suggested or {}).items() if k in TRAIN_FIELDS}
    given = {k: v for k, v in (overrides or {}).items() if v is not None and k in TRAIN_FIELDS}
    if given.get("optimizer", chosen.get("optimizer")) != chosen.get("optimizer"):
        chosen = {k: v for k, v in chosen.items() if k not in optim.SETTINGS}
    chosen.update(given)
    return TrainConfig(**chosen).check()


def check_fits(model: Model, data: Dataset) -> None:
    """Refuse a saved model that cannot read or predict this data, naming the mismatch."""
    s = model.spec
    if s.input_size != data.input_size:
        raise ConfigError(f"the model reads {s.input_size} input feature(s); the data has {data.input_size}")
    if s.loss != data.loss or s.output != data.output:
        raise ConfigError(f"the model is trained with loss '{s.loss}' on output '{s.output}'; the data needs "
                          f"loss '{data.loss}' on output '{data.output}'")
    if s.out_features != data.output_size:
        raise ConfigError(f"the model has {s.out_features} outputs; the data needs {data.output_size}")
