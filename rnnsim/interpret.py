"""What a model's output means, for showing: class probabilities, a count, values in the data's units,
the next characters.

:func:`describe_output` turns one sequence's raw output into plain JSON-able data; the app's Predict
panel and ``rnnsim predict`` format it (HTML, text). What the numbers mean comes from the data the
model was trained on: the data set's ``meta`` and ``accuracy`` when the caller has them, else the
model's stored spec field ``"data"`` (:mod:`rnnsim.data.meaning`).

    d = describe_output(model, model.predict(x)[0])
    d["kind"]    # "next_char", "classes", "values", "count", "bits" or "raw"
"""
from __future__ import annotations

import numpy as np

from .data.meaning import data_kind, stored_data, to_data_units
from .errors import InputError

KINDS = ("next_char", "classes", "values", "count", "bits", "raw")
_UNSET = object()


def softmax(z) -> np.ndarray:
    """Probabilities along the last axis: ŷ_k = exp(z_k − max z) / Σ_j exp(z_j − max z) (same shape as z;
    the max is subtracted so that large logits do not overflow)."""
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 0 or z.shape[-1] == 0:
        raise InputError(f"softmax needs at least one value along the last axis, got shape {z.shape}")
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def describe_output(model, out, meta: dict | None = None, accuracy=_UNSET, top: int = 3) -> dict:
    """What one sequence's output means, as plain JSON-able data.

    ``model``: a Model or its ModelSpec. ``out``: the model's output for ONE sequence — (T, out_features)
    for output "sequence", (out_features,) for "last". ``meta``: the data set's meta (default: the
    model's stored spec field "data"); ``accuracy``: the data set's accuracy kind (default: the one
    stored in ``meta``). ``top``: how many characters "next_char" lists after the last step.

    Every description has ``kind``, ``per_step`` (True: one row per timestep; False: one row, after the
    last step) and ``output`` (the raw rows, shape (rows, out_features)); then by kind:

    - "next_char" (a text model): ``chars`` the most likely next character after each step (a string),
      ``probabilities`` (rows, V) = softmax(o), ``top`` [{"char", "probability"}] after the last step;
    - "classes": ``classes`` the argmax per row; ``probabilities`` (rows, C) = softmax(o) for a
      cross-entropy model, None for one-hot squared-error targets (the outputs are scores, not logits);
      ``confidence`` the largest probability per row (None without probabilities);
    - "values" (a series): ``names`` the target columns, ``values`` (rows, targets) in their units
      (o·std + mean);
    - "count": ``counts`` the outputs rounded to whole numbers (rows, out_features);
    - "bits": ``bits`` 1 where the output is above 0.5 (rows, out_features);
    - "raw": nothing more — the outputs have no stored meaning.
    """
    spec = getattr(model, "spec", model)
    rows = _rows(spec, out)
    if meta is None:
        meta = stored_data(spec)
    if accuracy is _UNSET:
        accuracy = meta.get("accuracy")
    per_step = spec.output == "sequence"
    kind = data_kind(meta)
    base = {"per_step": per_step, "output": rows.tolist()}
    if spec.loss == "cross_entropy":
        p = softmax(rows)
        if kind == "text" and len(meta["vocab"]) == rows.shape[1]:
            vocab = meta["vocab"]
            last = p[-1]
            order = np.argsort(-last, kind="stable")[:max(int(top), 0)]
            return {"kind": "next_char", **base, "chars": "".join(vocab[int(k)] for k in p.argmax(axis=-1)),
                    "probabilities": p.tolist(),
                    "top": [{"char": vocab[int(k)], "probability": float(last[k])} for k in order]}
        return {"kind": "classes", **base, "classes": [int(k) for k in p.argmax(axis=-1)],
                "probabilities": p.tolist(), "confidence": [float(q) for q in p.max(axis=-1)]}
    if kind == "series":
        return {"kind": "values", **base, "names": list(meta["targets"]),
                "values": to_data_units(meta, rows).tolist()}
    if accuracy == "round":
        return {"kind": "count", **base, "counts": np.round(rows).astype(np.int64).tolist()}
    if accuracy == "argmax" and rows.shape[1] > 1:
        return {"kind": "classes", **base, "classes": [int(k) for k in rows.argmax(axis=-1)],
                "probabilities": None, "confidence": None}
    if accuracy == "threshold":
        return {"kind": "bits", **base, "bits": (rows > 0.5).astype(np.int64).tolist()}
    return {"kind": "raw", **base}


def _rows(spec, out) -> np.ndarray:
    """One sequence's output as rows (rows, out_features), checked against the spec."""
    try:
        out = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("the output to describe must be numbers") from None
    width = spec.out_features
    if spec.output == "sequence":
        if out.ndim != 2 or out.shape[1] != width or out.shape[0] == 0:
            raise InputError(f"one sequence's output must have shape (T, {width}) for output 'sequence', "
                             f"got {out.shape}")
        return out
    if out.shape != (width,):
        raise InputError(f"one sequence's output must have shape ({width},) for output 'last', got {out.shape}")
    return out[None]


def describe_text(description: dict, max_rows: int = 12) -> str:
    """Plain text of a :func:`describe_output` result (what ``rnnsim predict`` prints)."""
    kind = description["kind"]
    if kind == "next_char":
        tops = ", ".join(f"{t['char']!r} {t['probability']:.0%}" for t in description["top"])
        if description["per_step"]:
            return f"next character after each step: {description['chars']!r}; after the last one: {tops}"
        return f"next character: {tops}"
    if kind == "classes":
        conf = description["confidence"]
        cells = [f"class {k}" + (f" (probability {conf[i]:.3f})" if conf is not None else "")
                 for i, k in enumerate(description["classes"])]
    elif kind == "values":
        cells = [", ".join(f"{n} = {v:.6g}" for n, v in zip(description["names"], row))
                 for row in description["values"]]
    elif kind == "count":
        cells = [" ".join(f"{o:.6g} ≈ {c}" for o, c in zip(orow, crow))
                 for orow, crow in zip(description["output"], description["counts"])]
    elif kind == "bits":
        cells = [" ".join(f"{o:.6g} → {b}" for o, b in zip(orow, brow))
                 for orow, brow in zip(description["output"], description["bits"])]
    else:
        cells = [" ".join(f"{v:.6g}" for v in row) for row in description["output"]]
    if not description["per_step"]:
        return cells[0]
    shown = [f"t = {t + 1}: {c}" for t, c in enumerate(cells[:max_rows])]
    if len(cells) > max_rows:
        shown.append(f"… {len(cells) - max_rows} more steps; t = {len(cells)}: {cells[-1]}")
    return "\n".join(shown)
