"""Encoder–decoder models end to end on the command line: ``rnnsim train --task reverse`` saves a model that
``predict --decoder-input`` and ``evaluate --task reverse`` then use — numbers against independent numpy
computations (cross-entropy, argmax accuracy, a greedy decoder written with teacher-forced predicts)."""
import json

import numpy as np
import pytest

from rnnsim import Model, ModelSpec
from rnnsim.cli import main
from rnnsim.data import make_task
from rnnsim.data.seq2seq_tasks import START, start_input
from rnnsim.evaluate import evaluate
from rnnsim.model import load_model


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def cross_entropy(logits, target):
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_p, target[..., None], axis=-1).mean()


def greedy_by_teacher_forcing(model, x, start, steps):
    """Greedy decoding written independently of rnnsim.seq2seq: at step j run teacher-forced predict on the
    start plus the classes chosen so far, and take the argmax of its last output."""
    batch, width = x.shape[0], model.spec.decoder_inputs
    d = np.zeros((batch, 1, width))
    d[:, 0] = start
    for j in range(steps):
        chosen = model.predict(x, decoder_input=d)[:, -1].argmax(axis=-1)
        if j + 1 == steps:
            break
        step = np.zeros((batch, 1, width))
        step[np.arange(batch), 0, chosen] = 1.0
        d = np.concatenate([d, step], axis=1)
    return model.predict(x, decoder_input=d).argmax(axis=-1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = tmp_path_factory.mktemp("reverse") / "reverse.npz"
    code = main(["train", "--task", "reverse", "--option", "n=300", "--option", "length=4", "--hidden", "12",
                 "--epochs", "3", "--out", str(path), "--json"])
    assert code == 0
    return path


def test_train_reverse_then_predict_gives_the_saved_models_own_predict(trained, tmp_path, capsys):
    model = load_model(trained)
    assert model.spec.is_seq2seq and model.spec.decoder_inputs == 11 and model.spec.hidden_size == 12
    data, _ = make_task("reverse", seed=5, n=3, length=4)
    np.save(tmp_path / "x.npy", data.x)
    np.save(tmp_path / "d.npy", data.decoder_x)
    code, out, err = run_cli(capsys, "predict", "--model", trained, "--input", tmp_path / "x.npy",
                             "--decoder-input", tmp_path / "d.npy", "--json")
    assert code == 0, err
    answer = json.loads(out)
    expected = model.predict(data.x, decoder_input=data.decoder_x)
    np.testing.assert_allclose(answer["output"], expected, rtol=0, atol=0)
    assert answer["classes"] == expected.argmax(axis=-1).tolist()


def test_train_prints_the_teacher_forced_accuracy(tmp_path, capsys):
    code, out, err = run_cli(capsys, "train", "--task", "reverse", "--option", "n=100", "--hidden", "8",
                             "--epochs", "1")
    assert code == 0, err
    assert "final loss" in out and "accuracy with teacher forcing" in out and "(validation" in out


def test_evaluate_on_the_task_against_independent_numbers(trained, capsys):
    model = load_model(trained)
    code, out, err = run_cli(capsys, "evaluate", "--model", trained, "--task", "reverse", "--option", "n=150",
                             "--option", "length=4", "--seed", "9", "--json")
    assert code == 0, err
    answer = json.loads(out)
    data, _ = make_task("reverse", seed=9, n=150, length=4)
    logits = model.predict(data.x, decoder_input=data.decoder_x)
    assert answer["samples"] == 150 and answer["loss_kind"] == "cross_entropy"
    assert answer["loss"] == pytest.approx(cross_entropy(logits, data.y), rel=1e-12)
    assert answer["accuracy"] == pytest.approx(np.mean(logits.argmax(axis=-1) == data.y), abs=1e-15)
    free = greedy_by_teacher_forcing(model, data.x, start_input(), 4)
    assert answer["free_running_accuracy"] == pytest.approx(np.mean(free == data.y), abs=1e-15)
    code, out, err = run_cli(capsys, "evaluate", "--model", trained, "--task", "reverse", "--option", "n=150",
                             "--option", "length=4", "--seed", "9")
    assert code == 0, err
    assert f"accuracy {answer['accuracy']:.1%}" in out and "with teacher forcing" in out
    assert f"{answer['free_running_accuracy']:.1%} right when the decoder reads its own outputs" in out


def test_evaluate_takes_the_start_symbol_from_the_data_for_an_unsaved_model():
    """A model that never stored its data still gets a free-running accuracy from the data's meta "start";
    without one (and for a regression model) there is none."""
    data, _ = make_task("reverse", seed=1, n=200, length=5)
    spec = ModelSpec(cell="gru", input_size=10, hidden_size=6, output_size=10, loss="cross_entropy",
                     architecture="encoder_decoder", decoder_input_size=11)
    model = Model.create(spec, seed=0)
    result = evaluate(model, data)
    free = greedy_by_teacher_forcing(model, data.x, start_input(), 5)
    assert result.free_running_accuracy == pytest.approx(np.mean(free == data.y), abs=1e-15)
    assert result.accuracy == pytest.approx(np.mean(
        model.predict(data.x, decoder_input=data.decoder_x).argmax(axis=-1) == data.y), abs=1e-15)
    assert data.meta["start"] == START
    data.meta = {k: v for k, v in data.meta.items() if k != "start"}
    assert evaluate(model, data).free_running_accuracy is None


def test_refusals(trained, tmp_path, capsys):
    plain = Model.create(ModelSpec(cell="gru", input_size=10, hidden_size=4, output_size=10, loss="cross_entropy"))
    plain.save(tmp_path / "plain.npz")
    np.savez(tmp_path / "data.npz", x=np.zeros((3, 4, 10)), y=np.zeros((3, 4), dtype=np.int64))
    cases = [
        (("--model", trained, "--data", tmp_path / "data.npz"), "needs data with decoder inputs"),
        (("--model", trained, "--task", "xor"), "needs data with decoder inputs"),
        (("--model", tmp_path / "plain.npz", "--task", "reverse"), "for an encoder–decoder model"),
        (("--model", trained, "--task", "reverse", "--window", "3"), "--window"),
        (("--model", trained, "--data", tmp_path / "data.npz", "--option", "n=3"), "--option"),
        (("--model", trained), "--data"),
    ]
    for argv, words in cases:
        code, out, err = run_cli(capsys, "evaluate", *argv)
        assert code == 2 and out == "", (argv, err)
        assert words in one_line_error(err), (argv, err)


def test_evaluate_on_a_task_for_a_plain_model(tmp_path, capsys):
    data, _ = make_task("xor")
    spec = ModelSpec(cell="rnn_tanh", input_size=data.input_size, hidden_size=3, output_size=data.output_size,
                     output=data.output, loss=data.loss)
    model = Model.create(spec, seed=4)
    model.save(tmp_path / "xor.npz")
    code, out, err = run_cli(capsys, "evaluate", "--model", tmp_path / "xor.npz", "--task", "xor", "--json")
    assert code == 0, err
    answer = json.loads(out)
    residual = model.predict(data.x) - data.y
    assert answer["loss"] == pytest.approx(np.mean(residual ** 2), rel=1e-12)
    assert answer["samples"] == len(data.x) and answer["free_running_accuracy"] is None
