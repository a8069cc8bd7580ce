"""Regression tests for what a careless user or an attacker can hand rnnsim: every case refused with the
engine's own error type and one printable line naming the file and the problem, within the limits of
rnnsim/limits.py, and saves that never damage what they replace."""
import io
import json
import math
import os
import signal
import stat
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnnsim import Model, ModelFileError, ModelSpec, load_model, recipe
from rnnsim import session_file as sf
from rnnsim.cli import main
from rnnsim.data import load_csv_series, load_data, load_npz, make_task
from rnnsim.errors import DataError, InputError, RnnsimError, one_line
from rnnsim.inputs import read_values
from rnnsim.io import write_atomic
from rnnsim.limits import (MAX_ARRAY_BYTES, MAX_HIDDEN_SIZE, MAX_MESSAGE_CHARS, MAX_OUTPUT_SIZE, MAX_TRACE_STEPS)
from rnnsim.reading import PARTIAL_SUFFIX
from rnnsim.train import Trainer

ROOT = Path(__file__).resolve().parents[2]
SPEC = {"format": "rnnsim.model", "version": 1, "cell": "gru", "input_size": 2, "hidden_size": 3,
        "output_size": 2}


# ---- helpers ---------------------------------------------------------------------------------------
def printable_line(message):
    assert message and "\n" not in message and "Traceback" not in message, message
    assert all(ch.isprintable() for ch in message), repr(message)
    assert len(message) <= MAX_MESSAGE_CHARS + 24, (len(message), message)
    return message


def refused(error, call, *parts):
    with pytest.raises(RnnsimError) as info:
        call()
    assert type(info.value) is error, (type(info.value), info.value)
    message = printable_line(str(info.value))
    for part in parts:
        assert part.lower() in message.lower(), (part, message)
    return message


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cli_refused(capsys, *argv, parts=()):
    code, out, err = cli(capsys, *argv)
    assert code == 2, (code, out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    printable_line(lines[0])
    for part in parts:
        assert part.lower() in lines[0].lower(), (part, lines[0])
    return lines[0]


def model(seed=0, **spec):
    return Model.create(ModelSpec.from_dict({**SPEC, **spec}), seed=seed)


def saved_model(tmp_path, name="m.npz", **spec):
    path = tmp_path / name
    model(**spec).save(path)
    return path


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def write_zip(path, items, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as zf:
        for n, data in items.items():
            zf.writestr(n, data)
    return path


def npy_bytes(arr=None, header=None, data=b""):
    """A .npy member: a real array, or a hand-made header dict (str) followed by ``data``."""
    if arr is not None:
        buffer = io.BytesIO()
        np.save(buffer, arr)
        return buffer.getvalue()
    text = header.encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data


def spec_member(spec):
    return npy_bytes(np.array(json.dumps(spec)))


def model_zip(tmp_path, spec=None, name="m.npz", **edits):
    """A model file's members with some replaced (None: removed)."""
    items = members(saved_model(tmp_path, "base.npz"))
    if spec is not None:
        items["spec.npy"] = spec_member(spec)
    for key, data in edits.items():
        key = key.replace("__", ".") + ".npy"
        if data is None:
            items.pop(key)
        else:
            items[key] = data
    return write_zip(tmp_path / name, items)


def peak_allocation(call):
    """(result or exception, peak bytes allocated by ``call``)."""
    tracemalloc.start()
    try:
        try:
            result = call()
        except RnnsimError as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def fifo(tmp_path, name="pipe.npz"):
    path = tmp_path / name
    os.mkfifo(path)
    return path


# ---- 1. saving ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["fifo", "folder", "symlink-to-fifo"])
def test_save_refuses_a_target_that_is_not_a_regular_file(tmp_path, kind):
    if kind == "folder":
        target = tmp_path / "dir.npz"
        target.mkdir()
    else:
        target = fifo(tmp_path)
        if kind == "symlink-to-fifo":
            link = tmp_path / "link.npz"
            link.symlink_to(target)
    where = tmp_path / "link.npz" if kind == "symlink-to-fifo" else target
    refused(ModelFileError, lambda: model().save(where), "not a regular file")
    refused(ModelFileError, lambda: write_atomic(where, b"x"), "not a regular file")
    if kind != "folder":
        assert stat.S_ISFIFO(os.stat(target).st_mode)              # still the FIFO: never replaced
    assert not [p for p in tmp_path.iterdir() if PARTIAL_SUFFIX in p.name]


def test_save_follows_a_symlink_and_replaces_its_target(tmp_path):
    real = tmp_path / "real.npz"
    model(seed=1).save(real)
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    model(seed=2).save(link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    np.testing.assert_array_equal(load_model(real).params["fc.bias"], model(seed=2).params["fc.bias"])


def test_save_keeps_the_target_mode_and_a_new_file_follows_the_umask(tmp_path):
    path = saved_model(tmp_path)
    os.chmod(path, 0o640)
    model(seed=3).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    old = os.umask(0o027)
    try:
        model().save(tmp_path / "new.npz")
        sf_path = tmp_path / "new-session.npz"
        trainer = _trainer()
        sf.save(sf_path, _session_of(trainer))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(sf_path).st_mode) == 0o640


@pytest.mark.parametrize("raised", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_or_interrupted_save_leaves_the_target_and_no_temp_file(tmp_path, monkeypatch, raised):
    path = saved_model(tmp_path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise raised

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises((ModelFileError, KeyboardInterrupt)):
        model(seed=9).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.npz", "m.npz"] or \
        sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_a_stale_temporary_file_is_never_taken_for_a_model(tmp_path):
    stale = tmp_path / f".m.npz.0123abcd{PARTIAL_SUFFIX}"
    stale.write_bytes(saved_model(tmp_path).read_bytes())           # even a complete one
    refused(ModelFileError, lambda: load_model(stale), "unfinished temporary file")
    refused(ModelFileError, lambda: sf.load(stale), "unfinished temporary file")
    refused(DataError, lambda: load_data(stale), "unsupported file type")


@pytest.mark.parametrize("out, parts", [
    ("", ["empty file name"]),
    ("{tmp}", ["is a folder"]),
    ("{tmp}/", ["names a folder"]),
    ("{tmp}/missing/m.npz", ["does not exist"]),
    ("{tmp}/pipe.npz", ["FIFO", "not a regular file"]),
    ("{tmp}/link.npz", ["FIFO", "not a regular file"]),
])
def test_train_checks_out_before_training(capsys, tmp_path, out, parts):
    os.mkfifo(tmp_path / "pipe.npz")
    (tmp_path / "link.npz").symlink_to(tmp_path / "pipe.npz")
    code, stdout, err = cli(capsys, "train", "--task", "xor", "--epochs", "100000", "--out",
                            out.format(tmp=tmp_path))
    assert code == 2 and "epoch" not in err and stdout == ""       # refused before the first epoch
    line = printable_line(err.strip())
    for part in parts:
        assert part.lower() in line.lower(), line
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe.npz").st_mode)


@pytest.mark.parametrize("option", [
    ["--forget-bias", "nan"], ["--forget-bias", "inf"], ["--lr", "nan"], ["--lr", "inf"], ["--gamma", "nan"],
    ["--momentum", "nan"], ["--validation-split", "nan"], ["--betas", "nan,0.9"], ["--clip", "inf"],
    ["--weight-decay", "inf"], ["--eps", "-inf"], ["--option", "noise=nan"],
])
def test_non_finite_hyperparameters_are_refused_up_front(capsys, option):
    task = "long-memory" if option[0] == "--option" else "xor"
    extra = ["--cell", "lstm"] if option[0] == "--forget-bias" else []
    code, out, err = cli(capsys, "train", "--task", task, "--epochs", "1", *extra, *option)
    assert code == 2 and "epoch" not in err, err
    printable_line(err.strip())


def test_a_failed_final_save_puts_the_model_in_a_recovery_file(capsys, tmp_path, monkeypatch):
    import rnnsim.io as rio

    real_write = rio.write_atomic
    target = tmp_path / "m.npz"

    def failing(name, payload):
        if os.fspath(name) == str(target):
            raise ModelFileError(f"{name}: cannot write (No space left on device)")
        return real_write(name, payload)

    monkeypatch.setattr(rio, "write_atomic", failing)
    line = cli_refused(capsys, "train", "--task", "xor", "--epochs", "3", "--json", "--out", str(target),
                       parts=["No space left", "the trained model was saved to"])
    rescue = line.split("the trained model was saved to ", 1)[1].rsplit(" instead", 1)[0]
    try:
        assert Path(rescue).is_file() and load_model(rescue).spec.extra["training"]["epochs_done"] == 3
    finally:
        Path(rescue).unlink(missing_ok=True)


def test_a_diverged_run_saves_the_last_finite_weights(capsys, tmp_path):
    out = tmp_path / "d.npz"
    code, stdout, _ = cli(capsys, "train", "--task", "bitcount", "--optimizer", "sgd", "--lr", "1e6",
                          "--epochs", "50", "--out", str(out))
    assert code == 0 and "diverged" in stdout and "last finite weights were kept" in stdout
    saved = load_model(out)                                    # the loader refuses non-finite parameters
    assert all(np.all(np.isfinite(v)) for v in saved.params.values())


def _run_and_signal(tmp_path, sig):
    out_path = tmp_path / "m.npz"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "rnnsim", "train", "--task", "parity", "--epochs", "100000",
                             "--out", str(out_path)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    seen = ""
    while "step" not in seen and time.monotonic() < deadline:      # wait until training runs
        seen += proc.stderr.read(1)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err, out_path


def test_sigterm_stops_training_saves_and_leaves_no_temp_file(tmp_path):
    code, out, err, out_path = _run_and_signal(tmp_path, signal.SIGTERM)
    assert code == 143, err
    assert "Traceback" not in err and "stopped" in out
    load_model(out_path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


# ---- 2. bounded loading --------------------------------------------------------------------------------
def test_a_tiny_model_declaring_ten_million_layers_is_refused_without_allocating(tmp_path):
    path = model_zip(tmp_path, spec={**SPEC, "num_layers": 10_000_000})
    assert path.stat().st_size < 8000
    result, peak = peak_allocation(lambda: load_model(path))
    assert isinstance(result, ModelFileError) and "num_layers 10000000 is over the limit of 64" in str(result)
    assert peak < 2 * 2 ** 20


@pytest.mark.parametrize("field, value, limit", [("hidden_size", 10_000_000, MAX_HIDDEN_SIZE),
                                                 ("output_size", 99_999, MAX_OUTPUT_SIZE),
                                                 ("input_size", 10 ** 30, 4096)])
def test_spec_sizes_over_their_limits_are_named(tmp_path, field, value, limit):
    path = model_zip(tmp_path, spec={**SPEC, field: value})
    refused(ModelFileError, lambda: load_model(path), f"{field} {value} is over the limit of {limit}")


def test_too_many_parameters_in_total(tmp_path):
    path = model_zip(tmp_path, spec={**SPEC, "cell": "lstm", "hidden_size": 4096, "num_layers": 3})
    refused(ModelFileError, lambda: load_model(path), "parameters, over the limit")


def test_an_npy_header_declaring_a_huge_shape_is_refused_before_allocating(tmp_path):
    huge = npy_bytes(header="{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }")
    path = model_zip(tmp_path, rnn__weight_hh_l0=huge)
    result, peak = peak_allocation(lambda: load_model(path))
    assert isinstance(result, ModelFileError), result
    assert "rnn.weight_hh_l0" in str(result) and "over the limit of 256 MiB" in str(result)
    assert peak < 2 * 2 ** 20


def test_an_empty_array_declaring_a_huge_side_is_refused(tmp_path):
    empty = npy_bytes(header="{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4611686018427387904), }")
    path = model_zip(tmp_path, fc__bias=empty)
    refused(ModelFileError, lambda: load_model(path), "fc.bias", "over the limit of 256 MiB")


def _patch_declared_size(path, member, size):
    """Set ``member``'s uncompressed size in the zip directory (and its local header) to ``size``."""
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    struct.pack_into("<I", raw, info.header_offset + 22, size)        # local file header
    central = raw.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46:central + 46 + name_len] == member.encode():
            struct.pack_into("<I", raw, central + 24, size)
            break
        central = raw.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(raw))
    return path


def test_a_member_declaring_a_huge_uncompressed_size_is_refused_from_the_directory(tmp_path):
    path = _patch_declared_size(model_zip(tmp_path), "rnn.weight_hh_l0.npy", 0xFFFFFFF0)
    result, peak = peak_allocation(lambda: load_model(path))
    assert isinstance(result, ModelFileError) and "uncompressed size" in str(result), result
    assert "over the limit of 256 MiB" in str(result) and peak < 2 * 2 ** 20


def test_a_member_declaring_more_than_its_stored_bytes_can_hold_is_refused_before_allocating(tmp_path):
    """Under the per-array limit, but 200 MiB cannot come out of a few hundred stored bytes (deflate
    expands at most ~1032 times): refused from the directory, nothing allocated."""
    path = _patch_declared_size(model_zip(tmp_path), "fc.bias.npy", 200 * 2 ** 20)
    result, peak = peak_allocation(lambda: load_model(path))
    assert isinstance(result, ModelFileError) and "cannot hold" in str(result), result
    assert peak < 2 * 2 ** 20


def test_members_that_add_up_over_the_archive_limit(tmp_path):
    items = {f"a{i}.npy": npy_bytes(np.zeros(2)) for i in range(5)}
    path = write_zip(tmp_path / "many.npz", items)
    for i in range(5):
        _patch_declared_size(path, f"a{i}.npy", MAX_ARRAY_BYTES)
    refused(DataError, lambda: load_npz(path), "arrays together", "over the limit of 1 GiB")


def test_too_many_members(tmp_path):
    path = write_zip(tmp_path / "m.npz", {f"a{i}.npy": b"" for i in range(10_001)})
    refused(ModelFileError, lambda: load_model(path), "number of arrays 10001 is over the limit of 10000")


@pytest.mark.parametrize("loader, error", [
    (load_model, ModelFileError), (sf.load, ModelFileError), (load_data, DataError), (read_values, InputError),
])
@pytest.mark.parametrize("what", ["fifo", "folder", "dev-zero"])
def test_only_regular_files_are_opened(tmp_path, loader, error, what):
    suffix = ".csv" if loader is read_values else ".npz"
    if what == "fifo":
        path = str(fifo(tmp_path, "p" + suffix))                    # opening it would block: never opened
        expected = "a FIFO"
    elif what == "folder":
        (tmp_path / ("d" + suffix)).mkdir()
        path, expected = str(tmp_path / ("d" + suffix)), "is a folder"
    else:
        path, expected = "/dev/zero", "is a device"
        if loader is load_data:
            pytest.skip("load_data picks its loader by suffix: /dev/zero has none")
    message = refused(error, lambda: loader(path), expected)
    assert "no such file" not in message


# ---- 3. one error type, one line --------------------------------------------------------------------
def _compressed_model(tmp_path):
    path = tmp_path / "c.npz"
    m = model()
    np.savez_compressed(path, spec=np.array(m.spec.to_json()), **m.params)
    return path


def _flip_data_byte(path, member, offset=-20, stored=False):
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    position = start + (info.compress_size + offset if offset < 0 else offset)
    raw[position] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


def test_corrupt_compressed_data(tmp_path):
    """zlib.error inside zipfile: the deflate stream's first block has the invalid type 3."""
    path = _compressed_model(tmp_path)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("rnn.weight_hh_l0.npy")
    name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
    raw[info.header_offset + 30 + name_len + extra_len] = 0x07          # BFINAL 1, BTYPE 11: invalid
    path.write_bytes(bytes(raw))
    refused(ModelFileError, lambda: load_model(path), "rnn.weight_hh_l0", "compressed data are corrupt")


def test_a_bit_flip_inside_compressed_data(tmp_path):
    path = _flip_data_byte(_compressed_model(tmp_path), "rnn.weight_hh_l0.npy", offset=12)
    message = refused(ModelFileError, lambda: load_model(path), "rnn.weight_hh_l0")
    assert any(w in message for w in ("corrupt", "checksum", "truncated")), message


def test_a_checksum_mismatch(tmp_path):
    path = _flip_data_byte(saved_model(tmp_path), "fc.bias.npy", offset=-3)
    refused(ModelFileError, lambda: load_model(path), "fc.bias", "checksum")


def _set_member_fields(path, member, method=None, flags=None):
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    offsets = [info.header_offset]
    pos = raw.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46:pos + 46 + name_len] == member.encode():
            offsets.append(pos + 2)                 # central headers have 2 more bytes before the same fields
        pos = raw.find(b"PK\x01\x02", pos + 4)
    for off in offsets:
        if flags is not None:
            struct.pack_into("<H", raw, off + 6, flags)
        if method is not None:
            struct.pack_into("<H", raw, off + 8, method)
    path.write_bytes(bytes(raw))
    return path


def test_an_unknown_compression_method(tmp_path):
    path = _set_member_fields(saved_model(tmp_path), "fc.bias.npy", method=99)
    refused(ModelFileError, lambda: load_model(path), "fc.bias", "compression method 99")


def test_an_encrypted_member(tmp_path):
    path = _set_member_fields(saved_model(tmp_path), "fc.bias.npy", flags=0x1)
    refused(ModelFileError, lambda: load_model(path), "fc.bias", "encrypted")


def test_a_member_without_an_npy_header(tmp_path):
    path = model_zip(tmp_path, fc__bias=b"hello, not an array")
    message = refused(ModelFileError, lambda: load_model(path), "fc.bias", "no .npy header")
    assert "pickle" not in message


@pytest.mark.parametrize("header", [
    "{'descr': '<f8, 'fortran_order': False, 'shape': (2,), }",          # tokenize.TokenError inside numpy
    "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), ",
    "{'descr': '<f8', 'fortran_order': False, 'shape': " + "(" * 300 + ")" * 300 + ", }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (-5,), }",
])
def test_a_malformed_npy_header(tmp_path, header):
    path = model_zip(tmp_path, fc__bias=npy_bytes(header=header, data=b"\0" * 16))
    refused(ModelFileError, lambda: load_model(path), "fc.bias")


def test_a_truncated_member_is_called_truncated_not_a_pickle(tmp_path):
    data = npy_bytes(np.zeros(2))[:-5]
    path = model_zip(tmp_path, fc__bias=data)
    message = refused(ModelFileError, lambda: load_model(path), "fc.bias", "truncated")
    assert "pickle" not in message


def test_object_arrays_are_still_called_pickles(tmp_path):
    path = model_zip(tmp_path, fc__bias=npy_bytes(np.array([None, 1], dtype=object)))
    refused(ModelFileError, lambda: load_model(path), "fc.bias", "pickle")


@pytest.mark.parametrize("text, part", [
    pytest.param('{"a":' * 100_000 + "1" + "}" * 100_000, "nested more than 64", id="recursion-error"),
    pytest.param("[" * 70 + "]" * 70, "nested more than 64", id="depth-70"),
    pytest.param('{"cell": "gru", "input_size": ' + "9" * 4301 + ', "hidden_size": 3}', "not valid JSON",
                 id="4301-digit-integer"),
    pytest.param('{"cell": "gru", "input_size": ' + "9" * 4000 + ', "hidden_size": 3}', "over the limit of 4096",
                 id="4000-digit-size"),
])
def test_json_that_python_cannot_take(tmp_path, text, part):
    path = model_zip(tmp_path)
    items = members(path)
    items["spec.npy"] = npy_bytes(np.array(text))
    write_zip(path, items)
    refused(ModelFileError, lambda: load_model(path), "m.npz", part)
    bad = tmp_path / "bad-session.npz"
    session = members(_saved_session(tmp_path))
    session["session.npy"] = npy_bytes(np.array(text))
    write_zip(bad, session)
    if "input_size" not in text:
        refused(ModelFileError, lambda: sf.load(bad), part)


def test_control_bytes_are_stripped_and_messages_capped(tmp_path):
    evil = "x\x1b[31m\x07\r\n" * 400
    path = write_zip(tmp_path / "m.npz", {evil + ".npy": npy_bytes(np.zeros(1))})
    message = refused(ModelFileError, lambda: load_model(path))
    assert "\x1b" not in message and len(message) <= MAX_MESSAGE_CHARS
    assert one_line("a\x00b\u2028c\td" + "z" * 500).startswith("a b c d") and len(one_line("z" * 999)) == 200


@pytest.mark.parametrize("argv, parts", [
    (["train", "--task", "xor", "--hidden", "30000"], ["30000 is over the limit of 4096"]),
    (["train", "--task", "parity", "--option", "n=1e9"], ["'n' 1000000000 is over the limit of 1000000"]),
    (["train", "--task", "parity", "--option", "steps=1000000000"], ["over the limit of 100000"]),
    (["train", "--task", "xor", "--layers", "1e6"], ["1000000 is over the limit of 64"]),
    (["gradcheck", "--hidden", "99999999999999999999999"], ["over the limit of 4096"]),
    (["gradcheck", "--seed", "-1"], ["--seed", "at least 0"]),
    (["gradcheck", "--steps", "100000", "--batch", "1000"], ["over the limit of 10000000"]),
    (["train", "--task", "xor", "--seed", "1_000"], ["not a whole number"]),
    (["gradcheck", "--truncate", "9223372036854775808"], ["over the limit of 100000"]),     # OverflowError before
    (["train", "--task", "xor", "--lr", "1_0"], ["not a number"]),
])
def test_absurd_sizes_on_the_command_line(capsys, argv, parts):
    cli_refused(capsys, *argv, parts=parts)


def test_a_class_index_of_a_billion_in_data(capsys, tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((2, 3, 1)), y=np.array([0, 10 ** 9]))
    refused(DataError, lambda: load_npz(path), "class index 1000000000", "4096")
    cli_refused(capsys, "train", "--data", str(path), "--epochs", "1", parts=["class index 1000000000"])


def test_a_uint64_class_index_is_not_called_negative(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((2, 3, 1)), y=np.array([0, 2 ** 64 - 1], dtype=np.uint64))
    message = refused(DataError, lambda: load_npz(path), "18446744073709551615")
    assert "negative" not in message


def test_inline_input_starting_with_a_minus_works_as_typed(capsys, tmp_path):
    spec = ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", bias=False)
    path = tmp_path / "counter.npz"
    Model(spec, {"rnn.weight_ih_l0": np.array([[1.0]]), "rnn.weight_hh_l0": np.array([[1.0]])}).save(path)
    code, out, err = cli(capsys, "predict", "--model", str(path), "--input", "-1,2", "--json")
    assert code == 0, err
    assert json.loads(out)["output"] == [[1.0]]
    code, out, err = cli(capsys, "trace", "--model", str(path), "--input", "-1,-2.5", "--target", "-3.5",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["T"] == 2
    code, out, err = cli(capsys, "predict", "--model", str(path), "--inp", "-1,2", "--json")   # abbreviated
    assert code == 0 and json.loads(out)["output"] == [[1.0]]


def test_an_input_csv_field_over_the_csv_limit(capsys, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("a\n" + "1" * 200_000 + "\n")
    refused(InputError, lambda: read_values(str(path)), "over the limit of 131072")
    model_path = saved_model(tmp_path, input_size=1)
    cli_refused(capsys, "predict", "--model", str(model_path), "--input", str(path), parts=["131072"])


def test_trace_json_is_strict_and_runtime_warnings_stay_off_stderr(capsys, tmp_path):
    spec = ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", bias=False)
    path = tmp_path / "big.npz"
    Model(spec, {"rnn.weight_ih_l0": np.array([[1e308]]), "rnn.weight_hh_l0": np.array([[10.0]])}).save(path)
    for argv in (["trace", "--target", "1"], ["predict"]):
        code, out, err = cli(capsys, argv[0], "--model", str(path), "--input", "1,1", *argv[1:], "--json")
        assert code == 0 and err == "", err
        json.loads(out, parse_constant=lambda c: pytest.fail(f"bare {c} in --json output"))
        assert "null" in out


def test_trace_is_bounded(capsys, tmp_path):
    path = saved_model(tmp_path, input_size=1)
    long_input = ",".join(["0"] * (MAX_TRACE_STEPS + 1))
    cli_refused(capsys, "trace", "--model", str(path), "--input", long_input, "--target",
                ",".join(["0 0"] * (MAX_TRACE_STEPS + 1)), parts=["2001 steps", "over the limit of 2000"])
    big = saved_model(tmp_path, "big.npz", input_size=1, hidden_size=200)
    cli_refused(capsys, "trace", "--model", str(big), "--input", ",".join(["0"] * 100), "--target",
                ",".join(["0 0"] * 100), parts=["parameters", "over the limit of 1000000"])


# ---- sessions: either open and work, or are refused -----------------------------------------------
def _trainer(**config):
    data, task = make_task("temporal-xor", seed=0)
    spec = recipe.build_spec(data, task.model)
    model = recipe.build_model(spec, "pytorch", 0, None, None)
    return Trainer(model, data, recipe.build_config(task.training, {"epochs": 3, **config}))


def _session_of(trainer):
    return sf.SessionData(trainer.model.spec, trainer.model.params, trainer.config,
                          {"kind": "task", "name": "temporal-xor", "seed": 0, "options": {}}, trainer.history,
                          model_options={"init": "pytorch", "cell": "rnn_tanh", "hidden_size": 16},
                          probe=(trainer.probe_x, trainer.probe_y), progress=sf.capture_progress(trainer))


def _saved_session(tmp_path, steps=10):
    trainer = _trainer()
    trainer.run(max_steps=steps)                        # stops inside the second epoch (7 batches per epoch)
    path = tmp_path / "s.npz"
    sf.save(path, _session_of(trainer))
    return path


def _edit_session(path, dst, change):
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    doc = json.loads(arrays["session"].item())
    change(doc, arrays)
    arrays["session"] = np.array(json.dumps(doc))
    np.savez(dst, **arrays)
    return dst


def _open_and_work(path, tmp_path):
    """What the app does with a session: build data, model, Trainer, restore; then Train, Reset, Save."""
    s = sf.load(path)
    dataset, task = make_task(s.data["name"], seed=s.data.get("seed", 0), **s.data.get("options", {}))
    model = Model(s.spec, s.params, s.extras)
    recipe.check_fits(model, dataset)
    trainer = Trainer(model, dataset, s.config, probe=s.probe)
    if s.progress is not None:
        sf.restore_progress(trainer, s.progress, history=s.history)
    trainer.run(max_steps=3)
    spec = recipe.build_spec(dataset, task.model, {k: s.model_options.get(k) for k in
                                                    ("cell", "hidden_size", "num_layers", "bidirectional")})
    recipe.build_model(spec, s.model_options.get("init", "pytorch"), s.config.seed,
                       s.model_options.get("forget_bias"))
    s.progress = sf.capture_progress(trainer)
    s.history, s.params = trainer.history, trainer.model.params
    sf.save(tmp_path / "again.npz", s)
    sf.load(tmp_path / "again.npz")


@pytest.mark.parametrize("change, part", [
    (lambda d, a: d["training"].update(batch_size=0), "batch size must be a whole number ≥ 1"),
    (lambda d, a: d["training"].update(epochs=-3), "epochs must be a whole number ≥ 1"),
    (lambda d, a: d["training"].update(epochs=2.5), "epochs must be a whole number"),
    (lambda d, a: d["training"].update(lr=10 ** 400), "lr must be a finite number"),
    (lambda d, a: d["training"].update(seed=-1), "seed"),
    (lambda d, a: d["progress"].update(pos=10 ** 6 + 3), "position"),
    (lambda d, a: d["progress"].update(epoch_losses=[[0.5, 0]]), "epoch loss"),
    (lambda d, a: d["progress"].update(epoch_losses=[[123.0, 32]] * 3), "history's last steps"),
    (lambda d, a: d["progress"].update(epoch_losses=[[-1, 32]] * 3), "epoch loss"),
    (lambda d, a: a.update({"progress::order": np.arange(205)[::-1] + 1}), "shuffling order"),
    (lambda d, a: d["progress"].update(step_count=3), "history records step 10"),
    (lambda d, a: d["progress"].update(rng={"bit_generator": "PCG64", "state": 5}), "random generator"),
    (lambda d, a: d["progress"]["optimizer"]["state"]["fc.bias"].pop("exp_avg"), "lacks exp_avg"),
    (lambda d, a: a.update({"optimizer::fc.bias::exp_avg_sq": -np.ones(2)}), "negative"),
    (lambda d, a: d["progress"]["optimizer"]["state"]["fc.bias"].update(step=-1), "whole number"),
    (lambda d, a: a.update({"probe::y": np.array([[0, 1, 7, 0, 0, 0, 0, 0]])}), "class indices must be in 0..1"),
    (lambda d, a: d["history"].update(step=[1, 1] + d["history"]["step"][2:]), "must increase"),
    (lambda d, a: d["data"].update(options={"n": 10 ** 12}), "over the limit"),
    (lambda d, a: d["data"].update(options={"colour": 1}), "no option 'colour'"),
    (lambda d, a: d["data"].update(name="xor"), "does not work with its data"),
    (lambda d, a: d["training"].update(batch_size=10 ** 9), "batch of 205"),
    (lambda d, a: d["model_options"].update(hidden_size=10 ** 7), "hidden_size"),
    (lambda d, a: d["model_options"].update(forget_bias=2.0), "forget-gate bias"),
    (lambda d, a: d["spec"].update(num_layers=10 ** 7), "over the limit of 64"),
    (lambda d, a: d.update(grad_norms=["nope"]), "grad_norms"),
    (lambda d, a: d.update(extras=[3]), "extras"),
])
def test_an_edited_session_is_refused_naming_the_problem(tmp_path, change, part):
    path = _edit_session(_saved_session(tmp_path), tmp_path / "edited.npz", change)
    refused(ModelFileError, lambda: sf.load(path), "edited.npz", part)


@pytest.mark.parametrize("change", [
    lambda d, a: None,
    lambda d, a: (d["training"].update(batch_size=10 ** 9), d.update(progress=None)),   # the full batch
    lambda d, a: d["data"].update(options={"steps": 3}),             # shorter sequences read by the same model
    lambda d, a: d["training"].update(epochs=10 ** 12),
    lambda d, a: d["progress"].update(pos=7 * 32),                    # past the data: a new epoch starts
    lambda d, a: d.update(progress=None),
    lambda d, a: d["model_options"].update(cell="lstm", hidden_size=8, forget_bias=1.0),
])
def test_an_edited_session_that_opens_also_works(tmp_path, change):
    path = _edit_session(_saved_session(tmp_path), tmp_path / "edited.npz", change)
    _open_and_work(path, tmp_path)


# ---- 4. numbers --------------------------------------------------------------------------------------
def test_csv_normalisation_cannot_overflow(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "".join(f"{v:.3e},{i}\n" for i, v in enumerate([1e200, -3e300, 2e250, 5e307] * 3)))
    ds = load_csv_series(path, window=2)
    assert np.all(np.isfinite(ds.x)) and np.any(ds.x[:, :, 0] != 0)
    std = ds.meta["std"]["a"]
    assert math.isfinite(std) and std > 1e306
    column = np.array([1e200, -3e300, 2e250, 5e307] * 3)
    np.testing.assert_allclose(ds.x[0, :, 0], (column[:2] - ds.meta["mean"]["a"]) / std, rtol=1e-12)


@pytest.mark.parametrize("cell", ["1_000", "0x10", "١٢٣", "1e5_0"])
def test_a_csv_cell_in_python_only_notation_is_not_a_number(tmp_path, cell):
    path = tmp_path / "u.csv"
    path.write_text(f"a,b\n1,2\n{cell},3\n4,5\n")
    refused(DataError, lambda: load_csv_series(path, window=1), "line 3", "is not a number")
    refused(InputError, lambda: read_values(cell + ",1"), "not a number")
