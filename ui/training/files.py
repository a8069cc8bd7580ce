"""Session files in the app: save/open with a dialog, recent files, the unsaved-changes prompt.

The main window owns the menus; these helpers keep the dialogs and their wording in one place:

    recent = RecentFiles()                        # QSettings-backed, most recent first, missing files dropped
    if save_session_as(window, controller, recent): ...
    open_session(window, controller, path, recent)
    def closeEvent(self, ev):                     # the main window
        if not confirm_close(self, controller, lambda: save_session_as(self, controller, recent)):
            ev.ignore(); return
        controller.shutdown()
"""
from __future__ import annotations

import os

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

SESSION_FILTER = "rnnsim session (*.rnnsession.npz *.npz)"
MODEL_FILTER = "rnnsim model (*.npz)"
SUFFIX = ".rnnsession.npz"


class RecentFiles(QObject):
    """The last few session files, newest first, kept in QSettings (``key``)."""

    changed = Signal(list)

    def __init__(self, settings: QSettings | None = None, key: str = "training/recentSessions", limit: int = 8,
                 parent=None):
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings("rnnsim", "rnnsim")
        self.key, self.limit = key, limit

    def paths(self) -> list[str]:
        value = self.settings.value(self.key, [])
        if isinstance(value, str):                      # QSettings returns a lone string for one entry
            value = [value]
        return [p for p in (value or []) if isinstance(p, str) and os.path.isfile(p)]

    def add(self, path) -> None:
        path = os.path.abspath(os.fspath(path))
        paths = [path] + [p for p in self.paths() if p != path]
        self._store(paths[: self.limit])

    def remove(self, path) -> None:
        path = os.path.abspath(os.fspath(path))
        self._store([p for p in self.paths() if p != path])

    def clear(self) -> None:
        self._store([])

    def _store(self, paths):
        self.settings.setValue(self.key, paths)
        self.settings.sync()
        self.changed.emit(list(paths))


def save_session_as(parent: QWidget, controller, recent: RecentFiles | None = None, path: str | None = None) -> bool:
    """Ask for a file name (unless ``path``) and save the session there; True when saved."""
    if path is None:
        start = controller.source.get("name") or "training"
        path, _ = QFileDialog.getSaveFileName(parent, "Save training session", f"{start}{SUFFIX}", SESSION_FILTER)
        if not path:
            return False
        if not path.endswith(".npz"):
            path += SUFFIX
    ok = controller.save_session(path)
    if ok and recent is not None:
        recent.add(path)
    return ok


def open_session(parent: QWidget, controller, path: str | None = None, recent: RecentFiles | None = None,
                 loader=None) -> bool:
    """Ask for a session file (unless ``path``) and open it — read on ``loader`` (ui.file_load.FileLoad:
    off the GUI thread) when given, else at once; on a refusal the learner is told why and nothing open
    changes. Asks first when there is unsaved training. True when opened (or, with a loader, started)."""
    if path is None:
        path, _ = QFileDialog.getOpenFileName(parent, "Open training session", "", SESSION_FILTER)
        if not path:
            return False
    if not confirm_discard(parent, controller, "Open another session"):
        return False
    if loader is None:
        ok = controller.open_session(path)
        if recent is not None:
            recent.add(path) if ok else recent.remove(path)
        return ok

    def install(prepared):
        controller.install_session(prepared)
        if recent is not None:
            recent.add(path)

    def refused(ok):
        if not ok and recent is not None:
            recent.remove(path)
        loader.finished.disconnect(refused)

    loader.finished.connect(refused)
    loader.start("Open the session", str(path), controller.read_session, install)
    return True


def confirm_discard(parent: QWidget, controller, action: str) -> bool:
    """Before something replaces unsaved training: continue (True) or not. Asks only when dirty."""
    if not controller.dirty:
        return True
    answer = QMessageBox.question(
        parent, action, "The training in the dashboard has not been saved; it will be lost.\nContinue anyway?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


def confirm_close(parent: QWidget, controller, save) -> bool:
    """The quit prompt: Save / Discard / Cancel when the training has not been saved. ``save()`` → bool.
    True: go ahead and close."""
    if not controller.dirty:
        return True
    answer = QMessageBox.question(
        parent, "Unsaved training",
        f"The training in the dashboard ({controller.step_count} steps) has not been saved.\n"
        "Save it as a session (model, settings, data source and plots) before quitting?",
        QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Save)
    if answer == QMessageBox.StandardButton.Save:
        return bool(save())
    return answer == QMessageBox.StandardButton.Discard
