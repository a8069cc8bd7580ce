"""After a divergence: what went wrong (the banner's text) and going back to weights that were fine
(a mixin of the TrainingController: these methods use its state and signals)."""
from __future__ import annotations

import dataclasses
import math

from rnnsim import session_file as sf
from rnnsim.errors import RnnsimError
from rnnsim.train import Trainer

from .building import truncated
from .divergence import explain

PAUSED, DIVERGED = "paused", "diverged"


class ControllerRecovery:
    @property
    def rollback_step(self) -> int | None:
        """After a divergence: the step ``rollback()`` returns to."""
        return self._rollback_to[0] if self._state == DIVERGED and self._rollback_to else None

    def rollback(self, lr: float | None = None, clip: float | None = None) -> bool:
        """After a divergence: go back to the newest weights at which the loss was finite — the Trainer's
        last finite weights when only the update overflowed, else the newest checkpoint before them
        (see PlotHistory.rollback_point) — drop the history after that step, and continue with a fresh
        optimizer; optionally with a new learning rate and/or gradient clipping."""
        if self._state != DIVERGED:
            return False
        changes = {k: v for k, v in (("lr", lr), ("clip", clip)) if v is not None}
        if changes:
            try:
                self.config = dataclasses.replace(self.config, **changes).check()
            except RnnsimError as exc:
                self.error.emit("Hyperparameter refused", str(exc))
                return False
            self.configChanged.emit(self.config)
        old = self.trainer
        step, weights = self._rollback_to
        for name, value in weights.items():
            self.model.params[name][...] = value
        history = truncated(old.history, step)
        self.history.truncate(step)
        progress = sf.capture_progress(old)
        progress.update(step_count=len(history.step), epoch=len(history.epoch), finished=False, stop_reason="")
        trainer = Trainer(self.model, self.dataset, self.config, probe=old.probe)
        same_data = self.config.validation_split == old.config.validation_split
        sf.restore_progress(trainer, progress, order=False, optimizer=False, history=history)
        if not same_data:
            trainer.bad_epochs, trainer.best = 0, math.inf
        self.trainer = trainer
        self._divergence_text = ""
        self.modelChanged.emit(self.model)
        self._set_state(PAUSED)
        self.status.emit(f"Rolled back to the weights of step {step}")
        return True

    def _on_diverged(self):
        norms = self.history.grad_norm.view()[-5:]
        recent = float(norms.max()) if norms.size else None
        snap = self._diverged_snap
        step = snap.step if snap is not None else self.trainer.step_count + 1
        self._rollback_to = self.history.rollback_point(snap, self.trainer.last_finite)
        title, text = explain(snap, self.trainer.config, self.model.spec.num_layers, recent, self._rollback_to[0])
        self._divergence_text = text
        self._set_state(DIVERGED)
        self.status.emit(title)
        self.diverged.emit(step, text)
