"""``rnnsim evaluate``, ``rnnsim generate`` and ``rnnsim predict``'s classifier and text answers, run in-process:
numbers against independent numpy computations, strict JSON, one-line refusals with exit status 2."""
import json

import numpy as np
import pytest

from rnnsim import Model, ModelSpec
from rnnsim.cli import main
from rnnsim.limits import MAX_GENERATE_CHARS

VOCAB = " .dehlorw"


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


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@pytest.fixture
def text_model(tmp_path):
    """An untrained LSTM whose stored vocabulary is VOCAB (as a model trained on a text keeps it)."""
    spec = ModelSpec(cell="lstm", input_size=len(VOCAB), hidden_size=6, output_size=len(VOCAB),
                     loss="cross_entropy", extra={"data": {"kind": "text", "vocab": VOCAB, "window": 5,
                                                           "accuracy": "argmax", "classes": len(VOCAB)}})
    path = tmp_path / "text.npz"
    Model.create(spec, seed=4).save(path)
    return path


@pytest.fixture
def classifier(tmp_path):
    spec = ModelSpec(cell="gru", input_size=2, hidden_size=5, output_size=3, output="last", loss="cross_entropy")
    path = tmp_path / "cls.npz"
    Model.create(spec, seed=2).save(path)
    return path


def test_evaluate_text_uses_the_models_vocabulary(capsys, tmp_path, text_model):
    text = "world hello. hello"              # its own sorted alphabet differs from the model's
    (tmp_path / "t.txt").write_text(text)
    code, out, _ = run_cli(capsys, "evaluate", "--model", text_model, "--data", tmp_path / "t.txt", "--json")
    assert code == 0
    got = strict(out)
    model = Model.load(text_model)
    codes = np.array([VOCAB.index(ch) for ch in text])
    count = (len(text) - 1) // 5                                      # the stored window: 5
    x = np.eye(len(VOCAB))[codes[:count * 5].reshape(count, 5)]
    y = codes[1:count * 5 + 1].reshape(count, 5)
    z = model.predict(x)
    expected_loss = -np.take_along_axis(log_softmax(z), y[..., None], -1).mean()
    assert got["samples"] == count
    assert got["loss"] == pytest.approx(expected_loss, rel=1e-10)
    assert got["accuracy"] == pytest.approx(np.mean(z.argmax(-1) == y))


def test_evaluate_classifier_npz(capsys, tmp_path, classifier):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 4, 2)), rng.integers(0, 3, size=10)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    code, out, _ = run_cli(capsys, "evaluate", "--model", classifier, "--data", tmp_path / "d.npz", "--json")
    got = strict(out)
    z = Model.load(classifier).predict(x)
    assert code == 0 and got["samples"] == 10
    assert got["loss"] == pytest.approx(-log_softmax(z)[np.arange(10), y].mean(), rel=1e-10)
    assert got["accuracy"] == pytest.approx(np.mean(z.argmax(-1) == y))
    code, out, _ = run_cli(capsys, "evaluate", "--model", classifier, "--data", tmp_path / "d.npz")
    assert code == 0 and out.startswith("loss ") and "accuracy" in out


def test_evaluate_series_scales_with_the_models_mean_and_std(capsys, tmp_path):
    t = np.arange(60.0)
    (tmp_path / "train.csv").write_text("a,b\n" + "".join(f"{np.sin(v / 4):.6f},{v:.1f}\n" for v in t))
    code, _, _ = run_cli(capsys, "train", "--data", tmp_path / "train.csv", "--columns", "a", "--target-columns",
                         "a", "--window", "6", "--steps", "3", "--hidden", "4", "--out", tmp_path / "s.npz", "--json")
    assert code == 0
    later = np.sin((t + 7) / 4) * 2.0                                  # another range: its own mean/std differ
    (tmp_path / "new.csv").write_text("a,b\n" + "".join(f"{v:.6f},0\n" for v in later))
    code, out, _ = run_cli(capsys, "evaluate", "--model", tmp_path / "s.npz", "--data", tmp_path / "new.csv", "--json")
    assert code == 0
    got = strict(out)
    model = Model.load(tmp_path / "s.npz")
    stored = model.spec.extra["data"]
    values = np.array([float(f"{v:.6f}") for v in later])
    z = (values - stored["mean"]["a"]) / stored["std"]["a"]
    x = np.stack([z[s:s + 6] for s in range(60 - 6)])[..., None]
    y = z[6:][:, None]
    assert got["samples"] == 54 and got["accuracy"] is None
    assert got["loss"] == pytest.approx(np.mean((model.predict(x) - y) ** 2), rel=1e-9)


def test_predict_json_gives_classes_and_probabilities(capsys, classifier):
    code, out, _ = run_cli(capsys, "predict", "--model", classifier, "--input", "0.1 0.2, -1 0.5, 2 2", "--json")
    got = strict(out)
    z = Model.load(classifier).predict(np.array([[[0.1, 0.2], [-1, 0.5], [2, 2]]]))
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    assert code == 0 and got["classes"] == p.argmax(-1).tolist()
    np.testing.assert_allclose(got["probabilities"], p, rtol=1e-12)


def test_predict_text_lists_the_next_characters(capsys, text_model):
    code, out, _ = run_cli(capsys, "predict", "--model", text_model, "--text", "hello", "--json")
    got = strict(out)
    z = Model.load(text_model).predict(np.eye(len(VOCAB))[[VOCAB.index(c) for c in "hello"]][None])[0, -1]
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    top = got["meaning"][0]["top"]
    assert code == 0 and top[0]["char"] == VOCAB[p.argmax()]
    assert top[0]["probability"] == pytest.approx(p.max(), rel=1e-12)
    code, out, _ = run_cli(capsys, "predict", "--model", text_model, "--text", "hello")
    assert code == 0 and repr(VOCAB[p.argmax()]) in out


def test_generate_command_text_and_json(capsys, text_model):
    code, out, _ = run_cli(capsys, "generate", "--model", text_model, "--prime", "he", "--length", "40",
                           "--temperature", "0.7", "--seed", "9", "--json")
    got = strict(out)
    assert code == 0 and got["text"] == "he" + got["continuation"] and len(got["continuation"]) == 40
    assert len(got["probabilities"]) == 40 and set(got["continuation"]) <= set(VOCAB)
    code, again, _ = run_cli(capsys, "generate", "--model", text_model, "--prime", "he", "--length", "40",
                             "--temperature", "0.7", "--seed", "9")
    assert code == 0 and again == got["text"] + "\n"


@pytest.mark.parametrize("argv, words", [
    (["generate", "--model", "{cls}"], "not trained on a text"),
    (["predict", "--model", "{cls}", "--text", "ab"], "not trained on a text"),
    (["generate", "--model", "{text}", "--temperature", "0"], "--temperature"),
    (["generate", "--model", "{text}", "--temperature", "nan"], "--temperature"),
    (["generate", "--model", "{text}", "--temperature", "-2"], "--temperature"),
    (["generate", "--model", "{text}", "--length", str(MAX_GENERATE_CHARS + 1)], "over the limit"),
    (["generate", "--model", "{text}", "--prime", "hQ!"], "'Q', '!'"),
    (["generate", "--model", "{tmp}/missing.npz"], "missing.npz"),
    (["evaluate", "--model", "{text}", "--data", "{tmp}/digits.npz"], "do not fit"),
    (["evaluate", "--model", "{cls}", "--data", "{tmp}/words.txt"], "do not fit"),
    (["evaluate", "--model", "{text}", "--data", "{tmp}/foreign.txt"], "never saw"),
    (["evaluate", "--model", "{cls}", "--data", "{tmp}/wide.npz"], "reads 2 value(s) per step"),
    (["evaluate", "--model", "{cls}"], "--data"),
])
def test_refusals_exit_2_with_one_line(capsys, tmp_path, text_model, classifier, argv, words):
    np.savez(tmp_path / "digits.npz", x=np.zeros((3, 4, 2)), y=np.zeros(3, dtype=np.int64))
    np.savez(tmp_path / "wide.npz", x=np.zeros((3, 4, 5)), y=np.zeros(3, dtype=np.int64))
    (tmp_path / "words.txt").write_text("hello world. " * 3)
    (tmp_path / "foreign.txt").write_text("hello QZ world. " * 3)
    filled = [a.format(cls=classifier, text=text_model, tmp=tmp_path) for a in argv]
    code, out, err = run_cli(capsys, *filled)
    assert code == 2 and out == ""
    assert words in one_line_error(err)


def test_predict_text_top_lists_that_many_characters_most_likely_first(capsys, text_model):
    code, out, _ = run_cli(capsys, "predict", "--model", text_model, "--text", "he", "--top", "5", "--json")
    top = strict(out)["meaning"][0]["top"]
    probabilities = [t["probability"] for t in top]
    assert code == 0 and len(top) == 5 and probabilities == sorted(probabilities, reverse=True)
    code, out, _ = run_cli(capsys, "predict", "--model", text_model, "--text", "he", "--top", "9")
    assert code == 0 and all(repr(ch) in out for ch in VOCAB)
