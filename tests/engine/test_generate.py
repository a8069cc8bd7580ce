"""Sampling text from a text model: the step-by-step state equals the whole-sequence forward pass, the same
seed gives the same text, a cold temperature follows the argmax path, refusals come in one line."""
import numpy as np
import pytest

from rnnsim import Model, ModelSpec, load_model
from rnnsim.cli import main
from rnnsim.errors import ConfigError, InputError, RnnsimError
from rnnsim.generate import Stepper, default_prime, generate, generate_chunks, next_char_probabilities
from rnnsim.limits import MAX_GENERATE_CHARS

PHRASE = "hello world. "


@pytest.fixture(scope="module")
def text_model_path(tmp_path_factory):
    """An LSTM trained 300 Adam steps on a repeated phrase (it learns it: the loss falls below 0.05)."""
    folder = tmp_path_factory.mktemp("text")
    (folder / "rep.txt").write_text(PHRASE * 40)
    out = folder / "m.npz"
    code = main(["train", "--data", str(folder / "rep.txt"), "--window", "16", "--hidden", "32",
                 "--optimizer", "adam", "--lr", "0.02", "--steps", "300", "--epochs", "1000",
                 "--out", str(out), "--json"])
    assert code == 0
    return out


def text_spec(cell="lstm", layers=1, vocab="abc", **kw):
    return ModelSpec(cell=cell, input_size=len(vocab), hidden_size=5, num_layers=layers, output_size=len(vocab),
                     loss="cross_entropy", extra={"data": {"kind": "text", "vocab": vocab}}, **kw)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh", "rnn_relu", "linear"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bias", [True, False])
def test_stepping_equals_whole_sequence_forward(cell, layers, bias):
    spec = text_spec(cell, layers, bias=bias)
    model = Model.create(spec, seed=3)
    x = np.random.default_rng(0).normal(size=(2, 7, 3))
    stepper = Stepper(spec, model.params, batch=2)
    stepped = np.stack([stepper.step(x[:, t]) for t in range(7)], axis=1)
    np.testing.assert_allclose(stepped, model.predict(x), rtol=1e-12, atol=1e-12)


def test_stepping_matches_last_output_and_sigmoid_head():
    spec = ModelSpec(cell="gru", input_size=2, hidden_size=4, num_layers=2, output_size=3, output="last",
                     loss="mse", output_activation="sigmoid")
    model = Model.create(spec, seed=1)
    x = np.random.default_rng(1).normal(size=(3, 5, 2))
    stepper = Stepper(spec, model.params, batch=3)
    for t in range(5):
        last = stepper.step(x[:, t])
    np.testing.assert_allclose(last, model.predict(x), rtol=1e-12, atol=1e-12)


def test_next_char_probabilities_equal_softmax_of_predict():
    model = Model.create(text_spec("lstm", 2), seed=2)
    x = np.eye(3)[[0, 2, 1, 1]][None]
    z = model.predict(x)[0, -1]
    expected = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    np.testing.assert_allclose(next_char_probabilities(model, "acbb"), expected, rtol=1e-12)


def test_same_seed_same_text_and_other_seed_other_text():
    model = Model.create(text_spec("gru", vocab="abcdefgh"), seed=0)
    a = generate(model, "abc", 200, 1.5, seed=4)
    b = generate(model, "abc", 200, 1.5, seed=4)
    c = generate(model, "abc", 200, 1.5, seed=5)
    assert a.text == b.text and np.array_equal(a.probabilities, b.probabilities)
    assert a.text != c.text
    assert a.text.startswith("abc") and len(a.continuation) == 200 and set(a.continuation) <= set("abcdefgh")
    assert a.probabilities.shape == (200,) and np.all((a.probabilities > 0) & (a.probabilities <= 1))


@pytest.mark.parametrize("chunk", [1, 7, 16, 500])
def test_chunks_joined_are_generate(chunk):
    """The pieces the app shows as they are drawn are generate()'s text, piece by piece."""
    model = Model.create(text_spec("lstm", vocab="abcdefgh"), seed=1)
    whole = generate(model, "ab", 45, 0.9, seed=3)
    prime, pieces = generate_chunks(model, "ab", 45, 0.9, seed=3, chunk=chunk)
    pieces = list(pieces)
    assert prime == "ab" and all(0 < len(text) <= chunk for text, _ in pieces)
    assert "".join(text for text, _ in pieces) == whole.continuation
    np.testing.assert_array_equal(np.concatenate([p for _, p in pieces]), whole.probabilities)
    with pytest.raises(RnnsimError):
        generate_chunks(model, "az", 5, 0.9)                  # refused before any piece


def test_cold_temperature_follows_the_argmax_path():
    model = Model.create(text_spec("lstm", vocab="abcdefgh"), seed=7)
    eye = np.eye(8)
    codes = [0]
    for _ in range(30):                    # argmax path by whole-sequence forward passes (independent of Stepper)
        codes.append(int(model.predict(eye[codes][None])[0, -1].argmax()))
    expected = "".join("abcdefgh"[k] for k in codes[1:])
    assert generate(model, "a", 30, temperature=1e-9, seed=123).continuation == expected


def test_probabilities_are_those_of_the_tempered_softmax():
    model = Model.create(text_spec("rnn_tanh", vocab="xyz"), seed=1)
    g = generate(model, "x", 5, temperature=0.5, seed=0)
    eye = np.eye(3)
    codes = [0] + ["xyz".index(ch) for ch in g.continuation]
    for i in range(5):
        z = model.predict(eye[codes[:i + 1]][None])[0, -1] / 0.5
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        assert g.probabilities[i] == pytest.approx(p[codes[i + 1]], rel=1e-10)


def test_trained_model_reproduces_its_repetitive_text(text_model_path):
    model = load_model(text_model_path)
    g = generate(model, "hello", 60, temperature=0.05, seed=0)
    assert g.text == (PHRASE * 6)[:65]


def test_default_prime():
    assert default_prime("ab\n ") == "\n" and default_prime("ab ") == " " and default_prime("xyz") == "x"
    model = Model.create(text_spec(vocab="ab "), seed=0)
    assert generate(model, None, 3, seed=0).prime == " "


@pytest.mark.parametrize("kwargs, error, words", [
    ({"temperature": 0}, ConfigError, "temperature"),
    ({"temperature": -1}, ConfigError, "temperature"),
    ({"temperature": float("nan")}, ConfigError, "temperature"),
    ({"temperature": float("inf")}, ConfigError, "temperature"),
    ({"prime": "aQbZQ"}, InputError, "'Q', 'Z'"),
    ({"prime": ""}, InputError, "at least one character"),
    ({"length": MAX_GENERATE_CHARS + 1}, ConfigError, "over the limit"),
    ({"length": -1}, ConfigError, "length"),
    ({"seed": -1}, ConfigError, "seed"),
])
def test_refusals_in_one_line(kwargs, error, words):
    model = Model.create(text_spec(), seed=0)
    args = {"prime": "ab", "length": 10, "temperature": 1.0, "seed": 0, **kwargs}
    with pytest.raises(error) as info:
        generate(model, **args)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_non_text_and_bidirectional_models_are_refused():
    plain = Model.create(ModelSpec(cell="lstm", input_size=3, hidden_size=4, output_size=3,
                                   loss="cross_entropy"), seed=0)
    with pytest.raises(InputError, match="not trained on a text"):
        generate(plain, "a", 5)
    both = Model.create(text_spec(bidirectional=True), seed=0)
    with pytest.raises(RnnsimError, match="bidirectional"):
        generate(both, "a", 5)


# ---- the text corpus that needs no download -------------------------------------------------------
def test_python_source_corpus_is_the_librarys_own_lines_in_order():
    import sysconfig
    from pathlib import Path

    from rnnsim.data.corpus import ALPHABET, python_source_corpus
    text = python_source_corpus(5000)
    assert text == python_source_corpus(5000) and len(text) == 5000 and set(text) <= set(ALPHABET)
    assert python_source_corpus(9000).startswith(text)
    first = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"), key=lambda p: p.name)[0]
    kept = [line for line in first.read_text(encoding="utf-8").splitlines()
            if all(32 <= ord(ch) < 127 for ch in line)]
    expected = "".join(line + "\n" for line in kept)
    assert text[:200] == expected[:200]


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, 1 << 40])
def test_python_source_corpus_refuses_bad_sizes(bad):
    from rnnsim.data.corpus import python_source_corpus
    from rnnsim.errors import DataError
    with pytest.raises(DataError):
        python_source_corpus(bad)


def test_python_source_task_trains_a_text_model_that_generates(tmp_path):
    from rnnsim.data import make_task
    dataset, task = make_task("python-source", max_bytes=3000, window=20)
    assert dataset.x.shape == (2999 // 20, 20, 96) and dataset.meta["vocab"][0] == "\n"
    out = tmp_path / "py.npz"
    assert main(["train", "--task", "python-source", "--option", "max_bytes=3000", "--option", "window=20",
                 "--hidden", "16", "--steps", "3", "--out", str(out), "--json"]) == 0
    g = generate(load_model(out), "def ", 50, 1.0, 0)
    assert len(g.continuation) == 50 and set(g.continuation) <= set(dataset.meta["vocab"])
