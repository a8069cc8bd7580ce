"""TrainConfig: every training hyperparameter, checked — what a Trainer, a session file and a trained
model's spec field "training" hold. (Kept apart from rnnsim.train so that the data layer can name the
settings without importing the Trainer, which reads data sets.)"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from . import clip, optim
from .errors import ConfigError, shown
from .limits import MAX_SEED, over
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
        """Raise ConfigError with the reason for the first value of the wrong type or out of range."""
        self._check_types()
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

    def _check_types(self) -> None:
        """Every field of the type it must have (a session file or a record may hold anything): text for the
        names, true/false for ``nesterov``, finite real numbers, pairs of them, whole numbers."""
        for key in ("optimizer", "schedule", "clip_mode"):
            if not isinstance(getattr(self, key), str):
                raise ConfigError(f"{key} must be a name, got {shown(getattr(self, key))}")
        if not isinstance(self.nesterov, (bool, np.bool_)):
            raise ConfigError(f"nesterov must be true or false, got {shown(self.nesterov)}")
        for key in _REALS:
            value = getattr(self, key)
            if value is None and key in _OPTIONAL_REALS:
                continue
            _finite_real(key, value)
        for key in ("betas", "etas", "step_sizes"):
            pair = getattr(self, key)
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ConfigError(f"{key} must be two numbers, got {shown(pair)}")
            for value in pair:
                _finite_real(key, value)
        for key, low in (("epochs", 1), ("step_size", 1), ("max_steps", 1), ("batch_size", 1),
                         ("patience", 1), ("truncate", 0), ("seed", 0)):
            value = getattr(self, key)
            if value is None and key not in ("epochs", "step_size", "seed"):
                continue
            check_whole(key.replace("_", " "), value, low)
        if self.seed > MAX_SEED:
            raise ConfigError(over("seed", int(self.seed), MAX_SEED))

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


#: real-valued settings (the clipping threshold has its own one check, rnnsim.clip.check_threshold)
_REALS = ("lr", "momentum", "dampening", "eps", "alpha", "lr_decay", "initial_accumulator_value", "gamma",
          "weight_decay", "validation_split", "min_delta")
_OPTIONAL_REALS = ("eps",)


def _finite_real(name, value) -> float:
    """``value`` as a finite float, or ConfigError (a bool, text, a huge integer, NaN, ±inf)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{name} must be a number, got {shown(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise ConfigError(f"{name} must be a finite number, got {shown(value)}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{name} must be a finite number, got {shown(value)}")
    return number


def check_whole(name, value, low):
    """ConfigError unless ``value`` is a whole number ≥ ``low`` (``name`` says which setting)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{name} must be a whole number ≥ {low}, got {shown(value)}")
