"""Session and model files for the TrainingController: what a session file holds, and opening a model
that the data in use may not fit (a mixin: these methods use the controller's state and signals).

``view_state`` is what the app's views keep in a session file beside the training (e.g. the debugger's
probe); it is stored under the file's "ui" entry and restored before the controller's signals fire."""
from __future__ import annotations

import numpy as np

from rnnsim import recipe
from rnnsim import session_file as sf
from rnnsim.data import load_data, make_task
from rnnsim.data.setup import NETWORK_KEYS
from rnnsim.data.tasks import TASKS
from rnnsim.errors import RnnsimError
from rnnsim.model import Model
from rnnsim.train import Trainer

from .building import first_sequence, suggested_network
from .history import PlotHistory

#: controller states (also in controller.py, which imports this module)
READY, PAUSED, STOPPED, FINISHED = "ready", "paused", "stopped", "finished"


class ControllerFiles:
    """Session files (model + settings + data source + history) and model files (docs/contract.md)."""

    def session_state(self) -> sf.SessionData:
        """What a session file holds, for the current state (call while not running)."""
        trainer = self.trainer
        norms = self.history.grad_norms()
        if any(len(v) != len(trainer.history.step) for v in norms.values()):
            norms = {}
        stored = self.dataset if self.source.get("kind") == "file" else None
        h, path = self.history, None
        if h.path_watch == self._watch and len(h.path):
            upto = int(np.searchsorted(h.path_step.view(), trainer.step_count, side="right"))   # saved steps only
            path = (h.path_step.view()[:upto].copy(), h.path[:upto].copy()) if upto else None
        return sf.SessionData(self.model.spec, self.model.params, trainer.config, dict(self.source),
                              trainer.history, model_options=dict(self.network),
                              probe=trainer.probe, dataset=stored, grad_norms=norms,
                              progress=sf.capture_progress(trainer), extras=self.model.extras,
                              ui={**self.view_state, "divergences": self.history.divergences,
                                  "state": self._state},
                              watch=list(self._watch), path=path, runs=list(self.runs))

    def save_session(self, path, wait_ms: int = 1000) -> bool:
        """Save model, settings, data source and history (atomic); training pauses while it writes. A
        training process that does not pause within ``wait_ms`` (stuck, or in a very long step) is not
        waited for: the state from before the current run is saved, and ``error`` says so."""
        was_running = self.running
        paused = self.halt(wait_ms)
        stale = was_running and not paused
        try:
            if self._state in (READY, PAUSED, STOPPED) and not self.trainer.finished:
                self._prepare_trainer(new_run=False)    # hyperparameters changed while paused
            sf.save(path, self.session_state())
            if not stale:
                self._runs_dirty = False
        except RnnsimError as exc:
            self.error.emit("Cannot save the session", str(exc))
            return False
        finally:
            if was_running and not stale:
                self.train()
        if stale:
            self.error.emit("Saved the state from before this run",
                            f"The training process did not pause within {wait_ms / 1000:g} s, so {path} holds the "
                            f"session as it was when this run started (step {self.trainer.step_count}); the run "
                            "goes on. Save again once it has paused or stopped.")
            return True
        self._set_dirty(False)
        self.status.emit(f"Session saved: {path}")
        return True

    def open_session(self, path) -> bool:
        """Open a session file; on any problem nothing changes and ``error`` says why."""
        self.halt()
        try:
            prepared = self.read_session(path)
        except (RnnsimError, OSError) as exc:
            self.error.emit("Cannot open the session", str(exc))
            return False
        self.install_session(prepared)
        return True

    def read_session(self, path) -> tuple:
        """Read and check a session file into engine objects (no Qt, no change to this controller: it may
        run on a worker thread). RnnsimError / OSError when the file is refused."""
        s = sf.load(path)
        dataset, task = self._dataset_of(s)
        model = Model(s.spec, s.params, s.extras)
        recipe.check_fits(model, dataset)
        trainer = Trainer(model, dataset, s.config, probe=s.probe)
        if s.progress is not None:
            sf.restore_progress(trainer, s.progress, history=s.history)
        else:
            trainer.history = s.history
            trainer.step_count = len(s.history.step)
            trainer.epoch = len(s.history.epoch)
        return path, s, dataset, task, model, trainer

    def install_session(self, prepared: tuple) -> None:
        """Make what :meth:`read_session` read the session in force (GUI thread)."""
        self.halt()
        path, s, dataset, task, model, trainer = prepared
        network = {**suggested_network(task), **{k: v for k, v in s.model_options.items() if k in NETWORK_KEYS}}
        history = PlotHistory.from_history(s.history, s.grad_norms, s.ui.get("divergences", []), s.watch, s.path)
        self.view_state = {k: v for k, v in s.ui.items() if k not in ("divergences", "state")}
        before = list(self._watch)
        if s.watch:                                  # a file's watch wins; without one the watch in force stays
            self._watch = list(s.watch)              # if the model has those weights
        self.runs = list(s.runs)
        self._next_run_id = max((r.id for r in self.runs), default=0) + 1
        self._runs_dirty = False
        self._kept = None
        self._install(dataset, task, dict(s.data), network, s.config, model, trainer, history, keep=False)
        if s.watch and self._watch != before:
            self.watchChanged.emit(list(self._watch))
        self.runsChanged.emit()
        state = s.ui.get("state")
        if trainer.finished:
            self._set_state(FINISHED)
        else:
            self._set_state(STOPPED if state == STOPPED else (PAUSED if trainer.step_count else READY))
        self._set_dirty(False)
        self.status.emit(f"Session opened: {path} (step {trainer.step_count})")

    @staticmethod
    def _dataset_of(s: sf.SessionData):
        source = s.data
        if source["kind"] == "task":
            dataset, task = make_task(source["name"], seed=source.get("seed", 0), **source.get("options", {}))
            return dataset, task
        if s.dataset is not None:
            return s.dataset, None
        return load_data(source["path"], **source.get("options", {})), None

    def save_model(self, path, wait_ms: int = 1000) -> bool:
        """The model file (docs/contract.md: weights + spec; no history). The spec records what the
        data mean (scaling, columns, vocabulary) and the training settings, so ``rnnsim predict`` and
        ``trace`` read and answer in the data's units and step with the same optimizer. While training
        runs it pauses for the save; a training process that does not pause within ``wait_ms`` is not
        waited for: the newest weights it reported are saved."""
        was_running = self.running
        paused = self.halt(wait_ms)
        model = self.model if not self.running else self.current_model()
        try:
            spec = recipe.spec_with_record(model.spec, self.dataset, self.config, self.trainer)
            Model(spec, model.params, model.extras).save(path)
        except RnnsimError as exc:
            self.error.emit("Cannot save the model", str(exc))
            return False
        finally:
            if was_running and paused:
                self.train()
        self.status.emit(f"Model saved: {path}" + ("" if paused or not was_running
                                                  else " (the newest weights training reported)"))
        return True

    def open_model(self, path) -> bool:
        """Open a model file (docs/contract.md) as the session's model. When it cannot read the data in
        use, the data it was trained on come along where they can be had (its built-in task; for a text
        or series model whose file is not at hand, "your own sequence" data of its shape — the message
        says so). The history starts empty; the training settings stay."""
        self.halt()
        try:
            prepared = self.read_model(path)
        except (RnnsimError, OSError) as exc:
            self.error.emit("Cannot open the model", str(exc))
            return False
        self.install_model(prepared)
        return True

    def read_model(self, path) -> tuple:
        """Read a model file and the data it needs (no Qt, no change to this controller: it may run on a
        worker thread). RnnsimError / OSError when refused."""
        model = Model.load(path)
        dataset, task, source, note = self._data_for(model)
        trainer = Trainer(model, dataset, self.config, probe=first_sequence(dataset))
        return path, model, dataset, task, source, note, trainer

    def install_model(self, prepared: tuple) -> None:
        """Make what :meth:`read_model` read the session's model (GUI thread)."""
        self.halt()
        path, model, dataset, task, source, note, trainer = prepared
        s = model.spec
        network = {**self.network, "cell": s.cell, "hidden_size": s.hidden_size, "num_layers": s.num_layers,
                   "bidirectional": s.bidirectional}
        self.view_state = {}
        self._install(dataset, task, source, network, self.config, model, trainer, PlotHistory())
        self._set_state(READY)
        self._set_dirty(self._runs_dirty)
        self.status.emit(f"Model opened: {path}" + (f" — {note}" if note else ""))

    def _data_for(self, model: Model):
        """(dataset, task, source, note): the data in use if the model fits them, else the data it names."""
        try:
            recipe.check_fits(model, self.dataset)
            return self.dataset, self.task, dict(self.source), ""
        except RnnsimError:
            pass
        s = model.spec
        stored = (s.extra or {}).get("data") or {}
        name = stored.get("name") if isinstance(stored, dict) else None
        if name in TASKS and name != "custom":
            dataset, task = make_task(name)
            try:
                recipe.check_fits(model, dataset)
                return dataset, task, {"kind": "task", "name": name, "seed": 0, "options": {}}, \
                    f"the data of its task “{task.title}”"
            except RnnsimError:
                pass
        options = {"input_size": s.input_size, "output_size": s.out_features, "output": s.output,
                   "loss": s.loss, "steps": 8}
        if isinstance(stored, dict) and stored.get("vocab"):
            options["vocab"] = stored["vocab"]
        dataset, task = make_task("custom", **options)
        recipe.check_fits(model, dataset)
        what = "its training text" if options.get("vocab") else "its training data"
        return dataset, task, {"kind": "task", "name": "custom", "seed": 0, "options": options}, \
            f"{what} are not at hand: it steps through made-up sequences of its shape (load its data under " \
            "Training data to use them)"
