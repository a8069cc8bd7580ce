"""``rnnsim trace`` on an encoder–decoder model: --decoder-input and a target over the decoder's M steps;
the traced loss, output and gradients are the model's own (teacher forcing); one-line refusals."""
import json

import numpy as np

from rnnsim import Model, ModelSpec
from rnnsim.cli import main


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_trace_of_an_encoder_decoder_is_the_models_own_numbers(tmp_path, capsys):
    spec = ModelSpec(cell="lstm", input_size=2, hidden_size=3, num_layers=2, output_size=3, loss="cross_entropy",
                     architecture="encoder_decoder", decoder_input_size=4)
    model = Model.create(spec, seed=5)
    model.save(tmp_path / "m.npz")
    rng = np.random.default_rng(1)
    x, d = rng.standard_normal((1, 3, 2)), rng.standard_normal((1, 2, 4))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "d.npy", d)
    code, out, err = run_cli(capsys, "trace", "--model", tmp_path / "m.npz", "--input", tmp_path / "x.npy",
                             "--decoder-input", tmp_path / "d.npy", "--target", "2,0", "--no-update", "--json")
    assert code == 0, err
    answer = json.loads(out)
    target = np.array([[2, 0]])
    loss, grads = model.loss_and_grads(x, target, decoder_input=d)
    assert answer["T"] == 5 and answer["loss"] == loss                      # N + M steps on one timeline
    np.testing.assert_allclose(answer["output"], model.predict(x, decoder_input=d), rtol=1e-12, atol=1e-14)
    for name, g in grads.items():
        np.testing.assert_allclose(answer["grads"][name], g, rtol=1e-9, atol=1e-13, err_msg=name)
    code, out, err = run_cli(capsys, "trace", "--model", tmp_path / "m.npz", "--input", tmp_path / "x.npy",
                             "--decoder-input", tmp_path / "d.npy", "--target", "2,0", "--no-update")
    assert code == 0, err
    assert f"loss L = {loss:.6g}" in out


def test_trace_refusals(tmp_path, capsys):
    spec = ModelSpec(cell="gru", input_size=2, hidden_size=3, output_size=3, loss="cross_entropy",
                     architecture="encoder_decoder", decoder_input_size=4)
    Model.create(spec).save(tmp_path / "s.npz")
    Model.create(ModelSpec(cell="gru", input_size=2, hidden_size=3, output_size=3)).save(tmp_path / "p.npz")
    cases = [
        (("--model", tmp_path / "s.npz", "--input", "1 2, 3 4", "--target", "1,2"), "needs --decoder-input"),
        (("--model", tmp_path / "p.npz", "--input", "1 2, 3 4", "--target", "1 2 3, 1 2 3", "--decoder-input",
          "1 0 0 0"), "for an encoder–decoder model"),
        (("--model", tmp_path / "s.npz", "--input", "1 2, 3 4", "--decoder-input", "1 0 0 0, 0 1 0 0",
          "--target", "1,2,0"), "--target"),
        (("--model", tmp_path / "s.npz", "--input", "1 2, 3 4", "--decoder-input", "1 0 0",
          "--target", "1"), "reads 4 value(s) per step"),
        (("--model", tmp_path / "s.npz", "--input", "1 2, 3 4", "--decoder-input", "1 0 0 0",
          "--target", "1", "--truncate", "1"), "truncated BPTT"),
    ]
    for argv, words in cases:
        code, out, err = run_cli(capsys, "trace", *argv)
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2 and out == "" and len(lines) == 1 and words in lines[0], (argv, err)
