"""The Tape as text (one block per event: formula, the numbers substituted, the result) and as JSON."""
from __future__ import annotations

import numpy as np

from .events import to_json_value


def _num(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return f"{float(v) + 0.0:.6g}"          # + 0.0: no "-0"


def format_value(value, max_values: int = 8) -> str:
    """A compact rendering: scalars and small arrays in full, larger ones as a summary."""
    a = np.asarray(value)
    if a.dtype.kind in "US":
        return str(a)
    if a.ndim == 0:
        return _num(a[()])
    if a.size <= max_values:
        if a.ndim == 1:
            return "[" + ", ".join(_num(v) for v in a) + "]"
        if a.ndim == 2:
            return "[" + "; ".join(", ".join(_num(v) for v in row) for row in a) + "]"
    shape = "×".join(str(n) for n in a.shape)
    if a.dtype.kind == "f" and a.size:
        finite = a[np.isfinite(a)]
        with np.errstate(over="ignore"):
            norm = float(np.sqrt(np.sum(finite * finite))) if finite.size else float("nan")
        return f"‹{shape}: ‖·‖ = {norm:.4g}›"
    return f"‹{shape}›"


def render_event(event, max_values: int = 8) -> str:
    """One event as a block of text: its title, then each formula, its numbers and its result."""
    q = event.quantities
    lines = [f"[{event.index}] {event.title}"]
    fmt = lambda v: format_value(v, max_values)                          # noqa: E731
    for f in event.formulas:
        lines.append(f"    {f.plain()}")
        pad = " " * (len(f.result) + 5)
        if f.names():
            lines.append(f"{pad}= {f.substitute(q, fmt)}")
        if f.result in q:
            lines.append(f"{pad}= {fmt(q[f.result])}")
        if f.words:
            lines.append(f"{pad}  ({f.words})")
    return "\n".join(lines)


def render_text(tape, phases=None, max_values: int = 8) -> str:
    """Every event (or those of the given phases), one block each, separated by blank lines."""
    blocks = [render_event(e, max_values) for e in tape.events if not phases or e.phase in phases or e.kind in phases]
    return "\n\n".join(blocks)


def _listed(a):
    """Nested lists with None where a row has no value (NaN: an encoder–decoder's other part)."""
    return np.where(np.isnan(a), None, a).tolist() if np.isnan(a).any() else a.tolist()


def to_json(tape, values: bool = True, phases=None) -> dict:
    """The whole Tape as one JSON-ready dict: setup, results, derived series and every event."""
    upd = tape.update
    optimizer = None
    if upd is not None:
        opt = upd["optimizer"]
        optimizer = {"name": getattr(opt, "name", type(opt).__name__), **opt.hyperparameters()}
    key = lambda k: f"{k[0]},{k[1]}"                                      # noqa: E731
    return {
        "format": "rnnsim.tape",
        "spec": tape.spec.to_dict(),
        "T": tape.T,
        "batch": tape.batch,
        "truncate": tape.truncate,
        "l2": tape.l2,
        "clip": None if tape.clip is None else dict(tape.clip),
        "optimizer": optimizer,
        "loss": tape.loss,
        "output": tape.output.tolist(),
        "grads": {k: v.tolist() for k, v in tape.grads.items()},
        "new_params": None if upd is None else {k: v.tolist() for k, v in upd["new"].items()},
        "dh_norms": {key(k): _listed(v) for k, v in tape.dh_norms.items()},
        "gate_means": {key(k): _listed(v) for k, v in tape.gate_means.items()},
        "event_count": len(tape.events),
        "events": [e.to_dict(values) for e in tape.events if not phases or e.phase in phases or e.kind in phases],
    }


__all__ = ["format_value", "render_event", "render_text", "to_json", "to_json_value"]
