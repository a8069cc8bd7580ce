"""Fuzzing data files: rnnsim.data.load_data reads an .npz, a CSV series or a text, or raises DataError with
one printable line, in bounded time and memory. ``--input`` files (rnnsim.inputs.read_values: .npy, .csv,
inline text) the same with InputError. See fuzzing.py for the profiles."""
import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import SPECIAL_INTS, Recorder, number_texts, profiles, report
from rnnsim.data import load_data
from rnnsim.errors import DataError, InputError
from rnnsim.inputs import read_values

DTYPES = ["<f8", "<f4", "<f2", "<i8", "<i4", "|i1", "<u8", "|u1", "|b1", "<c8", "<U3", "|S2", "<M8[s]"]


def _array(dtype, shape, seed, scale):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape) * scale
    if np.dtype(dtype).kind in "iu":
        values = np.clip(np.round(np.abs(values) if np.dtype(dtype).kind == "u" else values),
                         np.iinfo(dtype).min, np.iinfo(dtype).max)
    with np.errstate(all="ignore"):
        return values.astype(dtype)


arrays = st.builds(_array, st.sampled_from(DTYPES), st.lists(st.integers(0, 5), max_size=4).map(tuple),
                   st.integers(0, 50), st.sampled_from([1.0, 3.0, 1e3, 1e300, 1e10]))


def _npz(items) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **items)
    return buffer.getvalue()


GOOD = [_npz({"x": np.zeros((4, 3, 2)), "y": np.array([0, 1, 2, 1])}),
        _npz({"x": np.ones((3, 5, 1), np.float32), "y": np.ones((3, 5, 2))})]


@st.composite
def npz_files(draw):
    kind = draw(st.sampled_from(["arrays", "arrays", "special-y", "flip", "truncate", "object"]))
    if kind == "flip":
        data = bytearray(draw(st.sampled_from(GOOD)))
        for _ in range(draw(st.integers(1, 6))):
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        return bytes(data), {}
    if kind == "truncate":
        good = draw(st.sampled_from(GOOD))
        return good[:draw(st.integers(0, len(good) - 1))], {}
    options = draw(st.fixed_dictionaries({}, optional={"output": st.sampled_from(["sequence", "last", "x", None]),
                                                       "loss": st.sampled_from(["mse", "cross_entropy", "hinge"])}))
    if kind == "object":
        return _npz({"x": np.zeros((2, 2, 1)), "y": np.array([None, {"a": 1}], dtype=object)}), options
    x = draw(arrays)
    if kind == "special-y":
        n = x.shape[0] if x.ndim else 1
        value = draw(st.sampled_from([v for v in SPECIAL_INTS if -2 ** 63 <= v < 2 ** 64]))
        dtype = np.uint64 if value >= 2 ** 63 else np.int64
        y = np.full((n,), value if value >= 0 or dtype == np.int64 else 0, dtype=dtype)
    else:
        y = draw(arrays)
    items = {"x": x, "y": y}
    if draw(st.integers(0, 5)) == 0:
        items.pop(draw(st.sampled_from(["x", "y"])))
    return _npz(items), options


cells = number_texts | st.sampled_from(["", "date", '"1,5"', '"', "1e155", "3e300", "-1.7e308", "2024-01-01"])


@st.composite
def csv_files(draw):
    columns = draw(st.integers(1, 4))
    delimiter = draw(st.sampled_from([",", ";", "\t", ",", ",", " "]))
    header = draw(st.sampled_from([True, True, True, False]))
    lines = []
    if header:
        names = st.sampled_from(["a", "b", "c", "d"]) | st.text(max_size=6).filter(lambda t: not set(t) & set("\n\r"))
        lines.append(delimiter.join(draw(st.lists(names, min_size=columns, max_size=columns))))
    odd = draw(st.sampled_from([0.0, 0.02, 0.2]))             # mostly well-formed files, some chaotic ones
    for _ in range(draw(st.integers(0, 12))):
        width = columns if draw(st.integers(0, 19)) else draw(st.integers(0, 6))
        row = []
        for _ in range(width):
            if draw(st.floats(0, 1)) < odd:
                row.append(draw(cells).replace("\n", " ").replace("\r", " "))
            else:
                row.append(repr(draw(st.floats(-1e6, 1e6) | st.sampled_from([1e200, -3e300, 5e-324, 0.0]))))
        lines.append(delimiter.join(row))
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    if draw(st.integers(0, 6)) == 0:
        text = "\ufeff" + text
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 8)) == 0:
        raw += draw(st.binary(max_size=20))
    options = draw(st.fixed_dictionaries({}, optional={
        "window": st.sampled_from([1, 2, 3, 0, -1, 10 ** 6, 2.5]), "horizon": st.sampled_from([1, 2, 0, 10 ** 9]),
        "inputs": st.sampled_from([None, "a", ["a", "b"], [], "zz"]), "targets": st.sampled_from([None, "b", ["q"]])}))
    if "window" not in options:
        options["window"] = draw(st.integers(1, 3))
    return raw, options


@st.composite
def text_files(draw):
    if draw(st.booleans()):
        raw = draw(st.text(max_size=300)).encode("utf-8", "surrogatepass")
    else:
        raw = draw(st.binary(max_size=300))
    options = draw(st.fixed_dictionaries({}, optional={"window": st.sampled_from([1, 2, 4, 8, 0, 10 ** 9, 2.5]),
                                                       "max_chars": st.sampled_from([1, 2, 10, 10 ** 12, None])}))
    if "window" not in options:
        options["window"] = draw(st.integers(1, 4))
    return raw, options


@st.composite
def input_values(draw):
    kind = draw(st.sampled_from(["inline", "inline", "csv", "npy", "npy-bytes"]))
    if kind == "inline":
        steps = draw(st.lists(st.lists(number_texts, min_size=0, max_size=3).map(" ".join), max_size=6))
        return None, ",".join(steps)
    if kind == "csv":
        raw, _ = draw(csv_files())
        return raw, ".csv"
    if kind == "npy":
        buffer = io.BytesIO()
        np.save(buffer, draw(arrays))
        return buffer.getvalue(), ".npy"
    return b"\x93NUMPY\x01\x00" + draw(st.binary(max_size=120)), ".npy"


@pytest.fixture(scope="module")
def recorders():
    made = []
    yield made
    report(made)


def _loader_test(name, files, suffix, recorders, folder):
    path = folder / f"data{suffix}"
    recorder = Recorder(name, DataError, seconds=10.0, megabytes=64)
    recorders.append(recorder)

    @given(files)
    def check(case):
        raw, options = case
        path.write_bytes(raw)
        dataset = recorder.run(lambda: load_data(path, **options))
        if dataset is not None:
            assert dataset.x.ndim == 3 and np.all(np.isfinite(dataset.x))

    return check


@pytest.mark.parametrize("profile", profiles("npz-data"))
def test_fuzz_npz_data(profile, recorders, tmp_path_factory):
    profile(_loader_test("npz data", npz_files(), ".npz", recorders, tmp_path_factory.mktemp("npz")))()


@pytest.mark.parametrize("profile", profiles("csv-data"))
def test_fuzz_csv_data(profile, recorders, tmp_path_factory):
    profile(_loader_test("csv data", csv_files(), ".csv", recorders, tmp_path_factory.mktemp("csv")))()


@pytest.mark.parametrize("profile", profiles("text-data"))
def test_fuzz_text_data(profile, recorders, tmp_path_factory):
    profile(_loader_test("text data", text_files(), ".txt", recorders, tmp_path_factory.mktemp("text")))()


@pytest.mark.parametrize("profile", profiles("input-values"))
def test_fuzz_input_values(profile, recorders, tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    recorder = Recorder("--input values", InputError, seconds=10.0, megabytes=64)
    recorders.append(recorder)

    @profile
    @given(input_values())
    def check(case):
        raw, suffix = case
        if raw is None:
            value = suffix
        else:
            (folder / f"in{suffix}").write_bytes(raw)
            value = str(folder / f"in{suffix}")
        result = recorder.run(lambda: read_values(value))
        if result is not None:
            assert result.dtype == np.float64 and np.all(np.isfinite(result))

    check()
