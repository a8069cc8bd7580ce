"""Kept runs and the watched weights for the TrainingController (a mixin: these methods use the controller's
state and signals — ``runsChanged``, ``watchChanged``, ``error``, ``status``).

A kept run (rnnsim.runs.RunRecord) is a frozen copy of a history: its curves, its last probe's ∂L/∂h(k)
norms, the path of the watched weights and how it ended. The watched weights [(parameter name, index)] are
recorded by the Trainer after every update (``Snapshot.watched``) and gathered into ``history.path``."""
from __future__ import annotations

from rnnsim.errors import RnnsimError
from rnnsim.runs import MAX_NAME_CHARS, MAX_RUNS, RunRecord, labels, run_settings
from rnnsim.train import check_watch

from .history import PlotHistory

#: controller states (also in controller.py, which imports this module)
FINISHED, DIVERGED = "finished", "diverged"


class ControllerRuns:
    """``runs``, ``keep_run``, ``remove_run``, ``rename_run``, ``set_run_visible``, ``clear_runs``; ``set_watch``."""

    def _follow_watch(self, trainer, history: PlotHistory) -> None:
        """A new Trainer and history follow the watch in force — none when the model has no such weight — and
        the history's path starts at the Trainer's weights unless it already is a path of that watch."""
        try:
            watch = check_watch(trainer.model.params, self._watch)
        except RnnsimError:
            watch = []
        changed, self._watch = watch != self._watch, watch
        trainer.watch = watch
        if history.path_watch != watch or not len(history.path):
            history.start_path(watch, trainer.watched_now(), trainer.step_count)
        if changed:
            self.watchChanged.emit(list(watch))

    def _arm(self) -> None:
        """The Trainer about to run records the watch in force, and the history's path is a path of it
        (a new one, from the current weights, when the watch changed or the path was cut back to nothing)."""
        self.trainer.watch = self._watch
        h = self.history
        if h.path_watch != self._watch or (self._watch and not len(h.path)):
            h.start_path(self._watch, self.trainer.watched_now(), self.trainer.step_count)

    # ---- the watched weights and kept runs ----------------------------------------------------
    @property
    def watch(self) -> list:
        """The watched weights in force: [(parameter name, index tuple)]."""
        return list(self._watch)

    def set_watch(self, watch) -> bool:
        """Record these scalars [(parameter name, index tuple)] at every update (``history.path``). Refused
        with ``error`` when a name or index does not fit the model. Applies now when no run is on (the path
        restarts at the current weights); a running run restarts after its current step to take it."""
        try:
            watch = check_watch(self.model.params, watch)
        except RnnsimError as exc:
            self.error.emit("Cannot follow these weights", str(exc))
            return False
        if watch == self._watch:
            return True
        self._watch = watch
        if self.running:
            self._restart = True
            self._thread.request_stop()
        else:
            self.trainer.watch = watch
            self.history.start_path(watch, self.trainer.watched_now(), self.trainer.step_count)
        self.watchChanged.emit(list(watch))
        return True

    def current_settings(self) -> dict:
        """The settings that define a run (rnnsim.runs.run_settings), as now in force."""
        return run_settings(self.network, self.config, self.dataset.name)

    def run_labels(self) -> list:
        """A label per kept run (aligned with ``runs``): what differs from the other visible runs and from
        the settings now in force (rnnsim.runs.labels)."""
        return labels(self.runs, current=self.current_settings())

    def run_by_id(self, run_id: int) -> RunRecord | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def keep_run(self) -> bool:
        """Keep the current history as a run now (not while training runs; ``error`` when nothing is trained)."""
        if self.running:
            self.error.emit("Cannot keep the run", "Training is running: pause or stop it first.")
            return False
        if not len(self.history):
            self.error.emit("Nothing to keep", "This run has no steps yet: train first.")
            return False
        if not self._keep_history(explicit=True):
            self.status.emit("This run is already kept")
            return False
        return True

    def _keep_history(self, explicit: bool = False) -> bool:
        """Keep the current history as a run when it has a step and was not kept as it is; True if kept.
        The session becomes unsaved when the learner asked (``explicit``) or the history was not saved."""
        h = self.history
        if not len(h) or (self._kept is not None and self._kept[0] is h and self._kept[1] == h.version):
            return False
        try:
            run = self._record_of(h)
        except RnnsimError as exc:
            self.error.emit("Cannot keep the run", str(exc))
            return False
        if len(self.runs) >= MAX_RUNS:
            dropped = self.runs.pop(0)
            self.status.emit(f"At most {MAX_RUNS} runs are kept: the oldest (#{dropped.id}) was removed")
        self.runs.append(run)
        self._kept = (h, h.version)
        self._next_run_id += 1
        # unsaved when it holds unsaved training; a history already saved in the session file is not lost
        self._runs_changed(unsaved=explicit or self._dirty)
        return True

    def _record_of(self, h: PlotHistory) -> RunRecord:
        t = self.trainer
        if self._state == DIVERGED:
            outcome = "diverged"
            diverged_at = h.divergences[-1][0] if h.divergences else t.step_count + 1
        else:
            outcome = "finished" if self._state == FINISHED or t.finished else "stopped"
            diverged_at = None
        probe = h.latest.probe if h.latest is not None else None
        with_path = h.path_watch and len(h.path)
        return RunRecord.create(
            self._next_run_id, run_settings(self.network, t.config, self.dataset.name),
            h.step.view(), h.loss.view(), h.grad_norm.view(), h.epoch_step.view(), h.train_loss.view(),
            h.val_loss.view(), h.accuracy.view(), {k: v.view() for k, v in h.param_norms.items()},
            probe.dh_norms if probe is not None else None, h.latest.step if probe is not None else None,
            h.path if with_path else None, h.path_step.view() if with_path else (),
            h.path_watch if with_path else (), outcome, diverged_at)

    def remove_run(self, run_id: int) -> bool:
        run = self.run_by_id(run_id)
        if run is None:
            return False
        self.runs.remove(run)
        self._runs_changed()
        return True

    def rename_run(self, run_id: int, name: str | None) -> bool:
        """Name a run (None or blank: back to its label); at most MAX_NAME_CHARS characters."""
        run = self.run_by_id(run_id)
        if run is None:
            return False
        name = " ".join(str(name).split())[:MAX_NAME_CHARS] if name is not None else ""
        name = name or None
        if name != run.name:
            run.name = name
            self._runs_changed()
        return True

    def set_run_visible(self, run_id: int, visible: bool) -> bool:
        run = self.run_by_id(run_id)
        if run is None:
            return False
        if bool(visible) != run.visible:
            run.visible = bool(visible)
            self._runs_changed()
        return True

    def clear_runs(self) -> None:
        if self.runs:
            self.runs = []
            self._runs_changed()

    def _runs_changed(self, unsaved: bool = True) -> None:
        if unsaved:
            self._runs_dirty = True
            self._set_dirty(True)
        self.runsChanged.emit()
