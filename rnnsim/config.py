"""TrainConfig: every training hyperparameter, checked — what a Trainer, a session file and a trained
model's spec field "training" hold. (Kept apart from rnnsim.train so that the data layer can name the
settings without importing the Trainer, which reads data sets.)"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from . import clip, optim
from .errors import ConfigError
from .model import check_truncate
from .schedules import Schedule


@dataclass
class TrainConfig:
    """Every training hyperparameter, validated by ``check()``."""

    optimizer: str = "sgd"
    lr: float = 0.01
    # The optimizer's own settings, with torch.optim's names and defaults (``optim.SETTINGS``): each applies
    # to the optimizers named beside it and must keep its default under any other.
    momentum: float = 0.0                            # sgd, rmsprop
    nesterov: bool = False                           # sgd
    dampening: float = 0.0                           # sgd (with momentum)
    betas: tuple[float, float] = (0.9, 0.999)        # adam: (β1, β2)
    eps: float | None = None                         # adam, rmsprop, adagrad; None: the optimizer's own
                                                     # default (adam 1e-8, rmsprop 1e-8, adagrad 1e-10)
    alpha: float = 0.99                              # rmsprop
    etas: tuple[float, float] = (0.5, 1.2)           # rprop: (η−, η+)
    step_sizes: tuple[float, float] = (1e-6, 50.0)   # rprop: (smallest, largest step)
    lr_decay: float = 0.0                            # adagrad
    initial_accumulator_value: float = 0.0           # adagrad
    schedule: str = "constant"
    gamma: float = 0.1
    step_size: int = 10
    epochs: int = 100
    max_steps: int | None = None
    batch_size: int | None = None          # None: the full batch every step
    clip: float | None = None
    clip_mode: str = "norm"                # "norm" (global norm) or "value"
    truncate: int | None = None            # truncated BPTT window (steps)
    weight_decay: float = 0.0              # L2 term λ/2·Σw² added to the loss
    seed: int = 0
    validation_split: float = 0.0
    patience: int | None = None            # early stopping: epochs without improvement
    min_delta: float = 0.0

    def check(self) -> "TrainConfig":
        """Raise ConfigError with the reason for the first value out of range."""
        self.make_optimizer()
        Schedule(self.schedule, self.gamma, self.step_size)
        check_whole("epochs", self.epochs, 1)
        if self.max_steps is not None:
            check_whole("max steps", self.max_steps, 1)
        if self.batch_size is not None:
            check_whole("batch size", self.batch_size, 1)
        clip.check_threshold(self.clip)
        clip.check_mode(self.clip_mode)
        check_truncate(self.truncate)
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ConfigError(f"weight decay must be a number ≥ 0, got {self.weight_decay!r}")
        if not (0 <= self.validation_split < 1):
            raise ConfigError(f"validation split must be in [0, 1), got {self.validation_split!r}")
        if self.patience is not None:
            check_whole("patience", self.patience, 1)
        if not (math.isfinite(self.min_delta) and self.min_delta >= 0):
            raise ConfigError(f"min delta must be a number ≥ 0, got {self.min_delta!r}")
        check_whole("seed", self.seed, 0)
        return self

    def optimizer_settings(self) -> dict:
        """The optimizer's name and all its settings but the learning rate (which schedules change every
        epoch): a new Trainer keeps the previous optimizer's memory only when these are equal."""
        return {"optimizer": self.optimizer, **{key: getattr(self, key) for key in optim.SETTINGS}}

    def make_optimizer(self) -> optim.Optimizer:
        """A fresh optimizer with these settings (ConfigError when one is out of range or does not apply)."""
        settings = self.optimizer_settings()
        return optim.make(settings.pop("optimizer"), self.lr, **settings)

    def to_dict(self) -> dict:
        """Plain JSON values: the pairs (``betas``, ``etas``, ``step_sizes``) become lists."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """The inverse of ``to_dict``, unchecked: lists become tuples again, missing keys take their defaults
        (files written before a setting existed), unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in known})


def check_whole(name, value, low):
    """ConfigError unless ``value`` is a whole number ≥ ``low`` (``name`` says which setting)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{name} must be a whole number ≥ {low}, got {value!r}")
