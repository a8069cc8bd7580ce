"""The gradient checker on encoder–decoder models: BPTT through decoder, context and encoder against central
differences of ``Model.loss(x, target, decoder_input=d)`` — it passes for right gradients and names the
parameter when one is wrong; truncation is refused; ``rnnsim gradcheck`` does the same on the command line."""
import json

import numpy as np
import pytest

from rnnsim import Model, ModelSpec
from rnnsim import gradcheck as gc
from rnnsim.cli import main
from rnnsim.errors import ConfigError, InputError


def seq2seq(cell, layers=1, loss="mse", decoder_input_size=3, seed=2):
    spec = ModelSpec(cell=cell, input_size=2, hidden_size=3, num_layers=layers, output_size=2, loss=loss,
                     architecture="encoder_decoder", decoder_input_size=decoder_input_size)
    model = Model.create(spec, seed=seed)
    x, target, d = gc.random_problem(model, batch=2, steps=4, seed=seed + 1, decoder_steps=3)
    return model, x, target, d


def _tampered(name, index, factor):
    real = gc.analytic_grads

    def wrong(model, x, target, truncate=None, l2=0.0, decoder_input=None):
        loss, grads = real(model, x, target, truncate, l2, decoder_input=decoder_input)
        grads = {k: v.copy() for k, v in grads.items()}
        grads[name][index] *= factor
        return loss, grads
    return wrong


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_right_gradients_pass(cell, layers, loss):
    model, x, target, d = seq2seq(cell, layers, loss)
    assert x.shape == (2, 4, 2) and d.shape == (2, 3, 3) and target.shape[:2] == (2, 3)
    result = gc.gradcheck(model, x, target, decoder_input=d)
    assert result.passed, result.parameters
    assert set(result.parameters) == set(model.params)
    assert any(k.startswith("encoder.") for k in result.parameters)
    report = gc.check_gradients(model, x, target, decoder_input=d, eps=gc.EPS, l2=0.3)
    assert report.passed and report.verdict == gc.NO_ERRORS, report.verdict
    assert report.steps == 4 and report.decoder_steps == 3
    assert "4 encoder and 3 decoder steps" in report.summary


def test_the_checked_function_is_the_models_teacher_forced_loss():
    model, x, target, d = seq2seq("gru", 2, "cross_entropy")
    f = gc.loss_function(model, x, target, decoder_input=d)
    assert f(model.params) == pytest.approx(model.loss(x, target, decoder_input=d), rel=1e-14)
    f_l2 = gc.loss_function(model, x, target, l2=0.5, decoder_input=d)
    weights = sum(float(np.sum(w * w)) for k, w in model.params.items() if ".weight" in k)
    assert f_l2(model.params) == pytest.approx(model.loss(x, target, decoder_input=d) + 0.25 * weights, rel=1e-14)


@pytest.mark.parametrize("name,index", [("encoder.weight_hh_l0", (2, 1)), ("decoder.weight_ih_l1", (0, 2)),
                                        ("fc.bias", (1,))])
def test_a_wrong_gradient_fails_and_is_named(monkeypatch, name, index):
    model, x, target, d = seq2seq("lstm", 2, "cross_entropy")
    monkeypatch.setattr(gc, "analytic_grads", _tampered(name, index, 1.01))
    report = gc.check_gradients(model, x, target, decoder_input=d, eps=gc.EPS)
    assert not report.passed and report.failing == (name,)
    assert f"{name}[{', '.join(map(str, index))}]" in report.verdict
    result = gc.gradcheck(model, x, target, decoder_input=d)
    assert not result.passed and max(result.parameters, key=result.parameters.get) == name


def test_an_encoder_gradient_that_ignores_the_context_fails(monkeypatch):
    """If BPTT stopped at the context (no gradient into the encoder), every encoder parameter fails."""
    real = gc.analytic_grads

    def cut(model, x, target, truncate=None, l2=0.0, decoder_input=None):
        loss, grads = real(model, x, target, truncate, l2, decoder_input=decoder_input)
        return loss, {k: (np.zeros_like(v) if k.startswith("encoder.") else v) for k, v in grads.items()}

    model, x, target, d = seq2seq("gru", 1, "mse")
    monkeypatch.setattr(gc, "analytic_grads", cut)
    report = gc.check_gradients(model, x, target, decoder_input=d, eps=gc.EPS)
    assert set(report.failing) == {k for k in model.params if k.startswith("encoder.")}


def test_refusals():
    model, x, target, d = seq2seq("gru")
    with pytest.raises(ConfigError, match="truncated BPTT"):
        gc.check_gradients(model, x, target, decoder_input=d, truncate=2)
    with pytest.raises(ConfigError, match="truncated BPTT"):
        gc.gradcheck(model, x, target, truncate=2, decoder_input=d)
    with pytest.raises(InputError, match="needs decoder_input"):
        gc.check_gradients(model, x, target)
    with pytest.raises(InputError, match="decoder_input must have shape"):
        gc.check_gradients(model, x, target, decoder_input=d[:, :, :2])


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_command_line_random_and_task(capsys, tmp_path, monkeypatch):
    code, out, err = run_cli(capsys, "gradcheck", "--encoder-decoder", "--cell", "lstm", "--layers", "2",
                             "--decoder-input-size", "3", "--decoder-steps", "4", "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["passed"] and answer["decoder_steps"] == 4 and answer["steps"] == 5
    assert any(p["name"] == "decoder.weight_ih_l0" and p["shape"] == [12, 3] for p in answer["details"])
    spec = ModelSpec(cell="gru", input_size=10, hidden_size=4, output_size=10, loss="cross_entropy",
                     architecture="encoder_decoder", decoder_input_size=11)
    Model.create(spec, seed=1).save(tmp_path / "rev.npz")
    code, out, err = run_cli(capsys, "gradcheck", "--model", tmp_path / "rev.npz", "--task", "reverse",
                             "--option", "n=3", "--option", "length=3", "--elements", "6")
    assert code == 0, err
    assert "on task reverse" in out and "3 encoder and 3 decoder steps" in out and gc.NO_ERRORS in out
    monkeypatch.setattr(gc, "analytic_grads", _tampered("encoder.weight_ih_l0", (0, 0), 1.5))
    code, out, err = run_cli(capsys, "gradcheck", "--model", tmp_path / "rev.npz", "--task", "reverse",
                             "--option", "n=3", "--option", "length=3")
    assert code == 1 and "Gradient error in encoder.weight_ih_l0" in out


def test_command_line_refusals(capsys, tmp_path):
    plain = ModelSpec(cell="gru", input_size=10, hidden_size=4, output_size=10, loss="cross_entropy")
    Model.create(plain).save(tmp_path / "plain.npz")
    cases = [
        (("--encoder-decoder", "--truncate", "2"), "truncated BPTT"),
        (("--decoder-input-size", "3"), "--decoder-input-size is for --encoder-decoder"),
        (("--decoder-steps", "3"), "--decoder-steps"),
        (("--model", tmp_path / "plain.npz", "--task", "reverse", "--option", "n=2"), "decoder inputs"),
        (("--model", tmp_path / "plain.npz", "--encoder-decoder"), "a --model file has its own architecture"),
    ]
    for argv, words in cases:
        code, out, err = run_cli(capsys, "gradcheck", *argv)
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2 and out == "" and len(lines) == 1 and words in lines[0], (argv, err)
