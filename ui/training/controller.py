"""TrainingController: the session's engine objects — one data set, one model, one set of training
settings, the Trainer — and the run that trains them. The Session (ui/session.py) owns one; the
debugger, the dashboard, Predict and the panels all read this model.

A run happens in a worker process (:mod:`rnnsim.train_process`): the Trainer is sent there, runs, and
comes back when the run ends, its weights copied into ``self.model``. Measured on 2 cores
(bench/bench_app_training.py): in a thread of this process the Trainer shared the interpreter lock
with the dashboard's redraws and ran at 0.34–0.75 of headless speed; in its own process it keeps a
core. A QThread here waits on the pipe and queues the cheap per-step snapshots; the worker adds
detail (weights, gradients, the probe's inner state) at most ``MAX_RATE_HZ`` times a second, and the
GUI thread is woken at that rate and drains the queue into :class:`PlotHistory`. No snapshot is
dropped — epoch ends and the final state always arrive — but only the newest detail is kept while
the GUI is busy. While a run is on, ``self.trainer`` is the Trainer as it was when the run started
and ``current_model()`` hands out the newest detail snapshot's weights.

States: ``ready`` (nothing trained since the model was made), ``running``, ``paused`` (Train resumes
the same run), ``stopped`` (the run is over; Train starts a new run of the configured length from
these weights), ``finished`` (epochs/steps used or early stop; Train continues for another run),
``diverged`` (NaN/inf: the Trainer restored the last finite weights; ``rollback()`` continues from
them with a fresh optimizer).

Hyperparameters (``set_config``) apply at once — while running, the worker stops after its step and
a new Trainer continues the same history, optimizer memory and epoch position. Network options
(``set_network``: cell, sizes, initialisation) need new weights: they apply at once, with an empty
history (the app asks first when trained weights would be lost). ``set_params`` puts weights made
elsewhere (the debugger's "Apply update") into the model.

Kept runs (``runs``, rnnsim.runs.RunRecord): whenever the history is replaced — Reset, a new network, new
data, another model, weights the learner put in with ``set_params(..., new_run=True)`` — a history with at
least one step is kept as a run first, for the dashboard to overlay and the run list to show; ``keep_run()``
keeps it on demand. The watched weights (``set_watch``) are recorded by the Trainer at every update and
drawn as a path (``history.path``), e.g. on the cost surface.
"""
from __future__ import annotations

import dataclasses
import math

from PySide6.QtCore import QObject, Signal

from rnnsim import recipe
from rnnsim import session_file as sf
from rnnsim.data import make_task
from rnnsim.data.setup import NETWORK_KEYS
from rnnsim.data.suggest import settings_for
from rnnsim.errors import RnnsimError
from rnnsim.model import Model
from rnnsim.runs import RunRecord
from rnnsim.train import TrainConfig, Trainer

from .building import build_model, first_sequence, suggested_network
from .controller_files import ControllerFiles
from .history import PlotHistory
from .recovery import ControllerRecovery
from .run_thread import TrainThread
from .runs import ControllerRuns

READY, RUNNING, PAUSED, STOPPED, FINISHED, DIVERGED = "ready", "running", "paused", "stopped", "finished", "diverged"


class TrainingController(ControllerFiles, ControllerRecovery, ControllerRuns, QObject):
    """Owns the dashboard's data set, model and Trainer; trains in a worker process (rnnsim.train_process).

    Signals
    -------
    snapshots(list)        every Snapshot since the last delivery, oldest first (≤ MAX_RATE_HZ deliveries/s);
                           ``history`` already holds them when this fires
    stateChanged(str)      ready / running / paused / stopped / finished / diverged
    finished(str)          a run ended by itself: the reason ("done: 30 epochs", "early stop: ...")
    diverged(int, str)     the step whose numbers became NaN/inf, and the explanation to show
    error(str, str)        title, message: the engine refused something; the previous state is kept
    status(str)            a short line for a status bar
    historyReset()         the history was cleared or replaced (reset, new data, opened session)
    dataChanged(object)    the Dataset now in use
    modelChanged(object)   new weights (reset, rollback, opened file); the Model (do not mutate)
    configChanged(object)  the TrainConfig in force
    networkChanged(object) the network options in force {cell, hidden_size, num_layers, ...}
    dirtyChanged(bool)     there is training not yet saved
    runsChanged()          a run was kept, removed, renamed, shown or hidden (``runs``)
    watchChanged(list)     the watched weights [(parameter name, index tuple)] now in force
    """

    snapshots = Signal(list)
    stateChanged = Signal(str)
    finished = Signal(str)
    diverged = Signal(int, str)
    error = Signal(str, str)
    status = Signal(str)
    historyReset = Signal()
    dataChanged = Signal(object)
    modelChanged = Signal(object)
    configChanged = Signal(object)
    networkChanged = Signal(object)
    dirtyChanged = Signal(bool)
    runsChanged = Signal()
    watchChanged = Signal(list)

    def __init__(self, parent: QObject | None = None, task: str = "temporal-xor", seed: int = 0):
        super().__init__(parent)
        self.history = PlotHistory()
        self._thread = TrainThread(self)
        self._thread.ready.connect(self._drain)
        self._thread.finished.connect(self._on_thread_finished)
        self._shut_down = False
        self._state = READY
        self._after = PAUSED
        self._restart = False
        self._launch_step, self._launch_limit = 0, None
        self._diverged_snap = None
        self._rollback_to = None
        self._dirty = False
        self._divergence_text = ""
        self._edited = False
        self.view_state: dict = {}
        self.runs: list[RunRecord] = []
        self._next_run_id = 1
        self._runs_dirty = False             # runs changed since the session was saved or opened
        self._kept = None                    # (history, version) last kept by keep_run: not kept twice
        self._watch: list = []
        dataset, task_obj = make_task(task, seed=seed)
        self.dataset = dataset
        self.task = task_obj
        self.source = {"kind": "task", "name": task_obj.name, "seed": seed, "options": {}}
        self.network = suggested_network(task_obj)
        self.config = recipe.build_config(task_obj.training)
        self.model = build_model(dataset, task_obj, self.network, self.config)
        self.trainer = Trainer(self.model, dataset, self.config, probe=first_sequence(dataset))
        self.history.start = (0, self.model.state_dict())

    # ---- properties -------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    @property
    def running(self) -> bool:
        return self._state == RUNNING

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def divergence_text(self) -> str:
        return self._divergence_text

    @property
    def spec(self):
        return self.model.spec

    def planned_end(self) -> int | None:
        """The step at which the current run will end if nothing stops it early (None: unknown)."""
        if not self.running:
            return None
        t = self.trainer
        if self._launch_limit is not None:
            return self._launch_step + self._launch_limit
        per_epoch = math.ceil(t.train_set.size / (t.config.batch_size or t.train_set.size))
        end = t.step_count + max(t.config.epochs - t.epoch, 0) * per_epoch
        if t.config.max_steps is not None:
            end = min(end, t.config.max_steps)
        return end

    def current_model(self) -> Model:
        """A copy of the model safe to use on the GUI thread, also while training runs."""
        if self.running:
            latest = self.history.latest
            if latest is not None and latest.params is not None:
                return Model(self.model.spec, latest.params)
            return Model(self.model.spec, self.trainer.last_finite)
        return self.model.copy()

    def _install(self, dataset, task, source, network, config, model, trainer, history: PlotHistory,
                 keep: bool = True):
        """Make these the session's objects; ``keep``: the history being replaced is kept as a run first."""
        if keep:
            self._keep_history()
        self.dataset, self.task, self.source = dataset, task, source
        self.network, self.config, self.model, self.trainer = network, config, model, trainer
        self.history = history
        history.start = (trainer.step_count, model.state_dict())
        self._follow_watch(trainer, history)
        self._edited = False
        self._divergence_text = ""
        self.dataChanged.emit(dataset)
        self.networkChanged.emit(dict(network))
        self.configChanged.emit(config)
        self.modelChanged.emit(model)
        self.historyReset.emit()

    # ---- data, network, hyperparameters ------------------------------------------------------
    def set_task(self, name: str, seed: int = 0, options: dict | None = None) -> bool:
        """Switch to a built-in task with its suggested network and settings (new weights)."""
        try:
            dataset, task = make_task(name, seed=seed, **(options or {}))
        except RnnsimError as exc:
            self.error.emit("Cannot make this task", str(exc))
            return False
        source = {"kind": "task", "name": task.name, "seed": int(seed), "options": dict(options or {})}
        return self.set_data(dataset, source, task)

    def set_data(self, dataset, source: dict, task=None) -> bool:
        """Use ``dataset`` with new weights and an empty history: a built-in task with its suggested network
        and settings; a file with the network and settings that suit its kind (rnnsim.data.suggest — text:
        an LSTM with Adam; a task's own settings, e.g. the digits' SGD, never carry over silently). On a
        refusal the previous data and model stay."""
        self.halt()
        if task is not None:
            network, config_fields = suggested_network(task), task.training
        else:
            suggested = settings_for(dataset)
            network = {**recipe.MODEL_DEFAULTS, "init": "pytorch", "forget_bias": None, **suggested["model"]}
            network = {k: network[k] for k in NETWORK_KEYS}
            config_fields = {**suggested["training"], "seed": self.config.seed}
        try:
            config = recipe.build_config(config_fields)
            model = build_model(dataset, task, network, config)
            trainer = Trainer(model, dataset, config, probe=first_sequence(dataset))
        except RnnsimError as exc:
            self.error.emit("Cannot train on this data", str(exc))
            return False
        self.view_state = {}
        self._install(dataset, task, dict(source), network, config, model, trainer, PlotHistory())
        self._set_state(READY)
        self._set_dirty(self._runs_dirty)
        self.status.emit(self.describe_plan())
        return True

    def describe_plan(self) -> str:
        """One line: what the session trains on and with what, e.g. for after loading data."""
        d, n, c = self.dataset, self.network, self.config
        cells = {"lstm": "LSTM", "gru": "GRU", "linear": "linear RNN", "rnn_tanh": "tanh RNN",
                 "rnn_relu": "ReLU RNN", "rnn_sigmoid": "sigmoid RNN", "rnn_softplus": "softplus RNN",
                 "rnn_hard_sigmoid": "hard-sigmoid RNN"}
        layers = f"{n['num_layers']}×" if n["num_layers"] > 1 else ""
        return (f"Training on {d.name}: {d.size} sequences of {d.steps} steps — {layers}{cells.get(n['cell'], n['cell'])} "
                f"of {n['hidden_size']} units, {c.optimizer} lr {c.lr:g}")

    def set_network(self, **options) -> bool:
        """Change cell / hidden_size / num_layers / bidirectional / init / forget_bias: new weights at once
        (from the seed), empty history. The caller asks the learner first when trained weights exist."""
        unknown = set(options) - set(NETWORK_KEYS)
        if unknown:
            raise KeyError(f"unknown network options: {sorted(unknown)}")
        network = {**self.network, **options}
        if network == self.network:
            return True
        try:
            build_model(self.dataset, self.task, network, self.config)
        except RnnsimError as exc:
            self.error.emit("This network does not fit", str(exc))
            self.networkChanged.emit(dict(self.network))
            return False
        self.halt()
        self._keep_history()                 # with the settings it was trained with
        old, self.network = self.network, network
        if not self.reset():
            self.network = old
            self.networkChanged.emit(dict(old))
            return False
        return True

    @property
    def trained(self) -> bool:
        """Weights exist that training (or an applied update) produced: a new network would lose them."""
        return self.step_count > 0 or self._edited

    def config_with(self, **changes) -> TrainConfig:
        """The training settings with ``changes`` (TrainConfig fields); choosing another optimizer drops the
        old one's own settings. Raises RnnsimError when a value is refused."""
        return recipe.build_config(dataclasses.asdict(self.config), changes)

    def set_params(self, params: dict, why: str = "", new_run: bool = False) -> bool:
        """Put these weights (every parameter, shaped as now) into the model. Not while training runs;
        ``why`` goes to the status line. ``new_run`` False (the debugger's applied update): the history stays.
        True (weights the learner put in, e.g. a point picked on a cost surface): the history is kept as a
        run and a new one starts from these weights, with a fresh optimizer."""
        if self.running:
            self.error.emit("Cannot change the weights", "Training is running: pause it first.")
            return False
        shapes = {k: v.shape for k, v in self.model.params.items()}
        if set(params) != set(shapes) or any(params[k].shape != shapes[k] for k in shapes):
            self.error.emit("Cannot change the weights", "the new weights do not fit the model")
            return False
        if new_run:
            try:
                trainer = Trainer(Model(self.model.spec, params, self.model.extras), self.dataset, self.config,
                                  probe=self.trainer.probe)
            except RnnsimError as exc:
                self.error.emit("Cannot change the weights", str(exc))
                return False
            self._keep_history()
            for name, value in params.items():
                self.model.params[name][...] = value
            trainer.model = self.model                    # the object every view holds
            self._install(self.dataset, self.task, self.source, self.network, self.config, self.model, trainer,
                          PlotHistory(), keep=False)
            self._set_state(READY)
            self._edited = True
            self._set_dirty(True)
            if why:
                self.status.emit(why)
            return True
        for name, value in params.items():
            self.model.params[name][...] = value
        self._edited = True
        self._set_dirty(True)
        self.modelChanged.emit(self.model)
        if why:
            self.status.emit(why)
        return True

    def set_config(self, config: TrainConfig) -> bool:
        """New hyperparameters; they apply at once (while running, from the next step)."""
        try:
            config = dataclasses.replace(config).check()
        except RnnsimError as exc:
            self.error.emit("Hyperparameter refused", str(exc))
            return False
        if config == self.config:
            return True
        seed_changed = config.seed != self.config.seed
        self.config = config
        self.configChanged.emit(config)
        if self.trainer.step_count == 0 and not self.running and seed_changed:
            return self.reset()                     # the seed also chooses the initial weights
        if self.running:
            self._restart = True
            self._thread.request_stop()
        return True

    # ---- the training loop ----------------------------------------------------------------
    def train(self, steps: int | None = None) -> bool:
        """Start or resume training; ``steps``: only this many updates, then pause."""
        if self.running:
            return False
        if self._state == DIVERGED:
            self.rollback()
        try:
            self._prepare_trainer(new_run=self._state in (STOPPED, FINISHED) or self.trainer.finished)
        except RnnsimError as exc:
            self.error.emit("Cannot train", str(exc))
            return False
        self._after = PAUSED
        self._restart = False
        self._diverged_snap = None
        self._launch_step, self._launch_limit = self.trainer.step_count, steps
        self._arm()
        self._state = RUNNING
        self.stateChanged.emit(RUNNING)
        self.status.emit(f"Training {steps} steps…" if steps else "Training…")
        self._thread.launch(self.trainer, steps)
        return True

    def train_steps(self, n: int) -> bool:
        return self.train(steps=int(n))

    def pause(self) -> None:
        """Stop after the current step; Train resumes the same run."""
        if self.running:
            self._after = PAUSED
            self._restart = False
            self._thread.request_stop()

    def stop(self) -> None:
        """End the run after the current step; the weights stay; Train starts a new run from them."""
        if self.running:
            self._after = STOPPED
            self._restart = False
            self._thread.request_stop()
        elif self._state == PAUSED:
            self._set_state(STOPPED)
            self.status.emit("Stopped: Train starts a new run from these weights")

    def halt(self, msecs: int = 60000) -> bool:
        """Pause and wait for the worker (used before anything replaces the engine objects)."""
        if not self._thread.isRunning():
            return True
        self.pause()
        ok = self._thread.wait(msecs)
        self._on_thread_finished()
        return ok

    def reset(self) -> bool:
        """New initial weights (network options and seed in force), empty history."""
        self.halt()
        try:
            model = build_model(self.dataset, self.task, self.network, self.config)
            trainer = Trainer(model, self.dataset, self.config, probe=first_sequence(self.dataset))
        except RnnsimError as exc:
            self.error.emit("Cannot reset", str(exc))
            return False
        self._install(self.dataset, self.task, self.source, self.network, self.config, model, trainer, PlotHistory())
        self._set_state(READY)
        self._set_dirty(self._runs_dirty)
        self.status.emit("New initial weights")
        return True

    def _prepare_trainer(self, new_run: bool) -> None:
        """Rebuild the Trainer when the hyperparameters changed or a new run starts; keep the history,
        the counters, and (when they still apply) the optimizer's memory and the epoch position."""
        old = self.trainer
        config = self.config
        if new_run:      # another run of the configured length, counted from where we are
            config = dataclasses.replace(config, epochs=old.epoch + config.epochs,
                                         max_steps=None if config.max_steps is None
                                         else old.step_count + config.max_steps)
        if config == old.config and not old.finished:
            return
        trainer = Trainer(self.model, self.dataset, config, probe=old.probe)
        same_order = (config.batch_size, config.validation_split, config.seed) == (
            old.config.batch_size, old.config.validation_split, old.config.seed)
        same_optimizer = config.optimizer_settings() == old.config.optimizer_settings()
        sf.restore_progress(trainer, sf.capture_progress(old), order=same_order, optimizer=same_optimizer,
                            history=old.history)
        trainer.finished, trainer.stop_reason = False, ""
        if not same_order:
            trainer.bad_epochs, trainer.best = 0, math.inf
        self.trainer = trainer

    def _drain(self):
        items = self._thread.take()
        if not items:
            return
        self.history.extend(items)
        if items[-1].diverged:
            self._diverged_snap = items[-1]
        self._set_dirty(True)
        self.snapshots.emit(items)

    def _on_thread_finished(self):
        if self._thread.isRunning():
            return
        self._drain()
        if self._state != RUNNING:
            return                                        # already handled (halt() then the queued signal)
        failure = self._thread.failure
        if self._thread.result is not None:
            self._adopt(self._thread.result)
            self._thread.result = None
        trainer = self.trainer
        if trainer.finished:                              # it ended by itself: new settings apply to the next run
            self._restart = False
        if not self._restart or failure is not None:
            self._thread.release_worker()
        if failure is not None:
            self.history.truncate(trainer.step_count)    # the worker's steps are lost with it
            self._set_state(PAUSED)
            self.error.emit("Training failed", f"{failure}")
        elif trainer.stop_reason == "diverged":
            self._on_diverged()
        elif self._restart:
            self._restart = False
            steps = None
            if self._launch_limit is not None:
                steps = max(0, self._launch_limit - (trainer.step_count - self._launch_step))
            try:
                self._prepare_trainer(new_run=False)
            except RnnsimError as exc:
                self._set_state(PAUSED)
                self.error.emit("Cannot apply the new hyperparameters", str(exc))
                return
            if steps == 0:
                self._set_state(PAUSED)
                return
            self._arm()
            self._thread.launch(self.trainer, steps)
            self.status.emit("New hyperparameters in force")
        elif trainer.finished:
            self._set_state(FINISHED)
            self.status.emit(f"Finished: {trainer.stop_reason}")
            self.finished.emit(trainer.stop_reason)
        elif self._after == STOPPED:
            self._set_state(STOPPED)
            self.status.emit(f"Stopped at step {trainer.step_count}")
        else:
            self._set_state(PAUSED)
            self.status.emit(f"Paused at step {trainer.step_count}")

    def _adopt(self, trained: Trainer) -> None:
        """The Trainer the worker process sent back after its run: its weights go into ``self.model`` (the
        object every view holds), and it becomes the controller's Trainer."""
        for name, value in trained.model.params.items():
            self.model.params[name][...] = value
        trained.model = self.model
        self.trainer = trained

    @property
    def step_count(self) -> int:
        """Updates done so far — while running, as far as the snapshots received tell."""
        if self.running and len(self.history):
            return max(self.trainer.step_count, int(self.history.step.last()))
        return self.trainer.step_count

    def shutdown(self, msecs: int = 30000) -> bool:
        """Stop the worker and wait for it (call from the main window's closeEvent; again is harmless)."""
        if not self._shut_down:
            self._shut_down = True
            self._thread.finished.disconnect(self._on_thread_finished)
            self._thread.ready.disconnect(self._drain)
        self._thread.request_stop()
        done = self._thread.wait(msecs)
        if done:
            self._thread.release_worker()
        return done

    def _set_state(self, state: str):
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)

    def mark_unsaved(self):
        """The session holds work the learner has not saved (e.g. restored from an autosave)."""
        self._set_dirty(True)

    def _set_dirty(self, dirty: bool):
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)
