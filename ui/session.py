"""Session: the one UI object that owns the app's engine state — one model, one data set, one set of
training settings (held by its :class:`~ui.training.controller.TrainingController`, which also trains
them) and one probe sequence with its Tape.

The debugger, the training dashboard, Predict and the panels are views of it: none holds a model of
its own. The Tape is recorded from a copy of the session's current weights on a probe drawn from the
session's data (:mod:`ui.probe`), on a worker thread; its update uses the session's training settings.
Whenever the model, the data or the settings change, a new Tape is recorded — except while training
runs: then the debugger keeps its Tape, and when the run pauses or ends while the learner is stepping,
the new weights are *offered* (``weightsOffered``) instead of replacing what they look at.

Cursor methods (``step``, ``step_back``, ``continue_``, ...) only move the Tape's cursor: stepping
back never recomputes.
"""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from rnnsim.data.setup import split_changes

from .probe import ProbeSettings, record_probe, values_text
from .training.controller import RUNNING, TrainingController
from .weight_edits import WeightEdits
from .workers import Runner, warmup

#: training states after which the weights have changed
RUN_ENDS = ("paused", "stopped", "finished", "diverged")


class Session(QObject):
    probeChanged = Signal(object)         # ProbeSettings in force (after a refusal: the old ones)
    tapeChanged = Signal(object)          # the Session itself, after a new Tape arrived
    cursorChanged = Signal(int)           # the Tape's cursor (−1 = before the first event)
    breakpointsChanged = Signal(object)   # set of original t
    busyChanged = Signal(bool)            # a Tape is being recorded
    compilingChanged = Signal(bool)       # numba warm-up running
    weightsOffered = Signal(str)          # training changed the weights while the learner steps (what changed)
    status = Signal(str)                  # short progress and result messages
    errorOccurred = Signal(str, str)      # title, message (an engine refusal; state kept)

    def __init__(self, parent: QObject | None = None, training: TrainingController | None = None):
        super().__init__(parent)
        self.training = training or TrainingController(self)
        self.edits = WeightEdits(self.training, self)   # weights set by hand, undoable (Edit menu)
        self.probe = ProbeSettings()
        self.built = None                      # ui.probe.Recorded: the Tape shown and what it was made of
        self.breakpoints: set[int] = set()
        self.compiling = False
        self._warm_after_tape = False
        self.offer: str | None = None          # the text of the pending offer of new weights
        self._stale = False                    # something changed while training ran
        self._carry = None                     # (optimizer, updates, losses) after "Apply update"
        self._pending_cursor: int | None = None
        self.recorder = Runner("tape-recorder", self)
        self.recorder.done.connect(self._on_built)
        self.recorder.failed.connect(self._on_failed)
        self.recorder.progress.connect(self.status)
        self.recorder.busyChanged.connect(self.busyChanged)
        self.compiler = Runner("numba-warmup", self)
        self.compiler.progress.connect(self.status)
        self.compiler.done.connect(self._on_compiled)
        self.compiler.failed.connect(self._on_compile_failed)
        self._rebuild = QTimer(self)            # coalesces the controller's bursts of signals into one Tape
        self._rebuild.setSingleShot(True)
        self._rebuild.setInterval(0)
        self._rebuild.timeout.connect(self._record_now)
        t = self.training
        t.modelChanged.connect(self._on_model_changed)
        t.configChanged.connect(self._on_model_changed)
        t.dataChanged.connect(self._on_data_changed)
        t.stateChanged.connect(self._on_training_state)

    # ---- start / stop ------------------------------------------------------------------------
    def start(self, warm: bool = True):
        """Record the first Tape on a worker, then warm numba up on another. The Tape needs no compiled
        kernel, and a warm-up that loads them from numba's cache holds the interpreter for ~0.3 s: started
        together, it delayed the first Tape by as much (the "compiling" status shows from the start)."""
        if warm:
            self.compiling = True
            self.compilingChanged.emit(True)
            self._warm_after_tape = True
        self._record_now()

    def _start_warmup(self):
        if self._warm_after_tape:
            self._warm_after_tape = False
            self.compiler.submit(warmup(self.training.spec.cell))

    def shutdown(self, msecs: int = 30000):
        self._rebuild.stop()
        self.recorder.stop(msecs)
        self.compiler.stop(msecs)

    @property
    def busy(self) -> bool:
        return self.recorder.busy or self._rebuild.isActive()

    # ---- what views read ---------------------------------------------------------------------
    @property
    def tape(self):
        return self.built.tape if self.built else None

    @property
    def index(self):
        return self.built.index if self.built else None

    @property
    def spec(self):
        return self.built.model.spec if self.built else None

    @property
    def model(self):
        """The model the Tape was recorded with (a copy of the session's weights at that time)."""
        return self.built.model if self.built else None

    @property
    def cursor(self) -> int:
        return self.tape.cursor if self.tape is not None else -1

    @property
    def current(self):
        return self.tape.current if self.tape is not None else None

    @property
    def stepping(self) -> bool:
        """The learner has moved into the Tape (a new one would lose their place)."""
        return self.tape is not None and self.tape.cursor >= 0

    # ---- cursor: moving never recomputes ----------------------------------------------------
    def _moved(self, before: int):
        if self.tape is not None and self.tape.cursor != before:
            self.cursorChanged.emit(self.tape.cursor)

    def seek(self, index: int):
        if self.tape is None:
            return
        before = self.tape.cursor
        index = max(-1, min(int(index), len(self.tape.events) - 1))
        if index == -1:
            self.tape.cursor = -1
        else:
            self.tape.seek(index)
        self._moved(before)

    def step(self):
        if self.tape is None or self.at_end:
            return
        before = self.tape.cursor
        self.tape.next()
        self._moved(before)

    def step_back(self):
        if self.tape is None or self.tape.cursor < 0:
            return
        before = self.tape.cursor
        if before == 0:
            self.tape.cursor = -1
        else:
            self.tape.prev()
        self._moved(before)

    @property
    def at_end(self) -> bool:
        return self.tape is None or self.tape.cursor >= len(self.tape.events) - 1

    def continue_(self):
        """Forward to the next breakpoint, else to the end of the current phase (F5)."""
        if self.tape is None or self.at_end:
            return
        before = self.tape.cursor
        self.tape.breakpoints = set(self.breakpoints)
        self.tape.continue_()
        self._moved(before)

    def run_to(self, phase: str):
        """To the last event of ``phase`` ("forward", "loss", "backward", "update")."""
        if self.tape is None:
            return
        before = self.tape.cursor
        if not any(e.phase == phase for e in self.tape.events):
            self.status.emit(f"This Tape has no {phase} events.")
            return
        self.tape.run_to_end_of(phase)
        self._moved(before)

    def run_to_loss(self):
        self.run_to("loss")

    def run_to_end_of_backward(self):
        self.run_to("backward")

    def reset_cursor(self):
        self.seek(-1)

    def toggle_breakpoint(self, t: int):
        if t in self.breakpoints:
            self.breakpoints.discard(t)
        else:
            self.breakpoints.add(t)
        if self.tape is not None:
            self.tape.breakpoints = set(self.breakpoints)
        self.breakpointsChanged.emit(set(self.breakpoints))

    def clear_breakpoints(self):
        self.breakpoints.clear()
        if self.tape is not None:
            self.tape.breakpoints = set()
        self.breakpointsChanged.emit(set())

    def is_breakpoint_event(self, event) -> bool:
        return event is not None and event.t is not None and event.t in self.breakpoints

    # ---- what changes the session: data, network, training settings, probe ------------------------
    def configure(self, **changes):
        """Change anything by its flat name — data (``task``, ``seed``, ``steps`` and the task's options),
        network (``cell``, ``hidden_size``, ...), training settings (any TrainConfig field) and probe
        (``probe_index``, ``probe_text``, ``target_text``) — through the controller, in that order. The
        new Tape follows (one, however many signals). Returns False when the engine refused a part (the
        controller's ``error`` said why; what was applied before it stays)."""
        t = self.training
        data, network, config, probe = split_changes(changes, t.source, t.network)
        if data is not None and not t.set_task(data["name"], data["seed"], data["options"]):
            return False
        if network and not t.set_network(**network):
            return False
        if config:
            try:
                new = t.config_with(**config)
            except Exception as exc:             # noqa: BLE001 — RnnsimError or a bad field name
                t.error.emit("Hyperparameter refused", str(exc))
                return False
            if not t.set_config(new):
                return False
        if probe:
            self.set_probe_settings(self.probe.changed(**probe))
        return True

    def set_probe_settings(self, probe: ProbeSettings):
        if probe != self.probe:
            self.probe = probe
            self.training.view_state["probe"] = dataclasses.asdict(probe)     # kept in session files
            self.probeChanged.emit(probe)
            self._request_record()

    def set_probe(self, probe_text: str | None, target_text: str | None = None):
        """Type the probe (and optionally its target); ``None`` returns to the data's own sequence."""
        self.set_probe_settings(self.probe.changed(probe_text=probe_text or None, target_text=target_text or None))

    def set_probe_input(self, x):
        """Step through the input ``x`` (T, input_size) — e.g. what Predict was asked — with the task's own
        target where it has one, else the model's own answer."""
        x = np.asarray(x, dtype=np.float64)
        self.set_probe(values_text(x[0] if x.ndim == 3 else x), None)

    def reinitialise(self):
        """Fresh weights from the seed (drops training and applied updates)."""
        self.training.reset()

    def apply_update(self):
        """Make the Tape's recorded optimizer update real: the session's model takes the new parameters,
        and the new Tape starts at the beginning of the next forward pass."""
        if self.built is None or self.recorder.busy:
            return
        if self.training.running:
            self.status.emit("Training is running: pause it to apply the debugger's update.")
            return
        tape = self.tape
        if not any(e.phase == "update" for e in tape.events):
            self.status.emit("This Tape has no update to apply.")
            return
        b = self.built
        params = {k: np.array(v, dtype=np.float64, copy=True) for k, v in tape.new_params.items()}
        self._carry = (self._advanced_optimizer(b), b.updates + 1, list(b.losses))
        self._pending_cursor = -1
        self.status.emit(f"Applying update {b.updates + 1}…")
        self.training.set_params(params, f"update {b.updates + 1} applied in the debugger")

    def _advanced_optimizer(self, b):
        """The optimizer after the recorded step (its state carries on: Adam, Rprop, momentum)."""
        opt = getattr(b.tape, "optimizer", None)
        if opt is not None:
            return copy.deepcopy(opt)
        from rnnsim import clip as clipping
        opt = copy.deepcopy(b.optimizer)
        grads = {k: np.array(v, dtype=np.float64, copy=True) for k, v in b.tape.grads.items()}
        if self.training.config.clip:
            clipping.clip_by_norm(grads, self.training.config.clip)
        opt.step(b.model.state_dict(), grads)
        return opt

    def accept_offer(self):
        """Step through the weights training has reached (the offer made by ``weightsOffered``)."""
        self.offer = None
        self._stale = False
        self.weightsOffered.emit("")
        self._request_record()

    # ---- reacting to the controller --------------------------------------------------------------
    def _on_model_changed(self, *_):
        if self.training.running:
            self._stale = True                # shown when the run pauses or ends
            return
        self._carry = self._carry if self._pending_cursor is not None else None
        self._request_record()

    def _on_data_changed(self, *_):
        """New data: the first sequence, or the probe a session file kept (if it is well-formed)."""
        stored = self.training.view_state.get("probe")
        probe = ProbeSettings()
        if isinstance(stored, dict):
            try:
                probe = ProbeSettings(**stored)
            except TypeError:
                pass
            ok = (isinstance(probe.probe_index, int) and 0 <= probe.probe_index < self.training.dataset.size
                  and all(v is None or isinstance(v, str) for v in (probe.probe_text, probe.target_text)))
            probe = probe if ok else ProbeSettings()
        self.set_probe_settings(probe)
        self._request_record()

    def _on_training_state(self, state):
        if state == RUNNING:
            self._stale = True
            return
        if state not in RUN_ENDS or not self._stale:
            return
        if self.stepping:
            steps = self.training.step_count
            self.offer = f"Training changed the weights (now at step {steps})"
            self.weightsOffered.emit(self.offer)
        else:
            self._stale = False
            self._request_record()

    # ---- worker plumbing ------------------------------------------------------------------------
    def _request_record(self):
        self._rebuild.start()

    def _record_now(self):
        self._rebuild.stop()
        t = self.training
        carry, self._carry = self._carry, None
        optimizer, updates, losses = carry if carry is not None else (None, 0, [])
        if t.running:
            self._stale = True
            return
        if self.offer:
            self.offer = None
            self.weightsOffered.emit("")
        self._stale = False
        probe, model, dataset, task, config = self.probe, t.current_model(), t.dataset, t.task, t.config
        trained = t.step_count

        def run(job):
            return record_probe(probe, model, dataset, task, config, optimizer, job, trained, updates, losses)

        self.recorder.submit(run)

    def _on_built(self, built):
        old = self.built
        self.built = built
        built.tape.breakpoints = set(self.breakpoints)
        cursor, self._pending_cursor = self._pending_cursor, None
        if cursor is not None and cursor >= 0:
            built.tape.seek(min(cursor, len(built.tape.events) - 1))
        self.tapeChanged.emit(self)
        self.cursorChanged.emit(built.tape.cursor)
        self._start_warmup()
        if built.updates and old is not None and built.updates > old.updates:
            before = built.losses[-2] if len(built.losses) > 1 else float("nan")
            self.status.emit(f"Update {built.updates} applied: loss {before:.6g} → {built.tape.loss:.6g}")
        else:
            tape = built.tape
            steps = (f"N = {tape.decoder_t0} + M = {tape.T - tape.decoder_t0}" if tape.encoder_rows
                     else f"T = {tape.T}")
            self.status.emit(f"Tape ready: {len(tape.events)} events, {steps}, loss {tape.loss:.6g}")

    def _on_failed(self, exc):
        from rnnsim.errors import RnnsimError
        self._pending_cursor = None
        self._start_warmup()
        if isinstance(exc, RnnsimError):
            self.errorOccurred.emit("The engine refused this probe", str(exc))
        else:
            detail = getattr(exc, "ui_traceback", "")
            self.errorOccurred.emit("Unexpected error", f"{type(exc).__name__}: {exc}\n\n{detail}")
        if self.built is not None and self.probe != self.built.settings:
            self.probe = self.built.settings          # the probe still in force
            self.probeChanged.emit(self.probe)

    def _on_compiled(self, warmed):
        """``warmed``: rnnsim.warmup.Warmed per family; a first start compiles (~12 s), later ones load (< 1 s)."""
        self.compiling = False
        self.compilingChanged.emit(False)
        self.status.emit(f"Kernels ready ({sum(w.seconds for w in warmed):.1f} s).")

    def _on_compile_failed(self, exc):
        self.compiling = False
        self.compilingChanged.emit(False)
        self.errorOccurred.emit("Kernel compilation failed", f"{type(exc).__name__}: {exc}")
