"""Start the desktop app: ``python main.py`` or ``rnnsim`` with no arguments call :func:`main`.

The window appears at once; numba's kernels warm up on a worker thread meanwhile (a "compiling"
status shows), and the first Tape is recorded on another.
"""
from __future__ import annotations

import faulthandler
import gc
import os
import signal
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication
# the app's icon in every size it is drawn at: the PNGs ``rnnsim install-desktop`` puts in the menu
from rnnsim.commands.install_desktop import ICON_SIZES, ICONS

from . import theme

_IMPORTED_AT = time.perf_counter()


def app_icon() -> QIcon:
    """The window icon: the PNGs of :data:`ICONS` (no SVG plugin needed); empty when they are missing."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = ICONS / f"rnnsim-{size}.png"
        if path.is_file():
            icon.addFile(str(path))
    return icon


def make_app(argv=None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName("rnnsim")
    app.setOrganizationName("rnnsim")
    # matches the menu entry of ``rnnsim install-desktop`` (StartupWMClass=rnnsim, Icon=rnnsim): the desktop
    # shows the entry's icon and name for this window, and Wayland compositors find the entry by this name
    app.setDesktopFileName("rnnsim")
    app.setWindowIcon(app_icon())
    app.setStyle("Fusion")
    app.setFont(theme.ui_font(10))
    app.setStyleSheet(theme.STYLE)
    return app


class GuiThreadCollector(QObject):
    """Python's cyclic garbage collector run by the GUI thread between events, instead of wherever an
    allocation crosses its threshold. An automatic collection can run inside a Qt call — seen: one inside
    ``QObject::disconnect`` deleted a QObject, whose destructor waited for the connection lock that call
    held, and the app hung — or on a worker thread, where deleting a QObject crashes Qt. Every
    ``interval_ms`` this collects what automatic collection would have (the same thresholds; pyqtgraph's
    ``GarbageCollector`` does likewise)."""

    def __init__(self, parent=None, interval_ms: int = 1000):
        super().__init__(parent)
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(collect_due)
        self.timer.start(interval_ms)


def collect_due() -> int:
    """Collect the generations whose counts passed ``gc.get_threshold()``, youngest first, as the automatic
    collector would; return the unreachable objects found."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    due = -1
    for generation in range(3):                # collecting a generation collects the younger ones too
        if counts[generation] <= thresholds[generation]:
            break
        due = generation
    return gc.collect(due) if due >= 0 else 0


def settle_memory() -> None:
    """Exempt everything built so far (Qt wrappers, modules, numba's compiled code: ~170 000 objects)
    from the cyclic garbage collector. Measured: while training, a full collection over them paused
    the window for 40–130 ms every few seconds; the objects made later are few and young."""
    gc.collect()
    gc.freeze()


def main(argv=None) -> int:
    if sys.stderr is not None:           # a crash in Qt's or numba's native code names the Python line it ran
        faulthandler.enable()
    # start-up makes ~170 000 long-lived objects (modules, Qt wrappers): cyclic collections meanwhile would
    # walk them again and again and free nothing; settle_memory() collects once and freezes them after the paint,
    # and then the GUI thread collects on a timer (GuiThreadCollector), never automatic collection again
    gc.disable()
    from rnnsim.train_process import TrainerProcess

    app = make_app(argv)
    from .main_window import MainWindow

    window = MainWindow(remember_layout=True, autosave=True)
    if os.environ.get(TRACE_VARIABLE):
        StartupTrace(window)                       # a child of the window: lives as long as it
    window.show()

    def after_paint():
        settle_memory()
        GuiThreadCollector(app)                    # collections from now on: on this thread, between events
        window.session.start()                     # the first Tape, then the warm-up, each on its own thread
        # the hidden docks' contents, piece by piece, once the learner has the first Tape to look at
        once(window.session.tapeChanged, lambda: QTimer.singleShot(IDLE_BUILD_AFTER_MS, window.later.builder.start))
        window.offer_recovery()                    # a session autosaved by a run that was killed
        once(window.session.tapeChanged, TrainerProcess.prestart)   # imports for ~0.5 s in its own process

    FirstPaint(window, after_paint)
    quit_on_sigterm(app)
    return app.exec()


#: ms after the first Tape is shown before the hidden docks are built (ui/deferred.py): the first moments
#: of a start belong to the learner's first clicks
IDLE_BUILD_AFTER_MS = 400
#: set to a non-empty value to have :func:`main` print when the window was first painted and became usable
TRACE_VARIABLE = "RNNSIM_STARTUP_TRACE"
#: the event loop must answer a posted call within this many seconds for the window to count as usable
RESPONSIVE_WITHIN = 0.05


def process_age() -> float:
    """Seconds since this process started: ``clock_gettime(CLOCK_BOOTTIME)`` minus the start time in
    ``/proc/self/stat`` (field 22, in clock ticks since boot: 10 ms resolution). Where there is no
    ``/proc`` (macOS, Windows): seconds since this module was imported."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()     # after "(comm)", which may hold spaces
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")    # field 22 overall; field 3 is fields[0]
        return time.clock_gettime(time.CLOCK_BOOTTIME) - started
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _IMPORTED_AT


class StartupTrace(QObject):
    """Prints ``startup painted <s>`` and ``startup interactive <s>`` on stderr (seconds since the process
    started, :func:`process_age`) when :data:`TRACE_VARIABLE` asks for it; ``bench/bench_startup.py`` reads them.

    *Painted*: the main window's first paint event has been handled and the event loop runs again (a
    zero-delay call posted from that paint event fires). *Interactive*: the first Tape is shown
    (``window.ready``) and the event loop answers a posted call within :data:`RESPONSIVE_WITHIN`;
    checked every 10 ms after the paint. ``painted`` and ``interactive`` keep the two instants."""

    def __init__(self, window, stream=None):
        super().__init__(window)
        self.window = window
        self.stream = stream if stream is not None else sys.stderr
        self.painted: float | None = None
        self.interactive: float | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(10)
        self._poll.timeout.connect(self._check_ready)
        self._pinging = False
        window.installEventFilter(self)

    def eventFilter(self, watched, event):
        if watched is self.window and event.type() == QEvent.Type.Paint and self.painted is None:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self._on_painted)
        return False

    def _on_painted(self):
        self.painted = process_age()
        self._print("painted", self.painted)
        self._poll.start()

    def _check_ready(self):
        if self._pinging or not self.window.ready:
            return
        self._pinging = True
        sent = time.perf_counter()
        QTimer.singleShot(0, lambda: self._on_pong(sent))

    def _on_pong(self, sent):
        self._pinging = False
        if self.interactive is None and time.perf_counter() - sent <= RESPONSIVE_WITHIN and self.window.ready:
            self._poll.stop()
            self.interactive = process_age()
            self._print("interactive", self.interactive)

    def _print(self, what, seconds):
        print(f"startup {what} {seconds:.3f}", file=self.stream, flush=True)


class FirstPaint(QObject):
    """Calls ``then()`` once, as soon as ``widget``'s first paint event has been handled — or after
    ``at_most_ms`` when no paint comes (a window opened minimised): work that the first picture does not
    need (threads that compete for the interpreter, other processes) waits until the window is on screen."""

    def __init__(self, widget, then, at_most_ms: int = 1500):
        super().__init__(widget)
        self.widget, self.then = widget, then
        self.fallback = QTimer(self)
        self.fallback.setSingleShot(True)
        self.fallback.timeout.connect(self._run)
        self.fallback.start(at_most_ms)
        self._ran = False
        widget.installEventFilter(self)

    def eventFilter(self, watched, event):
        if watched is self.widget and event.type() == QEvent.Type.Paint and not self._ran:
            QTimer.singleShot(0, self._run)        # after this paint (and the rest of its frame) is done
        return False

    def _run(self):
        if self._ran:
            return
        self._ran = True
        self.fallback.stop()
        self.widget.removeEventFilter(self)
        self.then()


def once(signal, slot) -> None:
    """Connect ``slot`` (no arguments) to ``signal`` for its next emission only."""
    def fire(*_):
        signal.disconnect(fire)
        slot()
    signal.connect(fire)


def quit_on_sigterm(app) -> QTimer:
    """SIGTERM (a logout, ``kill``) ends the event loop instead of the process: a save in progress
    finishes (or removes its temporary file) first, and the training process is stopped. Python runs
    signal handlers only between its own bytecodes, so a light timer gives it the chance while Qt waits."""
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    ticker = QTimer(app)
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
    return ticker


if __name__ == "__main__":
    sys.exit(main())
