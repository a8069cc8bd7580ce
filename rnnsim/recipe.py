"""From a data set and a task's suggestions (plus the user's overrides) to a model and a TrainConfig.

The command line and the app share this, so ``rnnsim train --task bitcount`` and picking
"bitcount" in the app start from the same model and settings.
"""
from __future__ import annotations

import dataclasses
from dataclasses import fields

import numpy as np

from . import optim
from .config import TrainConfig
from .data.dataset import Dataset
from .data.meaning import spec_data
from .data.model_spec import MODEL_DEFAULTS, build_spec
from .errors import ConfigError, ModelFileError
from .model import Model
from .spec import ModelSpec

__all__ = ["MODEL_DEFAULTS", "TRAIN_FIELDS", "build_spec", "build_model", "build_config", "check_fits",
           "training_record", "stored_training", "optimizer_settings", "spec_with_record"]

TRAIN_FIELDS = {f.name for f in fields(TrainConfig)}


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


# ---- what a trained model remembers of its training --------------------------------------------
#: TrainConfig fields every record keeps (the optimizer's own settings are added for the chosen one only)
RECORDED_FIELDS = ("optimizer", "lr", "schedule", "gamma", "step_size", "epochs", "max_steps", "batch_size",
                   "clip", "clip_mode", "truncate", "weight_decay", "seed", "validation_split", "patience",
                   "min_delta")


def training_record(config: TrainConfig, trainer=None) -> dict:
    """The JSON object a trained model stores as its spec's ``"training"`` field.

    The TrainConfig's values (``config.to_dict()`` names; of the optimizer settings only those the
    chosen optimizer takes, e.g. ``betas`` for Adam) and, given the ``trainer`` that ran, how far it
    went: ``steps_done``, ``epochs_done``, ``stop_reason``. :func:`stored_training` reads it back.
    """
    values = config.to_dict()
    record = {key: values[key] for key in RECORDED_FIELDS}
    for key, takers in optim.SETTINGS.items():
        if config.optimizer in takers:
            record[key] = values[key]
    if trainer is not None:
        record.update(steps_done=int(trainer.step_count), epochs_done=int(trainer.epoch),
                      stop_reason=str(trainer.stop_reason))
    return record


def stored_training(spec: ModelSpec) -> TrainConfig | None:
    """The checked TrainConfig of the spec's ``"training"`` field; None when the model has none.

    Settings the record leaves out take TrainConfig's defaults. ModelFileError names an unusable record.
    """
    record = spec.extra.get("training")
    if record is None:
        return None
    if not isinstance(record, dict):
        raise ModelFileError(f"the model's spec field 'training' must be a JSON object, got {type(record).__name__}")
    try:
        return TrainConfig.from_dict(record).check()
    except (ConfigError, TypeError, ValueError) as exc:
        raise ModelFileError(f"the model's spec field 'training' cannot be used: {exc}") from None


def optimizer_settings(config: TrainConfig) -> dict:
    """The optimizer's name, learning rate and own settings of ``config`` — what :func:`build_config`
    takes as suggestions so that overrides of another optimizer drop them."""
    return {**config.optimizer_settings(), "lr": config.lr}


def spec_with_record(spec: ModelSpec, data: Dataset | None = None, config: TrainConfig | None = None,
                     trainer=None) -> ModelSpec:
    """``spec`` with its ``"data"`` field describing ``data`` and its ``"training"`` field recording
    ``config`` (and the ``trainer``'s progress); fields not given stay as they are."""
    extra = dict(spec.extra)
    if data is not None:
        extra["data"] = spec_data(data)
    if config is not None:
        extra["training"] = training_record(config, trainer)
    return dataclasses.replace(spec, extra=extra)
