"""The main window: the unrolled graph in the centre, the debugger toolbar on top, docks around it
(model & probe on the left, equations and inspector on the right, the cell's insides below).

Docks are added through :meth:`MainWindow.add_dock`, which also lists them in the View menu —
the training plots of the next issue plug in the same way.
"""
from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QWidget,
)

from rnnsim.errors import LessonError
from rnnsim.lessons import builtin_lessons

from . import appearance, dialogs, inspect_targets, menus
from .autosave import Autosave, left_behind
from .debugger import Debugger
from .deferred import LaterParts
from .file_load import FileLoad
from .livetext import LiveText
from .panels import lesson_files
from .panels.data import DataPanel
from .panels.generate import GeneratePanel
from .panels.gradcheck import GradcheckPanel
from .panels.hyperparameters import HyperparametersPanel
from .panels.lesson_driver import LessonDriver
from .panels.lessons import LessonsPanel
from .panels.model import ModelPanel
from .panels.predict import PredictPanel
from .panels.runs import RunsPanel
from .session import Session
from .training import files
from .training.dashboard import TrainingDashboard
from .views.cell import CellView
from .views.equation import EquationView
from .views.inspector import Inspector
from .views.unrolled import GraphPanel

LEFT, RIGHT, BOTTOM = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                       Qt.DockWidgetArea.BottomDockWidgetArea)
#: every dock of the window: key, title, area, the dock it is a tab of (None: the first of its group)
DOCKS = (
    ("model", "Model and probe", LEFT, None),
    ("data", "Training data", LEFT, "model"),
    ("hyper", "Hyperparameters", LEFT, "model"),
    ("predict", "Predict", LEFT, "model"),
    ("generate", "Generate", LEFT, "model"),
    ("runs", "Runs", LEFT, "model"),
    ("gradcheck", "Gradient check", LEFT, "model"),
    ("equations", "Equations", RIGHT, None),
    # the right column is the window's only full-height one: room to read a lesson beside the views it moves
    ("lessons", "Lessons", RIGHT, "equations"),
    ("inspector", "Inspector", RIGHT, None),               # under the equations
    ("cell", "Inside the cell", BOTTOM, None),
    ("dashboard", "Training", BOTTOM, "cell"),
    ("surface", "Cost surface", BOTTOM, "cell"),
    ("boundary", "Decision boundary", BOTTOM, "cell"),
)
#: what a learner watches while training runs: pressing Train leaves any of these in front
TRAINING_VIEWS = ("dashboard", "surface", "boundary")
FRONT_DOCKS = ("model", "equations", "cell")                # the tabs in front at the start


class MainWindow(QMainWindow):
    #: the window's size and dock layout are kept here between runs (``remember_layout``)
    LAYOUT_KEY, LAYOUT_VERSION = "window/layout", 2
    #: whether the window opens on the Lessons page (the check box under the lessons; default: yes)
    LESSONS_AT_START_KEY = "lessons/showAtStart"

    def __init__(self, session: Session | None = None, setup: dict | None = None, remember_layout: bool = False,
                 autosave: bool = False):
        """``setup``: flat settings to start from (see Session.configure), e.g. {"task": "bitcount"};
        ``remember_layout``: the window keeps the learner's preferences between runs (its layout, and — while
        "Show lessons at start" is ticked, as it is on a first start — opening on the Lessons page);
        ``autosave``: keep the session in the user's data folder for recovery (ui/autosave.py)."""
        super().__init__()
        self.remember_layout = remember_layout
        if remember_layout:                          # the kept text size and theme, before any view is built
            appearance.apply_appearance(QApplication.instance())
        self.setWindowTitle("rnnsim — recurrent networks, step by step")
        self.setObjectName("rnnsim-main")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self.session = session or Session(self)
        if self.session.parent() is None:
            self.session.setParent(self)
        self.training = self.session.training         # the session's model, data and training settings
        self.docks: dict[str, QDockWidget] = {}
        self._dialogs = []

        self.graph = GraphPanel(self.session, self)
        self.setCentralWidget(self.graph)
        self.debugger = Debugger(self.session, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.debugger)

        self.model_panel = ModelPanel(self.session)
        self.equations = EquationView(self.session)
        self.inspector = Inspector(session=self.session)
        self.cell = CellView(self.session)
        # the plots, the cost surface and the boundary: built when first shown, or after the window is ready
        self.dashboard = TrainingDashboard(self.training, show_errors=False, lazy=True)
        self.data_panel = DataPanel(self.training)
        self.hyper_panel = HyperparametersPanel(self.training)
        self.predict_panel = PredictPanel(self.training)
        self.recent = files.RecentFiles(parent=self)
        self.later = LaterParts(self, wrap_surface=lambda w: _scrolled(w, horizontal=True))
        self.runs_panel = RunsPanel(self.training, show_errors=False)
        self.gradcheck_panel = GradcheckPanel(self.training)
        self.generate_panel = GeneratePanel(self.training)
        show_at_start = _truthy(self._layout_settings().value(self.LESSONS_AT_START_KEY, True))
        self.lessons_at_start = remember_layout and show_at_start
        self.lessons_panel = LessonsPanel(show_at_start)
        self.lessons_panel.showAtStartChanged.connect(
            lambda on: self._layout_settings().setValue(self.LESSONS_AT_START_KEY, bool(on)))
        self.lesson_driver = LessonDriver(self, self.lessons_panel, self)
        self.opened_lessons: list = []              # lesson files opened with File → Open lesson
        menus.build(self)
        # in scroll areas: on a 1366 × 768 screen their contents are taller than the space they get, and
        # would otherwise make the window taller than the screen
        widgets = {"model": self.model_panel, "lessons": self.lessons_panel, "data": _scrolled(self.data_panel),
                   "hyper": self.hyper_panel,
                   "predict": _scrolled(self.predict_panel), "generate": _scrolled(self.generate_panel, horizontal=True),
                   "runs": _scrolled(self.runs_panel, horizontal=True),
                   "gradcheck": _scrolled(self.gradcheck_panel), "equations": self.equations,
                   "surface": self.later.surface, "boundary": self.later.boundary, "inspector": self.inspector,
                   "cell": self.cell, "dashboard": _scrolled(self.dashboard, horizontal=True)}
        for key, title, area, _ in DOCKS:
            self.add_dock(key, title, widgets[key], area)
        self.place_docks()
        self.later.build_when_seen(self.docks)
        # the bottom docks (the cell view, the training dashboard) reach the left edge: the dashboard's plots
        # and controls need the width at 1366 px; the equations keep the right column's full height
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
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
        self.predict_panel.openInDebugger.connect(self.open_sequence_in_debugger)
        self.runs_panel.exportFailed.connect(lambda text: self.show_training_error("Cannot export the runs", text))
        self.runs_panel.exported.connect(lambda path: self._status_message(f"Runs exported to {path}"))
        self.gradcheck_panel.finished.connect(lambda report: self._status_message(report.verdict))
        self.model_panel.showPanel.connect(self.show_panel)
        if setup:
            self.session.configure(**setup)
        self.loader = FileLoad(self)
        self.loader.refused.connect(self.show_training_error)
        self.autosave = Autosave(self.training, self) if autosave else None
        if self.autosave is not None:
            self.autosave.start()
        self.setWindowTitle("rnnsim — recurrent networks, step by step[*]")
        self.resize(1600, 1000)
        self._sized = False
        self.reload_lessons()

    # ---- the parts built after the window is on screen (ui/deferred.py) ---------------------------------
    @property
    def cost_surface(self):
        """The cost surface beside the gradient over time (built now if it was not yet)."""
        return self.later.surface.build()

    @property
    def boundary(self):
        """The decision boundary view (built now if it was not yet)."""
        return self.later.boundary.build()

    def build_deferred(self) -> None:
        """Build the training plots, the cost surface and the decision boundary now (the app builds them in
        idle moments after the first Tape: ``later.builder.start()``)."""
        self.later.builder.finish()

    def showEvent(self, ev):
        super().showEvent(ev)
        if not self._sized:
            self._sized = True
            appearance.fit_to_screen(self)           # a first start, or a layout kept from a bigger screen
            if not (self.remember_layout and self.restore_layout()):
                self.initial_sizes()
            appearance.fit_to_screen(self)
            if self.lessons_at_start:
                self.show_lessons()
            QTimer.singleShot(0, self, lambda: appearance.hide_stale_tab_bars(self))

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
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.place_docks()
        appearance.fit_to_screen(self)
        self.initial_sizes()
        QTimer.singleShot(0, self, lambda: appearance.hide_stale_tab_bars(self))

    def place_docks(self) -> None:
        """Every dock in its first place (DOCKS): tabs stacked on their first dock, the inspector under the
        equations, the first tab of each group in front."""
        for key, _, area, tab_of in DOCKS:
            self.addDockWidget(area, self.docks[key])
        self.splitDockWidget(self.docks["equations"], self.docks["inspector"], Qt.Orientation.Vertical)
        for key, _, _, tab_of in DOCKS:
            if tab_of is not None:
                self.tabifyDockWidget(self.docks[tab_of], self.docks[key])
        for key in FRONT_DOCKS:
            self.docks[key].raise_()

    def initial_sizes(self):
        """The first layout (appearance.initial_sizes): graph in the middle, model panel left, equations right,
        cell below — narrower columns on a small screen."""
        appearance.initial_sizes(self)

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
        self.compile_label = QLabel("⚙ Preparing kernels…")
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
        actions = self.debugger.all_actions + self.training_actions + [
            self.unrolled_action, self.folded_action, self.open_action, self.save_action,
            self.open_session_action, self.save_session_action]
        self._keep(dialogs.shortcuts_dialog(self, actions)).open()

    def show_about(self):
        self._keep(dialogs.about_box(self)).open()

    def _keep(self, box):
        """Keep a non-blocking dialog alive until it closes."""
        self._dialogs.append(box)
        box.finished.connect(lambda _: self._dialogs.remove(box) if box in self._dialogs else None)
        return box

    def open_model(self, path: str | None = None):
        """File → Open model: the session's model becomes the file's (asks first when trained work would go).
        The file is read on a worker (progress after 0.2 s, can be cancelled); True when reading started."""
        if not files.confirm_discard(self, self.training, "Open a model"):
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open a model", "", files.MODEL_FILTER)
        if not path:
            return False
        self.loader.start("Open the model", str(path), self.training.read_model, self.training.install_model)
        return True

    def save_model(self, path: str | None = None):
        """File → Save model: the session's model as it is now (trained, or with updates applied)."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save the model", "model.npz", files.MODEL_FILTER)
        return bool(path) and self.training.save_model(path)

    def open_session(self, path=None):
        """File → Open session: read on a worker (progress after 0.2 s, can be cancelled); True when started."""
        return files.open_session(self, self.training, path, self.recent, self.loader)

    def save_session_as(self, path: str | None = None):
        return files.save_session_as(self, self.training, self.recent, path)

    # ---- lessons -----------------------------------------------------------------------------------
    def reload_lessons(self, select_id: str | None = None) -> None:
        """The built-in lessons and those opened, listed on the Lessons page (a bad built-in file: a dialog)."""
        try:
            lessons = builtin_lessons()
        except LessonError as exc:
            lessons = []
            self.show_training_error("A built-in lesson is broken", str(exc))
        ids = {lesson.id for lesson in self.opened_lessons}
        self.lessons_panel.set_lessons([x for x in lessons if x.id not in ids] + self.opened_lessons, select_id)

    def show_lessons(self) -> None:
        """Help → Lessons: the Lessons page in front, three quarters of its column tall (the inspector under it
        keeps the rest)."""
        self.show_panel("lessons")
        lessons, inspector = self.docks["lessons"], self.docks["inspector"]
        if not lessons.isFloating() and self.dockWidgetArea(lessons) == self.dockWidgetArea(inspector):
            h = lessons.height() + inspector.height()
            self.resizeDocks([lessons, inspector], [int(h * 0.75), h - int(h * 0.75)], Qt.Orientation.Vertical)

    def open_lesson(self, path: str | None = None) -> bool:
        """File → Open lesson: add a lesson file to the list (a bad file: a dialog naming the field)."""
        return lesson_files.open_lesson(self, path)

    def save_as_lesson(self, path: str | None = None, title: str | None = None,
                       with_weights: bool | None = None) -> bool:
        """File → Save as lesson: the session's set-up (and the current weights if asked) as a lesson file,
        written atomically. ``title``/``with_weights``/``path`` given: no dialogs."""
        return lesson_files.save_as_lesson(self, path, title, with_weights)

    # ---- training <-> debugger ----------------------------------------------------------------------
    def show_training_error(self, title, message):
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _: self._dialogs.remove(box) if box in self._dialogs else None)
        self._dialogs.append(box)
        box.open()

    def show_dashboard(self):
        """Training starts: its dashboard comes to the front — unless the cost surface or the decision boundary
        already is (they show the run too) — at least 45 % of the window tall (60 % on a window under 900 px:
        plots are unreadable lower than that)."""
        watching = [k for k in TRAINING_VIEWS if self.docks[k].isVisible()
                    and not self.docks[k].visibleRegion().isEmpty()]
        dock = self.docks[watching[0] if watching else "dashboard"]
        dock.show()
        dock.raise_()
        share = 0.45 if self.height() >= 900 else 0.6
        if not dock.isFloating() and dock.height() < share * self.height():
            self.resizeDocks([dock], [int(share * self.height())], Qt.Orientation.Vertical)

    def show_panel(self, key: str):
        dock = self.docks[key]
        dock.show()
        dock.raise_()

    def show_trained_in_debugger(self):
        """The debugger steps through the weights training has reached (a new Tape)."""
        self.session.accept_offer()

    def open_sequence_in_debugger(self, x):
        """Predict panel → debugger: the session's model on the typed sequence (target: the task's rule when
        there is one, else the model's own answer)."""
        self.session.set_probe_input(x)
        self.docks["cell"].raise_()

    # ---- inspector ----------------------------------------------------------------------------------
    def inspect(self, title, entries, refresh=None):
        self.inspector.inspect(title, entries, refresh)
        dock = self.docks["inspector"]
        dock.show()
        dock.raise_()

    def inspect_node(self, key):
        title, entries, note = inspect_targets.node_entries(self.session, key)
        if note:
            self._status_message(note)
        if title is not None:
            self.inspect(title, entries, lambda: inspect_targets.node_entries(self.session, key)[:2])

    def inspect_arrow(self, key):
        title, entries = inspect_targets.arrow_entries(self.session, key)
        if title is not None:
            self.inspect(title, entries, lambda: inspect_targets.arrow_entries(self.session, key))

    def offer_recovery(self, ask=None) -> bool:
        """At start-up: a session autosaved by a run that was killed or crashed is offered back. ``ask(text)``
        → bool (default: a Yes/No question). True when it was restored."""
        found = left_behind()
        if found is None:
            return False
        path, when = found
        text = (f"rnnsim did not close properly last time. Its session was saved automatically at {when}.\n\n"
                "Restore it?")
        if ask is None:
            answer = QMessageBox.question(self, "Restore the last session?", text,
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.Yes)
            ask_result = answer == QMessageBox.StandardButton.Yes
        else:
            ask_result = ask(text)
        if not ask_result:
            return False
        ok = self.training.open_session(str(path))
        if ok:
            self.training.mark_unsaved()            # restored work is not saved anywhere of the learner's yet
        return ok

    # ---- lifecycle ----------------------------------------------------------------------------------
    def closeEvent(self, ev):
        if not files.confirm_close(self, self.training, self.save_session_as):
            ev.ignore()
            return
        if self.remember_layout:
            self.save_layout()
        if self.autosave is not None:
            self.autosave.discard()
        self.training.shutdown()
        self.gradcheck_panel.shutdown()
        self.lesson_driver.runner.stop()
        self.later.builder.timer.stop()
        surface, boundary = self.later.surface.content, self.later.boundary.content
        if surface is not None:
            surface.shutdown()
        for runner in ([boundary.runner] if boundary is not None else []) + [
                self.runs_panel.runner, self.generate_panel.runner] + self.dashboard.runners():
            runner.stop()                                  # their jobs read the model: done before it goes
        self.dashboard.timer.stop()
        self.debugger.stop_play()
        self.session.shutdown()
        super().closeEvent(ev)



def _truthy(value) -> bool:
    """A QSettings boolean (an INI file gives it back as the text "true"/"false")."""
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def _scrolled(widget: QWidget, horizontal: bool = False) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    if not horizontal:
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(widget)
    return scroll


def _set_text(label, text):
    if label.text() != text:
        label.setText(text)
