"""What the Lessons page's buttons do in the app: set a lesson up, do a step's action, run the headline and
measure its figure with :func:`rnnsim.lessons.measure` (on a worker) when the run it needs is reached.

:class:`LessonDriver` works through the main window's parts — ``session``, ``training`` (the controller),
``graph``, ``show_panel``, ``show_dashboard``, ``gradcheck_panel``, ``cost_surface``, ``predict_panel``,
``generate_panel``, ``show_training_error`` — and shows its results on a :class:`~ui.panels.lessons.LessonsPanel`.
"""
from __future__ import annotations

import copy
import math

import numpy as np
from PySide6.QtCore import QObject, Signal

from rnnsim.data.setup import split_changes
from rnnsim.errors import RnnsimError
from rnnsim.lessons import check, measure

from ..probe import values_text
from ..workers import Runner
from .generate import TEMPERATURE_STEPS

#: controller states after which a run has stopped (the figure can be measured)
RUN_ENDS = ("paused", "stopped", "finished", "diverged")
#: views that are pages of the central graph (the others are docks)
GRAPH_PAGES = {"graph": 0, "folded": 1, "side_by_side": 2}


class LessonDriver(QObject):
    """``set_up(lesson)``, ``do(lesson, action)``, ``run(lesson)``; signals ``measured(index, value, passed)``
    after each headline figure, ``runFinished(lesson_id)`` when the Run button's work is done."""

    measured = Signal(int, object, bool)
    runFinished = Signal(str)

    def __init__(self, window, panel, parent=None):
        super().__init__(parent)
        self.window, self.panel = window, panel
        self.session, self.controller = window.session, window.training
        self.runner = Runner("lesson-measure", self)
        self.runner.done.connect(self._measured)
        self.runner.failed.connect(self._measure_failed)
        self._plan: list[int] = []            # headlines still to run
        self._lesson = None                   # the lesson Run is working on
        self._index: int | None = None        # the headline whose run is under way (None: none)
        self._last_run = None                 # (session overrides, run) of the last headline run
        self._fresh = None                    # (lesson id, overrides, Trainer) right after set_up
        panel.setupRequested.connect(self.set_up)
        panel.actionRequested.connect(self.do)
        panel.runRequested.connect(self.run)
        self.controller.stateChanged.connect(self._on_state)

    @property
    def busy(self) -> bool:
        return self._lesson is not None

    # ---- set up -----------------------------------------------------------------------------------
    def set_up(self, lesson, overrides: dict | None = None) -> bool:
        """The lesson's data, network and settings (``setup.session`` with ``overrides`` on top) through
        Session.configure, fresh weights (``setup.weights`` put in, else the seed's), its views shown."""
        c = self.controller
        if c.running:
            c.halt()
        flat = dict(lesson.setup.session)
        flat.update(overrides or {})
        try:
            data = split_changes(flat, {"kind": "none"}, {})[0]
        except RnnsimError as exc:
            c.error.emit("Cannot set the lesson up", str(exc))
            return False
        # the task afresh first (its suggested network and settings, new weights, even when it is the task in
        # use), so that nothing the learner changed before carries into the lesson; then the rest on top
        if not c.set_task(data["name"], data["seed"], data["options"]) or not self.session.configure(**flat):
            return False
        if lesson.setup.weights and not self._put_weights(lesson.setup.weights, f"{lesson.title}: start weights"):
            return False
        for view in lesson.setup.views:
            self.show_view(view, front=False)
        if lesson.setup.front:
            self.show_view(lesson.setup.front)
        self._fresh = (lesson.id, dict(overrides or {}), c.trainer)
        return True

    def _put_weights(self, weights: dict, why: str) -> bool:
        """Every parameter as now, the named ones replaced (a new run)."""
        c = self.controller
        params = {k: np.array(v, dtype=np.float64, copy=True) for k, v in c.model.params.items()}
        for name, value in weights.items():
            if name not in params:
                c.error.emit("Cannot change the weights", f"the model has no parameter {name}")
                return False
            value = np.asarray(value, dtype=np.float64)
            if value.shape != params[name].shape:
                c.error.emit("Cannot change the weights", f"{name}: shape {value.shape} does not fit the model's "
                             f"{params[name].shape}")
                return False
            params[name] = value
        return c.set_params(params, why, new_run=True)

    def show_view(self, view: str, front: bool = True) -> None:
        w = self.window
        if view in GRAPH_PAGES:
            w.graph.show_page(GRAPH_PAGES[view])
            return
        dock = w.docks[view]
        dock.show()
        if front:
            dock.raise_()

    # ---- a step's action ---------------------------------------------------------------------------
    def do(self, lesson, action: dict) -> None:
        """Put the app where the step says (the kinds of docs/lessons.md's action table)."""
        kind, w, c = action["kind"], self.window, self.controller
        if kind == "seek":
            tape = self.session.tape
            if tape is None:
                w.show_training_error("Cannot go there", "The debugger has no Tape yet: wait a moment.")
                return
            index = tape.find(action["event"], action.get("layer"), action.get("direction", 0), action.get("t"))
            if index < 0:
                w.show_training_error("Cannot go there", f"This Tape has no {action['event']} event there.")
                return
            self.show_view("graph")
            self.session.seek(index)
        elif kind == "configure":
            self.session.configure(**action["session"])
        elif kind == "set_weights":
            self._put_weights(action["weights"], "weights set by the lesson")
        elif kind == "train":
            if self._train(action):
                w.show_dashboard()
        elif kind == "keep_run":
            if c.keep_run():
                self.show_view("runs")
        elif kind == "show":
            self.show_view(action["view"])
        elif kind == "gradcheck":
            panel = w.gradcheck_panel
            if "eps" in action:
                panel.eps.set_value(float(action["eps"]))
            self.show_view("gradcheck")
            panel.check()
        elif kind == "surface":
            surface = w.cost_surface.surface
            if "range" in action:
                x0, x1, y0, y1 = action["range"]
                surface._set_range((x0, x1), (y0, y1))
            self.show_view("surface")
            surface.start()
        elif kind == "predict":
            panel = w.predict_panel
            panel.input.setText(values_text(np.asarray(action["input"], dtype=np.float64)))
            self.show_view("predict")
            panel.predict()
        elif kind == "generate":
            self._generate(action)

    def _generate(self, action: dict) -> None:
        panel = self.window.generate_panel
        if "prime" in action:
            panel.prompt.setText(action["prime"])
        if "length" in action:
            panel.length.setValue(int(action["length"]))
        if "temperature" in action:
            panel.temperature.setValue(round(float(action["temperature"]) * TEMPERATURE_STEPS))
        if "seed" in action:
            panel.seed.setValue(int(action["seed"]))
        self.show_view("generate")
        panel.generate()

    def _train(self, run: dict) -> bool:
        """Start training as ``run`` says: {"steps": N} / {"train_steps": N}, {"epochs": N} /
        {"train_epochs": N}, or {"train": "until_done"} (the settings' epochs, early stopping included)."""
        c = self.controller
        steps = run.get("steps", run.get("train_steps"))
        epochs = run.get("epochs", run.get("train_epochs"))
        if steps is not None:
            return c.train_steps(int(steps))
        if epochs is not None:
            t = c.trainer
            per_epoch = math.ceil(t.train_set.size / (t.config.batch_size or t.train_set.size))
            return c.train_steps(int(epochs) * per_epoch)
        return c.train()

    # ---- the headline run --------------------------------------------------------------------------
    def run(self, lesson) -> None:
        """Each headline in turn: set up (with its ``session`` overrides) unless the app is still where the
        set-up left it, do its run, measure when the run has stopped."""
        if self.busy:
            return
        self._lesson, self._plan, self._last_run = lesson, list(range(len(lesson.headlines))), None
        for k in self._plan:
            self.panel.show_result(lesson.id, k, None, note="waiting")
        self._next()

    def _next(self) -> None:
        lesson = self._lesson
        if not self._plan:
            self._lesson, self._index = None, None
            self.runFinished.emit(lesson.id)
            return
        k = self._plan.pop(0)
        head = lesson.headlines[k]
        this_run = (head.session, head.run)
        if this_run == self._last_run:              # the same run as the headline before: measure it again
            self._index = k
            self._measure()
            return
        c = self.controller
        fresh = self._fresh == (lesson.id, dict(head.session), c.trainer) and c.step_count == 0
        if not fresh and not self.set_up(lesson, head.session):
            self._index = k
            self._abandon("the set-up was refused")
            return
        self._index = k                             # from here, the end of a run is this headline's
        self._last_run = this_run
        self.panel.show_result(lesson.id, k, None, note="running…")
        if not head.run:
            self._measure()
        elif self._train(head.run):
            self.window.show_dashboard()
        else:
            self._abandon("training did not start")

    def _on_state(self, state: str) -> None:
        if self._index is not None and state in RUN_ENDS and not self.runner.busy:
            self._measure()

    def _measure(self) -> None:
        c = self.controller
        head = self._lesson.headlines[self._index]
        model, dataset = c.current_model(), c.dataset
        # the Trainer for what reads its settings (the gradient check's truncation); else a copy of its history,
        # which the next run would change under the worker
        trainer = c.trainer if head.measure["kind"] == "gradcheck" else copy.deepcopy(c.trainer.history)
        self.panel.show_result(self._lesson.id, self._index, None, note="measuring…")
        self.runner.submit(lambda job: measure(head, model, dataset, trainer))

    def _measured(self, value) -> None:
        if self._index is None:
            return
        k, head = self._index, self._lesson.headlines[self._index]
        passed = check(head, value)
        self.panel.show_result(self._lesson.id, k, value, passed)
        self.measured.emit(k, value, passed)
        self._next()

    def _measure_failed(self, exc) -> None:
        text = str(exc) if isinstance(exc, RnnsimError) else f"{type(exc).__name__}: {exc}"
        self.window.show_training_error("Cannot measure the result", text)
        self._abandon(text)

    def _abandon(self, why: str) -> None:
        if self._index is not None:
            self.panel.show_result(self._lesson.id, self._index, None, False, why)
        lesson, self._lesson, self._index, self._plan = self._lesson, None, None, []
        if lesson is not None:
            self.runFinished.emit(lesson.id)
