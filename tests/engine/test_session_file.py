"""Session files: round trip, exact resume, atomic saves, and every refusal names its problem."""
import json
import math
import os
import pathlib
import zipfile

import numpy as np
import pytest

from rnnsim import ModelFileError, recipe
from rnnsim import session_file as sf
from rnnsim.data import load_data, make_task
from rnnsim.train import History, TrainConfig, Trainer

DATA = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "data"


def make_trainer(task="temporal-xor", seed=0, **config):
    data, t = make_task(task, seed=0)
    spec = recipe.build_spec(data, t.model)
    model = recipe.build_model(spec, t.training.get("init", "pytorch"), seed, None, None)
    return Trainer(model, data, recipe.build_config(t.training, {"epochs": 3, **config}))


def state_of(trainer, **kw) -> sf.SessionData:
    return sf.SessionData(trainer.model.spec, trainer.model.params, trainer.config,
                          {"kind": "task", "name": "temporal-xor", "seed": 0, "options": {}},
                          trainer.history, probe=(trainer.probe_x, trainer.probe_y),
                          progress=sf.capture_progress(trainer), **kw)


@pytest.fixture
def saved(tmp_path):
    trainer = make_trainer()
    trainer.run(max_steps=7)
    path = tmp_path / "run.npz"
    sf.save(path, state_of(trainer, model_options={"init": "pytorch", "seed": 0}, ui={"tab": 2}))
    return path, trainer


def rewrite(src, dst, change):
    """Copy a session archive, letting ``change(arrays)`` edit its arrays (plain savez, no pickle)."""
    with np.load(src, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    change(arrays)
    np.savez(dst, **arrays)
    return dst


def edit_json(src, dst, change):
    def apply(arrays):
        doc = json.loads(arrays["session"].item())
        change(doc)
        arrays["session"] = np.array(json.dumps(doc))
    return rewrite(src, dst, apply)


# ---- round trip -----------------------------------------------------------------------------
def test_round_trip_keeps_everything(saved):
    path, trainer = saved
    back = sf.load(path)
    assert back.spec == trainer.model.spec
    for k, v in trainer.model.params.items():
        assert np.array_equal(back.params[k], v)
    assert back.config == trainer.config
    assert back.data == {"kind": "task", "name": "temporal-xor", "seed": 0, "options": {}}
    assert back.history.to_dict() == trainer.history.to_dict()
    assert np.array_equal(back.probe[0], trainer.probe_x) and np.array_equal(back.probe[1], trainer.probe_y)
    assert back.model_options == {"init": "pytorch", "seed": 0} and back.ui == {"tab": 2}


def test_the_file_is_json_plus_plain_arrays_no_pickle(saved):
    path, trainer = saved
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert "session.npy" in names and "rnn.weight_hh_l0.npy" in names
    with np.load(path, allow_pickle=False) as f:          # loads with pickles forbidden
        doc = json.loads(f["session"].item())
        assert f["session"].dtype.kind == "U" and f["session"].shape == ()
        assert all(f[k].dtype != object for k in f.files)
    assert doc["format"] == "rnnsim.session" and doc["version"] == 1
    assert doc["training"] == trainer.config.to_dict()
    assert doc["history"]["loss"] == trainer.history.loss
    assert doc["spec"]["cell"] == "rnn_tanh"


def test_resume_continues_the_same_run_bit_for_bit(tmp_path):
    for optimizer, extra in (("adam", {}), ("sgd", {"momentum": 0.9}), ("rprop", {})):
        whole = make_trainer(optimizer=optimizer, **extra)
        whole.run()
        part = make_trainer(optimizer=optimizer, **extra)
        part.run(max_steps=11)                                # stops inside the second epoch
        sf.save(tmp_path / "s.npz", state_of(part))
        back = sf.load(tmp_path / "s.npz")
        fresh = make_trainer(optimizer=optimizer, **extra)
        for k, v in back.params.items():
            fresh.model.params[k][...] = v
        sf.restore_progress(fresh, back.progress, history=back.history)
        fresh.run()
        assert fresh.history.to_dict() == whole.history.to_dict(), optimizer
        for k in whole.model.params:
            assert np.array_equal(fresh.model.params[k], whole.model.params[k]), (optimizer, k)


@pytest.mark.parametrize("optimizer, settings", [
    ("adam", {"betas": (0.8, 0.99), "eps": 1e-6}),
    ("rprop", {"etas": (0.3, 1.5), "step_sizes": (1e-4, 1.0)}),
    ("rmsprop", {"alpha": 0.9, "momentum": 0.5, "eps": 1e-7}),
    ("adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("sgd", {"momentum": 0.9, "dampening": 0.1}),
])
def test_optimizer_settings_round_trip(tmp_path, optimizer, settings):
    trainer = make_trainer(optimizer=optimizer, **settings)
    trainer.run(max_steps=3)
    sf.save(tmp_path / "s.npz", state_of(trainer))
    back = sf.load(tmp_path / "s.npz")
    assert back.config == trainer.config                 # pairs come back as tuples, None as None
    for key, value in settings.items():
        assert getattr(back.config, key) == value and type(getattr(back.config, key)) is type(value)


def test_a_session_saved_before_the_optimizer_settings_existed_opens_with_their_defaults(saved, tmp_path):
    path, trainer = saved
    added = ("dampening", "betas", "eps", "alpha", "etas", "step_sizes", "lr_decay", "initial_accumulator_value")
    edit_json(path, tmp_path / "old.npz", lambda d: [d["training"].pop(key) for key in added])
    back = sf.load(tmp_path / "old.npz")
    assert back.config == trainer.config
    defaults = TrainConfig()
    assert all(getattr(back.config, key) == getattr(defaults, key) for key in added)


def test_file_source_stores_its_data_and_loader_options(tmp_path):
    data = load_data(DATA / "series.csv", window=6, horizon=2)
    spec = recipe.build_spec(data)
    model = recipe.build_model(spec)
    trainer = Trainer(model, data, TrainConfig(epochs=1, batch_size=8))
    trainer.run()
    source = {"kind": "file", "path": str(DATA / "series.csv"), "options": {"window": 6, "horizon": 2}}
    norms = {k: np.arange(len(trainer.history.step), dtype=float) for k in model.params}
    sf.save(tmp_path / "csv.npz", sf.SessionData(spec, model.params, trainer.config, source, trainer.history,
                                                  dataset=data, grad_norms=norms,
                                                  extras={"note": np.array([1.0, 2.0])}))
    back = sf.load(tmp_path / "csv.npz")
    assert back.data["path"] == source["path"] and back.data["options"] == source["options"]
    assert np.array_equal(back.dataset.x, data.x) and np.array_equal(back.dataset.y, data.y)
    assert back.dataset.meta == data.meta and back.dataset.output == "last"
    assert set(back.grad_norms) == set(model.params)
    assert np.array_equal(back.grad_norms["fc.bias"], norms["fc.bias"])
    assert np.array_equal(back.extras["note"], [1.0, 2.0])


def test_non_finite_history_values_survive_as_json_strings(tmp_path, saved):
    path, trainer = saved
    hist = History.from_dict(trainer.history.to_dict())
    hist.epoch.append(hist.epoch[-1] + 1 if hist.epoch else 1)     # an epoch no later than the counters
    hist.epoch_step.append(len(hist.step))
    hist.train_loss.append(math.inf)
    hist.val_loss.append(math.nan)
    hist.accuracy.append(None)
    hist.val_accuracy.append(None)
    sf.save(tmp_path / "nan.npz", state_of(trainer).__class__(trainer.model.spec, trainer.model.params,
                                                              trainer.config,
                                                              {"kind": "task", "name": "temporal-xor"}, hist))
    with np.load(tmp_path / "nan.npz", allow_pickle=False) as f:
        text = f["session"].item()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    back = sf.load(tmp_path / "nan.npz").history
    assert back.train_loss[-1] == math.inf and math.isnan(back.val_loss[-1]) and back.accuracy[-1] is None


def test_history_from_dict_inverts_to_dict():
    h = History(step=[1, 2], loss=[0.5, 0.25], lr=[0.1, 0.1], grad_norm=[1.0, 2.0])
    assert History.from_dict(h.to_dict()) == h
    assert History.from_dict({}) == History()


# ---- atomic saving --------------------------------------------------------------------------
def test_failed_save_keeps_the_previous_file_and_leaves_no_temp(saved, monkeypatch):
    path, trainer = saved
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ModelFileError, match="cannot write.*No space left"):
        sf.save(path, state_of(trainer))
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_refuses_to_save_what_it_could_not_read_back(tmp_path, saved):
    _, trainer = saved
    bad = dict(trainer.model.params)
    bad["rnn.weight_hh_l0"] = np.zeros((2, 2))
    with pytest.raises(ModelFileError, match="weight_hh_l0.*shape"):
        sf.save(tmp_path / "x.npz", sf.SessionData(trainer.model.spec, bad, trainer.config,
                                                    {"kind": "task", "name": "xor"}))
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


# ---- refusals -----------------------------------------------------------------------------
def test_refuses_missing_folder_and_non_archive(tmp_path):
    with pytest.raises(ModelFileError, match="no such file"):
        sf.load(tmp_path / "nope.npz")
    with pytest.raises(ModelFileError, match="is a folder"):
        sf.load(tmp_path)
    (tmp_path / "t.npz").write_text("hello, not an archive")
    with pytest.raises(ModelFileError, match="not a session file"):
        sf.load(tmp_path / "t.npz")
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ModelFileError, match="single array"):
        sf.load(tmp_path / "one.npy")


def test_refuses_a_damaged_archive(saved, tmp_path):
    path, _ = saved
    raw = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ModelFileError, match="cut.npz"):
        sf.load(tmp_path / "cut.npz")


def test_a_model_file_is_refused_as_a_session(tmp_path, saved):
    _, trainer = saved
    trainer.model.save(tmp_path / "model.npz")
    with pytest.raises(ModelFileError, match="model file, not a session"):
        sf.load(tmp_path / "model.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(2))
    with pytest.raises(ModelFileError, match="not an rnnsim session: no 'session'"):
        sf.load(tmp_path / "other.npz")


def test_refuses_pickled_arrays_without_unpickling(saved, tmp_path):
    path, _ = saved

    def add_pickle(arrays):
        arrays["evil"] = np.array([{"a": 1}], dtype=object)

    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    add_pickle(arrays)
    np.savez(tmp_path / "p.npz", **arrays)
    with pytest.raises(ModelFileError, match="pickle"):
        sf.load(tmp_path / "p.npz")


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(format="something.else"), "foreign format 'something.else'"),
    (lambda d: d.pop("format"), "foreign format None"),
    (lambda d: d.update(version=2), "session version 2 is not supported"),
    (lambda d: d.update(version=True), "session version True"),
    (lambda d: d.pop("history"), "has no 'history'"),
    (lambda d: d["spec"].update(cell="transformer"), "model description is invalid.*transformer"),
    (lambda d: d["training"].update(lr=-1.0), "training settings are invalid.*learning rate"),
    (lambda d: d["training"].update(lr="fast"), "training settings are invalid"),
    (lambda d: d["training"].update(betas=[0.9]), "training settings are invalid.*betas"),
    (lambda d: d["training"].update(optimizer="rprop", etas=[0.5, 0.9]), "training settings are invalid.*Rprop etas"),
    (lambda d: d["data"].update(kind="url"), "data source kind 'url'"),
    (lambda d: d["history"]["loss"].pop(), "different lengths"),
    (lambda d: d["history"]["loss"].__setitem__(0, "low"), "history 'loss' holds 'low'"),
    (lambda d: d.update(progress={"epoch": 1}), "progress has no 'step_count'"),
    (lambda d: d.update(ui=[1]), "'ui' must be a JSON object"),
])
def test_refuses_a_bad_description_naming_the_problem(saved, tmp_path, change, message):
    path, _ = saved
    edit_json(path, tmp_path / "bad.npz", change)
    with pytest.raises(ModelFileError, match=message):
        sf.load(tmp_path / "bad.npz")


@pytest.mark.parametrize("change, message", [
    (lambda a: a.update(session=np.array(b"{not json")), "not valid JSON"),
    (lambda a: a.update(session=np.array("[1, 2]")), "must be a JSON object"),
    (lambda a: a.update(session=np.array([1.0, 2.0])), "'session' array is damaged"),
    (lambda a: a.pop("rnn.weight_hh_l0"), "parameter 'rnn.weight_hh_l0' is missing"),
    (lambda a: a.update({"rnn.weight_hh_l0": np.zeros((3, 3))}), "weight_hh_l0' has shape"),
    (lambda a: a.update({"fc.bias": np.array([np.nan, 0.0])}), "fc.bias' contains NaN"),
    (lambda a: a.update({"fc.bias": np.array(["a", "b"])}), "fc.bias' has dtype"),
    (lambda a: a.pop("probe::x"), "'probe::x' is missing"),
])
def test_refuses_bad_arrays_naming_the_problem(saved, tmp_path, change, message):
    path, _ = saved
    rewrite(path, tmp_path / "bad.npz", change)
    with pytest.raises(ModelFileError, match=message):
        sf.load(tmp_path / "bad.npz")


def test_progress_that_does_not_fit_is_refused(saved):
    path, _ = saved
    back = sf.load(path)
    other = make_trainer(task="bitcount", optimizer="adam")
    with pytest.raises(ModelFileError, match="does not fit"):
        sf.restore_progress(other, back.progress)
