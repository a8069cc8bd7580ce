"""The QThread that carries one training run between the GUI and its worker process.

The thread only waits on the pipe to :mod:`rnnsim.train_process` and queues the snapshots it receives;
the training itself has a process (and a core) of its own, so the dashboard's redraws and the Trainer
never share an interpreter lock.
"""
from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QThread, Signal

from rnnsim import train_process
from rnnsim.train import Trainer
from rnnsim.train_process import TrainerProcess

MAX_RATE_HZ = 15             # detail snapshots a second: a little more than the dashboard's 10.5 redraws


class TrainThread(QThread):
    """Runs one training run in a worker process (rnnsim.train_process) and queues the snapshots it
    sends; ``ready`` fires when a detailed one arrived (≤ MAX_RATE_HZ times a second).

    This thread only waits on the pipe and unpickles; the training itself has a process (and a core)
    of its own, so the GUI's redraws and the Trainer do not share an interpreter lock. When the run
    has ended, ``result`` is the trained Trainer (or ``failure`` says why there is none)."""

    ready = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.trainer = None
        self.max_steps = None
        self.result = None
        self.failure = None
        self.worker = None
        self._lock = threading.Lock()
        self._queue = []
        self._detail_at = -1
        self._signalled = False

    def launch(self, trainer: Trainer, max_steps: int | None):
        self.trainer, self.max_steps, self.result, self.failure = trainer, max_steps, None, None
        if self.worker is None:
            self.worker = TrainerProcess.acquire()
        self.start()

    def request_stop(self):
        if self.worker is not None:
            self.worker.request_stop()

    def release_worker(self):
        """Return the worker process to the pool (the run is over)."""
        if self.worker is not None and not self.isRunning():
            worker, self.worker = self.worker, None
            worker.release()

    def run(self):
        try:
            self.worker.start_run(self.trainer, self.max_steps, 1.0 / MAX_RATE_HZ)
            while True:
                kind, payload = self.worker.receive()
                if kind == train_process.SNAPSHOTS:
                    for snap in payload:
                        self._queue_snapshot(snap)
                elif kind == train_process.DONE:
                    self.result = payload
                    return
                else:
                    message, trace = payload
                    self.failure = RuntimeError(message)
                    self.failure.ui_traceback = trace
                    return
        except Exception as exc:                      # reported on the GUI thread, never lost
            exc.ui_traceback = traceback.format_exc()
            self.failure = exc

    def _queue_snapshot(self, snap):
        wake = False
        with self._lock:
            if snap.probe is not None or snap.params is not None:
                if self._detail_at >= 0:              # the GUI has not taken the older detail: drop it
                    old = self._queue[self._detail_at]
                    old.params = old.grads = old.probe = None
                self._detail_at = len(self._queue)
            self._queue.append(snap)
            if (self._detail_at >= 0 or snap.diverged) and not self._signalled:
                self._signalled = wake = True
        if wake:
            self.ready.emit()

    def take(self) -> list:
        with self._lock:
            items, self._queue = self._queue, []
            self._detail_at = -1
            self._signalled = False
        return items
