"""Reading a file off the GUI thread: a model, a session. The file is read and checked on a worker
(``read(path)``, no Qt); a progress dialog appears if that takes longer than 0.2 s and can cancel it
(the result is then dropped — nothing changes); the result is installed on the GUI thread
(``install(result)``). A refusal is the signal ``refused(title, message)``: one dialog, nothing lost.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog

from rnnsim.errors import RnnsimError

from .workers import Runner

SHOW_AFTER_MS = 200


class FileLoad(QObject):
    """One background read at a time; ``finished(bool)`` when installed (True) or refused/cancelled.

    No Python reference back to the window (a signal instead): a window ↔ loader reference cycle was
    collected by the garbage collector in an order that crashed PySide6."""

    finished = Signal(bool)
    refused = Signal(str, str)

    def __init__(self, parent_widget):
        super().__init__(parent_widget)
        self.runner = Runner("file-load", self)
        self.runner.done.connect(self._done)
        self.runner.failed.connect(self._failed)
        self.dialog = None
        self._job = None

    @property
    def busy(self) -> bool:
        return self.runner.busy

    def start(self, title: str, path: str, read, install) -> None:
        """Read ``path`` with ``read`` on the worker, then ``install`` the result; ``title`` names the
        action in the progress dialog and in a refusal ("Open the session")."""
        self._job = (title, path, install)
        self.dialog = QProgressDialog(f"{title}: reading {path}…", "Cancel", 0, 0, self.parent())
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(SHOW_AFTER_MS)
        self.dialog.canceled.connect(self.cancel)
        self.runner.submit(lambda job: read(path))

    def cancel(self) -> None:
        """Drop the read: nothing changes (the worker's result is ignored)."""
        if self._job is not None:
            self._job = None
            self._close()
            self.finished.emit(False)

    def _close(self):
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.reset()
            self.dialog.deleteLater()
            self.dialog = None

    def _done(self, result):
        job, self._job = self._job, None
        self._close()
        if job is None:
            return
        job[2](result)
        self.finished.emit(True)

    def _failed(self, exc):
        job, self._job = self._job, None
        self._close()
        if job is None:
            return
        title, path, _ = job
        if isinstance(exc, (RnnsimError, OSError)):
            self.refused.emit(f"Cannot {title[0].lower()}{title[1:]}", str(exc))
        else:                                # a bug of ours: said in the dialog, never a traceback on stderr
            self.refused.emit(f"Cannot {title[0].lower()}{title[1:]}",
                         f"Unexpected error while reading {path}: {type(exc).__name__}: {exc}")
        self.finished.emit(False)
