"""Parts of the window built after it is on screen: a warm start shows a usable window sooner.

The training plots, the cost surface and the decision boundary sit in docks that are hidden behind other
tabs at the start, and cost ~0.8 s to build plus ~0.2 s for pyqtgraph's import: more than the rest of
the window. :class:`Deferred` holds such a dock's contents until they are first seen or asked for;
:class:`IdleBuilder` builds them one small piece at a time once the window is ready, so a learner who
clicks their tab later finds them built and the event loop never stalls for long meanwhile;
:class:`LaterParts` is the main window's set of them.
"""
from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget


class Deferred(QWidget):
    """A placeholder that builds ``make()`` into itself when :meth:`build` is called (:func:`build_when_seen`).

    ``wrap(content)`` gives the widget actually placed (e.g. a scroll area around it); :meth:`build` returns
    the content itself — what the window's attribute names (``window.cost_surface``)."""

    def __init__(self, make: Callable[[], QWidget], wrap: Callable[[QWidget], QWidget] | None = None,
                 parent=None):
        super().__init__(parent)
        self._make, self._wrap = make, wrap
        self.content: QWidget | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)

    @property
    def built(self) -> bool:
        return self.content is not None

    def build(self) -> QWidget:
        if self.content is None:
            self.content = self._make()
            self.layout().addWidget(self._wrap(self.content) if self._wrap else self.content)
        return self.content


def import_in_background(modules, qt_modules=()) -> threading.Thread:
    """Import ``modules`` on a thread (started; join it). They define classes and values only, no Qt object
    with a thread of its own (measured: no Qt warning, and the event loop beside it never paused > 35 ms).
    ``qt_modules`` (the Qt libraries they load) are imported first, here on the calling (GUI) thread: the
    libraries' own initialisation does not race the window's painting (~5 ms). A failure is left for the
    main thread's own import of the module to report."""
    for name in qt_modules:
        importlib.import_module(name)

    def run():
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:       # noqa: BLE001  (reported by the main thread's import)
                return
    thread = threading.Thread(target=run, name="import plots", daemon=True)
    thread.start()
    return thread


def build_when_seen(dock, build: Callable[[], object]) -> None:
    """Call ``build()`` when ``dock`` (a QDockWidget) comes into view: shown, floated, or its tab selected.
    Its widget's showEvent would not do: a widget in a tab behind another stays "visible" to Qt."""
    dock.visibilityChanged.connect(lambda seen: build() if seen else None)


class IdleBuilder(QObject):
    """Runs the steps of ``make_steps()`` (an iterator: each ``next`` does one piece of work) one piece per
    timer tick, while ``when()`` holds; a tick is skipped while it does not (e.g. until the first Tape is
    shown). The iterator is made at the first piece and dropped after the last: a generator waiting
    unstarted would keep its owner in a reference cycle until a collection."""

    def __init__(self, make_steps: Callable[[], Iterator], when: Callable[[], bool], parent=None,
                 interval_ms: int = 15):
        super().__init__(parent)
        self.make_steps, self.when = make_steps, when
        self.steps: Iterator | None = None
        self.done = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.timer.start()

    def finish(self) -> None:
        """Build everything still missing now."""
        self.timer.stop()
        while self._next():
            pass

    def _tick(self):
        if self.when() and not self._next():
            self.timer.stop()

    def _next(self) -> bool:
        """One piece of work; False once there is none left."""
        if self.done:
            return False
        if self.steps is None:
            self.steps = self.make_steps()
        try:
            next(self.steps)
            return True
        except StopIteration:
            self.steps, self.done = None, True
            return False


class LaterParts:
    """The main window's parts built after the start: the training dashboard's plots (the dashboard itself,
    with its Train actions, is built at once), the cost surface (``surface``) and the decision boundary
    (``boundary``) — each when its dock is first seen (:meth:`build_when_seen`), all of them by ``builder``
    (started by the app after the first Tape; ``builder.finish()`` builds the rest at once)."""

    #: what those parts import (pyqtgraph with them): on a thread first (:func:`import_in_background`)
    MODULES = ("ui.plots.loss", "ui.plots.gates", "ui.plots.gradients", "ui.plots.heatmaps", "ui.plots.confusion",
               "ui.plots.text_sample", "ui.plots.boundary", "ui.panels.surface_view")
    #: the Qt libraries pyqtgraph loads beyond the window's: on the GUI thread
    QT_MODULES = ("PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtSvg", "PySide6.QtTest")

    def __init__(self, window, wrap_surface: Callable[[QWidget], QWidget] | None = None):
        self.window = window
        self.surface = Deferred(self._make_cost_surface, wrap_surface)
        self.boundary = Deferred(self._make_boundary)
        self.builder = IdleBuilder(self._steps, lambda: window.ready, window)
        self.loading: threading.Thread | None = None       # the background import, once the builder started it

    def _imports_done(self) -> None:
        """Wait for the background import: one thread importing a module at a time (two threads importing
        modules that import each other can make importlib refuse one with a deadlock error)."""
        if self.loading is not None:
            self.loading.join()

    def _build_plots(self):
        self._imports_done()
        self.window.dashboard.build_plots()

    def _make_cost_surface(self):
        self._imports_done()
        from .panels.surface_view import CostSurfaceView
        return CostSurfaceView(self.window.training, self.window.session.edits)

    def _make_boundary(self):
        self._imports_done()
        from .plots.boundary import BoundaryView
        return BoundaryView(self.window.training)

    def build_when_seen(self, docks: dict) -> None:
        """Build each part when its dock ({"dashboard", "surface", "boundary"} of ``docks``) is first seen."""
        build_when_seen(docks["dashboard"], self._build_plots)
        build_when_seen(docks["surface"], self.surface.build)
        build_when_seen(docks["boundary"], self.boundary.build)

    def _steps(self):
        self.loading = import_in_background(self.MODULES, self.QT_MODULES)    # ~0.3 s of imports, off the event loop
        while self.loading.is_alive():
            self.loading.join(0.002)
            yield
        while self.window.dashboard.build_plots_step():
            yield
        for part in (self.boundary, self.surface):
            part.build()
            yield
