"""Sequences typed by people or stored in files, as the command line's ``--input`` and ``--target`` take them.

- inline text: commas separate timesteps, spaces separate the features of one step:
  ``0,1,1,0`` is 4 steps of 1 feature, ``"0.1 0.2, 0.3 0.4"`` is 2 steps of 2 features;
- ``.npy``: shape (T, features) or (batch, T, features);
- ``.csv``: one row per timestep, one column per feature, an optional header row.
"""
from __future__ import annotations

import csv
import os

import numpy as np

from .errors import InputError

FILE_SUFFIXES = (".npy", ".csv")


def parse_inline(text: str) -> np.ndarray:
    """'0.1 0.2, 0.3 0.4' -> array (T, features)."""
    steps = [s.split() for s in text.split(",")]
    if any(len(s) == 0 for s in steps):
        raise InputError(f"empty timestep in '{text}': commas separate timesteps, spaces separate features")
    widths = {len(s) for s in steps}
    if len(widths) != 1:
        raise InputError(f"every timestep needs the same number of features in '{text}', got {sorted(widths)}")
    try:
        arr = np.array([[float(v) for v in s] for s in steps])
    except ValueError as exc:
        raise InputError(f"not a number in '{text}': {exc}") from None
    return _finite(arr, text)


def _finite(arr, origin):
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{origin}: contains NaN or infinity")
    return arr


def load_csv(path: str) -> np.ndarray:
    rows = []
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            for lineno, row in enumerate(csv.reader(fh), start=1):
                if not row or all(not c.strip() for c in row):
                    continue
                try:
                    rows.append([float(c) for c in row])
                except ValueError:
                    if lineno == 1 and not rows:
                        continue  # header row
                    raise InputError(f"{path}, line {lineno}: non-numeric value in {row}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file") from None
    if not rows:
        raise InputError(f"{path}: no numeric rows")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise InputError(f"{path}: rows have different numbers of columns {sorted(widths)}")
    return _finite(np.array(rows), path)


def load_npy(path: str) -> np.ndarray:
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npy array ({exc})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        raise InputError(f"{path}: a numeric .npy array is expected")
    if arr.ndim not in (1, 2, 3):
        raise InputError(f"{path}: shape {arr.shape}; (T, features) or (batch, T, features) expected")
    return _finite(arr.astype(np.float64), path)


def read_values(value: str) -> np.ndarray:
    """A file path (.npy / .csv) or inline values -> float64 array."""
    if value.lower().endswith(FILE_SUFFIXES) or os.path.sep in value:
        if not os.path.isfile(value):
            raise InputError(f"{value}: no such file")
        return load_npy(value) if value.lower().endswith(".npy") else load_csv(value)
    return parse_inline(value)


def parse_target(text: str, spec, steps: int) -> np.ndarray:
    """A typed target for ONE sequence of ``steps`` timesteps → the array ``model.loss_and_grads`` takes.

    ``text`` as :func:`parse_inline` reads it. For loss "cross_entropy": class indices, one per step
    (output "sequence" → int64 (1, steps)) or one (output "last" → int64 (1,)), each a whole number in
    0..output_size − 1. For loss "mse": ``spec.out_features`` values per step (output "sequence" →
    float64 (1, steps, out_features): commas between steps, spaces between values) or for the last step
    (output "last" → (1, out_features)). InputError says what is missing or wrong.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise InputError(f"the number of steps must be a whole number ≥ 1, got {steps!r}")
    arr = parse_inline(text)                                       # (rows, cols)
    if spec.loss == "cross_entropy":
        flat = arr.ravel()
        want = steps if spec.output == "sequence" else 1
        if flat.size != want:
            per = "one per step" if spec.output == "sequence" else "one for the sequence"
            raise InputError(f"the target needs {want} class index(es) ({per}), got {flat.size}")
        if np.any(flat != np.round(flat)):
            raise InputError(f"class indices must be whole numbers, got '{text}'")
        classes = spec.output_size
        if flat.min() < 0 or flat.max() >= classes:
            raise InputError(f"class indices must be in 0..{classes - 1}, got '{text}'")
        return flat.astype(np.int64).reshape((1, steps) if spec.output == "sequence" else (1,))
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


def as_batch(arr: np.ndarray, input_size: int) -> np.ndarray:
    """(T,) / (T, F) / (B, T, F) -> (B, T, F) checked against the model's input size."""
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim == 2:
        if arr.shape[1] != input_size and arr.shape[0] == input_size == 1:
            arr = arr.T  # a single row of values for a one-feature model
        arr = arr[None]
    if arr.shape[-1] != input_size:
        raise InputError(f"the model reads {input_size} feature(s) per timestep; the input has {arr.shape[-1]}")
    return arr
