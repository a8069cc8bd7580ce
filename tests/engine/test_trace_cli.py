"""``rnnsim trace``: the Tape on the command line — text blocks, one JSON object, exit 2 on bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rnnsim import Model, ModelSpec, optim
from rnnsim.cli import main
from rnnsim.tape import record


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trace")
    specs = {
        "classifier": ModelSpec(cell="lstm", input_size=1, hidden_size=3, output_size=3, output="last",
                                loss="cross_entropy"),
        "counter": ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", loss="mse"),   # the bit counter
        "tagger": ModelSpec(cell="gru", input_size=2, hidden_size=2, num_layers=2, bidirectional=True,
                            output_size=2, loss="mse"),
    }
    paths = {}
    for name, spec in specs.items():
        paths[name] = str(folder / f"{name}.npz")
        Model.create(spec, seed=3).save(paths[name])
    return paths


def run(capsys, *argv):
    code = main(["trace", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_trace_of_a_classifier(models, capsys):
    code, out, err = run(capsys, "--model", models["classifier"], "--input", "0,1,1", "--target", "2")
    assert code == 0 and err == ""
    blocks = out.split("\n\n")
    assert blocks[0].startswith("[0] Forward · layer 1 · t = 1")
    assert "i_pre = U_i·x(1) + W_i·h(0) + b_i" in out
    assert "[3] Output · t = 3 (last step)" in out and "[4] Loss" in out
    assert "Backward · layer 1 · t = 1" in out and "Update · fc.weight (V)" in out
    assert "new = old − lr·grad" in out                          # the default: plain SGD, lr 0.01
    assert "lr 0.01" in out.strip().splitlines()[-1]


def test_json_holds_every_event_and_equals_the_engine(models, capsys):
    code, out, err = run(capsys, "--model", models["counter"], "--input", "0,1,1,0,0,0,0,1,0,0,1,1",
                         "--target", "5", "--optimizer", "rprop", "--truncate", "4", "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    model = Model.load(models["counter"])
    x = np.array([0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1], dtype=float).reshape(1, 12, 1)
    loss, grads = model.loss_and_grads(x, np.array([[5.0]]), truncate=4)
    assert abs(d["loss"] - loss) <= 1e-12 * max(1.0, abs(loss))
    for name, g in grads.items():
        np.testing.assert_allclose(d["grads"][name], g, rtol=1e-12, atol=1e-12)
    tape = record(model, x, np.array([[5.0]]), truncate=4, optimizer=optim.Rprop(0.01))
    assert len(d["events"]) == d["event_count"] == len(tape.events)
    assert [e["kind"] for e in d["events"]] == [e.kind for e in tape.events]
    assert d["optimizer"]["name"] == "rprop"
    update = d["events"][-1]
    assert update["kind"] == "update" and "Rprop Δ" in update["quantities"]
    np.testing.assert_allclose(d["new_params"]["rnn.weight_hh_l0"], tape.new_params["rnn.weight_hh_l0"])


def test_options_show_truncation_clipping_and_the_optimizer(models, capsys):
    code, out, _ = run(capsys, "--model", models["tagger"], "--input", "0.1 0.2, 0.3 0.4, 0.5 0.6",
                       "--target", "1 0, 0 1, 1 1", "--truncate", "2", "--clip", "0.1", "--optimizer", "adam",
                       "--lr", "0.001")
    assert code == 0
    assert "Truncation · layer 2 · t = 2" in out and "Gradient clipping" in out and "Adam m" in out
    assert "reverse direction" in out and "h²←(3)" in out
    code, out, _ = run(capsys, "--model", models["tagger"], "--input", "0.1 0.2, 0.3 0.4", "--target", "1 0, 0 1",
                       "--no-update", "--phase", "loss")
    assert code == 0 and out.startswith("[") and "Loss" in out and "Forward" not in out and "Update" not in out


def test_inputs_from_files(models, capsys, tmp_path):
    xs = tmp_path / "x.npy"
    np.save(xs, np.array([[0.0], [1.0], [1.0], [0.0]]))
    ys = tmp_path / "y.csv"
    ys.write_text("count\n2\n")
    code, out, err = run(capsys, "--model", models["counter"], "--input", str(xs), "--target", str(ys), "--json")
    assert code == 0 and err == ""
    assert json.loads(out)["T"] == 4


@pytest.mark.parametrize("argv,needle", [
    (["--input", "0,1,1", "--target", "1,2"], "--target"),                # 'last' takes one class per sequence
    (["--input", "0,1,1", "--target", "7"], "class indices"),
    (["--input", "0,1,1", "--target", "1.5"], "whole class"),
    (["--input", "0 1, 1 1", "--target", "1"], "feature"),
    (["--input", "0,1,x", "--target", "1"], "not a number"),
    (["--input", "missing/file.npy", "--target", "1"], "no such file"),
    (["--input", "0,1", "--target", "1", "--optimizer", "adam", "--momentum", "0.9"], "momentum"),
    (["--input", "0,1", "--target", "1", "--truncate", "0"], "at least 1"),
    (["--input", "0,1", "--target", "1", "--phase", "sideways"], "invalid choice"),
    (["--input", "0,1"], "required"),
])
def test_bad_input_exits_2_with_one_line(models, capsys, argv, needle):
    code, out, err = run(capsys, "--model", models["classifier"], *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err and "Traceback" not in err


def test_a_missing_model_file_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "--model", str(tmp_path / "none.npz"), "--input", "0,1", "--target", "1")
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_too_many_sequences_exits_2(models, capsys, tmp_path):
    xs = tmp_path / "x.npy"
    np.save(xs, np.zeros((5, 3, 1)))
    code, _, err = run(capsys, "--model", models["classifier"], "--input", str(xs), "--target", "0,1,2,0,1")
    assert code == 2 and "at most 4" in err
