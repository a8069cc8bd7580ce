"""Data files a learner brings: ``.npz`` arrays, a ``.csv`` time series, a ``.txt`` text.

Every loader returns a :class:`~rnnsim.data.dataset.Dataset` or raises :class:`DataError`
with one line that names the file, where in it the problem is (line, column, array) and what
was expected. Nothing is ever unpickled.

- :func:`load_npz` — arrays ``x`` (N, T, features) and ``y`` (targets); loss and output are
  inferred from ``y``'s dtype and shape.
- :func:`load_csv_series` — a table with a header row, cut into sliding windows for
  forecasting (many-to-one, mse); every column is normalised by its mean and std, kept in
  ``meta`` so predictions can be mapped back (:func:`normalise_inputs`, :func:`denormalise_targets`).
- :func:`load_text` — character-level next-character prediction (the char-RNN of the Russian Keras article);
  the vocabulary is kept in ``meta['vocab']`` (:func:`encode`, :func:`decode`).
- :func:`load_data` — picks one of the above by the file's suffix.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from ..errors import DataError, shown
from ..inputs import strict_float
from ..limits import MAX_DATA_BYTES, MAX_OUTPUT_SIZE, MAX_SEQUENCES, MAX_STEPS, amount, over, size
from ..reading import csv_rows, display_name, open_regular, read_npz, read_text_file
from .dataset import Dataset

#: refuse to build more than this many bytes of one-hot text input (ask for max_chars instead).
MAX_TEXT_BYTES = MAX_DATA_BYTES
MAX_VOCAB = 256
SUFFIXES = {".npz": "npz", ".csv": "csv", ".txt": "text", ".text": "text", ".md": "text"}


# ---- shared helpers ------------------------------------------------------------------------
def _name(path) -> str:
    return display_name(path)


def _check_file(path) -> Path:
    """``path`` when it is a regular file (not a folder, FIFO or device: refused at once), else DataError."""
    fh, _ = open_regular(path, DataError, "data file")
    fh.close()
    return Path(path)


def _read_bytes(path) -> bytes:
    return read_text_file(path, DataError, "data file")


def _decode_utf8(path, raw: bytes) -> str:
    """UTF-8 text (a leading byte-order mark dropped, line ends made '\\n'), or DataError with the byte offset."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"{_name(path)}: byte offset {exc.start} (line {line}) is not valid UTF-8 "
                        f"(byte 0x{raw[exc.start]:02x}); save the file as UTF-8 text") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _whole(name, value, low=1, high=MAX_STEPS) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise DataError(f"{name} must be a whole number ≥ {low}, got {shown(value)}")
    if value > high:
        raise DataError(over(name, int(value), high))
    return int(value)


def check_data_size(name, n, steps, features) -> None:
    """DataError when a data set of ``n`` sequences of ``steps`` steps of ``features`` values is over the
    limits (rnnsim.limits: MAX_SEQUENCES, MAX_STEPS, MAX_DATA_BYTES as float64)."""
    if n > MAX_SEQUENCES:
        raise DataError(f"{name}: {over('the number of sequences', n, MAX_SEQUENCES)}")
    if steps > MAX_STEPS:
        raise DataError(f"{name}: {over('the sequence length', steps, MAX_STEPS)}")
    need = n * steps * features * 8
    if need > MAX_DATA_BYTES:
        raise DataError(f"{name}: {amount(n)} sequences × {amount(steps)} steps × {amount(features)} values "
                        f"need {size(need)} as float64, over the limit of {size(MAX_DATA_BYTES)}")


# ---- .npz ----------------------------------------------------------------------------------
def load_npz(path, output: str | None = None, loss: str | None = None) -> Dataset:
    """Arrays ``x`` (N, T, features) and ``y`` from an ``.npz`` file; ``loss`` "mae" reads float ``y`` as "mse" does.

    Inferred unless given: integer ``y`` → loss "cross_entropy" (``y`` (N, T) → output
    "sequence", (N,) → "last"); float ``y`` → loss "mse" ((N, T, O) → "sequence", (N, O) →
    "last"; (N,) is read as (N, 1)). Cross-entropy data counts accuracy by argmax.
    """
    name = _name(path)
    p = Path(path)
    if output not in (None, "sequence", "last"):
        raise DataError(f"{name}: output must be 'sequence' or 'last', got {shown(output)}")
    if loss not in (None, "mse", "mae", "cross_entropy"):
        raise DataError(f"{name}: loss must be 'mse', 'mae' or 'cross_entropy', got {shown(loss)}")
    arrays = read_npz(path, DataError, "data file")
    for key in ("x", "y"):
        if key not in arrays:
            present = ", ".join(sorted(arrays)) or "none"
            raise DataError(f"{name}: array '{key}' is missing (the file holds: {present}); "
                            f"expected 'x' (N, T, features) and 'y' (targets)")
    x, y = arrays["x"], arrays["y"]
    for key, a in (("x", x), ("y", y)):
        if a.dtype.kind not in "biuf":
            raise DataError(f"{name}: array '{key}' must hold numbers, got dtype {a.dtype}")
    if x.ndim != 3:
        raise DataError(f"{name}: array 'x' must have 3 dimensions (N, T, features), got shape {x.shape}")
    if 0 in x.shape:
        raise DataError(f"{name}: array 'x' is empty (shape {x.shape}); expected at least one sequence "
                        f"of at least one step with at least one feature")
    n, steps, features = x.shape
    check_data_size(name, n, steps, features)
    if y.size * 8 > MAX_DATA_BYTES:
        raise DataError(f"{name}: {over('array y as float64', y.size * 8, MAX_DATA_BYTES, bytes_=True)}")
    if y.ndim == 0 or y.shape[0] != n:
        raise DataError(f"{name}: array 'y' has {y.shape[0] if y.ndim else 0} sequences (shape {y.shape}) "
                        f"but 'x' has {n}; expected the same N")
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise DataError(f"{name}: array 'x' contains NaN or infinity (first at index {bad})")

    integer = y.dtype.kind in "biu"
    if loss is None:
        loss = "cross_entropy" if integer else "mse"
    if loss == "cross_entropy":
        y = _class_targets(name, y, n, steps, output)
        output = "sequence" if y.ndim == 2 else "last"
        classes = int(y.max()) + 1
        meta = {"source": p.name, "classes": classes}
        return Dataset(p.stem, x, y, output, "cross_entropy", "argmax",
                       f"{p.name}: {n} sequences of {steps} steps, {classes} classes", meta)
    y = y.astype(np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if output is None:
        output = "sequence" if y.ndim == 3 else "last"
    if output == "sequence" and y.ndim == 2 and y.shape[1] == steps:
        y = y[:, :, None]
    want = "(N, T, outputs)" if output == "sequence" else "(N, outputs)"
    if y.ndim != (3 if output == "sequence" else 2):
        raise DataError(f"{name}: array 'y' of shape {y.shape} does not fit output '{output}'; expected {want}")
    if 0 in y.shape:
        raise DataError(f"{name}: array 'y' is empty (shape {y.shape}); expected {want}")
    if output == "sequence" and y.shape[1] != steps:
        raise DataError(f"{name}: array 'y' has {y.shape[1]} steps but 'x' has {steps}; expected the same T")
    if not np.all(np.isfinite(y)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(y))[0])
        raise DataError(f"{name}: array 'y' contains NaN or infinity (first at index {bad})")
    return Dataset(p.stem, x, y, output, loss, None,
                   f"{p.name}: {n} sequences of {steps} steps, {y.shape[-1]} target values", {"source": p.name})


def _class_targets(name, y, n, steps, output):
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise DataError(f"{name}: array 'y' contains NaN or infinity; expected class indices")
        if np.any(y != np.round(y)):
            raise DataError(f"{name}: array 'y' must hold whole class indices for loss 'cross_entropy'")
    if output is None and y.ndim == 2 and y.shape[1] == 1 and steps != 1:
        y = y[:, 0]                                       # a column of labels, one per sequence
    if output is None:
        if y.ndim not in (1, 2):
            raise DataError(f"{name}: array 'y' of class indices must have shape (N,) = ({n},) or (N, T) = "
                            f"{(n, steps)}, got {y.shape}")
        output = "sequence" if y.ndim == 2 else "last"
    want = (n, steps) if output == "sequence" else (n,)
    if y.shape != want:
        raise DataError(f"{name}: array 'y' of class indices must have shape {want} for output '{output}' "
                        f"(N, T for 'sequence', N for 'last'), got {y.shape}")
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    low, high = y.min(), y.max()                          # in y's own dtype: no wrap-around yet
    if low < 0:
        bad = tuple(int(i) for i in np.argwhere(y < 0)[0])
        raise DataError(f"{name}: array 'y' holds a negative class index {shown(_plain_number(low))} (first at "
                        f"index {bad}); classes are numbered 0, 1, 2, ...")
    if high >= MAX_OUTPUT_SIZE:
        bad = tuple(int(i) for i in np.argwhere(y >= MAX_OUTPUT_SIZE)[0])
        raise DataError(f"{name}: array 'y' holds class index {shown(_plain_number(high))} (first at index "
                        f"{bad}); classes are numbered 0 to {MAX_OUTPUT_SIZE - 1} at most (the limit of "
                        f"{MAX_OUTPUT_SIZE} classes)")
    return y.astype(np.int64)


def _plain_number(value):
    """A numpy scalar as a Python int (whole) or float, to show it as it is (2⁶⁴ − 1, not −1)."""
    value = value.item()
    return int(value) if isinstance(value, float) and value.is_integer() else value


# ---- .csv time series ----------------------------------------------------------------------
def _parse_float(text: str) -> float | None:
    """A cell's number, or None: plain decimal notation only (``1_000``, ``0x10`` and non-ASCII digits are
    not numbers here, though Python's float() takes some of them); "nan" and "inf" parse (and are refused
    as not finite by the caller)."""
    return strict_float(text)


def _sniff_delimiter(first_line: str) -> str:
    if "," in first_line:
        return ","
    for d in (";", "\t"):
        if d in first_line:
            return d
    return ","


def read_csv_table(path) -> tuple[list[str], dict[str, list], list[int]]:
    """(header, {column: list of cell strings}, line number of each data row)."""
    name = _name(path)
    text = _decode_utf8(path, _read_bytes(path))
    if not text.strip():
        raise DataError(f"{name}: the file is empty; expected a header row of column names and rows of numbers")
    first = next(line for line in text.split("\n") if line.strip())
    reader = csv.reader(io.StringIO(text), delimiter=_sniff_delimiter(first), strict=True)
    header, rows, lines = None, [], []
    for _, row in csv_rows(reader, name, DataError):
        if not row or all(not c.strip() for c in row):
            continue
        row = [c.strip() for c in row]
        if header is None:
            header = row
            header_line = reader.line_num
            continue
        if len(row) != len(header):
            raise DataError(f"{name}: line {reader.line_num} has {len(row)} field{'s' * (len(row) != 1)}, "
                            f"expected {len(header)} as in the header")
        rows.append(row)
        lines.append(reader.line_num)
    if header is None:
        raise DataError(f"{name}: no header row; expected a first line of column names")
    if all(_parse_float(c) is not None for c in header):
        raise DataError(f"{name}: line {header_line} holds numbers, expected a header row of column names "
                        f"(e.g. 'time,temperature')")
    for i, c in enumerate(header):
        if not c:
            raise DataError(f"{name}: line {header_line}, column {i + 1} has no name; every column needs one")
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise DataError(f"{name}: line {header_line}: column name '{dup[0]}' appears more than once")
    if not rows:
        raise DataError(f"{name}: no data rows after the header (line {header_line})")
    columns = {c: [r[i] for r in rows] for i, c in enumerate(header)}
    return header, columns, lines


def _numeric_column(name, column, cells, lines) -> np.ndarray:
    values = np.empty(len(cells))
    for k, (cell, line) in enumerate(zip(cells, lines)):
        v = _parse_float(cell)
        if v is None:
            what = shown(cell) if cell else "an empty cell"
            raise DataError(f"{name}: line {line}, column {shown(column)}: {what} is not a number")
        if not math.isfinite(v):
            raise DataError(f"{name}: line {line}, column {shown(column)}: {shown(cell)} is not a finite number "
                            f"(NaN and infinity are refused)")
        values[k] = v
    return values


def _column_list(name, what, value, header) -> list[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    value = list(value)
    if not value:
        raise DataError(f"{name}: {what} names no column; available columns: {', '.join(header)}")
    for c in value:
        if c not in header:
            raise DataError(f"{name}: unknown column '{c}' in {what}; available columns: {', '.join(header)}")
    return value


def load_csv_series(path, inputs=None, targets=None, window: int = 20, horizon: int = 1) -> Dataset:
    """Sliding windows over a CSV time series (one row per time step, a header row of names).

    ``x[s]`` = the input columns of rows s .. s+window-1, ``y[s]`` = the target columns of row
    s+window-1+horizon (many-to-one, loss mse). Defaults: every numeric column as an input
    (columns whose first value is not a number, such as dates, are skipped), the last column
    as the target. Each column is normalised to mean 0, std 1 (std 0 → 1); ``meta`` keeps the
    means and stds for :func:`normalise_inputs` / :func:`denormalise_targets`.
    """
    name = _name(path)
    window = _whole(f"{name}: window", window)
    horizon = _whole(f"{name}: horizon", horizon)
    header, cells, lines = read_csv_table(path)
    if inputs is None:
        inputs = [c for c in header if _parse_float(cells[c][0]) is not None]
        if not inputs:
            raise DataError(f"{name}: line {lines[0]}: no column holds numbers; expected numeric columns "
                            f"(available columns: {', '.join(header)})")
    else:
        inputs = _column_list(name, "inputs", inputs, header)
    targets = [header[-1]] if targets is None else _column_list(name, "targets", targets, header)
    used = list(dict.fromkeys(list(inputs) + list(targets)))
    table = {c: _numeric_column(name, c, cells[c], lines) for c in used}
    rows = len(lines)
    if window + horizon > rows:
        raise DataError(f"{name}: window {window} + horizon {horizon} = {window + horizon} rows are needed "
                        f"but the series has only {rows} rows")
    return series_dataset(Path(path).stem, table, inputs, targets, window, horizon,
                          description=f"{Path(path).name}: forecast {', '.join(targets)} {horizon} step(s) "
                                      f"ahead from the last {window} rows of {', '.join(inputs)}",
                          source=Path(path).name)


def series_dataset(name, table: dict, inputs, targets, window, horizon, description="", source=None) -> Dataset:
    """Sliding-window forecasting data from ``{column: 1-D float array}`` (all of equal length)."""
    columns = list(dict.fromkeys(list(inputs) + list(targets)))
    rows = len(table[columns[0]])
    count = rows - window - horizon + 1
    if count >= 1:
        check_data_size(name, count, window, len(inputs))
    mean, std, norm = {}, {}, {}
    for c in columns:
        mean[c], std[c], norm[c] = _standardise(np.asarray(table[c], dtype=np.float64))
    xin = np.stack([norm[c] for c in inputs], axis=1)                     # (rows, I)
    x = np.lib.stride_tricks.sliding_window_view(xin, window, axis=0)[:count]  # (count, I, window)
    x = np.ascontiguousarray(x.transpose(0, 2, 1))
    yall = np.stack([norm[c] for c in targets], axis=1)
    y = yall[window - 1 + horizon: window - 1 + horizon + count]
    meta = {"columns": columns, "inputs": list(inputs), "targets": list(targets), "mean": mean, "std": std,
            "window": int(window), "horizon": int(horizon)}
    if source:
        meta["source"] = source
    return Dataset(name, x, y, "last", "mse", None, description, meta)


def _standardise(values: np.ndarray):
    """(mean, std, (values − mean) / std) of a finite column; std 0 (a constant column) becomes 1.

    Squaring values above ~1e154 overflows (the std became inf and the column silently zeros): such a
    column is scaled by its largest magnitude first, so mean and std are finite for any finite values.
    Other columns are computed exactly as always (runs stay bit for bit the same)."""
    scale = float(np.max(np.abs(values))) if values.size else 0.0
    if scale < 1e150:
        mean, std = float(np.mean(values)), float(np.std(values))
        std = std if std > 0 else 1.0
        return mean, std, (values - mean) / std
    unit = values / scale
    mean_u, std_u = float(np.mean(unit)), float(np.std(unit))
    if std_u == 0:
        return mean_u * scale, 1.0, (unit - mean_u) * scale
    return mean_u * scale, std_u * scale, (unit - mean_u) / std_u


def normalise_inputs(meta: dict, raw) -> np.ndarray:
    """Raw input values (..., len(meta['inputs'])) in the order of meta['inputs'] → model units."""
    raw = np.asarray(raw, dtype=np.float64)
    mean = np.array([meta["mean"][c] for c in meta["inputs"]])
    std = np.array([meta["std"][c] for c in meta["inputs"]])
    if raw.shape[-1:] != mean.shape:
        raise DataError(f"raw inputs need {len(mean)} values per step ({', '.join(meta['inputs'])}), "
                        f"got shape {raw.shape}")
    return (raw - mean) / std


def denormalise_targets(meta: dict, y) -> np.ndarray:
    """Model outputs (..., len(meta['targets'])) → values in the data's own units."""
    y = np.asarray(y, dtype=np.float64)
    mean = np.array([meta["mean"][c] for c in meta["targets"]])
    std = np.array([meta["std"][c] for c in meta["targets"]])
    if y.shape[-1:] != mean.shape:
        raise DataError(f"outputs need {len(mean)} values ({', '.join(meta['targets'])}), got shape {y.shape}")
    return y * std + mean


def normalise_targets(meta: dict, raw) -> np.ndarray:
    """Target values (..., len(meta['targets'])) in the data's own units → model units (the inverse of
    :func:`denormalise_targets`)."""
    raw = np.asarray(raw, dtype=np.float64)
    mean = np.array([meta["mean"][c] for c in meta["targets"]])
    std = np.array([meta["std"][c] for c in meta["targets"]])
    if raw.shape[-1:] != mean.shape:
        raise DataError(f"targets need {len(mean)} values ({', '.join(meta['targets'])}), got shape {raw.shape}")
    return (raw - mean) / std


# ---- text ----------------------------------------------------------------------------------
def encode(vocab: str, text: str) -> np.ndarray:
    """Character indices (int64) of ``text`` in ``vocab``; an unknown character is refused."""
    index = {ch: i for i, ch in enumerate(vocab)}
    try:
        return np.fromiter((index[ch] for ch in text), dtype=np.int64, count=len(text))
    except KeyError as exc:
        pos = next(i for i, ch in enumerate(text) if ch not in index)
        raise DataError(f"character {exc.args[0]!r} at position {pos} is not in the model's vocabulary "
                        f"of {len(vocab)} characters") from None


def decode(vocab: str, indices) -> str:
    """The text of character indices (any integer array-like) in ``vocab``."""
    idx = np.asarray(indices).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= len(vocab)):
        raise DataError(f"character index out of range 0..{len(vocab) - 1}")
    return "".join(vocab[int(i)] for i in idx)


def one_hot(indices, size: int) -> np.ndarray:
    idx = np.asarray(indices, dtype=np.int64)
    out = np.zeros(idx.shape + (size,))
    np.put_along_axis(out, idx[..., None], 1.0, axis=-1)
    return out


def load_text(path, window: int = 32, max_chars: int | None = None) -> Dataset:
    """Character-level next-character prediction: x one-hot (N, window, V), y (N, window) indices.

    The vocabulary is the sorted set of the text's characters (``meta['vocab']``); windows do
    not overlap (stride = window); the target at each step is the next character.
    """
    name = _name(path)
    window = _whole(f"{name}: window", window)
    if max_chars is not None:
        max_chars = _whole(f"{name}: max_chars", max_chars, low=2, high=1 << 62)
    text = _decode_utf8(path, _read_bytes(path))
    if not text:
        raise DataError(f"{name}: the file is empty; expected text to learn from")
    if max_chars is not None:
        text = text[:max_chars]
    return text_dataset(name, text, window, source=Path(path).name, stem=Path(path).stem)


def text_dataset(name: str, text: str, window: int, vocab: str | None = None, source: str | None = None,
                 stem: str | None = None) -> Dataset:
    """Next-character windows of ``text`` (see :func:`load_text`): x one-hot (N, window, V), y (N, window).

    ``vocab``: the characters in one-hot order (default: the sorted set of the text's characters); a
    character of the text outside it is refused. ``name`` prefixes error messages; ``stem`` names the
    data set (default ``name``); ``source`` is kept in ``meta['source']`` (default ``name``).
    """
    source = name if source is None else source
    if len(text) < window + 1:
        raise DataError(f"{name}: the text has {len(text)} characters, fewer than window {window} + 1 "
                        f"(one window and its next character); use a longer text or a smaller window")
    vocab = "".join(sorted(set(text))) if vocab is None else vocab
    if len(vocab) > MAX_VOCAB:
        raise DataError(f"{name}: the text uses {len(vocab)} different characters, more than {MAX_VOCAB}; "
                        f"expected a text in one alphabet")
    count = (len(text) - 1) // window
    need = count * window * len(vocab) * 8
    if need > MAX_TEXT_BYTES:
        fit = MAX_TEXT_BYTES // (len(vocab) * 8)
        raise DataError(f"{name}: {len(text)} characters would need {need / 2**20:.0f} MiB of one-hot input; "
                        f"pass max_chars (at most about {fit})")
    check_data_size(name, count, window, len(vocab))
    codes = encode(vocab, text[: count * window + 1])
    x = one_hot(codes[:-1].reshape(count, window), len(vocab))
    y = codes[1:].reshape(count, window)
    meta = {"vocab": vocab, "classes": len(vocab), "window": window, "source": source}
    return Dataset(stem or name, x, y, "sequence", "cross_entropy", "argmax",
                   f"{source}: predict the next character; {count} windows of {window} characters, "
                   f"{len(vocab)} different characters", meta)


# ---- dispatch ------------------------------------------------------------------------------
_LOADERS = {"npz": load_npz, "csv": load_csv_series, "text": load_text}
_OPTIONS = {"npz": ("output", "loss"), "csv": ("inputs", "targets", "window", "horizon"),
            "text": ("window", "max_chars")}


def load_data(path, **options) -> Dataset:
    """Load a data file by its suffix: .npz (arrays), .csv (time series), .txt/.text/.md (text)."""
    name = _name(path)
    kind = SUFFIXES.get(Path(path).suffix.lower())
    if kind is None:
        raise DataError(f"{name}: unsupported file type '{Path(path).suffix or '(none)'}'; supported: "
                        f"{', '.join(SUFFIXES)}")
    unknown = [k for k in options if k not in _OPTIONS[kind]]
    if unknown:
        raise DataError(f"{name}: option '{unknown[0]}' does not apply to {Path(path).suffix} files; "
                        f"known options: {', '.join(_OPTIONS[kind])}")
    return _LOADERS[kind](path, **options)
