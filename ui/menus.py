"""The main window's menu bar. Every action is also added to the window, so its shortcut works wherever the
focus is; the actions tests and other modules use are kept as window attributes."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from . import appearance


def build(self):
    """The menu bar of ``self`` (the main window): File, Debug, Training, View, Help — its actions become
    attributes of the window (``open_action``, ``docks_menu``, ``training_actions``, ...)."""
    mb = self.menuBar()
    file = mb.addMenu("&File")
    self.open_action = action(self, file, "&Open model…", self.open_model, QKeySequence.StandardKey.Open,
                              "Open a model file (.npz, e.g. saved from PyTorch): the debugger steps "
                              "through it, training trains it, Predict asks it")
    self.save_action = action(self, file, "&Save model…", self.save_model, QKeySequence.StandardKey.Save,
                              "Save the session's model (its weights as they are now) as an .npz file")
    file.addSeparator()
    self.open_session_action = action(
        self, file, "Open s&ession…", lambda: self.open_session(None), "Ctrl+Shift+O",
        "Open a session (model, data source, training settings, plots and the debugger's probe)")
    self.save_session_action = action(
        self, file, "Save session &as…", lambda: self.save_session_as(None), "Ctrl+Shift+S",
        "Save the session (model, data source, training settings, plots and the debugger's probe)")
    self.recent_menu = file.addMenu("&Recent sessions")
    file.addSeparator()
    self.open_lesson_action = action(self, file, "Open &lesson…", lambda: self.open_lesson(None), None,
                                     "Open a lesson file: it is added to the Lessons page")
    self.save_lesson_action = action(
        self, file, "Save as lesso&n…", lambda: self.save_as_lesson(), None,
        "Save the session's set-up (data, network, training settings; the weights if you tick it) as a "
        "lesson file to edit and share")
    self.recent.changed.connect(lambda _: rebuild_recent(self))
    rebuild_recent(self)
    file.addSeparator()
    action(self, file, "&Quit", self.close, QKeySequence.StandardKey.Quit, "Close rnnsim")
    edit = mb.addMenu("&Edit")
    stack = self.session.edits.stack
    self.undo_action = stack.createUndoAction(self, "&Undo")
    self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
    self.redo_action = stack.createRedoAction(self, "&Redo")
    self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
    for a in (self.undo_action, self.redo_action):
        a.setStatusTip("Weights set by hand (a value typed in the inspector, a point on the cost surface)")
        edit.addAction(a)
        self.addAction(a)
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
    _training_menu(self, mb)
    view = mb.addMenu("&View")
    g = self.graph
    self.unrolled_action = action(self, view, "&Unrolled graph", lambda: g.show_page(0), "Ctrl+1",
                                  "The network unrolled in time")
    self.folded_action = action(self, view, "&Folded graph (the cycle)", lambda: g.show_page(1), "Ctrl+2",
                                "The same network as one cell with a loop")
    self.side_by_side_action = action(self, view, "Folded and unrolled &side by side", lambda: g.show_page(2),
                                      "Ctrl+3", "The one cell with its loop beside its copies, one per timestep")
    view.addSeparator()
    action(self, view, "Zoom &in", lambda: g.view.zoom(1.25), QKeySequence.StandardKey.ZoomIn, "Zoom in")
    action(self, view, "Zoom &out", lambda: g.view.zoom(1 / 1.25), QKeySequence.StandardKey.ZoomOut, "Zoom out")
    action(self, view, "&Actual size", g.view.zoom_reset, "Ctrl+0", "Zoom to 100%")
    action(self, view, "&Fit the sequence", g.view.fit_all, "Ctrl+9", "Fit the whole unrolled graph")
    view.addSeparator()
    self.docks_menu = view.addMenu("&Panels")
    appearance.add_menus(self, view)
    action(self, view, "&Reset layout", self.reset_layout, None,
           "Every panel back in its first place (the layout is otherwise kept between runs)")
    help_ = mb.addMenu("&Help")
    self.lessons_action = action(self, help_, "&Lessons", self.show_lessons, "Ctrl+Shift+L",
                                 "The lessons: every experiment of the source material, three clicks away")
    lessons_bar = self.addToolBar("Lessons")
    lessons_bar.setObjectName("toolbar-lessons")
    lessons_bar.addAction(self.lessons_action)
    action(self, help_, "&Keyboard shortcuts", self.show_shortcuts, "F1", "List every keyboard shortcut")
    action(self, help_, "&About rnnsim", self.show_about, None, "What this program is")

#: the dashboard's own keys (F5, F6, Shift+F5) belong to the debugger here
TRAINING_KEYS = {"train": "Ctrl+T", "pause": "Ctrl+P", "stop": "Ctrl+Shift+T", "reset": None,
             "train_steps": "Ctrl+Shift+N"}

def _training_menu(self, mb):
    menu = mb.addMenu("&Training")
    acts = self.dashboard.actions
    for key in ("train", "pause", "stop", "reset", "train_steps"):
        a = acts[key]
        keys = TRAINING_KEYS[key]
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
    self.show_trained_action = action(
        self, menu, "Show in &debugger", self.show_trained_in_debugger, "Ctrl+Shift+D",
        "Step through the weights training has reached (a new Tape); happens by itself when a run ends "
        "while you are not stepping, and is offered in the debugger's toolbar when you are")
    acts["train"].triggered.connect(self.show_dashboard)
    acts["train_steps"].triggered.connect(self.show_dashboard)
    self.training_actions = [acts[k] for k in ("train", "pause", "stop", "reset", "train_steps")] + [
        self.show_trained_action]

def rebuild_recent(self):
    """The Recent sessions submenu, from the window's list of recent files."""
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

def action(self, menu, text, slot, keys, tip):
    """A menu action that is also the window's (its shortcut works wherever the focus is)."""
    a = QAction(text, self)
    if keys is not None:
        a.setShortcut(QKeySequence(keys))
    a.setStatusTip(tip)
    a.setToolTip(tip)
    a.triggered.connect(slot)
    menu.addAction(a)
    self.addAction(a)
    return a
