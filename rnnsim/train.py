"""Trainer: epochs, mini-batches, clipping, schedules, validation and early stopping — no Qt.

The app's worker thread and ``rnnsim train`` drive the same Trainer. It reports through a
callback that receives a cheap ``Snapshot`` after every step; the costly parts (the probe
sequence's hidden states, gate means and ∂L/∂h(k) over k, copies of the weights) are filled in
only when the caller's ``want_detail()`` says so — the UI asks ~30 times a second at most.
Same data, model, config and seed → the same run, bit for bit.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from . import clip, network
from .config import TrainConfig, check_whole
from .data.dataset import Dataset, accuracy
from .errors import ConfigError
from .model import Model
from .schedules import Schedule

__all__ = ["TrainConfig", "Trainer", "Snapshot", "Probe", "History", "rollback_point", "check_watch", "watched_values"]

#: at most this many scalars are watched (the cost surface follows two; a few more cost nothing)
MAX_WATCHED = 16


@dataclass
class Probe:
    """The probe sequence's state after a step (original time order).

    hidden, dh: {(layer, direction): (T, H)}; gate_means: {(layer, direction): (T, gates)}.
    """

    hidden: dict
    dh: dict
    dh_norms: dict                 # {(layer, direction): (T,)} ‖∂L/∂h(k)‖ for every k
    gate_means: dict
    output: np.ndarray             # (T, out) or (out,)
    loss: float


@dataclass
class Snapshot:
    """What the Trainer reports after a step. ``params``/``grads``/``probe`` only when detail was asked."""

    step: int
    epoch: int
    loss: float
    lr: float
    grad_norm: float                        # global norm before clipping
    grad_norms: dict                        # {name: ‖∂L/∂name‖} before clipping
    clipped: bool
    epoch_done: bool = False
    train_loss: float | None = None         # mean loss of the epoch just finished
    val_loss: float | None = None
    accuracy: float | None = None
    val_accuracy: float | None = None
    diverged: bool = False
    watched: tuple | None = None            # the watched scalars after this update (Trainer.watch), or None
    params: dict | None = None
    grads: dict | None = None
    probe: Probe | None = None


@dataclass
class History:
    """Per step: step, loss, lr, grad_norm; per epoch: epoch, train/val loss and accuracy."""

    step: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    epoch: list = field(default_factory=list)
    epoch_step: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        """The inverse of ``to_dict`` (missing lists are empty; unknown keys are ignored)."""
        return cls(**{f.name: list(d.get(f.name, ())) for f in fields(cls)})


def check_watch(params: dict, watch) -> list:
    """``watch`` as a checked list of (parameter name, index tuple) pairs, each naming one scalar of
    ``params`` ({name: ndarray}); ConfigError (one line) for an unknown name, an index of the wrong length,
    out of range or not whole, or more than MAX_WATCHED entries. None or empty: []."""
    if watch is None:
        return []
    if isinstance(watch, (str, bytes)) or not isinstance(watch, (list, tuple)):
        raise ConfigError(f"the watched weights must be a list of (name, index) pairs, got {type(watch).__name__}")
    if len(watch) > MAX_WATCHED:
        raise ConfigError(f"at most {MAX_WATCHED} weights can be watched, got {len(watch)}")
    checked = []
    for entry in watch:
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise ConfigError(f"a watched weight must be a (name, index) pair, got {entry!r:.60}")
        name, index = entry
        if not isinstance(name, str) or name not in params:
            raise ConfigError(f"the model has no parameter {name!r:.60} to watch")
        shape = params[name].shape
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            index = (index,)
        if (not isinstance(index, (list, tuple)) or len(index) != len(shape)
                or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in index)):
            raise ConfigError(f"'{name}' has shape {shape}: a watched index needs {len(shape)} whole number(s), "
                              f"got {index!r:.60}")
        index = tuple(int(i) for i in index)
        if not all(0 <= i < n for i, n in zip(index, shape)):
            raise ConfigError(f"index {index} is outside '{name}' of shape {shape}")
        checked.append((name, index))
    return checked


def watched_values(params: dict, watch) -> tuple:
    """The scalars ``watch`` names (a checked list, see check_watch) in ``params``: a tuple of floats."""
    return tuple(float(params[name][index]) for name, index in watch)


class Trainer:
    """Trains ``model`` in place on ``data`` with ``config``.

    ``probe``: (x (1, T, I), target) — the sequence whose inner state detailed snapshots show;
    by default the first training sequence. ``watch``: (parameter name, index) pairs whose values every
    successful update records in ``Snapshot.watched`` — e.g. the two weights a cost surface is drawn over
    (see check_watch); assigning ``trainer.watch`` checks it too.
    """

    def __init__(self, model: Model, data: Dataset, config: TrainConfig, probe=None, watch=None):
        self.model = model
        self.watch = watch
        self.config = config.check()
        if data.input_size != model.spec.input_size:
            raise ConfigError(f"the data has {data.input_size} input feature(s) but the model reads "
                              f"{model.spec.input_size}")
        _check_decoder_data(model, data, self.config)
        self.train_set, self.val_set = data.split(config.validation_split, config.seed)
        # every target, not only the first: a class index past the model's classes would be read out of
        # bounds by the kernels
        model.check_target(self.train_set.y, self.train_set.x, self.train_set.decoder_x)
        if self.val_set is not None:
            model.check_target(self.val_set.y, self.val_set.x, self.val_set.decoder_x)
        self.optimizer = config.make_optimizer()
        self.schedule = Schedule(config.schedule, config.gamma, config.step_size)
        self.rng = np.random.default_rng(config.seed)
        self.history = History()
        self.step_count = 0
        self.epoch = 0
        self.best = math.inf
        self.bad_epochs = 0
        self.finished = False
        self.stop_reason = ""
        self.last_finite = model.state_dict()
        self._stop = False
        self._order = None
        self._pos = 0
        self._epoch_losses = []
        if probe is None:
            probe = (self.train_set.x[:1], self.train_set.y[:1])
            if self.train_set.decoder_x is not None:
                probe += (self.train_set.decoder_x[:1],)
        self.probe_x = model.check_input(probe[0])
        self.probe_d = model.check_decoder_input(probe[2] if len(probe) > 2 else None, self.probe_x)
        self.probe_y = model.check_target(probe[1], self.probe_x, self.probe_d)

    @property
    def probe(self) -> tuple:
        """(x, target), plus the decoder input for an encoder–decoder: what ``probe=`` takes."""
        return (self.probe_x, self.probe_y) + ((self.probe_d,) if self.probe_d is not None else ())

    # ---- control ----------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask a running ``run()`` to return after the current step (thread-safe: a flag)."""
        self._stop = True

    @property
    def lr(self) -> float:
        return self.optimizer.lr

    @property
    def watch(self) -> list:
        """The watched scalars: [(parameter name, index tuple)], checked against the model."""
        return list(self._watch)

    @watch.setter
    def watch(self, watch) -> None:
        self._watch = check_watch(self.model.params, watch)

    def watched_now(self) -> tuple | None:
        """The watched scalars at the current weights (None when nothing is watched)."""
        return watched_values(self.model.params, self._watch) if self._watch else None

    # ---- one step ---------------------------------------------------------------------
    def _next_batch(self):
        n = self.train_set.size
        size = self.config.batch_size or n
        if self._order is None:
            self._order = self.rng.permutation(n) if size < n else np.arange(n)
            self._pos = 0
        index = np.sort(self._order[self._pos:self._pos + size]) if size < n else self._order
        self._pos += size
        d = self.train_set.decoder_x
        return self.train_set.x[index], self.train_set.y[index], None if d is None else d[index], self._pos >= n

    def step(self, want_detail: bool = False) -> Snapshot:
        """One optimizer update on the next mini-batch; an epoch ends after its last batch."""
        cfg = self.config
        x, y, d, epoch_done = self._next_batch()
        lr = self.optimizer.lr = cfg.lr * self.schedule.factor(self.epoch)
        loss, grads, _ = network.loss_and_grads(self.model.spec, self.model.params, x, y,
                                                cfg.truncate, cfg.weight_decay, decoder_x=d)
        with np.errstate(all="ignore"):
            grad_norms = {k: float(np.sqrt(np.sum(g * g))) for k, g in grads.items()}
            norm = float(np.sqrt(sum(v * v for v in grad_norms.values())))
        clipped = False
        if cfg.clip is not None and math.isfinite(norm):
            if cfg.clip_mode == "norm":
                clip.clip_by_norm(grads, cfg.clip)
                clipped = norm > cfg.clip
            else:
                clip.clip_by_value(grads, cfg.clip)
                clipped = any(np.abs(g).max() > cfg.clip for g in grads.values() if g.size)
        snap = Snapshot(self.step_count + 1, self.epoch, loss, lr, norm, grad_norms, clipped)
        if not (math.isfinite(loss) and math.isfinite(norm)):
            return self._diverged(snap)
        with np.errstate(all="ignore"):
            self.optimizer.step(self.model.params, grads)
        if not all(np.all(np.isfinite(p)) for p in self.model.params.values()):
            return self._diverged(snap)
        self.last_finite = self.model.state_dict()
        self.step_count += 1
        if self._watch:
            snap.watched = watched_values(self.model.params, self._watch)
        self._record_step(snap)
        self._epoch_losses.append((loss, len(x)))
        if epoch_done:
            self._end_epoch(snap)
        if want_detail:
            self.fill_detail(snap, grads)
        return snap

    def _record_step(self, snap: Snapshot) -> None:
        h = self.history
        h.step.append(snap.step)
        h.loss.append(snap.loss)
        h.lr.append(snap.lr)
        h.grad_norm.append(snap.grad_norm)

    def _diverged(self, snap: Snapshot) -> Snapshot:
        """Loss, gradients or weights became NaN/inf: restore the last finite weights and stop."""
        for k, v in self.last_finite.items():
            self.model.params[k][...] = v
        snap.diverged = True
        self.finished = True
        self.stop_reason = "diverged"
        return snap

    def _end_epoch(self, snap: Snapshot) -> None:
        total = sum(w for _, w in self._epoch_losses)
        train_loss = sum(l * w for l, w in self._epoch_losses) / total
        self._epoch_losses = []
        self._order = None
        self.epoch += 1
        snap.epoch_done = True
        snap.train_loss = train_loss
        kind = self.train_set.accuracy
        train, val = self.train_set, self.val_set
        if kind is not None:
            snap.accuracy = accuracy(kind, self.model.predict(train.x, train.decoder_x), train.y)
        if val is not None:
            snap.val_loss = self.model.loss(val.x, val.y, val.decoder_x)
            if kind is not None:
                snap.val_accuracy = accuracy(kind, self.model.predict(val.x, val.decoder_x), val.y)
        h = self.history
        h.epoch.append(self.epoch)
        h.epoch_step.append(self.step_count)
        h.train_loss.append(train_loss)
        h.val_loss.append(snap.val_loss)
        h.accuracy.append(snap.accuracy)
        h.val_accuracy.append(snap.val_accuracy)
        monitored = snap.val_loss if snap.val_loss is not None else train_loss
        if monitored < self.best - self.config.min_delta:
            self.best, self.bad_epochs = monitored, 0
        else:
            self.bad_epochs += 1
        if self.config.patience is not None and self.bad_epochs >= self.config.patience:
            self.finished, self.stop_reason = True, f"early stop: no improvement for {self.bad_epochs} epochs"
        elif self.epoch >= self.config.epochs:
            self.finished, self.stop_reason = True, f"done: {self.epoch} epochs"

    # ---- detail for plots ---------------------------------------------------------------
    def fill_detail(self, snap: Snapshot, grads: dict | None = None) -> Snapshot:
        """Add copies of the weights (and gradients) and the probe's inner state to ``snap``."""
        snap.params = self.model.state_dict()
        snap.grads = {k: v.copy() for k, v in grads.items()} if grads is not None else None
        snap.probe = self.probe_state()
        return snap

    def probe_state(self) -> Probe:
        spec, params = self.model.spec, self.model.params
        dh = {}
        loss, _, fp = network.loss_and_grads(spec, params, self.probe_x, self.probe_y,
                                             self.config.truncate, 0.0, state_grads=dh, decoder_x=self.probe_d)
        hidden, gate_means = {}, {}
        for layer, passes in enumerate(fp.layers):
            for direction, dp in enumerate(passes):
                flip = slice(None, None, -1) if direction else slice(None)
                hidden[(layer, direction)] = dp.record.h[flip, 0]
                if dp.record.gates is not None:
                    g = dp.record.gates[flip, 0]
                    gate_means[(layer, direction)] = g.reshape(g.shape[0], -1, spec.hidden_size).mean(axis=2)
        dh = {k: v[:, 0] for k, v in dh.items() if len(k) == 2 and isinstance(k[0], int)}
        out = fp.output[:, 0] if spec.output == "sequence" else fp.output[0]
        with np.errstate(all="ignore"):
            norms = {k: np.sqrt(np.sum(v * v, axis=1)) for k, v in dh.items()}
        return Probe(hidden, dh, norms, gate_means, out, loss)

    # ---- the loop -----------------------------------------------------------------------
    def run(self, callback=None, want_detail=None, max_steps: int | None = None) -> History:
        """Train until the epochs or step budget are used, early stopping, divergence or a stop request.

        callback(snapshot) is called after every step; want_detail() -> bool decides whether that
        snapshot carries weights and the probe's state. ``max_steps`` limits this call only.
        """
        self._stop = False
        done_here = 0
        while not self.finished and not self._stop:
            if max_steps is not None and done_here >= max_steps:
                break
            if self.config.max_steps is not None and self.step_count >= self.config.max_steps:
                self.finished, self.stop_reason = True, f"done: {self.step_count} steps"
                break
            snap = self.step(want_detail=bool(want_detail and want_detail()))
            done_here += 1
            if callback is not None:
                callback(snap)
        if self._stop and not self.finished:
            self.stop_reason = "stopped"
        return self.history


def _check_decoder_data(model: Model, data: Dataset, config: TrainConfig) -> None:
    """An encoder–decoder model needs data with decoder inputs of its width, a plain model data without;
    ConfigError in one line otherwise."""
    spec = model.spec
    if spec.is_seq2seq:
        if data.decoder_x is None:
            raise ConfigError("an encoder–decoder model trains on data with decoder inputs (an N-to-M task such as "
                              "'reverse'); this data set has none")
        if data.decoder_input_size != spec.decoder_inputs:
            raise ConfigError(f"the data's decoder inputs have {data.decoder_input_size} values per step but the "
                              f"model's decoder reads {spec.decoder_inputs}")
        if config.truncate:
            raise ConfigError("truncated BPTT is not available for an encoder–decoder model: set truncate to 0")
    elif data.decoder_x is not None:
        raise ConfigError("this data set is for an encoder–decoder model (it has decoder inputs); "
                          "choose the encoder–decoder architecture")


# ---- after a divergence -------------------------------------------------------------------------
def rollback_point(steps, losses, checkpoints, last_finite: dict, diverged_step: int, diverged_loss: float,
                   start=None, factor: float = 10.0) -> tuple[int, dict]:
    """(step, weights) to continue from after training diverged at step ``diverged_step``.

    The newest weights whose loss was still in its normal range — finite and at most ``factor`` × the
    first recorded loss (no bound when that is not finite or nothing is recorded). The loss "at the
    weights after step s" is the loss the next step computed, so it is read at step s + 1.

    ``steps``, ``losses``: the run's per-step history (step numbers ascending, the loss each step
    computed before its update), (n,) each; ``checkpoints``: (step, weights) pairs, oldest first, the
    weights after that step; ``last_finite``: the Trainer's last finite weights, those after step
    ``diverged_step − 1``; ``diverged_loss``: the loss the diverged step computed (at ``last_finite``;
    NaN/inf when the loss itself overflowed, finite when only the update did); ``start``: (step,
    weights) the history began from, the answer of last resort.

    Candidates, newest first: (diverged_step − 1, last_finite), then the checkpoints older than that;
    the first whose loss is in range wins; else ``start``; else (diverged_step − 1, last_finite).
    """
    steps = np.asarray(steps)
    losses = np.asarray(losses, dtype=np.float64)
    if steps.ndim != 1 or losses.shape != steps.shape:
        raise ConfigError(f"rollback: steps and losses must be 1-D arrays of one length, got shapes "
                          f"{steps.shape} and {losses.shape}")
    if steps.size > 1 and np.any(np.diff(steps) <= 0):
        raise ConfigError("rollback: the step numbers must increase")
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not (math.isfinite(factor) and factor > 0):
        raise ConfigError(f"rollback: factor must be a positive number, got {factor!r}")
    check_whole("diverged step", diverged_step, 1)
    limit = factor * losses[0] if losses.size and math.isfinite(losses[0]) else math.inf

    def loss_at(step):                       # the loss computed at the weights after `step`
        if step + 1 == diverged_step:
            return float(diverged_loss)
        i = int(np.searchsorted(steps, step + 1))
        return float(losses[i]) if i < steps.size and steps[i] == step + 1 else math.nan

    newest = (diverged_step - 1, last_finite)
    candidates = [newest] + [(int(s), w) for s, w in reversed(list(checkpoints)) if s < diverged_step - 1]
    for step, weights in candidates:
        value = loss_at(step)
        if math.isfinite(value) and value <= limit:
            return step, weights
    return tuple(start) if start is not None else newest
