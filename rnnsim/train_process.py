"""Train in a process of its own, so that a program drawing the progress does not slow the training.

A GUI thread and a training thread in one Python process share one interpreter lock: measured on
2 cores (bench/bench_app_training.py), training beside the redrawing dashboard ran at 0.34–0.75 of
headless speed and the window stalled up to 106 ms. In a worker process the Trainer keeps a core.

A worker serves one run at a time: it receives a pickled :class:`~rnnsim.train.Trainer`, runs it and
sends back, in order, batches of its per-step snapshots and then the trained Trainer. Pickle only
travels between this program's own processes; nothing here reads or writes files.

    worker = TrainerProcess.acquire()                 # an idle worker, or a new one
    worker.start_run(trainer, max_steps=None, detail_interval=1 / 30)
    while True:
        kind, payload = worker.receive()              # blocks
        if kind == SNAPSHOTS: ...                     # [Snapshot, ...], oldest first
        else: break                                   # DONE: the trained Trainer; FAILED: (message, traceback)
    worker.release()                                  # back to the pool

``request_stop()`` (any thread) ends the run after its current step, like ``Trainer.request_stop``.
"""
from __future__ import annotations

import atexit
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection

import numpy as np

SNAPSHOTS, DONE, FAILED = "snapshots", "done", "failed"
RUN, STOP = "run", "stop"

_idle: list["TrainerProcess"] = []
_every: list["TrainerProcess"] = []
_pool_lock = threading.Lock()


class WorkerLost(RuntimeError):
    """The worker process ended in the middle of a run (killed, out of memory)."""


class TrainerProcess:
    """One worker process and the pipe to it; see the module docstring."""

    def __init__(self):
        # A fresh interpreter, not a fork (never fork a process that runs Qt's threads), and not
        # multiprocessing's "spawn", which re-runs the parent's main script in the child.
        ours, theirs = socket.socketpair()
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
        code = f"from rnnsim.train_process import serve_fd; serve_fd({theirs.fileno()})"
        self.process = subprocess.Popen([sys.executable, "-c", code], pass_fds=(theirs.fileno(),),
                                        stdin=subprocess.DEVNULL, env=env, close_fds=True)
        theirs.close()
        self._conn = Connection(ours.detach())
        self._send_lock = threading.Lock()           # a run starts on one thread, a stop comes from another
        self.busy = False
        with _pool_lock:
            _every.append(self)

    # ---- the pool ---------------------------------------------------------------------------
    @classmethod
    def acquire(cls) -> "TrainerProcess":
        """An idle live worker from the pool, or a newly started one."""
        with _pool_lock:
            while _idle:
                worker = _idle.pop()
                if worker.alive:
                    return worker
        return cls()

    @classmethod
    def prestart(cls) -> None:
        """Start one worker now (its imports take ~0.5 s) so that the first run starts at once."""
        with _pool_lock:
            if any(w.alive for w in _idle):
                return
        worker = cls()
        with _pool_lock:
            _idle.append(worker)

    def release(self) -> None:
        """Give the worker back to the pool (after its run has ended)."""
        if self.busy or not self.alive:
            self.close()
            return
        with _pool_lock:
            if self not in _idle:
                _idle.append(self)

    # ---- a run ------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def _send(self, message) -> None:
        with self._send_lock:
            self._conn.send(message)

    def start_run(self, trainer, max_steps: int | None = None, detail_interval: float = 1 / 30) -> None:
        """Send ``trainer`` to the worker and start ``trainer.run``; snapshots carry detail (weights,
        gradients, the probe's state) at most once per ``detail_interval`` seconds."""
        self.busy = True
        try:
            self._send((RUN, trainer, max_steps, detail_interval))
        except (OSError, ValueError) as exc:
            self.busy = False
            raise WorkerLost(f"the training process is not running ({exc})") from exc

    def request_stop(self) -> None:
        """End the run after its current step (a stop that arrives between runs is ignored)."""
        try:
            self._send((STOP,))
        except (OSError, ValueError):
            pass

    def receive(self):
        """The next message of the run: (SNAPSHOTS, [Snapshot]), (DONE, Trainer) or (FAILED, (text, tb))."""
        try:
            kind, payload = self._conn.recv()
        except (EOFError, OSError) as exc:
            self.busy = False
            try:
                code = self.process.wait(1.0)
            except subprocess.TimeoutExpired:
                code = None
            raise WorkerLost(f"the training process ended unexpectedly (exit code {code})") from exc
        if kind != SNAPSHOTS:
            self.busy = False
        return kind, payload

    def close(self) -> None:
        """End the worker process."""
        with _pool_lock:
            if self in _idle:
                _idle.remove(self)
            if self in _every:
                _every.remove(self)
        try:
            self._send(None)
        except (OSError, ValueError):
            pass
        try:
            self.process.wait(2.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(2.0)
        self._conn.close()


@atexit.register
def _close_all() -> None:
    with _pool_lock:
        workers = list(_every)
        _every.clear()
    for worker in workers:
        worker.request_stop()
        try:
            worker.close()
        except Exception:            # at exit, a half-closed pipe is not worth a traceback
            pass


# ---- the worker's side --------------------------------------------------------------------------
def serve_fd(fd: int) -> None:
    """The worker process's main loop on the socket ``fd``: one run per RUN message until ``None`` or
    the socket closes (the program ended)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C in a terminal is for the program, not for us
    from . import parallel
    conn = Connection(fd)
    with parallel.single_threaded_blas():           # measured: BLAS threads only slow these problems down
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            if message is None:
                return
            if message[0] != RUN:                    # a stop that came after its run had ended
                continue
            _, trainer, max_steps, interval = message
            try:
                conn.send(run(conn, trainer, max_steps, interval))
            except OSError:
                return


def run(conn, trainer, max_steps, interval):
    """Run ``trainer`` and send its snapshots: a batch whenever one carries detail or the run diverged
    (≈ 1/interval batches a second), the rest at the end. The last step's snapshot always carries the
    final weights and the probe's state (see ``_finish``). Returns the final message."""
    batch = []
    last_detail = -math.inf
    detailed = None

    def want_detail() -> bool:
        nonlocal last_detail
        now = time.perf_counter()
        if now - last_detail >= interval:
            last_detail = now
            return True
        return False

    def callback(snap) -> None:
        nonlocal detailed
        if conn.poll():                              # only STOP (or the end of the program) comes mid-run
            message = conn.recv()
            if message is None or message[0] == STOP:
                trainer.request_stop()
        batch.append(snap)
        if snap.params is not None or snap.diverged:
            detailed = snap if snap.params is not None else detailed
            conn.send((SNAPSHOTS, batch[:]))
            batch.clear()

    try:
        # overflow shows as inf/NaN in the numbers (the Trainer's divergence check), not as warnings
        with np.errstate(all="ignore"):
            trainer.run(callback, want_detail, max_steps)
    except Exception as exc:
        if batch:
            conn.send((SNAPSHOTS, batch))
        return FAILED, (f"{type(exc).__name__}: {exc}", traceback.format_exc())
    if batch:
        _finish(trainer, batch[-1], detailed)
        conn.send((SNAPSHOTS, batch))
    return DONE, trainer


def _finish(trainer, last, detailed) -> None:
    """Give the run's last snapshot the final weights and the probe's state, so that plots end on the
    final state; its gradients stay those of the last detailed update (``grads_step``)."""
    if last.diverged or last.params is not None:
        return
    with np.errstate(all="ignore"):
        trainer.fill_detail(last)
    last.grads = detailed.grads if detailed is not None else None
    last.grads_step = detailed.step if detailed is not None else None
