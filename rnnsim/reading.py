"""Reading files nobody vouches for: regular files only, every declared size checked before anything is
allocated, never a pickle, every failure one error of the caller's type naming the file.

- :func:`open_regular`: ``os.stat`` first — a folder, a FIFO, a device (``/dev/zero``) or a socket is refused
  at once without opening it (a FIFO would block), and so is a file over its size limit or an unfinished
  temporary file of an interrupted save (:data:`PARTIAL_SUFFIX`);
- :func:`read_npz`: an ``.npz`` archive member by member. The zip directory is read first (how many
  members, their declared uncompressed sizes, against ``MAX_MEMBERS``, ``MAX_ARRAY_BYTES``,
  ``MAX_ARCHIVE_BYTES``); then each member's ``.npy`` header (dtype and shape: no object arrays, at most
  ``MAX_ARRAY_BYTES``) and only then its data, streamed in chunks into a buffer of exactly the declared
  size (a member that inflates to more or less is damaged: zipfile stops at the declared size and checks
  the CRC);
- :func:`read_npy`: one ``.npy`` file the same way;
- :func:`read_text_file`: a text file's bytes up to a limit;
- :func:`parse_json`: JSON text with its length and nesting bounded.

The limits are in :mod:`rnnsim.limits`.
"""
from __future__ import annotations

import csv
import json
import os
import stat
import zipfile
import zlib

import numpy as np

from .errors import one_line
from .limits import (MAX_ARCHIVE_BYTES, MAX_ARRAY_BYTES, MAX_FILE_BYTES, MAX_JSON_CHARS, MAX_JSON_DEPTH,
                     MAX_MEMBERS, MAX_NPY_HEADER_BYTES, MAX_TEXT_FILE_BYTES, MAX_ZIP_DIRECTORY_BYTES, amount,
                     over, size)

#: the name ending of the temporary file a save writes before renaming it over the target
PARTIAL_SUFFIX = ".rnnsim-partial"
NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
#: dtype kinds an array may have: bool, integers, floats, complex, text (never objects or records)
ARRAY_KINDS = "biufcUS"
CHUNK = 1 << 20
_SHOWN_PATH = 100


def display_name(path) -> str:
    """The path as a message shows it: text (undecodable bytes escaped), a long one cut to its tail."""
    try:
        name = os.fspath(path)
    except TypeError:
        return repr(path)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if len(name) > _SHOWN_PATH:
        name = "…" + name[-(_SHOWN_PATH - 1):]
    return name


def file_kind(mode: int) -> str:
    """'a folder', 'a FIFO (named pipe)', 'a device', 'a socket' for what is not a regular file."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _stat(path, name, error):
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise error(f"{name}: no such file") from None
    except NotADirectoryError:
        raise error(f"{name}: no such file (a part of the path is not a folder)") from None
    except PermissionError:
        raise error(f"{name}: cannot be read (permission denied)") from None
    except (OSError, ValueError) as exc:         # ValueError: a NUL byte in the name
        raise error(f"{name}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None


def open_regular(path, error, what: str = "file", limit: int = MAX_FILE_BYTES):
    """(binary handle, size) of the regular file ``path``; ``error`` (an RnnsimError type) otherwise.

    ``what`` names what the file should be ("model file", "data file") in the messages."""
    name = display_name(path)
    st = _stat(path, name, error)
    if not stat.S_ISREG(st.st_mode):
        kind = file_kind(st.st_mode)
        raise error(f"{name}: is {kind}, not a {what}" if kind != "not a regular file"
                    else f"{name}: is not a regular file, not a {what}")
    if os.fspath(name).endswith(PARTIAL_SUFFIX):
        raise error(f"{name}: is the unfinished temporary file of an interrupted save, not a {what}; delete it")
    if st.st_size > limit:
        raise error(f"{name}: {over('the file size', st.st_size, limit, bytes_=True)} for a {what}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError:
        raise error(f"{name}: cannot be read (permission denied)") from None
    except OSError as exc:
        raise error(f"{name}: cannot be read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)                         # the file opened is the file checked (no swap meanwhile)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            raise error(f"{name}: changed while it was opened; not a {what}")
        return os.fdopen(fd, "rb"), st.st_size
    except BaseException:
        os.close(fd)
        raise


def read_text_file(path, error, what: str = "text file", limit: int = MAX_TEXT_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes."""
    fh, declared = open_regular(path, error, what, limit)
    with fh:
        try:
            data = fh.read(min(declared, limit) + 1)          # the file's own size: no limit-sized buffer
        except OSError as exc:
            raise error(f"{display_name(path)}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise error(f"{display_name(path)}: {over('the file size', len(data), limit, bytes_=True)} for a {what}")
    return data


# ---- .npy ------------------------------------------------------------------------------------------
def _reason(exc) -> str:
    text = one_line(str(exc), 80)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read_header(fp, where, error):
    """(shape, fortran_order, dtype) from an .npy stream positioned at its start, checked."""
    try:
        magic = fp.read(len(NPY_MAGIC))
    except EOFError:
        raise error(f"{where} is truncated (the archive ends inside it)") from None
    except Exception as exc:                     # noqa: BLE001 - a damaged stream, whatever the library says
        raise error(f"{where} is damaged ({_damage(exc)})") from None
    if magic != NPY_MAGIC:
        raise error(f"{where} is not a .npy array (no .npy header)")
    try:
        version = fp.read(2)
        if len(version) != 2:
            raise error(f"{where} is truncated (the .npy header is cut short)")
        if version == b"\x01\x00":
            header = np.lib.format.read_array_header_1_0(fp, max_header_size=MAX_NPY_HEADER_BYTES)
        elif version == b"\x02\x00":
            header = np.lib.format.read_array_header_2_0(fp, max_header_size=MAX_NPY_HEADER_BYTES)
        else:
            raise error(f"{where} has .npy format version {version[0]}.{version[1]}; rnnsim reads 1.0 and 2.0")
    except error:
        raise
    except Exception as exc:                     # noqa: BLE001 - ValueError, TokenError, SyntaxError, EOFError...
        if isinstance(exc, (EOFError, zipfile.BadZipFile)) or "EOF" in str(exc):
            raise error(f"{where} is truncated (the .npy header is cut short)") from None
        raise error(f"{where} has a damaged .npy header ({_reason(exc)})") from None
    shape, fortran, dtype = header
    if dtype.hasobject:
        raise error(f"{where} holds Python objects (a pickle); rnnsim never loads pickles")
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise error(f"{where} has unsupported dtype {one_line(dtype.str, 40)}; numbers or text expected")
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise error(f"{where} declares an invalid shape {one_line(repr(shape), 60)}")
    if len(shape) > 32:
        raise error(f"{where} declares {len(shape)} dimensions, over the limit of 32")
    count, span = 1, 1
    for d in shape:
        count *= d
        span *= max(d, 1)                        # an empty array may not declare huge sides either
    nbytes = count * dtype.itemsize
    if max(nbytes, span * max(dtype.itemsize, 1)) > MAX_ARRAY_BYTES:
        nbytes = max(nbytes, span * max(dtype.itemsize, 1))
        dims = " × ".join(amount(d) for d in shape) if len(shape) <= 6 else f"{len(shape)} dimensions"
        raise error(f"{where} declares shape {one_line(dims, 80)} of {dtype.name}: "
                    f"{over('its size', nbytes, MAX_ARRAY_BYTES, bytes_=True)}")
    return shape, fortran, dtype, count, nbytes


def _read_data(fp, where, error, shape, fortran, dtype, count, nbytes):
    """The array's data from the stream, read in chunks into a buffer of exactly ``nbytes``."""
    if count == 0 or dtype.itemsize == 0:
        return np.zeros(shape, dtype=dtype, order="F" if fortran else "C")
    buffer = bytearray(nbytes)
    view = memoryview(buffer)
    pos = 0
    try:
        while pos < nbytes:
            chunk = fp.read(min(CHUNK, nbytes - pos))
            if not chunk:
                break
            view[pos:pos + len(chunk)] = chunk
            pos += len(chunk)
    except EOFError:
        pos = -1
    except Exception as exc:                     # noqa: BLE001 - zlib.error, BadZipFile (CRC), OSError...
        raise error(f"{where} is damaged ({_damage(exc)})") from None
    if pos != nbytes:
        raise error(f"{where} is truncated: its header declares {size(nbytes)} of data, fewer are stored")
    view.release()
    return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape, order="F" if fortran else "C")


def _damage(exc) -> str:
    if isinstance(exc, zlib.error):
        return "its compressed data are corrupt"
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
        return "its checksum does not match its data"
    if isinstance(exc, NotImplementedError):
        return "it uses a compression method rnnsim cannot read"
    return _reason(exc)


def read_npy(path, error, what: str = "array file") -> np.ndarray:
    """One ``.npy`` file, bounded like an archive member (:func:`read_npz`)."""
    name = display_name(path)
    fh, file_size = open_regular(path, error, what)
    with fh:
        shape, fortran, dtype, count, nbytes = _read_header(fh, f"{name}:", error)
        stored = file_size - fh.tell()
        if stored < nbytes:
            raise error(f"{name}: is truncated: its header declares {size(nbytes)} of data, the file holds "
                        f"{size(max(stored, 0))}")
        return _read_data(fh, f"{name}:", error, shape, fortran, dtype, count, nbytes)


# ---- .npz ------------------------------------------------------------------------------------------
def _directory_record(fh):
    """The zip's end-of-directory record (zipfile's own reader), or None when there is none."""
    finder = getattr(zipfile, "_EndRecData", None)
    if finder is None:                            # pragma: no cover - every CPython has it
        return ()
    try:
        return finder(fh)
    except Exception:                             # noqa: BLE001 - damaged: zipfile says why below
        return None


def read_npz(path, error, what: str = "model file") -> dict:
    """Every array of an ``.npz`` archive as {name: ndarray}, bounded and pickle-free (see the module doc).

    ``what`` names what the file should be ("model file", "session file", "data file") in the messages."""
    name = display_name(path)
    fh, file_size = open_regular(path, error, what)
    with fh:
        try:
            head = fh.read(6)
            fh.seek(0)
        except OSError as exc:
            raise error(f"{name}: cannot be read ({exc.strerror or exc})") from None
        if head.startswith(NPY_MAGIC):
            raise error(f"{name}: holds a single array (.npy), not a {what} (an .npz archive was expected)")
        if not head.startswith(ZIP_MAGICS):
            empty = " (the file is empty)" if not head else ""
            raise error(f"{name}: not a {what} (an .npz archive was expected){empty}")
        record = _directory_record(fh)
        if record is None:
            raise error(f"{name}: not a {what}: a damaged .npz archive (no zip directory; is it cut short?)")
        if record:
            entries, directory = record[zipfile._ECD_ENTRIES_TOTAL], record[zipfile._ECD_SIZE]
            if entries > MAX_MEMBERS:
                raise error(f"{name}: {over('the number of arrays', entries, MAX_MEMBERS)}")
            if directory > MAX_ZIP_DIRECTORY_BYTES:
                raise error(f"{name}: {over('the zip directory', directory, MAX_ZIP_DIRECTORY_BYTES, True)}")
        try:
            fh.seek(0)
            archive = zipfile.ZipFile(fh)
        except Exception as exc:                  # noqa: BLE001 - BadZipFile, OSError, ValueError, struct.error...
            raise error(f"{name}: not a {what}: a damaged .npz archive ({_reason(exc)})") from None
        with archive:
            return _members(name, archive, error, file_size)


#: deflate's largest expansion: about 1032 bytes out per byte in (zlib's technical notes); a member that
#: declares more than this of its stored bytes is damaged or lying, and is refused before any allocation
DEFLATE_MAX_RATIO = 1032


def _members(name, archive, error, file_size) -> dict:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise error(f"{name}: {over('the number of arrays', len(infos), MAX_MEMBERS)}")
    keys, total = [], 0
    for info in infos:
        member = info.filename
        key = member[:-4] if member.endswith(".npy") else member
        where = f"{name}: array '{one_line(key, 60)}'"
        if not member.endswith(".npy"):
            raise error(f"{name}: member '{one_line(member, 60)}' is not a .npy array (not an .npz of arrays)")
        if key in keys:
            raise error(f"{where} is stored twice")
        if info.flag_bits & 0x1:
            raise error(f"{where} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise error(f"{where} uses compression method {info.compress_type}; rnnsim reads stored and "
                        f"deflated members")
        if info.file_size > MAX_ARRAY_BYTES + MAX_NPY_HEADER_BYTES + 16:
            raise error(f"{where}: {over('its uncompressed size', info.file_size, MAX_ARRAY_BYTES, True)}")
        total += info.file_size
        keys.append(key)
    if total > MAX_ARCHIVE_BYTES:
        raise error(f"{name}: {over('the arrays together', total, MAX_ARCHIVE_BYTES, bytes_=True)}")
    arrays = {}
    for info, key in zip(infos, keys):
        where = f"{name}: array '{one_line(key, 60)}'"
        if info.compress_size > file_size:
            raise error(f"{where} is damaged: it declares {size(info.compress_size)} stored in a file of "
                        f"{size(file_size)}")
        stored_limit = info.compress_size * (DEFLATE_MAX_RATIO if info.compress_type == zipfile.ZIP_DEFLATED else 1)
        if info.file_size > stored_limit + 64:
            raise error(f"{where} is damaged: {size(info.compress_size)} stored cannot hold the "
                        f"{size(info.file_size)} it declares")
        try:
            fp = archive.open(info)
        except Exception as exc:                  # noqa: BLE001 - BadZipFile, NotImplementedError, RuntimeError...
            raise error(f"{where} cannot be read ({_damage(exc)})") from None
        with fp:
            shape, fortran, dtype, count, nbytes = _read_header(fp, where, error)
            stored = info.file_size - fp.tell()
            if stored < nbytes:
                raise error(f"{where} is truncated: its header declares {size(nbytes)} of data, the archive "
                            f"holds {size(max(stored, 0))}")
            if stored > nbytes:
                raise error(f"{where} is damaged: {size(stored - nbytes)} follow its data")
            arrays[key] = _read_data(fp, where, error, shape, fortran, dtype, count, nbytes)
    return arrays


# ---- JSON ------------------------------------------------------------------------------------------
def parse_json(text: str, what: str, error):
    """``json.loads(text)`` with its length and nesting bounded; ``error`` names ``what`` otherwise."""
    if len(text) > MAX_JSON_CHARS:
        raise error(f"{what}: {over('the JSON text', len(text), MAX_JSON_CHARS)} characters")
    try:
        value = json.loads(text)
    except RecursionError:
        raise error(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        raise error(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:                     # e.g. an integer of more than 4300 digits
        raise error(f"{what} is not valid JSON ({one_line(str(exc), 80)})") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise error(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep")
    return value


def json_depth(value) -> int:
    """How deeply lists and objects nest in ``value`` (0 for a number or a string); iterative."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def csv_rows(reader, name: str, error):
    """(line number, row) for every row of a ``csv.reader``, its errors raised as ``error`` (the caller's
    engine exception type) in one line that names the file and the line — an over-long field (an
    unclosed quote, usually) by the limit it passed."""
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise error(f"{name}: line {line} holds a field over the limit of {csv.field_size_limit()} "
                            "characters (is a quote not closed?)") from None
            raise error(f"{name}: line {line} is not valid CSV ({exc}; is a quote not closed?)") from None
        yield reader.line_num, row
