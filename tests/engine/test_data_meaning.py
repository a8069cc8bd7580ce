"""The data's meaning travels with the model: a model trained on a CSV series stores its columns and scaling,
one trained on a text its characters, and every trained model its optimizer; ``rnnsim predict`` and
``rnnsim trace`` read inputs and print outputs in the data's own units."""
import json

import numpy as np
import pytest

from rnnsim import Model, ModelSpec, load_model
from rnnsim.cli import main
from rnnsim.data import load_data, spec_data, stored_data, to_data_units, to_model_input, to_model_target
from rnnsim.errors import ModelFileError
from rnnsim.recipe import build_spec, spec_with_record, stored_training, training_record
from rnnsim.train import TrainConfig

MEAN, STD = 15.0, 5.0                   # the temperature column below: 10, 20, 10, 20, … → mean 15, std 5


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def series_csv(tmp_path):
    path = tmp_path / "weather.csv"
    rows = ["hour,temp,humidity"] + [f"{i},{10 if i % 2 == 0 else 20},{50 + i}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def series_spec(**data_changes):
    """A one-unit linear 'model' that outputs its last (scaled) input: o = h(T) = x(T)."""
    data = {"name": "weather", "kind": "series", "accuracy": None, "inputs": ["temp"], "targets": ["temp"],
            "mean": {"temp": MEAN}, "std": {"temp": STD}}
    data.update(data_changes)
    return ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", bias=False, extra={"data": data})


def echo_model(tmp_path, **data_changes):
    model = Model(series_spec(**data_changes), {"rnn.weight_ih_l0": np.array([[1.0]]),
                                                "rnn.weight_hh_l0": np.array([[0.0]])})
    path = tmp_path / "echo.npz"
    model.save(path)
    return path


# ---- training stores what the data mean ------------------------------------------------------
def test_train_on_a_csv_stores_columns_and_scaling_and_prints_them(capsys, tmp_path, series_csv):
    out_path = tmp_path / "m.npz"
    code, out, err = run_cli(capsys, "train", "--data", series_csv, "--columns", "temp", "--target-columns", "temp",
                             "--window", 4, "--epochs", 1, "--hidden", 2, "--optimizer", "adam", "--lr", 0.005,
                             "--betas", "0.8,0.99", "--out", out_path)
    assert code == 0, err
    before_bar = err.split("[")[0]
    assert "weather.csv, 36 sequences of 4 rows" in before_bar
    assert "inputs: temp" in before_bar and "target: temp, 1 row after" in before_bar
    assert "temp: mean 15, std 5" in before_bar
    spec = load_model(out_path).spec
    data = spec.extra["data"]
    assert data["kind"] == "series" and data["inputs"] == ["temp"] and data["targets"] == ["temp"]
    assert data["mean"]["temp"] == pytest.approx(MEAN) and data["std"]["temp"] == pytest.approx(STD)
    assert data["window"] == 4 and data["source"] == "weather.csv"
    training = spec.extra["training"]
    assert training["optimizer"] == "adam" and training["lr"] == 0.005 and training["betas"] == [0.8, 0.99]
    assert "etas" not in training and "momentum" not in training      # another optimizer's settings
    assert training["steps_done"] == 1 and training["epochs_done"] == 1
    config = stored_training(spec)
    assert config.optimizer == "adam" and config.betas == (0.8, 0.99) and config.epochs == 1


def test_train_on_a_text_stores_its_characters(capsys, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("abcabcabcabcabcabc", encoding="utf-8")
    out_path = tmp_path / "t.npz"
    code, out, err = run_cli(capsys, "train", "--data", text, "--window", 3, "--epochs", 1, "--hidden", 2,
                             "--out", out_path)
    assert code == 0, err
    assert "inputs: one character per step (one-hot over 3 characters: 'abc')" in err
    assert "target: the next character after each step" in err
    data = load_model(out_path).spec.extra["data"]
    assert data["kind"] == "text" and data["vocab"] == "abc" and data["accuracy"] == "argmax"


def test_train_json_stays_quiet_on_stderr_and_reports_the_data(capsys, tmp_path, series_csv):
    code, out, err = run_cli(capsys, "train", "--data", series_csv, "--columns", "temp", "--target-columns", "temp",
                             "--window", 4, "--epochs", 1, "--hidden", 2, "--json")
    assert code == 0 and err == ""
    assert json.loads(out)["data"]["mean"]["temp"] == pytest.approx(MEAN)


def test_a_resumed_model_describes_the_data_it_trained_on_last(capsys, tmp_path, series_csv):
    first = tmp_path / "a.npz"
    assert run_cli(capsys, "train", "--data", series_csv, "--columns", "temp", "--target-columns", "temp",
                   "--window", 4, "--epochs", 1, "--hidden", 2, "--out", first)[0] == 0
    warmer = tmp_path / "warmer.csv"
    warmer.write_text("temp\n" + "\n".join(str(20 + 10 * (i % 2)) for i in range(30)) + "\n", encoding="utf-8")
    second = tmp_path / "b.npz"
    code, _, err = run_cli(capsys, "train", "--data", warmer, "--window", 4, "--epochs", 1, "--model", first,
                           "--optimizer", "rmsprop", "--out", second)
    assert code == 0, err
    spec = load_model(second).spec
    assert spec.extra["data"]["mean"]["temp"] == pytest.approx(25.0) and spec.extra["data"]["source"] == "warmer.csv"
    assert spec.extra["training"]["optimizer"] == "rmsprop"


def test_spec_fields_are_kept_on_save(tmp_path):
    path = echo_model(tmp_path)
    model = load_model(path)
    model.spec = spec_with_record(model.spec, config=TrainConfig(optimizer="rprop", lr=0.002))
    again = tmp_path / "again.npz"
    model.save(again)
    loaded = load_model(again).spec
    assert loaded.extra["data"]["mean"] == {"temp": MEAN}
    assert loaded.extra["training"]["optimizer"] == "rprop" and loaded.extra["training"]["etas"] == [0.5, 1.2]


# ---- predict in the data's units -------------------------------------------------------------
def test_predict_reads_and_prints_degrees(capsys, tmp_path):
    path = echo_model(tmp_path)
    # by hand: the model sees (°C − 15) / 5 and outputs its last input; mapped back ×5 + 15 → the last °C
    code, out, err = run_cli(capsys, "predict", "--model", path, "--input", "12,18,15", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["units"] == "data" and result["names"] == ["temp"]
    assert result["output"] == [[pytest.approx(15.0)]]
    assert result["model_output"] == [[pytest.approx(0.0)]]
    assert result["meaning"][0]["kind"] == "values" and result["meaning"][0]["values"] == [[pytest.approx(15.0)]]
    code, out, _ = run_cli(capsys, "predict", "--model", path, "--input", "12,18,21.5")
    assert code == 0 and out.strip() == "temp = 21.5"
    # --raw: the model's own units in and out
    code, out, _ = run_cli(capsys, "predict", "--model", path, "--input", "0.5", "--raw", "--json")
    assert json.loads(out)["output"] == [[0.5]] and json.loads(out)["units"] == "model"


def test_predict_of_a_trained_series_model_equals_the_hand_computation(capsys, tmp_path, series_csv):
    path = tmp_path / "m.npz"
    assert run_cli(capsys, "train", "--data", series_csv, "--columns", "temp", "--target-columns", "temp",
                   "--window", 4, "--epochs", 2, "--hidden", 3, "--out", path)[0] == 0
    model = load_model(path)
    raw = np.array([10.0, 20.0, 10.0, 20.0])
    expected = model.predict(((raw - MEAN) / STD)[None, :, None])[0, 0] * STD + MEAN
    code, out, _ = run_cli(capsys, "predict", "--model", path, "--input", "10,20,10,20", "--json")
    assert code == 0
    assert json.loads(out)["output"][0][0] == pytest.approx(expected, abs=1e-9)
    assert 5.0 < expected < 25.0                  # degrees, not a z-score


def test_predict_names_the_next_characters_of_a_text_model(capsys, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("abcabcabcabcabcabc", encoding="utf-8")
    path = tmp_path / "t.npz"
    assert run_cli(capsys, "train", "--data", text, "--window", 3, "--epochs", 1, "--hidden", 2, "--out", path)[0] == 0
    code, out, err = run_cli(capsys, "predict", "--model", path, "--text", "abca")
    assert code == 0, err
    assert out.startswith("next character after each step: '") and "after the last one: " in out
    code, out, _ = run_cli(capsys, "predict", "--model", path, "--text", "ab", "--json")
    result = json.loads(out)
    meaning = result["meaning"][0]
    assert meaning["kind"] == "next_char" and len(meaning["chars"]) == 2 and set(meaning["chars"]) <= set("abc")
    assert [t["char"] for t in meaning["top"]] and len(meaning["top"]) == 3
    assert np.allclose(np.sum(result["probabilities"], axis=-1), 1.0)
    assert result["classes"] == [[ "abc".index(c) for c in meaning["chars"]]]
    code, _, err = run_cli(capsys, "predict", "--model", path, "--text", "abx")
    assert code == 2 and "'x'" in one_line_error(err)
    code, _, err = run_cli(capsys, "predict", "--model", echo_model(tmp_path), "--text", "ab")
    assert code == 2 and "not trained on a text" in one_line_error(err)


def test_predict_of_a_count_and_of_classes(capsys, tmp_path):
    spec = ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", bias=False,
                     extra={"data": {"name": "bitcount", "kind": "values", "accuracy": "round"}})
    path = tmp_path / "count.npz"
    Model(spec, {"rnn.weight_ih_l0": np.array([[1.0]]), "rnn.weight_hh_l0": np.array([[1.0]])}).save(path)
    code, out, _ = run_cli(capsys, "predict", "--model", path, "--input", "1,0,1,1")
    assert code == 0 and out.strip() == "3 ≈ 3"
    classifier = ModelSpec(cell="rnn_tanh", input_size=1, hidden_size=2, output_size=3, output="last",
                           loss="cross_entropy")
    path = tmp_path / "classes.npz"
    Model.create(classifier, seed=1).save(path)
    code, out, _ = run_cli(capsys, "predict", "--model", path, "--input", "0,1", "--json")
    result = json.loads(out)
    assert result["meaning"][0]["kind"] == "classes"
    assert result["classes"] == [int(np.argmax(result["output"][0]))]


@pytest.mark.parametrize("changes, needle", [
    ({"std": {"temp": 0.0}}, "positive number for column 'temp'"),
    ({"mean": {}}, "data.mean"),
    ({"inputs": ["temp", "humidity"]}, "data.inputs"),
    ({"targets": "temp"}, "data.targets"),
    ({"accuracy": "sometimes"}, "data.accuracy"),
])
def test_a_broken_data_field_is_refused_in_one_line(capsys, tmp_path, changes, needle):
    code, _, err = run_cli(capsys, "predict", "--model", echo_model(tmp_path, **changes), "--input", "1,2")
    assert code == 2 and needle in one_line_error(err)


# ---- trace in the data's units, with the trained optimizer -----------------------------------
def test_trace_scales_input_and_target_and_shows_degrees(capsys, tmp_path):
    path = echo_model(tmp_path)
    code, out, err = run_cli(capsys, "trace", "--model", path, "--input", "12,18,20", "--target", "25", "--json")
    assert code == 0, err
    result = json.loads(out)
    # by hand: o = (20 − 15)/5 = 1, y = (25 − 15)/5 = 2, L = (o − y)² = 1
    assert result["loss"] == pytest.approx(1.0)
    assert result["data_units"] == {"names": ["temp"], "output": [[pytest.approx(20.0)]],
                                    "target": [[pytest.approx(25.0)]]}
    code, out, _ = run_cli(capsys, "trace", "--model", path, "--input", "12,18,20", "--target", "25",
                           "--phase", "loss")
    assert out.strip().splitlines()[-1].endswith("temp 20 (target 25)")
    code, out, _ = run_cli(capsys, "trace", "--model", path, "--input", "1", "--target", "3", "--raw", "--json")
    assert json.loads(out)["loss"] == pytest.approx(4.0) and "data_units" not in json.loads(out)


def test_trace_uses_the_trained_optimizer_unless_overridden(capsys, tmp_path):
    path = tmp_path / "m.npz"
    model = load_model(echo_model(tmp_path))
    model.spec = spec_with_record(model.spec, config=TrainConfig(optimizer="adam", lr=0.005, betas=(0.8, 0.99)))
    model.save(path)
    argv = ["trace", "--model", path, "--input", "12,18,20", "--target", "25"]
    code, out, _ = run_cli(capsys, *argv, "--json")
    assert json.loads(out)["optimizer"] == {"name": "adam", "lr": 0.005, "betas": [0.8, 0.99], "eps": 1e-08}
    code, out, _ = run_cli(capsys, *argv, "--phase", "loss")
    assert "update: adam lr 0.005 (as trained)" in out
    code, out, _ = run_cli(capsys, *argv, "--lr", "0.1", "--json")
    assert json.loads(out)["optimizer"] == {"name": "adam", "lr": 0.1, "betas": [0.8, 0.99], "eps": 1e-08}
    code, out, _ = run_cli(capsys, *argv, "--optimizer", "sgd", "--json")        # adam's betas are dropped
    assert json.loads(out)["optimizer"]["name"] == "sgd" and json.loads(out)["optimizer"]["lr"] == 0.005
    plain = echo_model(tmp_path)                                                  # nothing stored: sgd, 0.01
    code, out, _ = run_cli(capsys, "trace", "--model", plain, "--input", "1", "--target", "2", "--phase", "loss")
    assert out.strip().splitlines()[-2].endswith("update: sgd lr 0.01")


def test_a_broken_training_field_is_refused_in_one_line(capsys, tmp_path):
    spec = series_spec()
    spec = ModelSpec.from_dict({**spec.to_dict(), "training": {"optimizer": "adam", "lr": -1}})
    path = tmp_path / "bad.npz"
    Model(spec, {"rnn.weight_ih_l0": np.array([[1.0]]), "rnn.weight_hh_l0": np.array([[0.0]])}).save(path)
    code, _, err = run_cli(capsys, "trace", "--model", path, "--input", "1", "--target", "2")
    assert code == 2 and "'training'" in one_line_error(err)


# ---- the pieces ------------------------------------------------------------------------------
def test_conversions_round_trip(series_csv):
    data = load_data(series_csv, inputs=["temp", "humidity"], targets=["temp"], window=3)
    meta = spec_data(data)
    json.dumps(meta)
    raw = np.array([[10.0, 60.0], [20.0, 70.0]])
    z = to_model_input(meta, raw)
    assert z[:, 0] == pytest.approx([-1.0, 1.0])
    np.testing.assert_allclose(to_data_units(meta, to_model_target(meta, [[12.5]])), [[12.5]])
    assert np.array_equal(to_model_input({}, raw), raw)


def test_build_spec_stores_the_data_field(series_csv):
    data = load_data(series_csv, inputs=["temp"], targets=["temp"], window=3)
    spec = build_spec(data)
    assert stored_data(spec) == spec_data(data)
    assert stored_data(ModelSpec(cell="gru", input_size=1, hidden_size=1)) == {}


def test_training_record_round_trips_and_refuses_nonsense():
    config = TrainConfig(optimizer="rprop", lr=0.002, etas=(0.4, 1.3), clip=1.0, epochs=7).check()
    record = training_record(config)
    json.dumps(record)
    spec = ModelSpec(cell="gru", input_size=1, hidden_size=1, extra={"training": record})
    assert stored_training(spec) == config
    for bad in ({"optimizer": "adamw"}, {"lr": "fast"}, "adam"):
        with pytest.raises(ModelFileError, match="'training'"):
            stored_training(ModelSpec(cell="gru", input_size=1, hidden_size=1,
                                      extra={"training": {**record, **bad} if isinstance(bad, dict) else bad}))
