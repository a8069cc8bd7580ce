"""Session: the one UI object that owns engine objects (task data, model, probe, Tape, optimizer).

Widgets never hold engine objects of their own: they draw what the Session's signals carry and
call the Session's methods. Everything that changes the model lives in one section below
("model-changing methods"): ``configure``, ``choose_task``, ``apply_update``, ``reinitialise``,
``load_model``; each rebuilds the Tape on a worker thread (a newer request supersedes an older
one) and keeps the previous state when the engine refuses (``errorOccurred``).

Cursor methods (``step``, ``step_back``, ``continue_``, ...) only move the Tape's cursor: stepping
back never recomputes.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, replace

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from .workers import Runner, warmup

CUSTOM = "custom"
#: which task option sets the probe length T, and T as a function of the option
STEP_OPTIONS = {"temporal-xor": "steps", "bitcount": "steps", "long-memory": "delay", "sine": "window"}
T_MAX = 200


@dataclass(frozen=True)
class Settings:
    """Everything the model panel sets. A Tape is a pure function of these (and applied updates)."""

    task: str = "temporal-xor"
    seed: int = 0
    steps: int = 8                       # probe length T (a task option where the task has one)
    probe_index: int = 0                 # which sequence of the task's data is the probe
    probe_text: str | None = None        # typed input (commas: timesteps, spaces: features)
    target_text: str | None = None       # typed target
    cell: str = "rnn_tanh"
    hidden_size: int = 16
    num_layers: int = 1
    bidirectional: bool = False
    bias: bool = True
    # custom sequences only (a task's data fixes them otherwise)
    input_size: int = 1
    output_size: int | None = 1
    output: str = "sequence"
    loss: str = "mse"
    # backpropagation and update
    truncate: int | None = None
    clip: float | None = None
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    init: str = "pytorch"

    def changed(self, **changes) -> "Settings":
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise KeyError(f"unknown settings: {sorted(unknown)}")
        return replace(self, **changes)


@dataclass
class Built:
    """What a worker hands back: the engine objects of one state of the session."""

    settings: Settings
    dataset: object
    task: object | None
    model: object
    optimizer: object
    x: np.ndarray
    target: np.ndarray
    tape: object
    index: object                          # ui.tapeindex.TapeIndex
    probe_text: str
    target_text: str
    updates: int = 0
    losses: list = field(default_factory=list)


# ---- text <-> arrays for the probe fields ------------------------------------------------------
def _num(v) -> str:
    v = float(v)
    if v == int(v) and abs(v) < 1e9:
        return str(int(v))
    return f"{v:.4g}"


def values_text(arr) -> str:
    """(T, F) or (T,) -> '0 1, 1 0' (commas between timesteps, spaces between features)."""
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return _num(arr)
    if arr.ndim == 1:
        arr = arr[:, None]
    return ", ".join(" ".join(_num(v) for v in row) for row in arr)


def parse_target(text: str, spec, steps: int) -> np.ndarray:
    """Typed target -> the (1, ...) array ``model.loss_and_grads`` expects for one sequence."""
    from rnnsim.errors import InputError
    from rnnsim.inputs import parse_inline

    arr = parse_inline(text)                                       # (rows, cols)
    if spec.loss == "cross_entropy":
        flat = arr.ravel()
        want = steps if spec.output == "sequence" else 1
        if flat.size != want:
            raise InputError(f"the target needs {want} class index(es) (one per {'step' if want > 1 else 'sequence'}), "
                             f"got {flat.size}")
        out = flat.reshape((1, steps) if spec.output == "sequence" else (1,))
        return out                                                 # the model checks whole numbers / range
    width = spec.out_features
    if spec.output == "sequence":
        if arr.shape != (steps, width):
            raise InputError(f"the target needs {steps} step(s) of {width} value(s), got {arr.shape[0]} of "
                             f"{arr.shape[1]}")
        return arr[None]
    flat = arr.ravel()
    if flat.size != width:
        raise InputError(f"the target needs {width} value(s) for the last step, got {flat.size}")
    return flat[None]


def _auto_target(task: str, x: np.ndarray, dataset):
    """The task's own rule for a typed input, where the rule is a simple labelling of the bits.

    (An engine ``Task.target_for(x)`` would be the better home; see the hand-over note.)
    """
    if task == "temporal-xor":
        bits = (x[..., 0] > 0.5).astype(np.int64)
        parity = np.cumsum(bits, axis=1) % 2
        return parity if dataset.output == "sequence" else parity[:, -1]
    if task == "bitcount":
        return (x[..., 0] > 0.5).sum(axis=1, keepdims=True).astype(np.float64)
    if task == "xor":
        labels = ((x[:, -1, 0] > 0.5) != (x[:, -1, 1] > 0.5)).astype(int)
        return np.eye(2)[labels]
    return None


# ---- the build: settings (+ parameters) -> a new Tape. Runs on a worker, no Qt. --------------
def make_data(settings: Settings):
    """(dataset, task or None) for the settings."""
    from rnnsim.data.dataset import Dataset
    from rnnsim.data.tasks import make_task

    if settings.task == CUSTOM:
        rng = np.random.default_rng(settings.seed)
        n, steps = 4, settings.steps
        x = rng.uniform(-1.0, 1.0, size=(n, steps, settings.input_size)).round(2)
        out_w = settings.output_size or settings.hidden_size * (2 if settings.bidirectional else 1)
        if settings.loss == "cross_entropy":
            shape = (n, steps) if settings.output == "sequence" else (n,)
            y = rng.integers(0, settings.output_size or 2, size=shape)
            meta = {"classes": settings.output_size or 2}
        else:
            shape = (n, steps, out_w) if settings.output == "sequence" else (n, out_w)
            y = rng.uniform(-1.0, 1.0, size=shape).round(2)
            meta = {}
        return Dataset(CUSTOM, x, y, settings.output, settings.loss, None,
                       "Your own sequence: type the input and the target.", meta), None
    options = {}
    option = STEP_OPTIONS.get(settings.task)
    if option == "delay":
        options["delay"] = max(settings.steps - 1, 0)
    elif option:
        options[option] = settings.steps
    if settings.task == "temporal-xor" and settings.output == "last":
        options["target"] = "end"
    if settings.task in ("temporal-xor", "long-memory", "sine"):
        options["n"] = max(16, settings.probe_index + 1)
    return make_task(settings.task, seed=settings.seed, **options)


def make_spec(settings: Settings, dataset, task):
    from rnnsim.recipe import build_spec
    from rnnsim.spec import ModelSpec

    if task is None:
        return ModelSpec(cell=settings.cell, input_size=settings.input_size, hidden_size=settings.hidden_size,
                         num_layers=settings.num_layers, bidirectional=settings.bidirectional,
                         bias=settings.bias, output_size=settings.output_size, output=settings.output,
                         loss=settings.loss)
    suggested = dict(task.model)
    overrides = {"cell": settings.cell, "hidden_size": settings.hidden_size, "num_layers": settings.num_layers,
                 "bidirectional": settings.bidirectional, "bias": settings.bias}
    return build_spec(dataset, suggested, overrides)


def build(settings: Settings, params: dict | None = None, optimizer=None, job=None,
          updates: int = 0, losses: list | None = None, spec=None, probe=None) -> Built:
    """Make data, model, probe and Tape for ``settings``.

    ``params``: keep these parameters (after "Apply update") instead of a fresh initialisation;
    ``optimizer``: continue this optimizer's state (Adam moments, Rprop steps, momentum);
    ``spec``: the model's spec (with ``params``: a model made elsewhere, e.g. the trained one);
    ``probe``: (x, target) arrays to record instead of the data's sequence / the typed probe.
    """
    from rnnsim import optim
    from rnnsim.errors import ConfigError, InputError
    from rnnsim.inputs import parse_inline
    from rnnsim.model import check_truncate
    from rnnsim.recipe import build_model
    from rnnsim.tape import record

    from .tapeindex import TapeIndex

    def progress(text):
        if job is not None:
            job.progress(text)

    progress("Preparing the data…")
    dataset, task = make_data(settings)
    if spec is None:
        spec = make_spec(settings, dataset, task)
    if params is None:
        start = {}
        if task is not None and task.initial_params:
            shapes = spec.param_shapes()
            start = {k: v for k, v in task.initial_params.items()
                     if k in shapes and tuple(np.shape(v)) == shapes[k]}
        model = build_model(spec, init=settings.init, seed=settings.seed, initial_params=start)
    else:
        from rnnsim.model import Model
        model = Model(spec, params)
    if probe is not None:
        x, target = np.asarray(probe[0], dtype=np.float64), np.asarray(probe[1])
        if x.shape[1] > T_MAX:
            raise InputError(f"the probe has {x.shape[1]} steps; the app shows at most {T_MAX}")
    elif not 0 <= settings.probe_index < dataset.size:
        raise InputError(f"sequence # must be in 1..{dataset.size}, got {settings.probe_index + 1}")
    if probe is None:
        x = dataset.x[settings.probe_index:settings.probe_index + 1]
        target = dataset.y[settings.probe_index:settings.probe_index + 1]
    if settings.probe_text and probe is None:
        typed = parse_inline(settings.probe_text)
        if typed.shape[1] != spec.input_size:
            if spec.input_size == 1 and typed.shape[0] == 1:
                typed = typed.T
            else:
                raise InputError(f"the model reads {spec.input_size} value(s) per timestep; the probe has "
                                 f"{typed.shape[1]} (spaces separate the values of one step)")
        if typed.shape[0] > T_MAX:
            raise InputError(f"the probe has {typed.shape[0]} steps; the app shows at most {T_MAX}")
        x = typed[None]
        auto = _auto_target(settings.task, x, dataset) if not settings.target_text else None
        if auto is not None:
            target = auto
        elif not settings.target_text and x.shape[1] != dataset.steps and dataset.output == "sequence":
            raise InputError("the probe's length changed: type a target with one value per step")
        elif not settings.target_text:
            target = target
    if settings.target_text and probe is None:
        target = parse_target(settings.target_text, spec, x.shape[1])
    x = model.check_input(x)
    target = model.check_target(target, x)
    truncate = check_truncate(settings.truncate)
    if settings.clip is not None and not (np.isfinite(settings.clip) and settings.clip > 0):
        raise ConfigError(f"the clipping threshold must be a positive number, got {settings.clip!r}")
    if optimizer is None:
        optimizer = optim.make(settings.optimizer, settings.lr, settings.momentum)
    progress(f"Recording the Tape (T = {x.shape[1]})…")
    tape = record(model, x, target, truncate=truncate, l2=0.0, clip=settings.clip, clip_mode="norm",
                  optimizer=optimizer)
    index = TapeIndex(tape)
    probe_text = settings.probe_text or values_text(x[0])
    tgt0 = np.asarray(target)[0]
    target_text = settings.target_text or values_text(tgt0 if tgt0.ndim else tgt0[None])
    return Built(settings, dataset, task, model, optimizer, x, target, tape, index, probe_text, target_text,
                 updates, list(losses or []) + [float(tape.loss)])


# ---- the Session -------------------------------------------------------------------------------
class Session(QObject):
    settingsChanged = Signal(object)      # Settings (the state shown; after a refusal: the old one)
    tapeChanged = Signal(object)          # the Session itself, after a new Tape arrived
    cursorChanged = Signal(int)           # the Tape's cursor (−1 = before the first event)
    breakpointsChanged = Signal(object)   # set of original t
    busyChanged = Signal(bool)            # a Tape is being recorded
    compilingChanged = Signal(bool)       # numba warm-up running
    status = Signal(str)                  # short progress and result messages
    errorOccurred = Signal(str, str)      # title, message (an engine refusal; state kept)

    def __init__(self, parent: QObject | None = None, settings: Settings | None = None):
        super().__init__(parent)
        self.settings = settings or Settings()
        self.requested = self.settings
        self.built: Built | None = None
        self.breakpoints: set[int] = set()
        self.compiling = False
        self.recorder = Runner("tape-recorder", self)
        self.recorder.done.connect(self._on_built)
        self.recorder.failed.connect(self._on_failed)
        self.recorder.progress.connect(self.status)
        self.recorder.busyChanged.connect(self.busyChanged)
        self.compiler = Runner("numba-warmup", self)
        self.compiler.progress.connect(self._on_compile_progress)
        self.compiler.done.connect(self._on_compiled)
        self.compiler.failed.connect(self._on_compile_failed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._rebuild_now)
        self._pending_cursor: int | None = None

    # ---- start / stop ------------------------------------------------------------------------
    def start(self, warm: bool = True):
        """Warm numba up on one worker and record the first Tape on another."""
        if warm:
            self.compiling = True
            self.compilingChanged.emit(True)
            self.compiler.submit(warmup(self.settings.cell))
        self._submit(self.settings)

    def shutdown(self, msecs: int = 30000):
        self._debounce.stop()
        self.recorder.stop(msecs)
        self.compiler.stop(msecs)

    @property
    def busy(self) -> bool:
        return self.recorder.busy or self._debounce.isActive()

    # ---- what views read ---------------------------------------------------------------------
    @property
    def tape(self):
        return self.built.tape if self.built else None

    @property
    def index(self):
        return self.built.index if self.built else None

    @property
    def spec(self):
        return self.built.model.spec if self.built else None

    @property
    def model(self):
        return self.built.model if self.built else None

    @property
    def cursor(self) -> int:
        return self.tape.cursor if self.tape is not None else -1

    @property
    def current(self):
        return self.tape.current if self.tape is not None else None

    # ---- cursor: moving never recomputes ----------------------------------------------------
    def _moved(self, before: int):
        if self.tape is not None and self.tape.cursor != before:
            self.cursorChanged.emit(self.tape.cursor)

    def seek(self, index: int):
        if self.tape is None:
            return
        before = self.tape.cursor
        index = max(-1, min(int(index), len(self.tape.events) - 1))
        if index == -1:
            self.tape.cursor = -1
        else:
            self.tape.seek(index)
        self._moved(before)

    def step(self):
        if self.tape is None or self.at_end:
            return
        before = self.tape.cursor
        self.tape.next()
        self._moved(before)

    def step_back(self):
        if self.tape is None or self.tape.cursor < 0:
            return
        before = self.tape.cursor
        if before == 0:
            self.tape.cursor = -1
        else:
            self.tape.prev()
        self._moved(before)

    @property
    def at_end(self) -> bool:
        return self.tape is None or self.tape.cursor >= len(self.tape.events) - 1

    def continue_(self):
        """Forward to the next breakpoint, else to the end of the current phase (F5)."""
        if self.tape is None or self.at_end:
            return
        before = self.tape.cursor
        self.tape.breakpoints = set(self.breakpoints)
        self.tape.continue_()
        self._moved(before)

    def run_to(self, phase: str):
        """To the last event of ``phase`` ("forward", "loss", "backward", "update")."""
        if self.tape is None:
            return
        before = self.tape.cursor
        if not any(e.phase == phase for e in self.tape.events):
            self.status.emit(f"This Tape has no {phase} events.")
            return
        self.tape.run_to_end_of(phase)
        self._moved(before)

    def run_to_loss(self):
        self.run_to("loss")

    def run_to_end_of_backward(self):
        self.run_to("backward")

    def reset_cursor(self):
        self.seek(-1)

    def toggle_breakpoint(self, t: int):
        if t in self.breakpoints:
            self.breakpoints.discard(t)
        else:
            self.breakpoints.add(t)
        if self.tape is not None:
            self.tape.breakpoints = set(self.breakpoints)
        self.breakpointsChanged.emit(set(self.breakpoints))

    def clear_breakpoints(self):
        self.breakpoints.clear()
        if self.tape is not None:
            self.tape.breakpoints = set()
        self.breakpointsChanged.emit(set())

    def is_breakpoint_event(self, event) -> bool:
        return event is not None and event.t is not None and event.t in self.breakpoints

    # ---- model-changing methods: every change of model, data or probe goes through here ----------
    def configure(self, immediately: bool = False, **changes):
        """Change settings (see :class:`Settings`); the Tape is rebuilt shortly after (debounced)."""
        new = self.requested.changed(**changes)
        if new == self.requested and not immediately:
            return
        if "steps" in changes or "task" in changes or "probe_index" in changes or "seed" in changes:
            if "probe_text" not in changes:
                new = replace(new, probe_text=None, target_text=None)
        self.requested = new
        if immediately:
            self._rebuild_now()
        else:
            self._debounce.start()

    def choose_task(self, name: str, immediately: bool = False):
        """Pick a built-in task (or "custom") with the model and settings it suggests."""
        changes = {"task": name, "probe_text": None, "target_text": None, "probe_index": 0}
        if name != CUSTOM:
            from rnnsim.data.tasks import get_task
            task = get_task(name)
            suggested = dict(task.model)
            changes.update({"cell": suggested.get("cell", "lstm"),
                            "hidden_size": suggested.get("hidden_size", 16),
                            "num_layers": suggested.get("num_layers", 1),
                            "bidirectional": bool(suggested.get("bidirectional", False)),
                            "bias": bool(suggested.get("bias", True))})
            option = STEP_OPTIONS.get(name)
            default = task.options.get(option) if option else None
            if option == "delay":
                changes["steps"] = int(default) + 1
            elif default is not None:
                changes["steps"] = int(default)
            training = task.training
            changes.update({"optimizer": training.get("optimizer", "sgd"), "lr": float(training.get("lr", 0.1)),
                            "momentum": float(training.get("momentum", 0.0) or 0.0),
                            "clip": training.get("clip"), "truncate": training.get("truncate"),
                            "output": "sequence" if name == "temporal-xor" else self.requested.output})
        self.configure(immediately=immediately, **changes)

    def set_probe(self, probe_text: str | None, target_text: str | None = None):
        """Type the probe (and optionally its target); ``None`` returns to the task's own sequence."""
        self.configure(immediately=True, probe_text=probe_text or None, target_text=target_text or None)

    def reinitialise(self):
        """Fresh weights from the seed (drops applied updates)."""
        self._submit(self.requested)

    def apply_update(self):
        """Make the Tape's recorded optimizer update real: the model takes the new parameters."""
        if self.built is None or self.recorder.busy:
            return
        tape = self.tape
        if not any(e.phase == "update" for e in tape.events):
            self.status.emit("This Tape has no update to apply.")
            return
        b = self.built
        optimizer = self._advanced_optimizer(b)
        params = {k: np.array(v, dtype=np.float64, copy=True) for k, v in tape.new_params.items()}
        cursor = tape.cursor
        settings = b.settings
        updates, losses = b.updates + 1, list(b.losses)
        self._pending_cursor = cursor
        self.status.emit(f"Applying update {updates}…")
        self._submit(settings, params=params, optimizer=optimizer, updates=updates, losses=losses)

    def _advanced_optimizer(self, b: Built):
        """The session's optimizer after the recorded step (its state carries on: Adam, Rprop, momentum)."""
        opt = getattr(b.tape, "optimizer", None)
        if opt is not None:
            return copy.deepcopy(opt)
        from rnnsim import clip as clipping
        opt = copy.deepcopy(b.optimizer)
        grads = {k: np.array(v, dtype=np.float64, copy=True) for k, v in b.tape.grads.items()}
        if b.settings.clip:
            clipping.clip_by_norm(grads, b.settings.clip)
        scratch = b.model.state_dict()
        opt.step(scratch, grads)
        return opt

    def load_model(self, path: str):
        """Open a model file: the probe becomes a custom sequence that fits it."""
        from rnnsim.errors import RnnsimError
        from rnnsim.model import load_model
        try:
            model = load_model(path)
        except (RnnsimError, OSError) as exc:
            self.errorOccurred.emit("Cannot open the model", str(exc))
            return
        s = model.spec
        settings = self.requested.changed(
            task=CUSTOM, cell=s.cell, input_size=s.input_size, hidden_size=s.hidden_size,
            num_layers=s.num_layers, bidirectional=s.bidirectional, bias=s.bias, output_size=s.output_size,
            output=s.output, loss=s.loss, probe_text=None, target_text=None)
        self.requested = settings
        self._submit(settings, params=model.state_dict())

    def use_model(self, model, probe_x=None, probe_y=None, config=None):
        """Step through ``model`` (e.g. the dashboard's trained one): a new Tape for a copy of its
        parameters, recorded on the worker like every rebuild. The probe becomes a custom sequence:
        ``probe_x`` (1, T, input_size) with its target ``probe_y`` (``None``: the model's own answer — a
        typed sequence has no known target); without ``probe_x`` the current probe is kept when it fits.
        ``config``: a TrainConfig whose optimizer, lr, momentum, clipping and truncation the Tape's update
        uses (so "Apply update" does what training does)."""
        s = model.spec
        params = {k: np.array(v, dtype=np.float64, copy=True) for k, v in model.state_dict().items()}
        if probe_x is None and self.built is not None and self.built.x.shape[-1] == s.input_size:
            probe_x = self.built.x
        if probe_x is None:
            self.errorOccurred.emit("Cannot show this model", "There is no probe sequence for it.")
            return
        x = np.array(probe_x, dtype=np.float64, copy=True)
        if x.ndim == 2:
            x = x[None]
        x = x[:1]
        if probe_y is None:
            out = np.asarray(model.predict(x))
            probe_y = out.argmax(axis=-1) if s.loss == "cross_entropy" else out
        y = np.array(probe_y, copy=True)[:1]
        changes = dict(task=CUSTOM, cell=s.cell, input_size=s.input_size, hidden_size=s.hidden_size,
                       num_layers=s.num_layers, bidirectional=s.bidirectional, bias=s.bias,
                       output_size=s.output_size, output=s.output, loss=s.loss, steps=int(x.shape[1]),
                       probe_index=0, probe_text=values_text(x[0]),
                       target_text=values_text(y[0] if y[0].ndim else y[0][None]))
        if config is not None:
            changes.update(optimizer=config.optimizer, lr=float(config.lr), momentum=float(config.momentum),
                           clip=config.clip, truncate=config.truncate)
        settings = self.requested.changed(**changes)
        self.status.emit("Recording a Tape for the trained model…")
        self._submit(settings, params=params, spec=s, probe=(x, y))

    def save_model(self, path: str):
        from rnnsim.errors import RnnsimError
        if self.model is None:
            return
        try:
            self.model.save(path)
        except (RnnsimError, OSError) as exc:
            self.errorOccurred.emit("Cannot save the model", str(exc))
            return
        self.status.emit(f"Saved the model to {path}")

    # ---- worker plumbing ------------------------------------------------------------------------
    def _rebuild_now(self):
        self._debounce.stop()
        self._submit(self.requested)

    def _submit(self, settings: Settings, **kwargs):
        self._debounce.stop()
        self.requested = settings

        def run(job):
            return build(settings, job=job, **kwargs)

        self.recorder.submit(run)

    def _on_built(self, built: Built):
        old = self.built
        self.built = built
        self.settings = built.settings
        self.requested = built.settings if not self._debounce.isActive() else self.requested
        built.tape.breakpoints = set(self.breakpoints)
        cursor = self._pending_cursor
        self._pending_cursor = None
        if cursor is not None:
            cursor = min(cursor, len(built.tape.events) - 1)
            if cursor >= 0:
                built.tape.seek(cursor)
        self.settingsChanged.emit(self.settings)
        self.tapeChanged.emit(self)
        self.cursorChanged.emit(built.tape.cursor)
        if built.updates and old is not None and built.updates > old.updates:
            before = built.losses[-2] if len(built.losses) > 1 else float("nan")
            self.status.emit(f"Update {built.updates} applied: loss {before:.6g} → {built.tape.loss:.6g}")
        else:
            T = built.x.shape[1]
            self.status.emit(f"Tape ready: {len(built.tape.events)} events, T = {T}, loss {built.tape.loss:.6g}")

    def _on_failed(self, exc):
        from rnnsim.errors import RnnsimError
        self._pending_cursor = None
        self.requested = self.settings
        if isinstance(exc, RnnsimError):
            self.errorOccurred.emit("The engine refused this setting", str(exc))
        else:
            detail = getattr(exc, "ui_traceback", "")
            self.errorOccurred.emit("Unexpected error", f"{type(exc).__name__}: {exc}\n\n{detail}")
        self.settingsChanged.emit(self.settings)     # the panel shows the state that is still in force

    def _on_compile_progress(self, text):
        self.status.emit(text)

    def _on_compiled(self, cells):
        self.compiling = False
        self.compilingChanged.emit(False)
        self.status.emit("Kernels ready.")

    def _on_compile_failed(self, exc):
        self.compiling = False
        self.compilingChanged.emit(False)
        self.errorOccurred.emit("Kernel compilation failed", f"{type(exc).__name__}: {exc}")
