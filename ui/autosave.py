"""Autosave and recovery: the open session is saved to the user's data folder every minute while it
changes and at the end of every training run; a clean exit removes the file, so one found at start-up
means the app was killed or crashed, and the next start offers to restore it.

The file is an ordinary session file (rnnsim.session_file): restoring it is File → Open session, so a
restored session trains on exactly as the saved one would have (same weights, optimizer memory, epoch
position and shuffling). While a run is going the Trainer's state is the one from the run's start, so
the minute's autosave waits for the run to end (then it always saves).

``RNNSIM_DATA_DIR`` overrides the folder (tests, portable installs); ``RNNSIM_AUTOSAVE_SECONDS`` the
interval.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from rnnsim import session_file as sf
from rnnsim.errors import RnnsimError

from .training.controller import RUNNING

FILE_NAME = "autosave.rnnsim-session.npz"
RUN_ENDS = ("paused", "stopped", "finished", "diverged")


def data_folder() -> Path:
    """Where the app keeps its own files: ``RNNSIM_DATA_DIR`` or Qt's per-user application data folder."""
    override = os.environ.get("RNNSIM_DATA_DIR")
    if override:
        return Path(override)
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def autosave_path() -> Path:
    return data_folder() / FILE_NAME


class Autosave(QObject):
    """Saves ``controller``'s session to :func:`autosave_path` when it has changed: every ``seconds`` and
    when a training run ends. ``saved(path)`` after each save."""

    saved = Signal(str)

    def __init__(self, controller, parent=None, seconds: float | None = None):
        super().__init__(parent)
        self.controller = controller
        self.path = autosave_path()
        self.changed = False
        seconds = float(os.environ.get("RNNSIM_AUTOSAVE_SECONDS", 60)) if seconds is None else seconds
        self.timer = QTimer(self)
        self.timer.setInterval(max(int(seconds * 1000), 100))
        self.timer.timeout.connect(self.save_if_changed)
        for signal in (controller.modelChanged, controller.configChanged, controller.dataChanged,
                       controller.snapshots):
            signal.connect(self._mark)
        controller.stateChanged.connect(self._on_state)

    def start(self):
        self.timer.start()

    def _mark(self, *_):
        self.changed = True

    def _on_state(self, state):
        if state in RUN_ENDS and self.changed:
            self.save()

    def save_if_changed(self):
        if self.changed and self.controller.state != RUNNING:
            self.save()

    def save(self) -> bool:
        """Write the session now (not while a run is going: its Trainer is from the run's start)."""
        if self.controller.state == RUNNING:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            sf.save(self.path, self.controller.session_state())
        except (RnnsimError, OSError):
            return False                      # an autosave that fails must not disturb the learner
        self.changed = False
        self.saved.emit(str(self.path))
        return True

    def discard(self):
        """A clean exit: nothing to recover next time."""
        self.timer.stop()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def left_behind() -> tuple[Path, str] | None:
    """(path, when) of an autosave a killed or crashed run left, else None."""
    path = autosave_path()
    if not path.is_file():
        return None
    return path, time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))
