"""The debugger's probe: which sequence of the session's data the Tape records, and the recording itself.

:func:`record_probe` runs on a worker thread and touches no Qt: it takes a copy of the session's model,
its data and its training settings (whose optimizer, clipping and truncation the Tape's update shows)
and returns a :class:`Recorded` — the Tape, its index for the views, and what the probe means (the
characters of a text model's input columns, a digit's image).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

#: the longest probe the app draws (the unrolled graph builds one column per step)
T_MAX = 200


@dataclass(frozen=True)
class ProbeSettings:
    """Which sequence the debugger steps through. A Tape is a pure function of these, the model's weights,
    the data and the training settings."""

    probe_index: int = 0                 # which sequence of the data set is the probe
    probe_text: str | None = None        # typed input (commas: timesteps, spaces: features)
    target_text: str | None = None       # typed target

    def changed(self, **changes) -> "ProbeSettings":
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise KeyError(f"unknown probe settings: {sorted(unknown)}")
        return replace(self, **changes)


@dataclass
class Recorded:
    """What a worker hands back: the Tape of one probe for one state of the session."""

    settings: ProbeSettings
    dataset: object
    task: object | None
    model: object                          # a copy: the weights the Tape was recorded with
    optimizer: object                      # the optimizer whose update the Tape shows (state carried on)
    x: np.ndarray                          # (1, T, input_size)
    target: np.ndarray
    decoder_x: np.ndarray | None
    tape: object
    index: object                          # ui.tapeindex.TapeIndex
    probe_text: str
    target_text: str
    input_labels: list | None = None       # one short label per timestep (a text model: its characters)
    image: np.ndarray | None = None        # (rows, cols) in [0, 1] when the probe is an image (digits)
    trained_steps: int = 0                 # the training step whose weights these are
    updates: int = 0                       # "Apply update" steps taken in the debugger since then
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


def input_labels(x: np.ndarray, meta: dict) -> list[str] | None:
    """A text model's one-hot input columns as characters (``meta["vocab"]``); None for other data."""
    chars = meta.get("vocab") if isinstance(meta, dict) else None
    if not chars or x.shape[-1] != len(chars):
        return None
    out = []
    for row in x[0]:
        hot = np.flatnonzero(row > 0.5)
        out.append(_visible(chars[int(hot[0])]) if hot.size == 1 else "?")
    return out


def _visible(ch: str) -> str:
    return {"\n": "↵", " ": "␣", "\t": "⇥"}.get(ch, ch)


def probe_image(x: np.ndarray, dataset) -> np.ndarray | None:
    """The probe as a grey image (rows = timesteps) when the data are images read row by row."""
    meta = getattr(dataset, "meta", {}) or {}
    if not meta.get("image_shape"):
        return None
    img = np.asarray(x[0], dtype=np.float64)
    lo, hi = float(img.min()), float(img.max())
    return (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)


# ---- the recording: no Qt, runs on a worker -------------------------------------------------------
def record_probe(settings: ProbeSettings, model, dataset, task, config, optimizer=None, job=None,
                 trained_steps: int = 0, updates: int = 0, losses: list | None = None) -> Recorded:
    """Record the Tape of ``model`` (a copy the caller no longer touches) on the probe ``settings`` picks
    from ``dataset``. ``config``: the training settings; the Tape's clipping, truncation, L2 term and
    update use them. ``optimizer``: continue this optimizer's state (after "Apply update")."""
    from rnnsim.errors import InputError
    from rnnsim.inputs import parse_inline, parse_target
    from rnnsim.tape import record

    from .tapeindex import TapeIndex

    if job is not None:
        job.progress("Choosing the probe…")
    spec = model.spec
    if not 0 <= settings.probe_index < dataset.size:
        raise InputError(f"sequence # must be in 1..{dataset.size}, got {settings.probe_index + 1}")
    rows = slice(settings.probe_index, settings.probe_index + 1)
    x, target = dataset.x[rows], dataset.y[rows]
    decoder_x = dataset.decoder_x[rows] if dataset.decoder_x is not None else None
    if settings.probe_text:
        typed = parse_inline(settings.probe_text)
        if typed.shape[1] != spec.input_size:
            if spec.input_size == 1 and typed.shape[0] == 1:
                typed = typed.T
            else:
                raise InputError(f"the model reads {spec.input_size} value(s) per timestep; the probe has "
                                 f"{typed.shape[1]} (spaces separate the values of one step)")
        x = typed[None]
        if not settings.target_text:
            target = own_target(task, dataset, model, x)
    if settings.target_text:
        target = parse_target(settings.target_text, spec, x.shape[1] if decoder_x is None else decoder_x.shape[1])
    if decoder_x is not None and (settings.probe_text or settings.target_text):
        decoder_x = typed_decoder_input(task, target)
    if x.shape[1] > T_MAX:
        raise InputError(f"the probe has {x.shape[1]} steps; the app shows at most {T_MAX} — choose shorter "
                         "sequences in the data's options")
    x = model.check_input(x)
    decoder_x = model.check_decoder_input(decoder_x, x)
    target = model.check_target(target, x, decoder_x)
    if optimizer is None:
        optimizer = config.make_optimizer()
    if job is not None:
        job.progress(f"Recording the Tape (T = {x.shape[1]})…")
    tape = record(model, x, target, truncate=config.truncate, l2=float(config.weight_decay or 0.0),
                  clip=config.clip, clip_mode=config.clip_mode, optimizer=optimizer, decoder_input=decoder_x)
    probe_text = settings.probe_text or values_text(x[0])
    first = np.asarray(target)[0]
    target_text = settings.target_text or values_text(first if first.ndim else first[None])
    meta = getattr(dataset, "meta", {}) or {}
    return Recorded(settings, dataset, task, model, optimizer, x, target, decoder_x, tape, TapeIndex(tape), probe_text,
                    target_text, input_labels(x, meta), probe_image(x, dataset), trained_steps, updates,
                    list(losses or []) + [float(tape.loss)])


def typed_decoder_input(task, target):
    """The decoder's teacher-forced input for a typed probe of an encoder–decoder task: the task's rule applied
    to the target (e.g. the start symbol, then each true previous digit)."""
    from rnnsim.errors import InputError

    if task is None or task.decoder_rule is None:
        raise InputError("this encoder–decoder data set has no rule for the decoder's input of a typed sequence; "
                         "pick a sequence of the data instead")
    target = np.asarray(target)
    if target.ndim != 2 or target.dtype.kind not in "iu":
        raise InputError("the decoder's input follows a target of one class per decoder step")
    return task.decoder_rule(target)


def own_target(task, dataset, model, x):
    """The target of a typed input ``x`` (1, T, input_size): the task's own rule where it has one (the
    running parity of the bits, their count, ...), else the model's own answer — a typed sequence has no
    known target, and with its own answer as the target the loss is 0 and BPTT shows how it would change."""
    if task is not None:
        rule = task.target_for(x, dataset)
        if rule is not None:
            return rule
    out = np.asarray(model.predict(x))
    return out.argmax(axis=-1) if model.spec.loss == "cross_entropy" else out
