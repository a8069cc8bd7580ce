"""The training dashboard: Train / Pause / Stop / Reset / Train N steps, the divergence banner, and the
live plots, redrawn with ``setData`` by a timer (``refresh_hz``, default 10.5 Hz) while training runs.
The training runs in a worker process, so these redraws cost the training nothing; each timer tick
draws a slot of plots only (``SLOTS``), which keeps every pause of the event loop short.

Only what is visible is redrawn; a hidden tab catches up when it is shown. The dashboard reads what it
draws from the controller's :class:`~ui.training.history.PlotHistory` (the Trainer's numbers) and
never touches the model while the worker runs. Kept runs (``controller.runs``) are overlaid on the loss,
accuracy, gradient-norm and gradient-over-time plots, behind the current run, labelled by what differs
between them; their curves are set when the runs change, not at every redraw.

For classification data a "Confusion matrix" tab shows :func:`rnnsim.metrics.model_confusion` on the
training sequences (the validation split excluded), recomputed on a worker thread at each epoch's end
from the weights the training last sent, and after a run from the final weights; regression data hide it.

    dashboard = TrainingDashboard()
    dashboard.attach(controller)
"""
from __future__ import annotations

import time
from collections import deque
from functools import partial

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QMessageBox, QScrollArea,
                               QSplitter, QTabWidget, QVBoxLayout, QWidget)
from rnnsim.metrics import class_count, model_confusion

from .. import theme
from ..plots.banner import DivergenceBanner
from ..workers import Runner
from .controller import DIVERGED, RUNNING
from .controls import STATE_WORDS, TrainingControls  # noqa: F401  (STATE_WORDS: re-exported)


class TrainingDashboard(QWidget):
    """Controls + live plots for a :class:`TrainingController` (``attach``).

    ``actions``: {"train", "pause", "stop", "reset", "train_steps"} QActions the main window may also
    put in its menus and tool bar (F5 train, F6 pause, Shift+F5 stop).
    """

    def __init__(self, controller=None, parent=None, refresh_hz: float = 10.5, stagger: bool = True,
                 show_errors: bool = True, lazy: bool = False):
        """``lazy``: build the controls now, the plots (~0.5 s, and pyqtgraph's import) when the dashboard is
        first seen (ui/deferred.build_when_seen) or :meth:`build_plots` / :meth:`build_plots_step` asks."""
        super().__init__(parent)
        self.controller = None
        self.refresh_hz = refresh_hz
        self._drawn = {}                      # plot name -> history version / snapshot drawn
        self._rate = deque(maxlen=40)         # (time, step) for steps per second
        self._build_controls()
        self.plots_built = False
        self.step_plots = ()
        self._plot_steps = None               # the _plots generator while the plots are being built
        if not lazy:
            self.build_plots()
        self.timer = QTimer(self)
        # several short frames per refresh (SLOTS): every plot is redrawn refresh_hz times a second, but
        # no single frame holds the GUI for more than about two plots
        self.stagger = stagger
        self.timer.setInterval(int(1000 / ((len(self.SLOTS) if stagger else 1) * refresh_hz)))
        self.timer.timeout.connect(self._frame)
        self._slot = 0
        self.redraws = 0
        self.show_errors = show_errors
        self.last_error = None
        if controller is not None:
            self.attach(controller)

    # ---- construction -------------------------------------------------------------------------
    def _build_controls(self):
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        self.controls = TrainingControls(self._command, self._train_steps)
        c = self.controls
        self.actions, self.buttons, self.steps_box = c.actions, c.buttons, c.steps_box
        self.state_label, self.progress, self.stats = c.state_label, c.progress, c.stats
        lay.addWidget(c)
        self.banner = DivergenceBanner()
        self.banner.rollbackRequested.connect(self._rollback)
        self.banner.resetRequested.connect(partial(self._command, "reset"))
        lay.addWidget(self.banner)
        self.confusion_runner = Runner("confusion matrix", self)

    def build_plots(self) -> None:
        """Build every plot not built yet (at once), and draw the attached controller's history in them."""
        while self.build_plots_step():
            pass

    def build_plots_step(self) -> bool:
        """Build the next plot (10–60 ms of work, so a start-up can spread them over idle moments);
        True while more remain."""
        if self.plots_built:
            return False
        if self._plot_steps is None:
            self._plot_steps = self._plots()
        try:
            next(self._plot_steps)
            return True
        except StopIteration:
            self.plots_built = True
            self._plot_steps = None
            if self.controller is not None:             # what the controller did meanwhile, drawn now
                self._on_reset()
                self._on_state(self.controller.state)
            return False

    def _plots(self):
        """The plots, one per step (a generator: :meth:`build_plots_step`); pyqtgraph is imported by the first."""
        from ..plots.confusion import ConfusionPlot
        from ..plots.gates import GatePlot
        from ..plots.gradients import GradNormPlot, GradOverTimePlot
        from ..plots.heatmaps import HiddenStatePlot, WeightsView
        from ..plots.loss import AccuracyPlot, LearningRatePlot, LossPlot
        from ..plots.text_sample import TextSampleView
        yield
        lay = self.layout()
        self.loss_plot = LossPlot()
        yield
        self.accuracy_plot = AccuracyPlot()
        yield
        self.lr_plot = LearningRatePlot()
        yield
        self.grad_norm_plot = GradNormPlot()
        yield
        self.grad_time_plot = GradOverTimePlot()
        yield
        self.hidden_plot = HiddenStatePlot()
        yield
        self.gate_plot = GatePlot()
        yield
        self.weights_view = WeightsView(build_now=False)
        yield from self.weights_view.pieces
        self.confusion_plot = ConfusionPlot()
        yield
        self.confusion_runner.done.connect(self._confusion_done)
        self.confusion_runner.failed.connect(lambda exc: self.confusion_plot.clear_matrix(f"Not computed: {exc}"))

        split = QSplitter(Qt.Orientation.Horizontal)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.loss_plot)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.accuracy_plot)
        lower.addWidget(self.lr_plot)
        left.addWidget(lower)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)
        split.addWidget(left)

        self.tabs = QTabWidget()
        grads = QSplitter(Qt.Orientation.Vertical)
        grads.addWidget(self.grad_norm_plot)
        grads.addWidget(self.grad_time_plot)
        self.tabs.addTab(grads, "Gradients")
        inside = QWidget()
        inside_lay = QVBoxLayout(inside)
        inside_lay.setContentsMargins(0, 4, 0, 0)
        pick = QHBoxLayout()
        self.layer_label = QLabel("Layer:")
        pick.addWidget(self.layer_label)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which recurrent layer (and direction) the hidden state and gates show")
        self.layer_box.currentIndexChanged.connect(self._layer_changed)
        pick.addWidget(self.layer_box)
        self.probe_caption = QLabel("")
        self.probe_caption.setStyleSheet(f"color: {theme.MUTED.name()};")
        pick.addWidget(self.probe_caption, 1)
        inside_lay.addLayout(pick)
        inner = QSplitter(Qt.Orientation.Vertical)
        inner.addWidget(self.hidden_plot)
        inner.addWidget(self.gate_plot)
        inside_lay.addWidget(inner, 1)
        self.inside_tab = self.tabs.addTab(inside, "Hidden state && gates")
        weights = QScrollArea()                  # three heatmaps side by side: scroll rather than widen the dock
        weights.setWidgetResizable(True)
        weights.setFrameShape(QScrollArea.Shape.NoFrame)
        weights.setWidget(self.weights_view)
        self.tabs.addTab(weights, "Weights U, W, V")
        self.confusion_tab = self.tabs.addTab(self.confusion_plot, "Confusion matrix")
        self.tabs.currentChanged.connect(lambda *_: self.refresh(force=False))
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 6)
        lay.addWidget(split, 1)
        yield
        self.text_sample = TextSampleView()          # text data only: what the network writes, every few seconds
        lay.addWidget(self.text_sample)
        self.step_plots = (self.loss_plot, self.accuracy_plot, self.lr_plot, self.grad_norm_plot)

    def plot_panels(self) -> list:
        """Every PlotPanel of the dashboard (none before the plots are built)."""
        if not self.plots_built:
            return []
        from ..plots.base import PlotPanel
        return self.findChildren(PlotPanel)

    def runners(self) -> list:
        """The worker threads of the dashboard (to stop before the model goes)."""
        return [self.confusion_runner] + ([self.text_sample.runner] if hasattr(self, "text_sample") else [])

    # ---- attach -------------------------------------------------------------------------------
    def attach(self, controller) -> None:
        """Follow ``controller``'s signals and draw its history."""
        if self.controller is not None:
            for sig, slot in self._connections:
                sig.disconnect(slot)
        self.controller = controller
        self._connections = [
            (controller.snapshots, self._on_snapshots),
            (controller.stateChanged, self._on_state),
            (controller.historyReset, self._on_reset),
            (controller.diverged, self._on_diverged),
            (controller.modelChanged, self._on_model),
            (controller.configChanged, self._on_config),
            (controller.error, self._on_error),
            (controller.runsChanged, self._on_runs),
        ]
        for sig, slot in self._connections:
            sig.connect(slot)
        self._on_reset()
        self._on_state(controller.state)

    def detach(self) -> None:
        if self.controller is not None:
            for sig, slot in self._connections:
                sig.disconnect(slot)
        self.controller = None
        self.timer.stop()

    # ---- controller events ---------------------------------------------------------------------
    def _on_snapshots(self, items):
        if items:
            self._rate.append((time.perf_counter(), items[-1].step))
            latest = self.controller.history.latest
            if self.plots_built and latest is not None and latest.params is not None:
                self.text_sample.offer(self.controller.model.spec, latest.params, latest.step)

    def _on_state(self, state):
        self.controls.show_state(state)
        running = state == RUNNING
        if running:      # the x axes span the planned run; after it they stay (no re-render as it ends)
            end = self.controller.planned_end()
            for plot in self.step_plots:
                plot.set_x_hint(end)
        for plot in self.plot_panels():
            plot.live = running
        if running:
            self._rate.clear()
            self.timer.start()
        else:
            self.timer.stop()
            self.refresh(force=True)
            if self.plots_built:
                self._sample_current()
        if state != DIVERGED:
            self.banner.hide()

    def _on_reset(self):
        self._drawn.clear()
        self._rate.clear()
        self.banner.hide()
        if not self.plots_built:           # build_plots draws the controller's state when it has built them
            self.refresh(force=True)
            return
        c = self.controller
        spec = c.model.spec
        entries = [(f"layer {layer + 1}" + (" (backward ←)" if d else ""), (layer, d))
                   for layer in range(spec.num_layers) for d in range(spec.directions)]
        with QSignalBlocker(self.layer_box):
            self.layer_box.clear()
            for text, data in entries:
                self.layer_box.addItem(text, data)
        self.layer_box.setVisible(len(entries) > 1)
        self.layer_label.setVisible(len(entries) > 1)
        self._show_gates(spec.cell)
        if self.text_sample.set_model(c.model) and not c.running:
            self._sample_current()
        self.tabs.setTabVisible(self.confusion_tab, class_count(c.trainer.train_set) is not None)
        for plot in self.step_plots:
            plot.clear_marks()
        for plot in self.plot_panels():       # a new model or data: forget sticky ranges and scales
            plot.forget_view()
        self._on_runs()
        self.refresh(force=True)

    def _sample_current(self):
        model = self.controller.current_model()
        self.text_sample.offer(model.spec, model.params, self.controller.step_count, force=True)

    def _on_runs(self):
        """Overlay the visible kept runs, labelled against each other and the settings in force."""
        if not self.plots_built:
            return
        from ..plots.style import run_color
        c = self.controller
        shown = [(run, label, run_color(run.id)) for run, label in zip(c.runs, c.run_labels()) if run.visible]
        for plot in (self.loss_plot, self.accuracy_plot, self.grad_norm_plot, self.grad_time_plot):
            plot.show_runs(shown)

    def _show_gates(self, cell: str) -> None:
        """The gates plot only for cells that have gates (LSTM, GRU); the tab says what it holds."""
        from ..plots.gates import GATES
        gated = cell in GATES
        self.gate_plot.setVisible(gated)
        self.tabs.setTabText(self.inside_tab, "Hidden state && gates" if gated else "Hidden state")

    def _on_model(self, model):
        if model is not None and self.plots_built:
            self._show_gates(model.spec.cell)
        self._invalidate("weights_v")
        self._invalidate("weights_g")
        self._invalidate("confusion")
        if self.controller is not None and not self.controller.running:
            self.refresh(force=True)

    def _on_config(self, _config):
        self._on_runs()                       # the labels compare the runs with the settings in force
        self._invalidate("grads")
        if self.controller is not None and not self.controller.running:
            self.refresh(force=True)

    def _on_error(self, title, text):
        """The engine refused something (the previous state is kept): say so, unless the host window
        shows the controller's errors itself (``show_errors=False``)."""
        if self.show_errors and self.isVisible():
            # window-modal but not blocking (open()): the event loop — and training — keep running
            box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.last_error, self.last_error_text = box, text
            box.open()

    def _on_diverged(self, step, text):
        c = self.controller
        self.banner.show_divergence(step, text, c.rollback_step, c.trainer.config.lr, c.trainer.config.clip is not None)
        self.refresh(force=True)

    # the buttons' slots: controller methods called through one named method (a slot's return value is handed
    # to Qt; this returns None), ignoring the flag ``triggered`` passes
    def _command(self, name, *_):
        if self.controller is not None:
            getattr(self.controller, name)()

    def _train_steps(self):
        if self.controller is not None:
            self.controller.train_steps(self.steps_box.value())

    def _rollback(self, changes):
        if self.controller is not None:
            self.controller.rollback(**changes)

    def _invalidate(self, key):
        self._drawn.pop(key, None)

    def _layer_changed(self, *_):
        self._drawn.pop("hidden", None)
        self._drawn.pop("gates", None)
        self.refresh()

    # ---- drawing -------------------------------------------------------------------------------
    #: the groups one frame draws, in turn: each plot is redrawn refresh_hz times a second, but a frame
    #: holds the GUI for about two plots only (short event-loop gaps)
    SLOTS = (("loss",), ("acc_lr", "confusion"), ("grads", "hidden", "weights_v"), ("grad_time", "gates", "weights_g"))

    def _frame(self):
        """One timer tick while training: redraw one slot of plots (all of them without stagger)."""
        if self.controller is None:
            return
        if not self.stagger:
            self.refresh()
        else:
            self.refresh(parts=self.SLOTS[self._slot])
            self._slot = (self._slot + 1) % len(self.SLOTS)

    def refresh(self, force: bool = False, parts=None) -> None:
        """Redraw what changed since the last refresh. Only the visible tab is drawn (a hidden one
        catches up when shown); ``force``: also when nothing seems to have changed, and even while
        the dashboard itself is hidden (tests, exports); ``parts``: only these groups (see SLOTS)."""
        c = self.controller
        if c is None:
            return
        h = c.history
        if parts is None or "loss" in parts:
            self.redraws += 1
        if parts is None or "acc_lr" in parts:
            self._update_stats(h)
        if not self.plots_built:
            return
        shown = self.isVisible()
        tab = self.tabs.currentIndex()
        latest = h.latest
        key = id(latest) if latest is not None else None
        groups = {"loss": (h.version, True), "acc_lr": (h.version, True),
                  "grads": (h.version, tab == 0), "grad_time": (key, tab == 0),
                  "hidden": (key, tab == 1), "gates": (key, tab == 1),
                  "weights_v": (key, tab == 2), "weights_g": (key, tab == 2),
                  "confusion": ((len(h.epoch), c.running, c.step_count), tab == self.confusion_tab)}
        if force:
            for name in groups:
                self._drawn.pop(name, None)
        for name, (version, visible) in groups.items():
            if parts is not None and name not in parts:
                continue
            if self._drawn.get(name, object()) == version or not (visible or (force and not shown)):
                continue
            getattr(self, f"_draw_{name}")(h if name in ("loss", "acc_lr", "grads", "confusion") else latest)
            self._drawn[name] = version

    def _marks(self, h):
        return [(s, "NaN/inf") for s, _ in h.divergences]

    def _draw_loss(self, h):
        self.loss_plot.show_data(h.step.view(), h.loss.view(), h.epoch_step.view(), h.train_loss.view(),
                                 h.val_loss.view())
        self.loss_plot.set_marks(self._marks(h))

    def _draw_acc_lr(self, h):
        applies = self.controller.dataset.accuracy is not None
        self.accuracy_plot.show_data(h.epoch_step.view(), h.accuracy.view(), h.val_accuracy.view(), applies)
        self.lr_plot.show_data(h.step.view(), h.lr.view())
        for plot in (self.accuracy_plot, self.lr_plot):
            plot.set_marks(self._marks(h))

    def _draw_grads(self, h):
        cfg = self.controller.trainer.config
        clip = cfg.clip if cfg.clip_mode == "norm" else None
        self.grad_norm_plot.show_data(h.step.view(), {k: v.view() for k, v in h.param_norms.items()},
                                      h.grad_norm.view(), self.controller.model.spec, clip)
        self.grad_norm_plot.set_marks(self._marks(h))

    def _probe_key(self, probe):
        layer, d = self.layer_box.currentData() or (0, 0)
        return (layer, d) if (layer, d) in probe.hidden else next(iter(probe.hidden))

    def _draw_hidden(self, snap):
        probe = snap.probe if snap is not None else None
        if probe is None:
            self.hidden_plot.clear_matrix("Press Train to see the probe sequence's hidden states")
            self.probe_caption.setText("")
            return
        self.hidden_plot.show_data(probe.hidden[self._probe_key(probe)])
        self.probe_caption.setText(f"probe sequence at step {snap.step} · loss on it {theme.fmt(probe.loss)}")

    def _draw_gates(self, snap):
        spec = self.controller.model.spec
        probe = snap.probe if snap is not None else None
        self.gate_plot.show_data(probe.gate_means.get(self._probe_key(probe)) if probe is not None else None,
                                 spec.cell)

    def _draw_grad_time(self, snap):
        spec = self.controller.model.spec
        probe = snap.probe if snap is not None else None
        if probe is None:
            self.grad_time_plot.show_data({})
            self.grad_time_plot.set_note("Press Train to see how the gradient travels back in time")
            return
        self.grad_time_plot.set_note("")
        signed = spec.hidden_size == 1
        curves = {}
        for (lay, dd), norms in probe.dh_norms.items():
            label = ("decoder " if spec.is_seq2seq else "") + f"layer {lay + 1}" + (" ←" if dd else "")
            curves[label] = probe.dh[(lay, dd)][:, 0] if signed else norms
        self.grad_time_plot.show_data(curves, snap.step, signed)

    def _draw_weights_v(self, snap):
        self._draw_weights(snap, "values")

    def _draw_weights_g(self, snap):
        self._draw_weights(snap, "grads")

    def _draw_weights(self, snap, rows):
        c = self.controller
        if snap is not None and snap.params is not None:
            self.weights_view.show_data(snap.params, snap.grads, c.model.spec,
                                        snap.step, getattr(snap, "grads_step", snap.step), rows=rows)
        elif not c.running:
            self.weights_view.show_data(c.model.state_dict(), None, c.model.spec, rows=rows)

    def _draw_confusion(self, h):
        """Predict the training sequences on the worker thread with the newest weights: while a run is on,
        those of the last detailed snapshot (the version key changes at epoch ends); else the model's."""
        c = self.controller
        data = c.trainer.train_set
        if class_count(data) is None:
            return
        if c.running:
            latest = h.latest
            if latest is None or latest.params is None:
                self.confusion_plot.clear_matrix("Appears at the first epoch's end")
                return
            params, step = latest.params, latest.step
        else:
            params, step = c.model.state_dict(), c.step_count
        spec = c.model.spec
        caption = f"{data.size} training sequences, at step {step}"
        self.confusion_runner.submit(lambda job: (model_confusion(spec, params, data), caption))

    def _confusion_done(self, result):
        (counts, names), caption = result
        self.confusion_plot.show_counts(counts, names, caption)

    def _update_stats(self, h):
        rate = None
        if len(self._rate) >= 2:
            (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
            rate = (s1 - s0) / (t1 - t0) if t1 > t0 else None
        self.controls.show_figures(int(h.epoch.last(0)), self.controller.trainer.config.epochs, int(h.step.last(0)),
                                   h.loss.last() if len(h.loss) else None, rate)

    def closeEvent(self, event):
        self.timer.stop()
        for runner in self.runners():
            runner.stop()
        super().closeEvent(event)

