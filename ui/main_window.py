"""The main window: the unrolled graph in the centre, the debugger toolbar on top, docks around it
(model & probe on the left, equations and inspector on the right, the cell's insides below).

Docks are added through :meth:`MainWindow.add_dock`, which also lists them in the View menu —
the training plots of the next issue plug in the same way.
"""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QProgressBar,
                               QScrollArea, QWidget)

from .debugger import Debugger
from .livetext import LiveText
from .panels.model import ModelPanel
from .panels.data import DataPanel
from .panels.hyperparameters import HyperparametersPanel
from .panels.predict import PredictPanel
from .session import Session, Settings
from .training import files
from .training.controller import DIVERGED, FINISHED, PAUSED, STOPPED, TrainingController
from .training.dashboard import TrainingDashboard
from .views.cell import CellView
from .views.equation import EquationView
from .views.inspector import Inspector
from .views.unrolled import GraphPanel


class MainWindow(QMainWindow):
    #: the window's size and dock layout are kept here between runs (``remember_layout``)
    LAYOUT_KEY, LAYOUT_VERSION = "window/layout", 1

    def __init__(self, session: Session | None = None, settings: Settings | None = None,
                 remember_layout: bool = False):
        super().__init__()
        self.remember_layout = remember_layout
        self.setWindowTitle("rnnsim — recurrent networks, step by step")
        self.setObjectName("rnnsim-main")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self.session = session or Session(self, settings)
        if self.session.parent() is None:
            self.session.setParent(self)
        self.docks: dict[str, QDockWidget] = {}
        self._dialogs = []

        self.graph = GraphPanel(self.session, self)
        self.setCentralWidget(self.graph)
        self.debugger = Debugger(self.session, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.debugger)

        self.model_panel = ModelPanel(self.session)
        self.equations = EquationView(self.session)
        self.inspector = Inspector()
        self.cell = CellView(self.session)
        # the training dashboard (its own engine objects, trained on its own thread)
        self.training = TrainingController(self)
        self.dashboard = TrainingDashboard(self.training, show_errors=False)
        self.data_panel = DataPanel(self.training)
        self.hyper_panel = HyperparametersPanel(self.training)
        self.predict_panel = PredictPanel(self.training)
        self.recent = files.RecentFiles(parent=self)
        self._build_menus()
        self.add_dock("model", "Model and probe", self.model_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.add_dock("equations", "Equations", self.equations, Qt.DockWidgetArea.RightDockWidgetArea)
        self.add_dock("inspector", "Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self.add_dock("cell", "Inside the cell", self.cell, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.splitDockWidget(self.docks["equations"], self.docks["inspector"], Qt.Orientation.Vertical)
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.add_dock("data", "Training data", self.data_panel, left, tabify_with="model")
        self.add_dock("hyper", "Hyperparameters", self.hyper_panel, left, tabify_with="data")
        self.add_dock("predict", "Predict", self.predict_panel, left, tabify_with="hyper")
        # in a scroll area: the dashboard's controls and plots are wider than the space between the side
        # docks, and would otherwise squeeze the equations column to nothing
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.dashboard)
        self.add_dock("dashboard", "Training", scroll, Qt.DockWidgetArea.BottomDockWidgetArea, tabify_with="cell")
        self.docks["model"].raise_()
        self.docks["cell"].raise_()
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self._build_status()

        s = self.session
        s.status.connect(self._status_message)
        s.errorOccurred.connect(self.show_error)
        s.busyChanged.connect(self._on_busy)
        s.compilingChanged.connect(self._on_compiling)
        s.cursorChanged.connect(self._on_cursor)
        s.tapeChanged.connect(lambda _: self._on_cursor(s.cursor))
        self.equations.inspect.connect(lambda n, a, g: self.inspect(n, [(n, a, g)]))
        self.graph.view.nodeClicked.connect(self.inspect_node)
        self.graph.view.arrowClicked.connect(self.inspect_arrow)
        t = self.training
        t.error.connect(self.show_training_error)
        t.status.connect(self._status_message)
        t.dirtyChanged.connect(self.setWindowModified)
        t.stateChanged.connect(self._on_training_state)
        self.predict_panel.openInDebugger.connect(self.open_sequence_in_debugger)
        self.setWindowTitle("rnnsim — recurrent networks, step by step[*]")
        self.resize(1600, 1000)
        self._sized = False

    def showEvent(self, ev):
        super().showEvent(ev)
        if not self._sized:
            self._sized = True
            if not (self.remember_layout and self.restore_layout()):
                self.initial_sizes()

    def _layout_settings(self) -> QSettings:
        return QSettings("rnnsim", "rnnsim")

    def save_layout(self) -> None:
        """Keep the window's geometry and its docks' places for the next start."""
        st = self._layout_settings()
        st.setValue(f"{self.LAYOUT_KEY}/geometry", self.saveGeometry())
        st.setValue(f"{self.LAYOUT_KEY}/state", self.saveState(self.LAYOUT_VERSION))

    def restore_layout(self) -> bool:
        """The layout saved by the last run (False when there is none or it does not fit this version)."""
        st = self._layout_settings()
        geometry, state = st.value(f"{self.LAYOUT_KEY}/geometry"), st.value(f"{self.LAYOUT_KEY}/state")
        if geometry is None or state is None:
            return False
        return bool(self.restoreGeometry(geometry)) and bool(self.restoreState(state, self.LAYOUT_VERSION))

    def reset_layout(self) -> None:
        """Back to the first layout: every panel in its place, the saved layout forgotten."""
        self._layout_settings().remove(self.LAYOUT_KEY)
        left, right, bottom = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                               Qt.DockWidgetArea.BottomDockWidgetArea)
        places = {"model": left, "data": left, "hyper": left, "predict": left, "equations": right,
                  "inspector": right, "cell": bottom, "dashboard": bottom}
        for key, dock in self.docks.items():
            dock.setFloating(False)
            self.addDockWidget(places.get(key, right), dock)
            dock.show()
        self.splitDockWidget(self.docks["equations"], self.docks["inspector"], Qt.Orientation.Vertical)
        for first, others in (("model", ("data", "hyper", "predict")), ("cell", ("dashboard",))):
            for key in others:
                self.tabifyDockWidget(self.docks[first], self.docks[key])
            self.docks[first].raise_()
        self.initial_sizes()

    def initial_sizes(self):
        """The first layout: graph in the middle, model panel left, equations right, cell below."""
        w = self.width()
        self.resizeDocks([self.docks["model"], self.docks["equations"]], [320, max(420, int(w * 0.28))],
                         Qt.Orientation.Horizontal)
        h = self.height()
        self.resizeDocks([self.docks["cell"]], [int(h * 0.36)], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["equations"], self.docks["inspector"]], [int(h * 0.6), int(h * 0.4)],
                         Qt.Orientation.Vertical)

    @property
    def ready(self) -> bool:
        """A Tape is shown, nothing is being recorded and the graph's scene is complete."""
        s = self.session
        return s.tape is not None and not s.busy and not self.graph.view.building

    # ---- extension point -------------------------------------------------------------------------
    def add_dock(self, key: str, title: str, widget: QWidget, area=Qt.DockWidgetArea.RightDockWidgetArea,
                 tabify_with: str | None = None) -> QDockWidget:
        """Add a dock widget (listed in the View menu); ``tabify_with`` stacks it as a tab on another dock."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        if tabify_with is not None and tabify_with in self.docks:
            self.tabifyDockWidget(self.docks[tabify_with], dock)
        self.docks[key] = dock
        act = dock.toggleViewAction()
        act.setStatusTip(f"Show or hide the {title} panel")
        self.docks_menu.addAction(act)
        return dock

    # ---- menus ------------------------------------------------------------------------------------
    def _build_menus(self):
        mb = self.menuBar()
        file = mb.addMenu("&File")
        self.open_action = self._action(file, "&Open model…", self.open_model, QKeySequence.StandardKey.Open,
                                        "Open a model file (.npz, e.g. saved from PyTorch) and step through it "
                                        "in the debugger (the training dashboard is not changed)")
        self.save_action = self._action(file, "&Save model…", self.save_model, QKeySequence.StandardKey.Save,
                                        "Save the trained model (the Training dashboard's weights) as an .npz "
                                        "file; the debugger's model is saved with “Save debugger model…”")
        self.save_debug_action = self._action(
            file, "Save &debugger model…", self.save_debugger_model, None,
            "Save the model shown in the debugger (with any updates applied there) as an .npz file")
        self.open_train_model_action = self._action(
            file, "Open model for &training…", self.open_model_for_training, None,
            "Open a model file into the Training dashboard to train it further on the current data")
        file.addSeparator()
        self.open_session_action = self._action(
            file, "Open s&ession…", lambda: self.open_session(None), "Ctrl+Shift+O",
            "Open a training session (model, settings, data source and plots)")
        self.save_session_action = self._action(
            file, "Save session &as…", self.save_session_as, "Ctrl+Shift+S",
            "Save the training as a session file (model, settings, data source and plots)")
        self.recent_menu = file.addMenu("&Recent sessions")
        self.recent.changed.connect(lambda _: self._rebuild_recent())
        self._rebuild_recent()
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit, "Close rnnsim")
        debug = mb.addMenu("&Debug")
        d = self.debugger
        for a in (d.step, d.back, d.continue_, d.play):
            debug.addAction(a)
        debug.addSeparator()
        for a in (d.to_loss, d.to_bptt, d.to_end, d.reset):
            debug.addAction(a)
        debug.addSeparator()
        debug.addAction(d.apply)
        debug.addSeparator()
        debug.addAction(d.breakpoint)
        debug.addAction(d.clear_bps)
        self._build_training_menu(mb)
        view = mb.addMenu("&View")
        g = self.graph
        self.unrolled_action = self._action(view, "&Unrolled graph", lambda: g.show_page(0), "Ctrl+1",
                                            "The network unrolled in time")
        self.folded_action = self._action(view, "&Folded graph (the cycle)", lambda: g.show_page(1), "Ctrl+2",
                                          "The same network as one cell with a loop")
        view.addSeparator()
        self._action(view, "Zoom &in", lambda: g.view.zoom(1.25), QKeySequence.StandardKey.ZoomIn, "Zoom in")
        self._action(view, "Zoom &out", lambda: g.view.zoom(1 / 1.25), QKeySequence.StandardKey.ZoomOut, "Zoom out")
        self._action(view, "&Actual size", g.view.zoom_reset, "Ctrl+0", "Zoom to 100%")
        self._action(view, "&Fit the sequence", g.view.fit_all, "Ctrl+9", "Fit the whole unrolled graph")
        view.addSeparator()
        self.docks_menu = view.addMenu("&Panels")
        self._action(view, "&Reset layout", self.reset_layout, None,
                     "Every panel back in its first place (the layout is otherwise kept between runs)")
        help_ = mb.addMenu("&Help")
        self._action(help_, "&Keyboard shortcuts", self.show_shortcuts, "F1", "List every keyboard shortcut")
        self._action(help_, "&About rnnsim", self.show_about, None, "What this program is")

    #: the dashboard's own keys (F5, F6, Shift+F5) belong to the debugger here
    TRAINING_KEYS = {"train": "Ctrl+T", "pause": "Ctrl+P", "stop": "Ctrl+Shift+T", "reset": None,
                     "train_steps": "Ctrl+Shift+N"}

    def _build_training_menu(self, mb):
        menu = mb.addMenu("&Training")
        acts = self.dashboard.actions
        for key in ("train", "pause", "stop", "reset", "train_steps"):
            a = acts[key]
            keys = self.TRAINING_KEYS[key]
            a.setShortcut(QKeySequence(keys) if keys else QKeySequence())
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            if key == "train_steps":
                a.setText("Train N steps")
                a.setToolTip(a.toolTip() + " (N: the steps box in the Training panel)")
            if key == "reset":
                menu.addSeparator()
            menu.addAction(a)
            self.addAction(a)
        menu.addSeparator()
        self.show_trained_action = self._action(
            menu, "Show in &debugger", self.show_trained_in_debugger, "Ctrl+Shift+D",
            "Step through the trained model in the debugger (a new Tape on its probe sequence); also happens "
            "by itself when training pauses, stops or finishes")
        self.training_actions = [acts[k] for k in ("train", "pause", "stop", "reset", "train_steps")] + [
            self.show_trained_action]

    def _rebuild_recent(self):
        m = self.recent_menu
        m.clear()
        paths = self.recent.paths()
        for p in paths:
            a = m.addAction(p)
            a.triggered.connect(lambda _=False, p=p: self.open_session(p))
        if paths:
            m.addSeparator()
            m.addAction("Clear the list", self.recent.clear)
        m.setEnabled(bool(paths))

    def _action(self, menu, text, slot, keys, tip):
        a = QAction(text, self)
        if keys is not None:
            a.setShortcut(QKeySequence(keys))
        a.setStatusTip(tip)
        a.setToolTip(tip)
        a.triggered.connect(slot)
        menu.addAction(a)
        self.addAction(a)
        return a

    # ---- status bar --------------------------------------------------------------------------------
    def _build_status(self):
        sb = self.statusBar()
        self.event_label = LiveText("status", width=460, fixed_width=True)     # changes at every step: no re-layout
        self.loss_label = QLabel()
        self.loss_label.setToolTip("The loss L on the probe sequence (and how it changed after applied updates)")
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(90)
        self.busy_bar.setMaximumHeight(14)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        self.compile_label = QLabel("⚙ Compiling kernels…")
        self.compile_label.setToolTip("numba compiles the fast kernels once (cached afterwards); the window stays "
                                      "usable meanwhile")
        self.compile_label.hide()
        sb.addPermanentWidget(self.event_label)
        sb.addPermanentWidget(self.loss_label)
        sb.addPermanentWidget(self.compile_label)
        sb.addPermanentWidget(self.busy_bar)

    def _status_message(self, text):
        self.statusBar().showMessage(text, 6000)

    def _on_busy(self, busy):
        self._update_busy()

    def _on_compiling(self, on):
        self.compile_label.setVisible(on)
        self._update_busy()

    def _update_busy(self):
        self.busy_bar.setVisible(self.session.recorder.busy or self.session.compiling)

    def _on_cursor(self, cursor):
        s = self.session
        if s.tape is None:
            return
        e = s.current
        n = len(s.tape.events)
        _set_text(self.event_label, f"event {cursor + 1} / {n}" + (f" · {e.title}" if e is not None else " · start"))
        b = s.built
        text = f"L = {s.tape.loss:.6g}"
        if b is not None and b.updates:
            text += f" (start {b.losses[0]:.4g}, {b.updates} update{'s' if b.updates > 1 else ''} applied)"
        _set_text(self.loss_label, text)          # unchanged while stepping: no status-bar re-layout

    # ---- dialogs ------------------------------------------------------------------------------------
    def show_error(self, title, message):
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setInformativeText("Nothing was changed: the previous model and Tape are still shown.")
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _: self._dialogs.remove(box) if box in self._dialogs else None)
        self._dialogs.append(box)
        self.model_panel.mark_invalid() if "probe" in message or "target" in message else None
        box.open()

    def show_shortcuts(self):
        rows = []
        for a in self.debugger.all_actions + self.training_actions + [
                self.unrolled_action, self.folded_action, self.open_action, self.save_action,
                self.open_session_action, self.save_session_action]:
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts())
            if keys:
                rows.append(f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(a.text().replace('&', ''))}</td>"
                            f"<td style='color:#718096'>{html.escape(a.toolTip().split('  (')[0])}</td></tr>")
        rows.append("<tr><td><b>Ctrl+wheel, drag</b></td><td>Zoom, pan</td><td style='color:#718096'>in the graph; "
                    "the wheel scrolls along time</td></tr>")
        box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts",
                          "<table cellpadding=4>" + "".join(rows) + "</table>", QMessageBox.StandardButton.Close, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        self._dialogs.append(box)
        box.finished.connect(lambda _: self._dialogs.remove(box) if box in self._dialogs else None)
        box.open()

    def show_about(self):
        box = QMessageBox(QMessageBox.Icon.Information, "About rnnsim",
                          "<b>rnnsim</b> makes recurrent networks visible: the network unrolled in time, "
                          "forward propagation and backpropagation through time stepped like a debugger, "
                          "every number of every equation on screen.<br><br>The numbers come from an exact "
                          "engine (numpy + numba) that matches PyTorch.", QMessageBox.StandardButton.Close, self)
        self._dialogs.append(box)
        box.finished.connect(lambda _: self._dialogs.remove(box) if box in self._dialogs else None)
        box.open()

    def open_model(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open a model", "", "rnnsim models (*.npz)")
        if path:
            self.session.load_model(path)

    def save_model(self):
        """Save the trained model (the dashboard's): that is the one a user trains to keep."""
        path, _ = QFileDialog.getSaveFileName(self, "Save the trained model", "model.npz", files.MODEL_FILTER)
        if path:
            self.training.save_model(path)

    def save_debugger_model(self):
        if self.session.model is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the debugger's model", "model.npz", files.MODEL_FILTER)
        if path:
            self.session.save_model(path)

    def open_model_for_training(self):
        if not files.confirm_discard(self, self.training, "Open a model for training"):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open a model to train", "", files.MODEL_FILTER)
        if path:
            self.training.open_model(path)

    def open_session(self, path=None):
        return files.open_session(self, self.training, path, self.recent)

    def save_session_as(self):
        return files.save_session_as(self, self.training, self.recent)

    # ---- training <-> debugger ----------------------------------------------------------------------
    def show_training_error(self, title, message):
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _: self._dialogs.remove(box) if box in self._dialogs else None)
        self._dialogs.append(box)
        box.open()

    def _on_training_state(self, state):
        if state in (PAUSED, STOPPED, FINISHED, DIVERGED) and self.training.history.version:
            self.show_trained_in_debugger()

    def show_trained_in_debugger(self):
        """The debugger steps through the trained weights, on the dashboard's probe sequence."""
        t = self.training
        tr = t.trainer
        self.session.use_model(t.current_model(), tr.probe_x, tr.probe_y, tr.config)

    def open_sequence_in_debugger(self, x):
        """Predict panel → debugger: the trained model on the typed sequence (target: the task's rule when
        there is one, else the model's own answer)."""
        from .session import _auto_target
        t = self.training
        name = t.source.get("name") if t.source.get("kind") == "task" else None
        target = None
        if name is not None:
            try:
                target = _auto_target(name, np.asarray(x, dtype=np.float64), t.dataset)
            except Exception:                                   # noqa: BLE001 — fall back to the model's answer
                target = None
        self.session.use_model(t.current_model(), x, target, t.trainer.config)
        self.docks["cell"].raise_()

    # ---- inspector ----------------------------------------------------------------------------------
    def inspect(self, title, entries):
        self.inspector.inspect(title, entries)
        dock = self.docks["inspector"]
        dock.show()
        dock.raise_()

    def inspect_node(self, key):
        s = self.session
        idx, c = s.index, s.cursor
        if idx is None:
            return
        known = lambda k: idx.value(k) if idx.known_at(k) <= c else None  # noqa: E731
        kind = key[0]
        if kind == "x":
            t = key[1]
            self.inspect(f"x({t + 1}) — the input at step {t + 1}", [(f"x({t + 1})", idx.x[t], False)])
        elif kind == "h":
            _, l, d, t = key
            name = idx.state_name("h", l, d, t)
            entries = [(name, known(key), False), (f"∂L/∂{name}", known(("dh", l, d, t)), True)]
            if s.spec.cell == "lstm":
                cname = idx.state_name("c", l, d, t)
                entries += [(cname, known(("c", l, d, t)), False), (f"∂L/∂{cname}", known(("dc", l, d, t)), True)]
            gates = known(("gates", l, d, t))
            if gates is not None:
                letters = "ifgo" if s.spec.cell == "lstm" else "rzn"
                entries.append((f"gates [{' '.join(letters)}] × units", gates, False))
            if all(a is None for _, a, _ in entries):
                self._status_message(f"{name} is not computed yet: step forward to reach it")
            self.inspect(f"{name} — layer {l + 1}{' (reverse)' if d else ''}, t = {t + 1}", entries)
        elif kind == "h0":
            _, l, d = key
            self.inspect("initial state (zeros)", [("h(0)", np.zeros(s.spec.hidden_size), False)])
        elif kind == "o":
            t = key[1]
            entries = [(f"o({t + 1})", known(key), False), (f"ŷ({t + 1})", known(("ŷ", t)), False)]
            if t in idx.do and idx.do_known[t] <= c:
                entries.append((f"∂L/∂o({t + 1})", idx.do[t], True))
            self.inspect(f"o({t + 1}) — the output at step {t + 1}", entries)
        elif kind == "L":
            t = key[1]
            v = known(key)
            self.inspect(f"L({t + 1})", [(f"L({t + 1})", None if v is None else np.array([v]), False)])
        elif kind == "loss":
            v = known(key)
            self.inspect("L — the loss", [("L", None if v is None else np.array([v]), False)])

    def inspect_arrow(self, key):
        s = self.session
        idx, c, tape = s.index, s.cursor, s.tape
        if idx is None:
            return
        kind = key[0]
        if kind in ("W", "U"):
            l, d, t = key[1], key[2], key[3]
            pname = f"rnn.weight_{'hh' if kind == 'W' else 'ih'}_l{l}" + ("_reverse" if d else "")
            sym = tape.symbol(pname)
            entries = [(sym, tape.params[pname], False)]
            bi = idx.event_of.get(("backward", l, d, t))
            if bi is not None and bi <= c:
                q = tape.events[bi].quantities
                entries.append((f"∂L/∂{sym} (step at t = {t + 1})", q.get(f"∂L/∂{kind} (step)"), True))
                entries.append((f"∂L/∂{sym} (sum so far)", q.get(f"∂L/∂{kind} (sum)"), True))
            g = s.tape.state_at(c).get(("grad", pname)) if c >= 0 else None
            if g is not None:
                entries.append((f"∂L/∂{sym} (total)", g, True))
            what = "hidden → hidden" if kind == "W" else "input → hidden"
            self.inspect(f"{sym} ({pname}) — {what}, shared by every timestep", entries)
        elif kind == "V":
            if s.spec.output_size is None:
                self.inspect("no output layer", [])
                return
            entries = [("V", tape.params["fc.weight"], False)]
            g = s.tape.state_at(c).get(("grad", "fc.weight")) if c >= 0 else None
            if g is not None:
                entries.append(("∂L/∂V (total)", g, True))
            self.inspect("V (fc.weight) — hidden → output, shared by every timestep", entries)
        elif kind == "loss":
            t = key[1]
            entries = []
            if t in idx.do and idx.do_known[t] <= c:
                entries.append((f"∂L/∂o({t + 1})", idx.do[t], True))
            self.inspect(f"o({t + 1}) → L({t + 1})", entries)

    # ---- lifecycle ----------------------------------------------------------------------------------
    def closeEvent(self, ev):
        if not files.confirm_close(self, self.training, self.save_session_as):
            ev.ignore()
            return
        if self.remember_layout:
            self.save_layout()
        self.training.shutdown()
        self.dashboard.timer.stop()
        self.debugger.stop_play()
        self.session.shutdown()
        super().closeEvent(ev)


def _set_text(label, text):
    if label.text() != text:
        label.setText(text)
