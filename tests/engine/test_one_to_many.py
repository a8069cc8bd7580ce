"""One-to-many and one-to-one as named shapes: the sine-from-start task in its two input modes, and xor as
the one-to-one task."""
from __future__ import annotations

import numpy as np
import pytest

from rnnsim import recipe
from rnnsim.data import make_task
from rnnsim.data.one_to_many import SINE_PERIOD, sine_from_start_target
from rnnsim.errors import DataError
from rnnsim.train import Trainer


@pytest.mark.parametrize("mode", ["first", "repeat"])
def test_shapes_and_input_modes(mode):
    ds, task = make_task("sine-from-start", seed=3, n=40, steps=9, inputs=mode)
    assert ds.x.shape == (40, 9, 2) and ds.y.shape == (40, 9, 1)
    assert ds.output == "sequence" and ds.loss == "mse" and ds.accuracy is None
    assert ds.inputs == mode
    np.testing.assert_allclose(np.hypot(ds.x[:, 0, 0], ds.x[:, 0, 1]), 1.0)   # (sin φ, cos φ)
    if mode == "first":
        assert ds.shape_name == "one-to-many (input at the first step)"
        assert not np.any(ds.x[:, 1:])
    else:
        assert ds.shape_name == "one-to-many (input repeated)"
        np.testing.assert_array_equal(ds.x, np.broadcast_to(ds.x[:, :1], ds.x.shape))
    spec = task.suggest_spec(ds)
    assert (spec.cell, spec.hidden_size, spec.input_size, spec.output_size) == ("rnn_tanh", 16, 2, 1)
    assert spec.output == "sequence" and spec.loss == "mse"


def test_default_mode_is_first_and_shape_names():
    ds, _ = make_task("sine-from-start")
    assert ds.inputs == "first" and ds.steps == 12 and ds.size == 256
    xor, _ = make_task("xor", points=1)
    assert xor.steps == 1 and xor.shape_name == "one-to-one"
    bits, _ = make_task("temporal-xor")
    assert bits.shape_name == "many-to-many"
    count, _ = make_task("bitcount")
    assert count.shape_name == "many-to-one"


def test_deterministic_in_its_seed():
    a, _ = make_task("sine-from-start", seed=7)
    b, _ = make_task("sine-from-start", seed=7)
    c, _ = make_task("sine-from-start", seed=8)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


def test_target_is_the_sine_continued_from_the_start_angle():
    ds, task = make_task("sine-from-start", seed=1, n=30, steps=15)
    phase = np.arctan2(ds.x[:, 0, 0], ds.x[:, 0, 1])
    omega = 2 * np.pi / SINE_PERIOD
    for i in range(3):
        for t in range(1, 16):                                  # independent: one value at a time
            assert ds.y[i, t - 1, 0] == pytest.approx(np.sin(phase[i] + omega * t), abs=1e-12)
    np.testing.assert_array_equal(task.target_for(ds.x, ds), ds.y)
    # a period later the wave repeats; a typed pair off the unit circle names the same angle
    long_x = np.zeros((1, 2 * SINE_PERIOD, 2))
    long_x[0, 0] = [3.0, 0.0]                                   # φ = π/2: sin(π/2 + ωt) = cos(ωt)
    y = sine_from_start_target(long_x)[0, :, 0]
    np.testing.assert_allclose(y, np.cos(omega * np.arange(1, 2 * SINE_PERIOD + 1)), atol=1e-12)
    np.testing.assert_allclose(y[:SINE_PERIOD], y[SINE_PERIOD:], atol=1e-12)
    assert task.target_for(np.zeros((2, 4, 2))) is None          # (0, 0) names no angle
    assert task.target_for(np.ones((1, 4, 1))) is None           # one value per step: not this task's input


@pytest.mark.parametrize("options, words", [
    ({"inputs": "every"}, "'first' or 'repeat'"),
    ({"steps": 0}, "option 'steps'"),
    ({"n": 2.5}, "option 'n'"),
    ({"n": True}, "option 'n'"),
])
def test_bad_options_are_refused(options, words):
    with pytest.raises(DataError, match=words):
        make_task("sine-from-start", **options)


@pytest.mark.parametrize("mode, measured", [("first", 1.0e-4), ("repeat", 2.8e-4)])
def test_the_suggested_model_learns_the_wave(mode, measured):
    """Seed 0, the suggested tanh RNN of 16 units, Adam lr 0.01, batches of 32, 30 epochs: the mean squared
    error falls from about 0.52 to the measured value (kept within ×3); seeds 1–3 end below 0.001 too."""
    ds, task = make_task("sine-from-start", seed=0, inputs=mode)
    config = recipe.build_config(task.training, {"seed": 0})
    model = recipe.build_model(task.suggest_spec(ds), task.training["init"], seed=0)
    trainer = Trainer(model, ds, config)
    trainer.run()
    losses = trainer.history.train_loss
    assert trainer.epoch == 30
    assert losses[0] > 0.4
    assert losses[-1] < 3 * measured
    prediction = model.predict(ds.x)
    assert float(np.mean((prediction - ds.y) ** 2)) < 3 * measured
