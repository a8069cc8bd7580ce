"""Work off the GUI thread: numba warm-up and Tape recording.

A job is a plain function ``fn(job) -> result`` that never touches a widget; it may call
``job.progress(text)`` and poll ``job.cancelled``. A :class:`Runner` runs one job at a time on its
own thread; submitting a new job supersedes the old one: a queued job is dropped, a running one
is asked to stop and its result is ignored (only the newest job's result is delivered).
Results arrive as Qt signals on the GUI thread.
"""
from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Signals(QObject):
    done = Signal(int, object)
    failed = Signal(int, object)
    progress = Signal(int, str)


class Job(QRunnable):
    """One unit of work; ``fn(job)`` runs on a pool thread."""

    def __init__(self, generation: int, fn, signals: _Signals):
        super().__init__()
        self.setAutoDelete(False)          # the Runner keeps the Python object alive until done
        self.generation = generation
        self.fn = fn
        self.signals = signals
        self._cancel = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self):
        self._cancel.set()

    def progress(self, text: str):
        self.signals.progress.emit(self.generation, text)

    def run(self):
        try:
            result = self.fn(self)
        except Exception as exc:  # every failure goes back to the GUI thread, never lost
            exc.ui_traceback = traceback.format_exc()
            self.signals.failed.emit(self.generation, exc)
        else:
            self.signals.done.emit(self.generation, result)


class Runner(QObject):
    """A one-thread queue where the newest job wins.

    Signals: ``done(result)``, ``failed(exception)``, ``progress(text)`` for the newest job;
    ``busyChanged(bool)``.
    """

    done = Signal(object)
    failed = Signal(object)
    progress = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.pool.setExpiryTimeout(-1)
        self._generation = 0
        self._jobs: dict[int, Job] = {}
        self._signals = _Signals(self)     # lives on the GUI thread: emits from the pool are queued
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)
        self._signals.progress.connect(self._on_progress)

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def submit(self, fn) -> int:
        """Run ``fn(job)`` after the current job; cancel everything older."""
        for gen, job in list(self._jobs.items()):
            job.cancel()
            if self.pool.tryTake(job):     # still queued: it never runs
                self._jobs.pop(gen, None)
        self._generation += 1
        job = Job(self._generation, fn, self._signals)
        was_busy = self.busy
        self._jobs[self._generation] = job
        self.pool.start(job)
        if not was_busy:
            self.busyChanged.emit(True)
        return self._generation

    def _finish(self, generation):
        self._jobs.pop(generation, None)
        if not self._jobs:
            self.busyChanged.emit(False)

    def _on_done(self, generation, result):
        latest = generation == self._generation
        self._finish(generation)
        if latest:
            self.done.emit(result)

    def _on_failed(self, generation, exc):
        latest = generation == self._generation
        self._finish(generation)
        if latest:
            self.failed.emit(exc)

    def _on_progress(self, generation, text):
        if generation == self._generation:
            self.progress.emit(text)

    def stop(self, msecs: int = 30000) -> bool:
        """Cancel everything and wait for the running job (closeEvent)."""
        for gen, job in list(self._jobs.items()):
            job.cancel()
            if self.pool.tryTake(job):
                self._jobs.pop(gen, None)
        return self.pool.waitForDone(msecs)

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)


# ---- jobs ----------------------------------------------------------------------------------
def warmup(first_cell: str | None = None):
    """A job function that compiles (or loads from numba's cache) every kernel family
    (:func:`rnnsim.warmup.warm_kernels`, the code ``rnnsim warmup`` runs); the family of the
    cell the window opens with goes first. Returns the :class:`rnnsim.warmup.Warmed` of the families
    warmed. Which of the two it does is known only afterwards, so the progress says both.
    """
    def run(job: Job):
        from rnnsim.warmup import warm_kernels

        def progress(k, n, label):
            job.progress(f"Loading or compiling {label} kernels ({k + 1}/{n})…")

        return warm_kernels(progress, first_cell=first_cell, cancelled=lambda: job.cancelled)

    return run
