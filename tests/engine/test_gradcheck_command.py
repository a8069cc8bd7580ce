"""``rnnsim gradcheck`` on a saved model's own data (--task, --data), run in-process."""
import json

import numpy as np
import pytest

from rnnsim import Model, ModelSpec, recipe
from rnnsim import gradcheck as gc
from rnnsim.cli import main
from rnnsim.data import make_task


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def refusal(capsys, *argv):
    """The one line an invocation that must exit 2 prints on stderr."""
    code, out, err = run_cli(capsys, *argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and out == "" and len(lines) == 1 and "Traceback" not in err, (code, out, err)
    return lines[0]


def counter(w_x=1.2, w_rec=1.2):
    """P. Roelants' one-unit linear counter: S(k) = S(k−1)·w_rec + X(k)·w_x, y = S(n)."""
    spec = ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", loss="mse", bias=False,
                     output_size=None)
    return Model(spec, {"rnn.weight_ih_l0": np.array([[w_x]]), "rnn.weight_hh_l0": np.array([[w_rec]])})


@pytest.fixture
def counter_file(tmp_path):
    path = tmp_path / "counter.npz"
    counter().save(path)
    return path


def test_lesson_003_counter_on_bitcount_data(capsys, counter_file):
    """The tutorial's check from the command line: eps 1e-7 at (1.2, 1.2) on the 20 × 10 bit sequences."""
    code, out, err = run_cli(capsys, "gradcheck", "--model", counter_file, "--task", "bitcount", "--eps", "1e-7",
                             "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["verdict"] == "No gradient errors found" and result["passed"] is True
    assert (result["sequences"], result["steps"], result["eps"], result["data"]) == (20, 10, 1e-7, "task bitcount")
    assert set(result["parameters"]) == {"rnn.weight_ih_l0", "rnn.weight_hh_l0"}
    assert result["max_rel_error"] < 1e-8
    # the same numbers as the engine's check on the task's data
    data, _ = make_task("bitcount", seed=0)
    report = gc.check_gradients(counter(), data.x, data.y, eps=1e-7)
    assert result["details"] == [p.to_json() for p in report.parameters]
    # and as text: the table, the verdict in the tutorial's words, exit 0
    code, out, _ = run_cli(capsys, "gradcheck", "--model", counter_file, "--task", "bitcount", "--eps", "1e-7")
    lines = out.splitlines()
    assert code == 0 and "No gradient errors found" in lines
    assert lines[1].split()[:3] == ["rnn.weight_ih_l0", "1×1", "1/1"] and lines[1].endswith("ok")
    assert "on task bitcount: 2 of 2 elements in 2 parameters, on 20 sequences of 10 steps; eps 1e-07" in out


def test_data_file_is_read_as_train_reads_it(capsys, tmp_path, counter_file):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 2, size=(7, 6, 1)).astype(float)
    y = x.sum(axis=1)
    np.savez(tmp_path / "bits.npz", x=x, y=y)
    code, out, err = run_cli(capsys, "gradcheck", "--model", counter_file, "--data", tmp_path / "bits.npz",
                             "--sequences", "4", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["sequences"], result["steps"]) == (4, 6) and result["data"].endswith("bits.npz")
    report = gc.check_gradients(counter(), x[:4], y[:4], eps=gc.EPS)
    assert result["details"] == [p.to_json() for p in report.parameters]


def test_a_wrong_gradient_fails_with_exit_1(capsys, tmp_path):
    """A too-coarse step on an LSTM fitted to the bitcount data: exit 1 and the failing parameters named."""
    data, _ = make_task("bitcount", seed=0)
    spec = recipe.build_spec(data, {"cell": "lstm", "hidden_size": 3}, {})
    Model.create(spec, seed=1).save(tmp_path / "lstm.npz")
    code, out, _ = run_cli(capsys, "gradcheck", "--model", tmp_path / "lstm.npz", "--task", "bitcount",
                           "--eps", "0.5", "--json")
    result = json.loads(out)
    assert code == 1 and result["passed"] is False
    assert result["verdict"].startswith("Gradient error")
    failing = [d["name"] for d in result["details"] if not d["passed"]]
    assert failing and all(name in result["verdict"] for name in failing)


def test_sample_and_work_limit(capsys, tmp_path):
    """A model too large to check whole on its data is refused with a way out; --elements checks a sample."""
    spec = ModelSpec(cell="lstm", input_size=1, hidden_size=128, output="last", loss="mse", output_size=1)
    Model.create(spec, seed=0).save(tmp_path / "big.npz")
    line = refusal(capsys, "gradcheck", "--model", tmp_path / "big.npz", "--task", "bitcount")
    assert "= 13440200, over the limit of 10000000" in line and "--elements" in line
    code, out, err = run_cli(capsys, "gradcheck", "--model", tmp_path / "big.npz", "--task", "bitcount",
                             "--elements", "3", "--sequences", "5", "--seed", "4", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert [d["checked"] for d in result["details"]] == [min(3, d["size"]) for d in result["details"]]
    assert result["checked"] == 3 * 5 + 1 and result["size"] == spec.parameter_count     # fc.bias: 1 element
    assert (result["max_elements"], result["seed"], result["sequences"]) == (3, 4, 5)


def test_the_training_records_truncation_and_l2_are_checked(capsys, tmp_path):
    path = tmp_path / "trained.npz"
    code, _, err = run_cli(capsys, "train", "--task", "temporal-xor", "--steps", "2", "--truncate", "3",
                           "--weight-decay", "0.01", "--out", path, "--json")
    assert code == 0, err
    code, out, err = run_cli(capsys, "gradcheck", "--model", path, "--task", "temporal-xor", "--sequences", "3",
                             "--elements", "4", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["truncate"], result["l2"]) == (3, 0.01)
    code, out, _ = run_cli(capsys, "gradcheck", "--model", path, "--task", "temporal-xor", "--sequences", "3",
                           "--elements", "4", "--truncate", "0", "--l2", "0", "--json")
    result = json.loads(out)
    assert code == 0 and (result["truncate"], result["l2"]) == (None, 0.0)


def test_random_inputs_stay_the_default(capsys):
    code, out, _ = run_cli(capsys, "gradcheck", "--cell", "gru", "--steps", "4", "--batch", "3", "--json")
    result = json.loads(out)
    assert code == 0 and result["data"] == "random inputs" and (result["sequences"], result["steps"]) == (3, 4)
    assert result["eps"] == gc.EPS and result["verdict"] == "No gradient errors found"


@pytest.mark.parametrize("make_args, words", [
    (lambda p, d: ["--model", p, "--data", d / "wide.npz"], "the model reads 1 input feature(s); the data has 2"),
    (lambda p, d: ["--model", p, "--data", d / "classes.npz"], "the model is trained with loss 'mse' on output"),
    (lambda p, d: ["--model", p, "--data", d / "missing.npz"], "missing.npz"),
    (lambda p, d: ["--model", p, "--task", "xor"], "the model reads 1 input feature(s); the data has 2"),
    (lambda p, d: ["--model", p, "--task", "nosuchtask"], "nosuchtask"),
    (lambda p, d: ["--model", p, "--task", "bitcount", "--option", "n=0"], "bitcount"),
    (lambda p, d: ["--task", "bitcount"], "give --model m.npz too"),
    (lambda p, d: ["--model", p, "--task", "bitcount", "--data", d / "wide.npz"], "at most one of --task"),
    (lambda p, d: ["--model", p, "--task", "bitcount", "--steps", "3"], "use --sequences"),
    (lambda p, d: ["--model", p, "--sequences", "3"], "--sequences takes the first sequences"),
    (lambda p, d: ["--model", p, "--task", "bitcount", "--elements", "0"], "--elements"),
])
def test_data_that_does_not_fit_is_refused_in_one_line(capsys, tmp_path, counter_file, make_args, words):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "wide.npz", x=rng.standard_normal((3, 4, 2)), y=rng.standard_normal((3, 1)))
    np.savez(tmp_path / "classes.npz", x=rng.standard_normal((3, 4, 1)), y=np.array([[0, 1, 1, 0]] * 3))
    line = refusal(capsys, "gradcheck", *make_args(counter_file, tmp_path))
    assert line.startswith("rnnsim") and words in line, line
