"""Data file loaders: good files load with the right shapes; bad files are refused with one clear line."""
from pathlib import Path

import numpy as np
import pytest

from rnnsim.data import (Dataset, decode, denormalise_targets, encode, load_csv_series, load_data, load_npz,
                         load_text, normalise_inputs)
from rnnsim.errors import DataError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "data"


def refused(call, *parts):
    """Run ``call``; it must raise DataError with a one-line message holding every part."""
    with pytest.raises(DataError) as err:
        call()
    msg = str(err.value)
    assert "\n" not in msg, msg
    for part in parts:
        assert str(part) in msg, f"{part!r} not in {msg!r}"
    return msg


# ---- .npz ----------------------------------------------------------------------------------
def save(tmp_path, name="data.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def test_npz_class_targets_per_sequence(tmp_path):
    x = np.random.default_rng(0).random((6, 4, 3))
    ds = load_npz(save(tmp_path, x=x, y=np.array([0, 1, 2, 1, 0, 2])))
    assert (ds.output, ds.loss, ds.accuracy) == ("last", "cross_entropy", "argmax")
    assert ds.y.dtype == np.int64 and ds.output_size == 3 and ds.meta["classes"] == 3
    np.testing.assert_array_equal(ds.x, x)
    assert ds.name == "data"


def test_npz_class_targets_per_step(tmp_path):
    ds = load_npz(save(tmp_path, x=np.zeros((2, 5, 1), np.float32), y=np.ones((2, 5), np.int32)))
    assert (ds.output, ds.loss) == ("sequence", "cross_entropy")
    assert ds.x.dtype == np.float64 and ds.y.shape == (2, 5)


def test_npz_regression_targets(tmp_path):
    seq = load_npz(save(tmp_path, "a.npz", x=np.zeros((3, 4, 2)), y=np.ones((3, 4, 2))))
    assert (seq.output, seq.loss, seq.accuracy) == ("sequence", "mse", None)
    last = load_npz(save(tmp_path, "b.npz", x=np.zeros((3, 4, 2)), y=np.ones((3, 5))))
    assert (last.output, last.loss) == ("last", "mse") and last.y.shape == (3, 5)
    flat = load_npz(save(tmp_path, "c.npz", x=np.zeros((3, 4, 2)), y=np.arange(3.0)))
    assert flat.y.shape == (3, 1)


def test_npz_explicit_output_and_loss(tmp_path):
    path = save(tmp_path, x=np.zeros((3, 4, 1)), y=np.ones((3, 4)))
    seq = load_npz(path, output="sequence")
    assert seq.y.shape == (3, 4, 1) and seq.output == "sequence"
    ce = load_npz(path, loss="cross_entropy")                  # whole floats as class indices
    assert ce.loss == "cross_entropy" and ce.y.dtype == np.int64 and ce.output == "sequence"
    ints = save(tmp_path, "i.npz", x=np.zeros((3, 4, 1)), y=np.array([[1], [2], [3]]))
    assert load_npz(ints, loss="mse").y.dtype == np.float64
    refused(lambda: load_npz(path, output="middle"), "data.npz", "output")
    refused(lambda: load_npz(path, loss="l1"), "data.npz", "loss")


def test_npz_via_load_data(tmp_path):
    path = tmp_path / "upper.NPZ"
    with open(path, "wb") as f:                 # np.savez would append ".npz" to this name
        np.savez(f, x=np.zeros((2, 3, 1)), y=np.array([0, 1]))
    assert isinstance(load_data(path), Dataset)
    assert load_data(path, loss="mse").loss == "mse"


def test_npz_missing_file(tmp_path):
    refused(lambda: load_npz(tmp_path / "nothere.npz"), "nothere.npz", "no such file")
    refused(lambda: load_npz(tmp_path), str(tmp_path), "is a folder")


def test_npz_not_an_archive(tmp_path):
    text = tmp_path / "text.npz"
    text.write_text("x,y\n1,2\n")
    refused(lambda: load_npz(text), "text.npz", ".npz")
    single = tmp_path / "single.npz"
    with open(single, "wb") as f:
        np.save(f, np.zeros(3))
    refused(lambda: load_npz(single), "single.npz", ".npy")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    refused(lambda: load_npz(broken), "broken.npz")


def test_npz_refuses_pickles(tmp_path):
    path = save(tmp_path, "pickled.npz", x=np.zeros((2, 3, 1)), y=np.array([{"a": 1}, None], dtype=object))
    refused(lambda: load_npz(path), "pickled.npz", "'y'", "pickle")


@pytest.mark.parametrize("arrays, field", [
    ({"y": np.zeros(2)}, "'x'"),
    ({"x": np.zeros((2, 3, 1)), "targets": np.zeros(2)}, "'y'"),
])
def test_npz_missing_array(tmp_path, arrays, field):
    msg = refused(lambda: load_npz(save(tmp_path, "m.npz", **arrays)), "m.npz", field, "missing")
    assert "holds" in msg


@pytest.mark.parametrize("x, y, field, expected", [
    (np.zeros((2, 3)), np.zeros(2, int), "'x'", "3 dimensions"),                 # x ndim
    (np.zeros((2, 3, 1)), np.zeros((2, 3, 2), int), "'y'", "(2, 3)"),            # class y ndim
    (np.zeros((2, 3, 1)), np.zeros((2, 3, 1, 1)), "'y'", "output"),              # float y ndim
    (np.zeros((2, 3, 1)), np.zeros(5, int), "'y'", "same N"),                    # N mismatch
    (np.zeros((2, 3, 1)), np.zeros((2, 4), int), "'y'", "(2, 3)"),               # T mismatch, classes
    (np.zeros((2, 3, 1)), np.zeros((2, 4, 1)), "'y'", "same T"),                 # T mismatch, mse
    (np.zeros((0, 3, 1)), np.zeros(0, int), "'x'", "empty"),                     # empty
    (np.zeros((2, 3, 0)), np.zeros(2, int), "'x'", "empty"),
    (np.zeros((2, 3, 1)), np.zeros((2, 0)), "'y'", "empty"),
    (np.full((2, 3, 1), np.nan), np.zeros(2, int), "'x'", "NaN"),               # NaN / inf
    (np.zeros((2, 3, 1)), np.array([[1.0], [np.inf]]), "'y'", "NaN or infinity"),
    (np.zeros((2, 3, 1)), np.array([0, -1]), "'y'", "negative class index"),     # negative class
    (np.array([["a"] * 3] * 2)[:, :, None], np.zeros(2, int), "'x'", "numbers"),  # strings
])
def test_npz_bad_arrays(tmp_path, x, y, field, expected):
    path = save(tmp_path, "bad.npz", x=x, y=y)
    refused(lambda: load_npz(path), "bad.npz", field, expected)


def test_npz_class_targets_must_be_whole(tmp_path):
    path = save(tmp_path, "frac.npz", x=np.zeros((2, 3, 1)), y=np.array([0.5, 1.0]))
    refused(lambda: load_npz(path, loss="cross_entropy"), "frac.npz", "'y'", "whole")


# ---- .csv time series ----------------------------------------------------------------------
def write(tmp_path, text, name="series.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def read_fixture_columns():
    import csv
    with open(FIXTURES / "series.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in ("temperature", "humidity", "load")}


def test_csv_defaults_skip_non_numeric_columns():
    ds = load_csv_series(FIXTURES / "series.csv", window=5)
    meta = ds.meta
    assert meta["inputs"] == ["temperature", "humidity", "load"] and meta["targets"] == ["load"]
    assert meta["columns"] == ["temperature", "humidity", "load"]
    assert meta["window"] == 5 and meta["horizon"] == 1 and meta["source"] == "series.csv"
    assert ds.x.shape == (48 - 5 - 1 + 1, 5, 3) and ds.y.shape == (43, 1)
    assert (ds.output, ds.loss, ds.accuracy) == ("last", "mse", None)
    raw = read_fixture_columns()
    for c in meta["columns"]:
        assert meta["mean"][c] == pytest.approx(raw[c].mean())
        assert meta["std"][c] == pytest.approx(raw[c].std())
    table = np.stack([raw[c] for c in meta["inputs"]], axis=1)
    # window s = rows s .. s+4, target = load at row s+5
    for s in (0, 17, 42):
        np.testing.assert_allclose(ds.x[s], normalise_inputs(meta, table[s:s + 5]), atol=1e-12)
        np.testing.assert_allclose(denormalise_targets(meta, ds.y[s]), [raw["load"][s + 5]], atol=1e-9)
    # the normalised columns have mean 0 and std 1 over the series
    np.testing.assert_allclose(normalise_inputs(meta, table).mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(normalise_inputs(meta, table).std(axis=0), 1, atol=1e-12)


def test_csv_round_trip_of_normalisation():
    ds = load_csv_series(FIXTURES / "series.csv", window=4, horizon=2)
    raw = read_fixture_columns()["load"]
    back = denormalise_targets(ds.meta, ds.y)[:, 0]
    np.testing.assert_allclose(back, raw[4 - 1 + 2:], atol=1e-9)
    again = (back - ds.meta["mean"]["load"]) / ds.meta["std"]["load"]
    np.testing.assert_allclose(again, ds.y[:, 0], atol=1e-12)
    with pytest.raises(DataError):
        normalise_inputs(ds.meta, np.zeros((4, 2)))
    with pytest.raises(DataError):
        denormalise_targets(ds.meta, np.zeros((4, 2)))


def test_csv_explicit_columns_and_horizon():
    ds = load_csv_series(FIXTURES / "series.csv", inputs=["humidity"], targets=["temperature", "load"],
                         window=3, horizon=4)
    assert ds.x.shape == (48 - 3 - 4 + 1, 3, 1) and ds.y.shape == (42, 2)
    assert ds.meta["columns"] == ["humidity", "temperature", "load"]
    same = load_data(FIXTURES / "series.csv", inputs="humidity", targets="temperature, load", window=3,
                     horizon=4)
    np.testing.assert_array_equal(same.x, ds.x)
    np.testing.assert_array_equal(same.y, ds.y)


def test_csv_constant_column_semicolons_bom_blank_lines(tmp_path):
    text = "\ufeffa;b\n\n1;5\n2;5\n3;5\n\n4;5\n"
    ds = load_csv_series(write(tmp_path, text), window=2, horizon=1)
    assert ds.meta["std"]["b"] == 1.0 and ds.meta["mean"]["b"] == 5.0
    assert ds.meta["inputs"] == ["a", "b"] and ds.meta["targets"] == ["b"]
    assert ds.x.shape == (2, 2, 2)
    np.testing.assert_array_equal(ds.x[:, :, 1], 0.0)
    crlf = load_csv_series(write(tmp_path, "a,b\r\n1,2\r\n3,4\r\n5,7\r\n", "crlf.csv"), window=1)
    assert crlf.x.shape == (2, 1, 2)


@pytest.mark.parametrize("text, parts", [
    ("", ["empty"]),
    ("\n  \n", ["empty"]),
    (",,\n,,\n", ["no header"]),
    ("1,2\n3,4\n", ["line 1", "header"]),
    ("a,b\n", ["no data rows", "line 1"]),
    ("a,b\n1,2\n3\n5,6\n", ["line 3", "1 field,", "expected 2"]),
    ("a,b\n1,2\n3,4,5\n", ["line 3", "3 fields"]),
    ("a,b\n1,2\n3,x\n", ["line 3", "column 'b'", "'x'", "not a number"]),
    ("a,b\n1,2\n3,\n", ["line 3", "column 'b'", "empty cell"]),
    ("a,b\n1,2\nnan,4\n", ["line 3", "column 'a'", "finite"]),
    ("a,b\n1,2\n3,-inf\n", ["line 3", "column 'b'", "finite"]),
    ("a,a\n1,2\n", ["line 1", "'a'", "more than once"]),
    ("a,\n1,2\n", ["line 1", "column 2", "no name"]),
    ("a,\"b\n1,2\n", ["line 1", "not valid CSV", "quote"]),
    ("a,b\n1,2\n3,\"4\n5,6\n", ["line 3", "not valid CSV"]),
])
def test_csv_bad_files(tmp_path, text, parts):
    path = write(tmp_path, text, "bad.csv")
    refused(lambda: load_csv_series(path, window=1), "bad.csv", *parts)


def test_csv_blank_lines_keep_true_line_numbers(tmp_path):
    path = write(tmp_path, "a,b\n\n1,2\n\n3,oops\n", "gaps.csv")
    refused(lambda: load_csv_series(path, window=1), "gaps.csv", "line 5", "'oops'")


def test_csv_non_numeric_default_target_or_named_column():
    path = FIXTURES / "series.csv"
    refused(lambda: load_csv_series(path, targets=["date"]), "series.csv", "line 2", "column 'date'", "number")
    refused(lambda: load_csv_series(path, inputs=["date", "load"]), "series.csv", "column 'date'")


def test_csv_unknown_column_lists_available():
    path = FIXTURES / "series.csv"
    refused(lambda: load_csv_series(path, inputs=["temp"]), "series.csv", "'temp'", "inputs",
            "date, temperature, humidity, load")
    refused(lambda: load_csv_series(path, targets=["power"]), "series.csv", "'power'", "targets",
            "available columns")
    refused(lambda: load_csv_series(path, targets=[]), "series.csv", "targets")


def test_csv_no_numeric_column(tmp_path):
    path = write(tmp_path, "name,city\nann,rome\n", "words.csv")
    refused(lambda: load_csv_series(path, window=1), "words.csv", "no column holds numbers")


@pytest.mark.parametrize("window, horizon, parts", [
    (0, 1, ["window", "≥ 1", "0"]),
    (5, 0, ["horizon", "≥ 1"]),
    (2.5, 1, ["window", "2.5"]),
    (40, 9, ["window 40", "horizon 9", "49", "only 48 rows"]),
])
def test_csv_bad_window_or_horizon(window, horizon, parts):
    refused(lambda: load_csv_series(FIXTURES / "series.csv", window=window, horizon=horizon),
            "series.csv", *parts)


def test_csv_longest_window_fits():
    ds = load_csv_series(FIXTURES / "series.csv", window=40, horizon=8)
    assert ds.x.shape == (1, 40, 3)


def test_csv_not_utf8(tmp_path):
    path = write(tmp_path, b"a,b\n1,2\n\xff,3\n", "latin.csv")
    refused(lambda: load_csv_series(path, window=1), "latin.csv", "byte offset 8", "line 3", "UTF-8")


# ---- text ----------------------------------------------------------------------------------
def test_text_windows_and_vocabulary():
    ds = load_text(FIXTURES / "text.txt", window=16)
    text = (FIXTURES / "text.txt").read_text()
    vocab = ds.meta["vocab"]
    assert vocab == "".join(sorted(set(text))) and isinstance(vocab, str)
    count = (len(text) - 1) // 16
    assert ds.x.shape == (count, 16, len(vocab)) and ds.y.shape == (count, 16)
    assert (ds.output, ds.loss, ds.accuracy) == ("sequence", "cross_entropy", "argmax")
    assert ds.output_size == len(vocab) == ds.meta["classes"]
    np.testing.assert_array_equal(ds.x.sum(axis=-1), 1.0)               # one-hot
    # the windows do not overlap; the target is the next character
    assert decode(vocab, ds.x.argmax(axis=-1)) == text[:count * 16]
    assert decode(vocab, ds.y) == text[1:count * 16 + 1]
    np.testing.assert_array_equal(ds.y[0, :-1], ds.x[0, 1:].argmax(axis=-1))
    assert ds.y[0, -1] == ds.x[1, 0].argmax()


def test_text_encode_decode_round_trip():
    vocab = " .abc"
    codes = encode(vocab, "a cab.")
    assert codes.dtype == np.int64 and list(codes) == [2, 0, 4, 2, 3, 1]
    assert decode(vocab, codes) == "a cab."
    assert decode(vocab, codes.reshape(2, 3)) == "a cab."
    refused(lambda: encode(vocab, "abz"), "'z'", "position 2")
    refused(lambda: decode(vocab, [0, 9]), "out of range")


def test_text_max_chars_crlf_and_dispatch(tmp_path):
    path = write(tmp_path, "ab\r\nba\r\n" * 20, "notes.md")
    ds = load_data(path, window=4, max_chars=21)
    assert ds.meta["vocab"] == "\nab" and ds.x.shape == (5, 4, 3)
    assert load_data(write(tmp_path, "hello world", "h.TEXT"), window=3).x.shape == (3, 3, 8)


@pytest.mark.parametrize("data, parts", [
    (b"", ["empty"]),
    (b"hello \xe9t\xe9", ["byte offset 6", "UTF-8"]),
    (b"short", ["5 characters", "window 8"]),
    ("".join(chr(0x400 + i) for i in range(300)).encode(), ["300 different characters", "256"]),
])
def test_text_bad_files(tmp_path, data, parts):
    path = write(tmp_path, data, "bad.txt")
    refused(lambda: load_text(path, window=8), "bad.txt", *parts)


def test_text_bad_options(tmp_path):
    path = FIXTURES / "text.txt"
    refused(lambda: load_text(path, window=0), "text.txt", "window")
    refused(lambda: load_text(path, max_chars=0), "text.txt", "max_chars")
    refused(lambda: load_text(path, window=10, max_chars=5), "text.txt", "5 characters")
    refused(lambda: load_text(tmp_path / "gone.txt"), "gone.txt", "no such file")


# ---- dispatch ------------------------------------------------------------------------------
def test_load_data_dispatch_and_refusals(tmp_path):
    assert load_data(FIXTURES / "series.csv", window=3).loss == "mse"
    assert load_data(FIXTURES / "text.txt").loss == "cross_entropy"
    refused(lambda: load_data(tmp_path / "data.xlsx"), "data.xlsx", "'.xlsx'", ".npz", ".csv", ".txt")
    refused(lambda: load_data(tmp_path / "noext"), "noext", "(none)")
    refused(lambda: load_data(FIXTURES / "series.csv", max_chars=3), "series.csv", "'max_chars'",
            "window")
    refused(lambda: load_data(FIXTURES / "text.txt", horizon=3), "text.txt", "'horizon'")
