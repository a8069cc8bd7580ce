"""Fuzzing model files: rnnsim.load_model either loads a model or raises ModelFileError with one printable
line, in bounded time and memory, for damaged bytes, hostile zip directories, .npy headers and spec JSON
(see fuzzing.py for the profiles)."""
import io
import json
import struct
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import Recorder, json_values, profiles, report
from rnnsim import Model, ModelFileError, ModelSpec, load_model

DESCRS = ["<f8", ">f8", "<f4", "<f2", "<i8", "|i1", "<u8", "|b1", "<c16", "<U5", "|S3", "|O", "|V8", "<M8[s]",
          "<m8[s]", "[('a', '<f8')]", "('<f8', (3,))", "<U100000000", "|S0", "zz", "", "<f8 ", "'<f8'"]
SPEC_KEYS = ["cell", "input_size", "hidden_size", "num_layers", "bidirectional", "bias", "output_size", "output",
             "loss", "reduction", "format", "version", "data", "training"]


def _npz(arrays, compressed=False) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def _bases():
    bases = []
    for cell, compressed, extra in (("gru", False, {}), ("lstm", True, {"note": np.arange(3.0)}),
                                    ("rnn_tanh", False, {"label": np.array(["a", "b"])})):
        spec = ModelSpec(cell=cell, input_size=2, hidden_size=3, num_layers=2, bidirectional=cell == "lstm",
                         output_size=2, extra={"data": {"name": "x", "kind": "values", "accuracy": None},
                                               "training": {"optimizer": "adam", "lr": 0.01, "epochs": 3}})
        model = Model.create(spec, seed=1)
        arrays = {k: v.astype(np.float32 if cell == "rnn_tanh" else np.float64) for k, v in model.params.items()}
        bases.append(_npz({"spec": np.array(spec.to_json()), **arrays, **extra}, compressed))
    return bases


BASES = _bases()
BASE_SPEC = json.loads(np.load(io.BytesIO(BASES[0]))["spec"].item())


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def _zip(items, method=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", method) as zf:
        warnings.simplefilter("ignore", UserWarning)            # a duplicate name is one of the cases
        for name, data in items:
            zf.writestr(name, data)
    return buffer.getvalue()


def _npy_header(header: str, data: bytes) -> bytes:
    text = header.encode("latin1", "replace")
    pad = (64 - (12 + len(text)) % 64) % 64
    text = text + b" " * pad + b"\n"
    if len(text) < 65536:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(text)) + text + data


shapes = st.lists(st.sampled_from([0, 1, 2, 3, 6, 12, -1, 10 ** 6, 2 ** 31, 2 ** 62, 10 ** 30]), max_size=4)


@st.composite
def npy_members(draw):
    if draw(st.booleans()):
        header = draw(st.text(max_size=80))
    else:
        shape = tuple(draw(shapes))
        header = (f"{{'descr': {draw(st.sampled_from(DESCRS))!r}, 'fortran_order': "
                  f"{draw(st.sampled_from(['False', 'True', '1', 'None']))}, 'shape': {shape!r}, }}")
    return _npy_header(header, draw(st.binary(max_size=200)))


@st.composite
def model_files(draw):
    base = draw(st.sampled_from(BASES))
    kind = draw(st.sampled_from(["flip", "truncate", "splice", "member", "spec", "spec-text", "random",
                                 "zip-fields"]))
    if kind == "flip":
        data = bytearray(base)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        return bytes(data)
    if kind == "truncate":
        return base[:draw(st.integers(0, len(base) - 1))]
    if kind == "splice":
        at = draw(st.integers(0, len(base)))
        cut = draw(st.integers(0, 64))
        return base[:at] + draw(st.binary(max_size=64)) + base[at + cut:]
    if kind == "random":
        prefix = draw(st.sampled_from([b"", b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY\x01\x00"]))
        return prefix + draw(st.binary(max_size=400))
    members = [(info.filename, data) for info, data in _members(base)]
    if kind == "member":
        index = draw(st.integers(0, len(members) - 1))
        action = draw(st.sampled_from(["npy", "drop", "rename", "duplicate", "raw"]))
        name, data = members[index]
        if action == "npy":
            members[index] = (name, draw(npy_members()))
        elif action == "drop":
            members.pop(index)
        elif action == "rename":
            members[index] = (draw(st.text(min_size=1, max_size=30)) + draw(st.sampled_from([".npy", ""])), data)
        elif action == "duplicate":
            members.append((name, draw(npy_members())))
        else:
            members[index] = (name, draw(st.binary(max_size=100)))
        return _zip(members, draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])))
    if kind in ("spec", "spec-text"):
        if kind == "spec":
            spec = dict(BASE_SPEC)
            for key in draw(st.lists(st.sampled_from(SPEC_KEYS), max_size=4)):
                if draw(st.integers(0, 4)) == 0:
                    spec.pop(key, None)
                else:
                    spec[key] = draw(json_values)
            text = json.dumps(spec)
        else:
            depth = draw(st.sampled_from([1, 60, 70, 5000]))
            text = draw(st.sampled_from(["[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth,
                                         '{"cell": "gru", "input_size": ' + "7" * 4400 + "}", "", "{", "null",
                                         "NaN", '"text"']))
        spec_member = io.BytesIO()
        np.save(spec_member, np.array(text) if draw(st.booleans()) else np.array(text.encode("utf-8", "replace")))
        members = [(n, spec_member.getvalue() if n == "spec.npy" else d) for n, d in members]
        return _zip(members)
    # zip-fields: rewrite a directory or local-header field of one member
    data = bytearray(base)
    positions = [i for i in range(len(data) - 4) if data[i:i + 4] in (b"PK\x01\x02", b"PK\x03\x04")]
    at = draw(st.sampled_from(positions))
    offset = draw(st.sampled_from([6, 8, 10, 14, 18, 20, 22, 24, 26, 28]))
    value = draw(st.sampled_from([0, 1, 8, 12, 99, 0xFFFF, 0xFFFFFFFF, 2 ** 31, 10 ** 8]))
    if at + offset + 4 <= len(data):
        struct.pack_into("<I" if value > 0xFFFF else "<H", data, at + offset, value)
    return bytes(data)


@pytest.fixture(scope="module")
def recorders():
    made = []
    yield made
    report(made)


@pytest.mark.parametrize("profile", profiles("model-file"))
def test_fuzz_model_files(profile, recorders, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz-model") / "m.npz"
    recorder = Recorder("model files", ModelFileError, seconds=10.0, megabytes=64)
    recorders.append(recorder)

    @profile
    @given(model_files())
    def check(data):
        path.write_bytes(data)
        model = recorder.run(lambda: load_model(path))
        if model is not None:
            assert all(np.all(np.isfinite(v)) for v in model.params.values())

    check()
