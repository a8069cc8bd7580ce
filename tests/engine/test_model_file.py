"""Model files (docs/contract.md, the model file): .npz of PyTorch-named arrays plus a JSON 'spec'; never unpickled."""
import gc
import json
import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest

import rnnsim
from rnnsim import Model, ModelFileError, ModelSpec, RnnsimError, load_model

BASE_SPEC = {"format": "rnnsim.model", "version": 1, "cell": "lstm", "input_size": 2, "hidden_size": 3,
             "num_layers": 1, "bidirectional": False, "bias": True, "output_size": 2,
             "output": "sequence", "loss": "mse", "reduction": "mean"}


def _params(spec_dict, seed=0):
    spec = ModelSpec.from_dict(spec_dict)
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(-0.5, 0.5, size=shape) for name, shape in spec.param_shapes().items()}


def _write(path, spec=None, params=None, spec_array=None, **extra):
    """Write an .npz by hand, as a user converting a PyTorch state_dict would."""
    spec = dict(BASE_SPEC) if spec is None else spec
    arrays = dict(_params(BASE_SPEC) if params is None else params)
    arrays["spec"] = np.array(json.dumps(spec)) if spec_array is None else spec_array
    arrays.update(extra)
    np.savez(path, **arrays)
    return path


def _refused(path, *fragments):
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert type(info.value) is ModelFileError
    message = str(info.value)
    for fragment in fragments:
        assert fragment.lower() in message.lower(), (fragment, message)
    return message


def test_error_hierarchy():
    assert issubclass(rnnsim.ModelFileError, rnnsim.RnnsimError)
    assert issubclass(ModelFileError, RnnsimError)


# ---- round trip ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["linear", "rnn_tanh", "rnn_relu", "rnn_sigmoid", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional,output,output_size", [(False, "sequence", 2), (True, "last", 3),
                                                               (True, "sequence", None)])
def test_round_trip(tmp_path, cell, bidirectional, output, output_size):
    spec = ModelSpec(cell=cell, input_size=2, hidden_size=3, num_layers=2, bidirectional=bidirectional,
                     output_size=output_size, output=output)
    model = Model.create(spec, seed=5)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = load_model(path)
    assert loaded.spec == model.spec
    assert list(loaded.state_dict()) == list(model.state_dict())
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name], value)
    x = np.random.default_rng(0).standard_normal((3, 4, 2))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    # save writes float64 and a JSON spec with format and version
    with np.load(path, allow_pickle=False) as raw:
        for name in model.state_dict():
            assert raw[name].dtype == np.float64
        written = json.loads(raw["spec"].item())
    assert written["format"] == "rnnsim.model" and written["version"] == 1
    assert written["cell"] == cell and written["output_size"] == output_size


def test_extras_and_unknown_spec_fields_kept(tmp_path):
    spec = dict(BASE_SPEC, note="trained on parity", epochs=12, history={"loss": [1.0, 0.5]})
    first = _write(tmp_path / "user.npz", spec=spec,
                   loss_curve=np.array([3.0, 2.0, 1.0]), step=np.array(7), mask=np.array([True, False]),
                   label=np.array("hello"))
    model = load_model(first)
    assert model.spec.extra == {"note": "trained on parity", "epochs": 12, "history": {"loss": [1.0, 0.5]}}
    assert set(model.extras) == {"loss_curve", "step", "mask", "label"}
    second = tmp_path / "again.npz"
    model.save(second)
    with np.load(second, allow_pickle=False) as raw:
        np.testing.assert_array_equal(raw["loss_curve"], [3.0, 2.0, 1.0])
        assert raw["step"].item() == 7
        np.testing.assert_array_equal(raw["mask"], [True, False])
        assert raw["label"].item() == "hello"
        written = json.loads(raw["spec"].item())
    assert written["note"] == "trained on parity" and written["epochs"] == 12
    assert written["history"] == {"loss": [1.0, 0.5]}
    again = load_model(second)
    assert again.spec.extra == model.spec.extra
    np.testing.assert_array_equal(again.extras["loss_curve"], [3.0, 2.0, 1.0])
    x = np.random.default_rng(1).standard_normal((2, 5, 2))
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


def test_save_overwrites_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "m.npz"
    a = Model.create(ModelSpec(cell="gru", input_size=2, hidden_size=3), seed=1)
    b = Model.create(ModelSpec(cell="gru", input_size=2, hidden_size=3), seed=2)
    a.save(path)
    b.save(str(path))
    np.testing.assert_array_equal(load_model(str(path)).state_dict()["rnn.weight_hh_l0"],
                                  b.state_dict()["rnn.weight_hh_l0"])
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_minimal_spec_gets_defaults(tmp_path):
    minimal = {"cell": "gru", "input_size": 2, "hidden_size": 3}
    path = _write(tmp_path / "min.npz", spec=minimal, params=_params(minimal))
    spec = load_model(path).spec
    assert (spec.num_layers, spec.bidirectional, spec.bias, spec.output_size, spec.output, spec.loss,
            spec.reduction) == (1, False, True, None, "sequence", "mse", "mean")
    assert spec.extra == {}
    assert set(spec.param_shapes()) == {"rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0",
                                        "rnn.bias_hh_l0"}
    y = load_model(path).predict(np.zeros((1, 4, 2)))
    assert y.shape == (1, 4, 3)


def test_float32_arrays_load_as_float64(tmp_path):
    params64 = _params(BASE_SPEC)
    params32 = {k: v.astype(np.float32) for k, v in params64.items()}
    path = _write(tmp_path / "f32.npz", params=params32)
    model = load_model(path)
    for name, value in model.state_dict().items():
        assert value.dtype == np.float64
        np.testing.assert_array_equal(value, params32[name].astype(np.float64))
    x = np.random.default_rng(0).standard_normal((2, 3, 2))
    assert model.predict(x).dtype == np.float64
    expected = Model(model.spec, {k: v.astype(np.float64) for k, v in params32.items()}).predict(x)
    np.testing.assert_array_equal(model.predict(x), expected)
    out = tmp_path / "f64.npz"
    model.save(out)
    with np.load(out, allow_pickle=False) as raw:
        assert all(raw[k].dtype == np.float64 for k in params32)


def test_integer_arrays_are_numbers(tmp_path):
    params = {k: np.ones(v.shape, dtype=np.int32) for k, v in _params(BASE_SPEC).items()}
    model = load_model(_write(tmp_path / "int.npz", params=params))
    assert all(v.dtype == np.float64 for v in model.state_dict().values())


# ---- refusals ------------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    _refused(tmp_path / "nope.npz", "nope.npz", "no such file")


def test_folder(tmp_path):
    _refused(tmp_path, "folder")


def test_random_bytes(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(np.random.default_rng(0).bytes(1000))
    _refused(path, "not a model file")


def test_text_file(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("cell = lstm\n")
    _refused(path, "not a model file")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    _refused(path, "empty.npz")


def test_zip_that_is_not_npz(tmp_path):
    path = tmp_path / "other.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError):
        load_model(path)


def _damaged(tmp_path):
    path = _write(tmp_path / "cut.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])       # still starts with the zip magic 'PK\x03\x04'
    return path


def _load_recording_resource_warnings(path):
    """Load (expecting a refusal) and collect the garbage; return (message, ResourceWarnings seen)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            load_model(path)
        except ModelFileError as exc:
            message = str(exc)
        else:
            pytest.fail("a damaged file was accepted")
        gc.collect()
    return message, [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_damaged_npz(tmp_path):
    message, _ = _load_recording_resource_warnings(_damaged(tmp_path))
    assert "cut.npz" in message and "not a model file" in message


def test_damaged_npz_does_not_leak_file_handle(tmp_path):
    """Regression: np.load(path) hands its handle to NpzFile before NpzFile's constructor can raise
    BadZipFile, leaking it; rnnsim must open (and close) the file itself."""
    _, leaks = _load_recording_resource_warnings(_damaged(tmp_path))
    assert leaks == [], [str(w.message) for w in leaks]


def _rewrite_member(src, dst, key, edit):
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members[f"{key}.npy"] = edit(members[f"{key}.npy"])
    with zipfile.ZipFile(dst, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    return dst


def _bad_header(data):
    edited = data.replace(b"'descr': '<f8'", b"'descr': 'zz9'", 1)
    assert edited != data
    return edited


def _short_data(data):
    return data[:-20]


DAMAGED_MEMBERS = [pytest.param(_bad_header, id="bad-npy-header"), pytest.param(_short_data, id="truncated-data")]


@pytest.mark.parametrize("edit", DAMAGED_MEMBERS)
def test_damaged_member_refused_naming_key(tmp_path, edit):
    path = _rewrite_member(_write(tmp_path / "ok.npz"), tmp_path / "bad.npz", "rnn.weight_hh_l0", edit)
    _refused(path, "bad.npz", "rnn.weight_hh_l0")


@pytest.mark.parametrize("edit", DAMAGED_MEMBERS)
def test_damaged_member_not_called_a_pickle(tmp_path, edit):
    """Regression: a damaged header or truncated data used to be reported as a pickle."""
    path = _rewrite_member(_write(tmp_path / "ok.npz"), tmp_path / "bad.npz", "rnn.weight_hh_l0", edit)
    message = _refused(path, "rnn.weight_hh_l0")
    assert "pickle" not in message.lower(), message


def test_plain_npy(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, np.zeros((3, 3)))
    _refused(path, "single array")


def test_no_spec(tmp_path):
    path = tmp_path / "nospec.npz"
    np.savez(path, **_params(BASE_SPEC))
    _refused(path, "'spec'")


@pytest.mark.parametrize("spec_array", [np.array([json.dumps(BASE_SPEC)]), np.array(3.0), np.array([1.0, 2.0])],
                         ids=["1-d string", "0-d float", "1-d float"])
def test_spec_not_0d_string(tmp_path, spec_array):
    _refused(_write(tmp_path / "s.npz", spec_array=spec_array), "'spec'", "0-d string")


def test_spec_as_bytes_is_accepted(tmp_path):
    path = _write(tmp_path / "b.npz", spec_array=np.array(json.dumps(BASE_SPEC).encode()))
    assert load_model(path).spec.cell == "lstm"


def test_bad_json(tmp_path):
    _refused(_write(tmp_path / "j.npz", spec_array=np.array('{"cell": "lstm",')), "JSON")


@pytest.mark.parametrize("text", ["[1, 2]", '"lstm"', "3", "null"])
def test_json_not_an_object(tmp_path, text):
    _refused(_write(tmp_path / "o.npz", spec_array=np.array(text)), "JSON object")


@pytest.mark.parametrize("value", ["pytorch", "rnnsim.model2", None, 1])
def test_wrong_format(tmp_path, value):
    _refused(_write(tmp_path / "f.npz", spec=dict(BASE_SPEC, format=value)), "format")


@pytest.mark.parametrize("version", [2, 0, "1", True, 1.5])
def test_wrong_version(tmp_path, version):
    _refused(_write(tmp_path / "v.npz", spec=dict(BASE_SPEC, version=version)), "version")


def test_unknown_cell(tmp_path):
    _refused(_write(tmp_path / "c.npz", spec=dict(BASE_SPEC, cell="transformer")), "cell", "transformer")


@pytest.mark.parametrize("field", ["cell", "input_size", "hidden_size"])
def test_missing_required_field(tmp_path, field):
    spec = {k: v for k, v in BASE_SPEC.items() if k != field}
    _refused(_write(tmp_path / "r.npz", spec=spec), field, "missing")


BAD_SIZES = {"zero": 0, "negative": -3, "bool": True, "string": "3", "float": 2.5, "null": None}


@pytest.mark.parametrize("field,value", [
    pytest.param(field, value, id=f"{field}-{label}")
    for field in ("hidden_size", "input_size", "num_layers", "output_size")
    for label, value in BAD_SIZES.items()
    if not (field == "output_size" and value is None)          # output_size null: no head, allowed
])
def test_bad_size(tmp_path, field, value):
    _refused(_write(tmp_path / "h.npz", spec=dict(BASE_SPEC, **{field: value})), field)


@pytest.mark.parametrize("field", ["bidirectional", "bias"])
@pytest.mark.parametrize("value", ["yes", 1, 0, None, "true"])
def test_flag_not_bool(tmp_path, field, value):
    _refused(_write(tmp_path / "b.npz", spec=dict(BASE_SPEC, **{field: value})), field)


@pytest.mark.parametrize("field,value", [("output", "all"), ("output", "first"), ("loss", "l1"),
                                         ("loss", "CrossEntropy"), ("reduction", "none"),
                                         ("reduction", "avg"), ("output", None)])
def test_unknown_choice(tmp_path, field, value):
    _refused(_write(tmp_path / "u.npz", spec=dict(BASE_SPEC, **{field: value})), field)


def test_cross_entropy_without_head(tmp_path):
    spec = dict(BASE_SPEC, loss="cross_entropy", output_size=None)
    _refused(_write(tmp_path / "ce.npz", spec=spec, params=_params(dict(BASE_SPEC, output_size=None))),
             "output_size", "cross_entropy")


@pytest.mark.parametrize("name", ["rnn.weight_hh_l0", "rnn.bias_ih_l0", "fc.weight"])
def test_missing_parameter(tmp_path, name):
    params = _params(BASE_SPEC)
    del params[name]
    _refused(_write(tmp_path / "p.npz", params=params), name, "missing")


def test_missing_reverse_parameter(tmp_path):
    spec = dict(BASE_SPEC, bidirectional=True)
    params = _params(spec)
    del params["rnn.weight_hh_l0_reverse"]
    _refused(_write(tmp_path / "p.npz", spec=spec, params=params), "rnn.weight_hh_l0_reverse", "missing")


@pytest.mark.parametrize("name,shape", [("rnn.weight_hh_l0", (3, 12)), ("rnn.weight_hh_l0", (12, 3, 1)),
                                        ("rnn.bias_hh_l0", (12, 1)), ("fc.weight", (3, 2)),
                                        ("rnn.weight_ih_l0", ())])
def test_wrong_shape(tmp_path, name, shape):
    params = _params(BASE_SPEC)
    params[name] = np.zeros(shape)
    _refused(_write(tmp_path / "s.npz", params=params), name, "shape")


@pytest.mark.parametrize("bad", [np.full((12, 3), "x"), np.zeros((12, 3), dtype=bool),
                                 np.zeros((12, 3), dtype=complex), np.zeros((12, 3), dtype="S3")],
                         ids=["unicode", "bool", "complex", "bytes"])
def test_non_numeric_dtype(tmp_path, bad):
    params = _params(BASE_SPEC)
    params["rnn.weight_hh_l0"] = bad
    _refused(_write(tmp_path / "d.npz", params=params), "rnn.weight_hh_l0", "dtype")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("name", ["rnn.weight_hh_l0", "fc.bias"])
def test_non_finite(tmp_path, value, name):
    params = _params(BASE_SPEC)
    params[name].reshape(-1)[1] = value
    _refused(_write(tmp_path / "n.npz", params=params), name, "NaN or infinity")


def test_non_finite_float32(tmp_path):
    params = {k: v.astype(np.float32) for k, v in _params(BASE_SPEC).items()}
    params["rnn.weight_ih_l0"][0, 0] = np.nan
    _refused(_write(tmp_path / "n32.npz", params=params), "rnn.weight_ih_l0", "NaN")


# ---- pickles are refused and never loaded ----------------------------------------------------------

class _Tripwire:
    """Unpickling this creates a folder: proof that a pickle was executed."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


@pytest.fixture
def no_unpickling(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("pickle used while loading a model file")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    return calls


def _object_array(marker):
    arr = np.empty(2, dtype=object)
    arr[0] = {"a": 1}
    arr[1] = _Tripwire(str(marker))
    return arr


@pytest.mark.parametrize("key", ["rnn.weight_hh_l0", "fc.bias", "notes", "spec"])
def test_object_array_refused_and_not_unpickled(tmp_path, no_unpickling, key):
    marker = tmp_path / "PICKLE_WAS_EXECUTED"
    params = _params(BASE_SPEC)
    arrays = dict(params)
    arrays["spec"] = np.array(json.dumps(BASE_SPEC))
    arrays[key] = _object_array(marker)
    path = tmp_path / "pickled.npz"
    np.savez(path, **arrays)                       # np.savez pickles object arrays
    with zipfile.ZipFile(path) as zf:               # the file really holds a pickle
        assert f"{key}.npy" in zf.namelist()
    message = _refused(path, key, "pickle")
    assert not marker.exists()
    assert no_unpickling == []
    assert "rnnsim never loads pickles" in message or "pickle" in message


def test_plain_object_npy_refused(tmp_path, no_unpickling):
    marker = tmp_path / "PICKLE_WAS_EXECUTED"
    path = tmp_path / "obj.npy"
    np.save(path, _object_array(marker), allow_pickle=True)
    with pytest.raises(ModelFileError):
        load_model(path)
    assert not marker.exists()
    assert no_unpickling == []


def test_tripwire_works(tmp_path):
    """Control: the tripwire does fire when a pickle is loaded, so its silence above means something."""
    marker = tmp_path / "fired"
    path = tmp_path / "obj.npy"
    np.save(path, _object_array(marker), allow_pickle=True)
    np.load(path, allow_pickle=True)
    assert marker.exists()


def test_spec_under_another_name(tmp_path):
    """Parameters present but the spec stored under another key: refused, naming 'spec'."""
    path = tmp_path / "renamed.npz"
    arrays = _params(BASE_SPEC)
    arrays["model_spec"] = np.array(json.dumps(BASE_SPEC))
    np.savez(path, **arrays)
    _refused(path, "'spec'")
