"""Model files: one ``.npz`` of named float arrays plus a ``spec`` JSON string. Never unpickles."""
from __future__ import annotations

import io
import os
import tempfile
import zipfile

import numpy as np

from .errors import ModelFileError, SpecError
from .spec import ModelSpec


def read_arrays(path, kind: str = "model") -> dict:
    """Every array of an .npz, refusing pickles and anything that is not an npz archive.

    ``kind`` names what the file should be ("model", "session") in the messages.
    """
    name = os.fspath(path)
    if not os.path.exists(name):
        raise ModelFileError(f"{name}: no such file")
    if os.path.isdir(name):
        raise ModelFileError(f"{name}: is a folder, not a {kind} file")
    try:
        fh = open(name, "rb")  # our own handle, closed even when numpy refuses the file
    except OSError as exc:
        raise ModelFileError(f"{name}: cannot be read ({exc.strerror})") from None
    with fh:
        try:
            archive = np.load(fh, allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelFileError(f"{name}: not a {kind} file (an rnnsim .npz archive was expected; {first})") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{name}: holds a single array, not a {kind} (.npz archive expected)")
        return _members(name, archive)


def _members(name, archive) -> dict:
    arrays = {}
    with archive:
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except ValueError as exc:
                if "allow_pickle" in str(exc):
                    raise ModelFileError(f"{name}: array '{key}' holds Python objects (a pickle); "
                                         "rnnsim never loads pickles") from None
                raise ModelFileError(f"{name}: array '{key}' is damaged ({exc})") from None
            except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
                raise ModelFileError(f"{name}: array '{key}' is damaged ({exc})") from None
    return arrays


def text_array(name, arr, key: str) -> str:
    """The text of a 0-d string array (how JSON is stored beside the numbers), or ModelFileError."""
    if arr.shape != () or arr.dtype.kind not in "US":
        raise ModelFileError(f"{name}: the '{key}' array is damaged: a 0-d string array holding JSON was "
                             f"expected, got dtype {arr.dtype} shape {arr.shape}")
    value = arr.item()
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFileError(f"{name}: '{key}' is not UTF-8 text") from None
    return value


def load(path):
    """Read a model file -> (ModelSpec, params {name: float64}, extras {name: array})."""
    name = os.fspath(path)
    arrays = read_arrays(path)
    if "spec" not in arrays:
        raise ModelFileError(f"{name}: no 'spec' array (the JSON description of the model)")
    try:
        spec = ModelSpec.from_json(text_array(name, arrays.pop("spec"), "spec"))
    except SpecError as exc:
        raise ModelFileError(f"{name}: {exc}") from None
    params = read_params(name, spec, arrays)
    for pname in params:
        del arrays[pname]
    for key, arr in arrays.items():
        if arr.dtype.kind not in "biufcUS":
            raise ModelFileError(f"{name}: extra array '{key}' has unsupported dtype {arr.dtype}")
    return spec, params, arrays


def read_params(name, spec: ModelSpec, arrays: dict) -> dict:
    """The spec's parameters from ``arrays`` as contiguous float64, checked: present, numeric,
    the right shape, finite — or ModelFileError naming the parameter."""
    params = {}
    for pname, shape in spec.param_shapes().items():
        if pname not in arrays:
            raise ModelFileError(f"{name}: parameter '{pname}' is missing (expected shape {shape})")
        arr = arrays[pname]
        if arr.dtype.kind not in "fiu":
            raise ModelFileError(f"{name}: parameter '{pname}' has dtype {arr.dtype}, numbers expected")
        if arr.shape != shape:
            raise ModelFileError(f"{name}: parameter '{pname}' has shape {arr.shape}, expected {shape}")
        arr = np.ascontiguousarray(arr, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ModelFileError(f"{name}: parameter '{pname}' contains NaN or infinity")
        params[pname] = arr
    return params


def save(path, spec: ModelSpec, params: dict, extras: dict | None = None) -> None:
    """Write atomically (temp file in the same folder, then rename): float64 params, spec JSON, extras."""
    name = os.fspath(path)
    payload = {k: np.asarray(v) for k, v in (extras or {}).items()}
    payload.update({k: np.ascontiguousarray(v, dtype=np.float64) for k, v in params.items()})
    payload["spec"] = np.array(spec.to_json())
    buffer = io.BytesIO()
    np.savez(buffer, **payload)
    write_atomic(name, buffer.getvalue())


def write_atomic(name: str, payload: bytes) -> None:
    """Write ``payload`` to a temporary file in the same folder, flush it to disk, then rename it
    over ``name``: a crash never leaves a half-written file behind."""
    folder = os.path.dirname(os.path.abspath(name))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".rnnsim-", suffix=".npz", dir=folder)
    except OSError as exc:
        raise ModelFileError(f"{name}: cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, name)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise ModelFileError(f"{name}: cannot write ({exc.strerror})") from None
