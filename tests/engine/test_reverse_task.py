"""The N-to-M task 'reverse', training an encoder–decoder on it, and decoding without teacher forcing."""
import numpy as np
import pytest

from rnnsim import Model, ModelSpec, recipe
from rnnsim.config import TrainConfig
from rnnsim.data.seq2seq_tasks import START, make_reverse, start_input, teacher_inputs
from rnnsim.data.tasks import make_task
from rnnsim.errors import ConfigError, DataError, InputError
from rnnsim.seq2seq import decode
from rnnsim.train import Trainer


def test_the_data_are_digits_their_reversal_and_the_teacher_inputs():
    ds = make_reverse(seed=3, n=50, length=4)
    digits = ds.x.argmax(axis=2)
    np.testing.assert_array_equal(ds.y, digits[:, ::-1])
    assert ds.decoder_x.shape == (50, 4, 11) and ds.shape_name.startswith("N-to-M")
    assert np.all(ds.decoder_x[:, 0].argmax(axis=1) == START)
    np.testing.assert_array_equal(ds.decoder_x[:, 1:].argmax(axis=2), ds.y[:, :-1])
    np.testing.assert_array_equal(ds.decoder_x.sum(axis=2), 1.0)
    np.testing.assert_array_equal(make_reverse(seed=3, n=50, length=4).x, ds.x)
    with pytest.raises(DataError, match="length must be"):
        make_reverse(length=0)


def test_the_suggested_model_is_an_encoder_decoder():
    ds, task = make_task("reverse", seed=0, n=40)
    spec = task.suggest_spec(ds)
    assert spec.is_seq2seq and spec.decoder_inputs == 11 and spec.output_size == 10
    np.testing.assert_array_equal(task.target_for(ds.x, ds), ds.y)


def test_training_learns_to_reverse_and_decoding_alone_reverses_new_sequences():
    ds, task = make_task("reverse", seed=0, n=600, length=4)
    model = recipe.build_model(task.suggest_spec(ds), "pytorch", 0)
    config = recipe.build_config(task.training, {"epochs": 15})
    trainer = Trainer(model, ds, config)
    trainer.run()
    assert trainer.history.val_accuracy[-1] > 0.9          # teacher-forced, per digit
    fresh = make_reverse(seed=99, n=200, length=4)
    result = decode(model, fresh.x, start_input(), 4)
    assert np.mean(result.classes == fresh.y) > 0.85        # on its own outputs
    # what decode fed back is one-hot of its own choices after the start symbol
    np.testing.assert_array_equal(result.decoder_inputs[:, 1:].argmax(axis=2), result.classes[:, :-1])
    # and teacher forcing with those inputs gives exactly the same outputs
    np.testing.assert_allclose(model.predict(fresh.x, decoder_input=result.decoder_inputs), result.outputs,
                               rtol=0, atol=1e-13)


def test_a_regression_model_feeds_back_its_outputs():
    spec = ModelSpec(cell="lstm", input_size=1, hidden_size=4, num_layers=2, output_size=2,
                     architecture="encoder_decoder")
    model = Model.create(spec, seed=1)
    x = np.random.default_rng(0).standard_normal((3, 5, 1))
    r = decode(model, x, [0.5, -0.5], 6)
    np.testing.assert_array_equal(r.decoder_inputs[:, 1:], r.outputs[:, :-1])
    assert r.classes is None


def test_decoding_refusals():
    model = Model.create(ModelSpec(cell="gru", input_size=1, hidden_size=2, output_size=2, loss="cross_entropy",
                                   architecture="encoder_decoder", decoder_input_size=3))
    x = np.zeros((2, 3, 1))
    with pytest.raises(InputError, match="start input must be 3"):
        decode(model, x, [1.0], 2)
    with pytest.raises(InputError, match="steps must be"):
        decode(model, x, [0, 0, 1.0], 0)
    narrow = Model.create(ModelSpec(cell="gru", input_size=1, hidden_size=2, output_size=4, loss="cross_entropy",
                                    architecture="encoder_decoder", decoder_input_size=3))
    with pytest.raises(ConfigError, match="too few"):
        decode(narrow, x, [0, 0, 1.0], 2)
    with pytest.raises(ConfigError, match="encoder_decoder"):
        decode(Model.create(ModelSpec(cell="gru", input_size=1, hidden_size=2)), x, [0.0], 2)


def test_the_trainer_refuses_mismatched_data_and_models():
    ds, task = make_task("reverse", seed=0, n=20)
    plain = Model.create(ModelSpec(cell="gru", input_size=10, hidden_size=4, output_size=10, loss="cross_entropy"))
    with pytest.raises(ConfigError, match="choose the encoder–decoder"):
        Trainer(plain, ds, TrainConfig())
    seq2seq = recipe.build_model(task.suggest_spec(ds), "pytorch", 0)
    with pytest.raises(ConfigError, match="truncated BPTT"):
        Trainer(seq2seq, ds, TrainConfig(truncate=2))
    sine, _ = make_task("sine", seed=0)
    other = Model.create(ModelSpec(cell="gru", input_size=sine.input_size, hidden_size=4, output_size=1,
                                   architecture="encoder_decoder"))
    with pytest.raises(ConfigError, match="no decoder inputs|has none"):
        Trainer(other, sine, TrainConfig())


def test_teacher_inputs_shift_the_targets():
    d = teacher_inputs(np.array([[3, 1, 4]]))
    np.testing.assert_array_equal(d[0].argmax(axis=1), [START, 3, 1])
    assert start_input().argmax() == START


def test_a_session_file_keeps_the_encoder_decoder_and_its_probe(tmp_path):
    from rnnsim import session_file as sf
    ds, task = make_task("reverse", seed=0, n=60, length=3)
    model = recipe.build_model(task.suggest_spec(ds), "pytorch", 0)
    trainer = Trainer(model, ds, recipe.build_config(task.training, {"epochs": 2}))
    trainer.run(max_steps=3)
    probe = trainer.probe
    state = sf.SessionData(model.spec, model.params, trainer.config,
                           {"kind": "task", "name": "reverse", "seed": 0, "options": {"n": 60, "length": 3}},
                           trainer.history, probe=probe, progress=sf.capture_progress(trainer))
    sf.save(tmp_path / "s2s.npz", state)
    back = sf.load(tmp_path / "s2s.npz")
    assert back.spec == model.spec and back.spec.is_seq2seq
    for got, want in zip(back.probe, probe):
        np.testing.assert_array_equal(got, want)
    assert len(back.probe) == 3
