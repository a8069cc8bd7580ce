"""Model files: one ``.npz`` of named float arrays plus a ``spec`` JSON string. Never unpickles."""
from __future__ import annotations

import io
import os
import secrets
import stat

import numpy as np

from .errors import ModelFileError, SpecError
from .reading import PARTIAL_SUFFIX, display_name, file_kind, read_npz
from .spec import ModelSpec


def read_arrays(path, kind: str = "model") -> dict:
    """Every array of an .npz, refusing pickles, anything that is not an npz archive, and declared sizes
    over the limits (rnnsim.reading.read_npz; rnnsim.limits).

    ``kind`` names what the file should be ("model", "session") in the messages.
    """
    return read_npz(path, ModelFileError, f"{kind} file")


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
    name = display_name(path)
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
    """Write atomically (temp file in the same folder, then rename): float64 params, spec JSON, extras.

    The target is checked first (:func:`check_output_path`), before any work."""
    check_output_path(path)
    payload = {k: np.asarray(v) for k, v in (extras or {}).items()}
    payload.update({k: np.ascontiguousarray(v, dtype=np.float64) for k, v in params.items()})
    payload["spec"] = np.array(spec.to_json())
    buffer = io.BytesIO()
    np.savez(buffer, **payload)
    write_atomic(path, buffer.getvalue())


def check_output_path(path, what: str = "model file") -> str:
    """The file a save to ``path`` writes — a symbolic link is followed to its target, as editors do — or
    ModelFileError before any work: an empty name, a folder, a FIFO, a device or a socket (never replaced:
    as root ``--out /dev/null`` would replace the machine's /dev/null), a read-only file, a missing or
    read-only folder."""
    try:
        raw = os.fspath(path)
    except TypeError:
        raise ModelFileError(f"{path!r} is not a file name") from None
    if isinstance(raw, bytes):
        raw = os.fsdecode(raw)
    name = display_name(raw)
    if not raw.strip():
        raise ModelFileError(f"an empty file name: name the {what} to write")
    if "\0" in raw:
        raise ModelFileError(f"{name}: a file name cannot hold a NUL byte")
    if raw.endswith(("/", os.sep)) or os.path.basename(raw) in (".", ".."):
        raise ModelFileError(f"{name}: names a folder; add the {what}'s name")
    real = os.path.realpath(raw)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise ModelFileError(f"{name}: cannot write there ({exc.strerror or exc})") from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise ModelFileError(f"{name}: is {file_kind(st.st_mode)}, not a regular file; rnnsim saves only "
                                 f"to a regular file")
        if not os.access(real, os.W_OK):
            raise ModelFileError(f"{name}: the file is read-only")
    folder = os.path.dirname(real) or "."
    try:
        fst = os.stat(folder)
    except FileNotFoundError:
        raise ModelFileError(f"{name}: the folder {display_name(folder)} does not exist") from None
    except OSError as exc:
        raise ModelFileError(f"{name}: cannot write there ({exc.strerror or exc})") from None
    if not stat.S_ISDIR(fst.st_mode):
        raise ModelFileError(f"{name}: {display_name(folder)} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ModelFileError(f"{name}: cannot write in the folder {display_name(folder)} (permission denied)")
    return real


def write_atomic(name, payload: bytes, what: str = "model file") -> None:
    """Write ``payload`` to ``name`` so that a crash never leaves a half-written file behind.

    The target is checked by :func:`check_output_path` (a symbolic link is followed and its target
    replaced). The bytes go to a temporary file in the same folder — hidden, named
    ``.<name>.<random>.rnnsim-partial`` so that no loader takes a stale one for a model — flushed to disk,
    then renamed over the target. The target keeps its permission bits; a new file gets the usual ones
    (0666 less the umask). The temporary file is removed on every way out: an error, KeyboardInterrupt,
    or the command line's SIGTERM handler (which raises)."""
    shown = display_name(name)
    real = check_output_path(name, what)
    folder, base = os.path.split(real)
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
    except OSError:
        mode = None                               # a new file: the umask decides
    tmp = os.path.join(folder, f".{base[:180]}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(tmp, flags, 0o666)
    except OSError as exc:
        raise ModelFileError(f"{shown}: cannot write here ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, real)
        tmp = None
    except OSError as exc:
        raise ModelFileError(f"{shown}: cannot write ({exc.strerror or exc})") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    _sync_folder(folder)


def _sync_folder(folder) -> None:
    """Make the rename itself durable (best effort: not every file system lets a folder be fsynced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
