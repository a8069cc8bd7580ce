"""``rnnsim predict`` on encoder–decoder models: ``--decoder-input`` (teacher forcing, exactly
``Model.predict(x, decoder_input=d)``) and the engine's free-running ``--steps/--start``, checked against
teacher-forced predictions on the decoder's own choices; one-line refusals with exit status 2."""
import json

import numpy as np
import pytest

from rnnsim import Model, ModelSpec
from rnnsim.cli import main


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def strict(text):
    def refuse(token):
        raise AssertionError(f"non-strict JSON token {token}")
    return json.loads(text, parse_constant=refuse)


def one_line_error(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def seq2seq_model(tmp_path, cell="gru", loss="cross_entropy", layers=1, decoder_input_size=None, data=None,
                  output_size=4, seed=3):
    spec = ModelSpec(cell=cell, input_size=3, hidden_size=5, num_layers=layers, output_size=output_size, loss=loss,
                     architecture="encoder_decoder", decoder_input_size=decoder_input_size,
                     extra={"data": data} if data else {})
    model = Model.create(spec, seed=seed)
    path = tmp_path / f"{cell}-{loss}.npz"
    model.save(path)
    return model, path


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("cell,loss,layers", [("gru", "cross_entropy", 1), ("lstm", "mse", 2),
                                              ("rnn_tanh", "cross_entropy", 2)])
def test_decoder_input_gives_the_models_own_predict(tmp_path, capsys, cell, loss, layers):
    model, path = seq2seq_model(tmp_path, cell, loss, layers, decoder_input_size=6)
    rng = np.random.default_rng(0)
    x, d = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 7, 6))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "d.npy", d)
    code, out, err = run_cli(capsys, "predict", "--model", path, "--input", tmp_path / "x.npy",
                             "--decoder-input", tmp_path / "d.npy", "--json")
    assert code == 0, err
    answer = strict(out)
    expected = model.predict(x, decoder_input=d)
    assert expected.shape == (2, 7, 4) and answer["shape"] == [2, 7, 4]
    np.testing.assert_allclose(answer["output"], expected, rtol=0, atol=0)
    if loss == "cross_entropy":
        assert answer["classes"] == expected.argmax(axis=-1).tolist()
        np.testing.assert_allclose(answer["probabilities"], softmax(expected), rtol=1e-12, atol=1e-15)
    else:
        assert "classes" not in answer


def test_one_inline_decoder_sequence_serves_every_input_and_the_text_answer_lists_each_step(tmp_path, capsys):
    model, path = seq2seq_model(tmp_path, decoder_input_size=2)
    x = np.arange(2 * 3 * 3, dtype=float).reshape(2, 3, 3) / 10
    np.save(tmp_path / "x.npy", x)
    code, out, err = run_cli(capsys, "predict", "--model", path, "--input", tmp_path / "x.npy",
                             "--decoder-input", "1 0, 0 1, 0.5 0.5", "--json")
    assert code == 0, err
    d = np.array([[1, 0], [0, 1], [0.5, 0.5]], dtype=float)
    expected = model.predict(x, decoder_input=np.stack([d, d]))
    np.testing.assert_allclose(strict(out)["output"], expected, rtol=0, atol=0)
    code, out, err = run_cli(capsys, "predict", "--model", path, "--input", "0 0 1, 1 0 0",
                             "--decoder-input", "1 0, 0 1, 0.5 0.5")
    assert code == 0, err
    y = model.predict(np.array([[[0, 0, 1], [1, 0, 0]]], dtype=float), decoder_input=d[None])[0]
    for t, row in enumerate(y, start=1):
        assert f"t = {t}: class {row.argmax()}" in out


def _teacher_inputs_for(classes, start, width):
    """The decoder inputs that reproduce a free run: the start, then each chosen class one-hot."""
    batch, steps = classes.shape
    d = np.zeros((batch, steps, width))
    d[:, 0] = start
    for j in range(1, steps):
        d[np.arange(batch), j, classes[:, j - 1]] = 1.0
    return d


def test_free_running_is_teacher_forcing_on_its_own_choices(tmp_path, capsys):
    """--steps: each output is what teacher forcing gives when the decoder reads back the classes it chose
    (an independent check of the feedback rule: argmax, one-hot, at the class's position)."""
    model, path = seq2seq_model(tmp_path, decoder_input_size=5, data={"start": 4, "accuracy": "argmax"}, seed=7)
    x = np.random.default_rng(2).standard_normal((3, 4, 3))
    np.save(tmp_path / "x.npy", x)
    code, out, err = run_cli(capsys, "predict", "--model", path, "--input", tmp_path / "x.npy", "--steps", 6,
                             "--json")
    assert code == 0, err
    answer = strict(out)
    y, classes = np.array(answer["output"]), np.array(answer["classes"])
    assert y.shape == (3, 6, 4) and answer["mode"] == "free-running"
    start = np.eye(5)[4]                                          # the stored start symbol, one-hot
    d = _teacher_inputs_for(classes, start, 5)
    np.testing.assert_allclose(answer["decoder_inputs"], d, rtol=0, atol=0)
    np.testing.assert_allclose(y, model.predict(x, decoder_input=d), rtol=1e-12, atol=1e-13)
    assert (classes == y.argmax(axis=-1)).all()
    np.testing.assert_allclose(answer["probabilities"], softmax(y), rtol=1e-12, atol=1e-15)
    # a --start typed as comma-separated numbers replaces the stored one; the text answer names the classes
    code, out, err = run_cli(capsys, "predict", "--model", path, "--input", tmp_path / "x.npy", "--steps", 3,
                             "--start", "0,1,0,0,0")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("the decoder ran 3 steps on its own outputs") and len(lines) == 4
    code, out2, _ = run_cli(capsys, "predict", "--model", path, "--input", tmp_path / "x.npy", "--steps", 3,
                            "--start", "0,1,0,0,0", "--json")
    chosen = strict(out2)["classes"]
    assert [line.split("classes ")[1] for line in lines[1:]] == [" ".join(map(str, c)) for c in chosen]
    d = _teacher_inputs_for(np.array(chosen), np.eye(5)[1], 5)
    np.testing.assert_allclose(strict(out2)["output"], model.predict(x, decoder_input=d), rtol=1e-12, atol=1e-13)


def test_a_regression_decoder_reads_back_its_outputs(tmp_path, capsys):
    model, path = seq2seq_model(tmp_path, cell="lstm", loss="mse", output_size=2)   # decoder_input_size 2
    x = np.random.default_rng(4).standard_normal((1, 3, 3))
    np.save(tmp_path / "x.npy", x)
    code, out, err = run_cli(capsys, "predict", "--model", path, "--input", tmp_path / "x.npy", "--steps", 4,
                             "--start", "0.5,-1", "--json")
    assert code == 0, err
    answer = strict(out)
    y = np.array(answer["output"])
    d = np.concatenate([[[[0.5, -1.0]]], y[:, :-1]], axis=1)        # the start, then each output as it is
    np.testing.assert_allclose(y, model.predict(x, decoder_input=d), rtol=1e-12, atol=1e-13)
    assert "classes" not in answer


def test_refusals_are_one_line_with_status_2(tmp_path, capsys):
    model, path = seq2seq_model(tmp_path, decoder_input_size=5)
    plain = Model.create(ModelSpec(cell="gru", input_size=3, hidden_size=4, output_size=2))
    plain.save(tmp_path / "plain.npz")
    np.save(tmp_path / "nan.npy", np.full((2, 5), np.nan))
    x = "1 0 0, 0 1 0"
    cases = [
        (("--model", path, "--input", x), "needs --decoder-input"),
        (("--model", tmp_path / "plain.npz", "--input", x, "--decoder-input", "1 0"), "encoder–decoder model"),
        (("--model", tmp_path / "plain.npz", "--input", x, "--steps", 3), "encoder–decoder model"),
        (("--model", path, "--input", x, "--decoder-input", "1 0 0"), "reads 5 value(s) per step"),
        (("--model", path, "--input", x, "--decoder-input", tmp_path / "nan.npy"), "NaN"),
        (("--model", path, "--input", x, "--decoder-input", tmp_path / "missing.npy"), "missing.npy"),
        (("--model", path, "--input", x, "--steps", 3), "no start symbol"),
        (("--model", path, "--input", x, "--steps", 3, "--start", "1,0"), "reads 5 value(s)"),
        (("--model", path, "--input", x, "--steps", 3, "--start", "nan,0,0,0,0"), "NaN"),
        (("--model", path, "--input", x, "--start", "1,0,0,0,0"), "--start needs --steps"),
        (("--model", path, "--input", x, "--steps", 3, "--decoder-input", "1 0 0 0 0"), "not both"),
        (("--model", path, "--input", x, "--steps", 0), "at least 1"),
    ]
    for argv, words in cases:
        code, out, err = run_cli(capsys, "predict", *argv)
        assert code == 2 and out == "", (argv, err)
        assert words in one_line_error(err), (argv, err)
