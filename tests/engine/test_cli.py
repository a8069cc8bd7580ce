"""The rnnsim command: exit codes, one-line errors, --json output, Ctrl-C during training."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rnnsim import Model, ModelSpec, load_model
from rnnsim.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("argv", [
    ["bogus"],
    ["gradcheck", "--cell", "nope"],
    ["gradcheck", "--hidden", "0"],
    ["gradcheck", "--hidden", "abc"],
    ["gradcheck", "--loss", "cross_entropy", "--no-head"],
    ["predict", "--model", "missing.npz", "--input", "0,1"],
    ["predict", "--input", "0,1"],
    ["train"],
    ["train", "--task", "nosuchtask"],
    ["train", "--task", "bitcount", "--data", "x.npz"],
    ["train", "--task", "bitcount", "--lr", "-1"],
    ["train", "--task", "bitcount", "--lr", "nan"],
    ["train", "--task", "bitcount", "--option", "steps"],
    ["train", "--data", "missing.csv"],
    ["train", "--task", "bitcount", "--validation-split", "1.5"],
])
def test_bad_arguments_exit_2_with_one_line(capsys, argv):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    one_line_error(err)


@pytest.mark.parametrize("options, reason", [
    (["--optimizer", "adam", "--betas", "0.9"], "--betas: takes two numbers separated by a comma, got '0.9'"),
    (["--optimizer", "adam", "--betas", "0.9,x"], "--betas: 'x' is not a number"),
    (["--optimizer", "adam", "--betas", "0.9,inf"], "--betas: must be finite numbers"),
    (["--optimizer", "adam", "--betas", "1,0.999"], "Adam betas (β1, β2) must both be in [0, 1), got (1.0, 0.999)"),
    (["--optimizer", "adam", "--eps", "0"], "--eps: must be a positive number, got 0"),
    (["--optimizer", "rmsprop", "--alpha", "1.5"], "RMSprop alpha (α) must be in [0, 1], got 1.5"),
    (["--optimizer", "rmsprop", "--alpha", "-0.5"], "--alpha: must be a number ≥ 0, got -0.5"),
    (["--optimizer", "rprop", "--etas", "0.5,1"], "Rprop etas (η−, η+) must satisfy 0 < η− < 1 < η+"),
    (["--optimizer", "rprop", "--step-sizes", "1,0.1"], "Rprop step sizes (smallest, largest) must satisfy"),
    (["--optimizer", "adagrad", "--lr-decay", "-1"], "--lr-decay: must be a number ≥ 0, got -1"),
    (["--optimizer", "sgd", "--momentum", "0.9", "--dampening", "2"], "SGD dampening must be in [0, 1], got 2.0"),
    (["--optimizer", "sgd", "--betas", "0.8,0.99"], "sgd has no betas setting; it belongs to adam"),
    (["--optimizer", "adam", "--etas", "0.3,1.5"], "adam has no etas setting; it belongs to rprop"),
])
def test_bad_optimizer_settings_exit_2_with_the_reason(capsys, options, reason):
    code, out, err = run_cli(capsys, "train", "--task", "xor", "--epochs", "1", *options)
    assert code == 2 and reason in one_line_error(err)


@pytest.mark.parametrize("options", [
    ["--optimizer", "adam", "--betas", "0.8,0.99", "--eps", "1e-6"],
    ["--optimizer", "rmsprop", "--alpha", "0.9", "--eps", "1e-7", "--momentum", "0.5"],
    ["--optimizer", "rprop", "--etas", "0.3,1.5", "--step-sizes", "1e-4,1"],
    ["--optimizer", "adagrad", "--lr-decay", "0.01", "--initial-accumulator-value", "0.1"],
    ["--optimizer", "sgd", "--momentum", "0.9", "--dampening", "0.1"],
])
def test_train_takes_each_optimizer_s_settings(capsys, options):
    """The settings reach the run: they change its loss curve (xor suggests SGD with momentum; another
    optimizer drops the momentum)."""
    def losses(*more):
        code, out, err = run_cli(capsys, "train", "--task", "xor", "--epochs", "5", "--json", *more)
        assert code == 0, err
        return json.loads(out)["history"]["loss"]
    assert losses(*options) != losses(*options[:2])


def test_gradcheck_json(capsys):
    code, out, err = run_cli(capsys, "gradcheck", "--cell", "gru", "--layers", "2", "--bidirectional",
                             "--truncate", "2", "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result) >= {"max_rel_error", "tolerance", "passed", "parameters"}
    assert result["passed"] is True and result["max_rel_error"] <= result["tolerance"]
    assert "rnn.weight_hh_l1_reverse" in result["parameters"]


def test_gradcheck_fails_with_exit_1_when_above_tolerance(capsys):
    code, out, _ = run_cli(capsys, "gradcheck", "--cell", "lstm", "--eps", "0.5", "--tolerance", "1e-12", "--json")
    assert code == 1 and json.loads(out)["passed"] is False


def test_predict_inline_csv_and_npy(capsys, tmp_path):
    spec = ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", bias=False)
    model = Model(spec, {"rnn.weight_ih_l0": np.array([[1.0]]), "rnn.weight_hh_l0": np.array([[1.0]])})
    path = tmp_path / "counter.npz"
    model.save(path)
    code, out, _ = run_cli(capsys, "predict", "--model", str(path), "--input", "0,1,1,0,0,0,0,1,0,0,1,1", "--json")
    assert code == 0 and json.loads(out)["output"] == [[5.0]]
    csv = tmp_path / "seq.csv"
    csv.write_text("bit\n1\n1\n0\n1\n")
    code, out, _ = run_cli(capsys, "predict", "--model", str(path), "--input", str(csv), "--json")
    assert json.loads(out)["output"] == [[3.0]]
    npy = tmp_path / "seq.npy"
    np.save(npy, np.ones((2, 4, 1)))
    code, out, _ = run_cli(capsys, "predict", "--model", str(path), "--input", str(npy), "--json")
    assert json.loads(out)["output"] == [[4.0], [4.0]]
    code, out, err = run_cli(capsys, "predict", "--model", str(path), "--input", "0 1, 1 0")
    assert code == 2 and "feature" in one_line_error(err)


def test_train_bitcount_reproduces_lesson_003(capsys, tmp_path):
    out_path = tmp_path / "count.npz"
    code, out, err = run_cli(capsys, "train", "--task", "bitcount", "--out", str(out_path), "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result) >= {"final_loss", "epochs", "history"}
    assert result["epochs"] == 500 and result["final_loss"] < 1e-4
    model = load_model(out_path)
    assert abs(model.params["rnn.weight_ih_l0"][0, 0] - 1) < 0.01
    assert abs(model.params["rnn.weight_hh_l0"][0, 0] - 1) < 0.01
    x = np.array([0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1], float)[None, :, None]
    assert model.predict(x)[0, 0] == pytest.approx(5, abs=0.05)


def test_train_progress_bar_and_resume_from_model(capsys, tmp_path):
    first = tmp_path / "a.npz"
    code, out, err = run_cli(capsys, "train", "--task", "xor", "--epochs", "5", "--out", str(first))
    assert code == 0 and "epoch" in err and "final loss" in out
    code, out, err = run_cli(capsys, "train", "--task", "xor", "--model", str(first), "--epochs", "5", "--json")
    assert code == 0 and json.loads(out)["epochs"] == 5
    code, out, err = run_cli(capsys, "train", "--task", "bitcount", "--model", str(first))
    assert code == 2 and "input" in one_line_error(err)


def test_train_is_deterministic(capsys):
    runs = []
    for _ in range(2):
        code, out, _ = run_cli(capsys, "train", "--task", "parity", "--epochs", "3", "--batch-size", "32",
                               "--seed", "7", "--json")
        runs.append(json.loads(out)["history"]["loss"])
    assert runs[0] == runs[1]


def test_bench_json_without_torch(capsys):
    code, out, _ = run_cli(capsys, "bench", "--seconds", "0.01", "--no-torch", "--json")
    rows = json.loads(out)["results"]
    assert code == 0 and len(rows) == 6
    for row in rows:
        assert set(row) >= {"cell", "hidden", "T", "batch", "rnnsim_steps_per_s", "torch_steps_per_s", "ratio"}
        assert row["rnnsim_steps_per_s"] > 0 and row["torch_steps_per_s"] is None and row["ratio"] is None


def test_ctrl_c_stops_training_and_saves(tmp_path):
    out_path = tmp_path / "interrupted.npz"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "rnnsim", "train", "--task", "parity", "--epochs", "100000",
                             "--out", str(out_path)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    seen = ""
    while "step" not in seen and time.monotonic() < deadline:  # wait until training runs
        seen += proc.stderr.read(1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "stopped" in out and out_path.exists()
    load_model(out_path)
