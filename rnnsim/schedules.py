"""Learning-rate schedules, as PyTorch's LR schedulers stepped once per epoch."""
from __future__ import annotations

import math

from .errors import ConfigError

SCHEDULES = ("constant", "step", "exponential")


class Schedule:
    """lr(epoch) for epoch = 0, 1, 2, ...:
    constant: lr0;  step: lr0·γ^⌊epoch/step_size⌋;  exponential: lr0·γ^epoch."""

    def __init__(self, kind="constant", gamma=0.1, step_size=10):
        if kind not in SCHEDULES:
            raise ConfigError(f"unknown schedule '{kind}'; choose one of {', '.join(SCHEDULES)}")
        if kind != "constant" and not (math.isfinite(gamma) and 0 < gamma <= 1):
            raise ConfigError(f"schedule gamma must be in (0, 1], got {gamma!r}")
        if kind == "step" and (int(step_size) != step_size or step_size < 1):
            raise ConfigError(f"schedule step size must be a whole number of epochs ≥ 1, got {step_size!r}")
        self.kind, self.gamma, self.step_size = kind, float(gamma), int(step_size)

    def factor(self, epoch: int) -> float:
        if self.kind == "step":
            return self.gamma ** (epoch // self.step_size)
        if self.kind == "exponential":
            return self.gamma ** epoch
        return 1.0
