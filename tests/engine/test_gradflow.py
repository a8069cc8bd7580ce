"""The gradient over time (rnnsim.gradflow) against BPTT by hand and against central differences."""
import numpy as np
import pytest

from rnnsim import Model, ModelSpec
from rnnsim.data import make_task
from rnnsim.errors import ConfigError
from rnnsim.gradflow import curves_at_points, describe, gradient_over_time
from rnnsim.landscape import parameter_plane

from test_lesson003 import lesson_bptt
from test_landscape import LESSON_POINTS, W_REC, W_X, counter


def test_the_lessons_six_curves_by_hand():
    data, _ = make_task("bitcount", seed=0)
    model = counter()
    plane = parameter_plane(model, W_X, W_REC)
    curves = curves_at_points(model, data.x, data.y, plane, LESSON_POINTS)
    words = {}
    for (w_x, w_rec), curve in zip(LESSON_POINTS, curves):
        _, _, _, dS = lesson_bptt(data.x[:, :, 0], data.y[:, 0], w_x, w_rec)
        assert curve.signed and list(curve.k) == list(range(11))
        np.testing.assert_allclose(curve.values, dS.sum(axis=0), rtol=1e-12, atol=0)
        words[(w_x, w_rec)] = describe(curve)
    assert words[(2, 1)] == "stays constant"
    assert words[(1, 2)].startswith("explodes") and "alternates" not in words[(1, 2)]
    assert words[(1, -2)].startswith("explodes") and words[(1, -2)].endswith("alternates sign")
    assert words[(1, 0)] == "dies at once"
    assert words[(1, 0.5)].startswith("vanishes") and "alternates" not in words[(1, 0.5)]
    assert words[(1, -0.5)].startswith("vanishes") and words[(1, -0.5)].endswith("alternates sign")
    assert [c.label for c in curves] == ["(2, 1)", "(1, 2)", "(1, -2)", "(1, 0)", "(1, 0.5)", "(1, -0.5)"]


def _loss_with_state_nudged(model, x, y, k, unit, eps):
    """L when h(k) of every sequence is moved by eps in ``unit`` — by running the cell by hand (tanh RNN)."""
    p = model.params
    n, steps, _ = x.shape
    h = np.zeros((n, model.spec.hidden_size))
    if k == 0:
        h[:, unit] += eps
    for t in range(steps):
        h = np.tanh(x[:, t] @ p["rnn.weight_ih_l0"].T + p["rnn.bias_ih_l0"] + h @ p["rnn.weight_hh_l0"].T
                    + p["rnn.bias_hh_l0"])
        if t + 1 == k:
            h[:, unit] += eps
    out = h @ p["fc.weight"].T + p["fc.bias"]
    return np.mean((out - y) ** 2)


def test_norm_curve_equals_central_differences_of_the_states():
    rng = np.random.default_rng(0)
    spec = ModelSpec(cell="rnn_tanh", input_size=2, hidden_size=3, output="last", output_size=1)
    model = Model.create(spec, seed=4)
    x, y = rng.normal(size=(1, 5, 2)), rng.normal(size=(1, 1))
    curve = gradient_over_time(model, x, y)
    assert not curve.signed and curve.values.shape == (6,)
    eps = 1e-6
    for k in range(6):
        g = [(_loss_with_state_nudged(model, x, y, k, u, eps) - _loss_with_state_nudged(model, x, y, k, u, -eps))
             / (2 * eps) for u in range(3)]
        assert curve.values[k] == pytest.approx(np.linalg.norm(g), rel=1e-6)


def test_layers_and_directions():
    rng = np.random.default_rng(1)
    spec = ModelSpec(cell="gru", input_size=1, hidden_size=2, num_layers=2, bidirectional=True, output="sequence",
                     output_size=1)
    model = Model.create(spec, seed=0)
    x, y = rng.normal(size=(3, 4, 1)), rng.normal(size=(3, 4, 1))
    top = gradient_over_time(model, x, y)
    assert (top.layer, top.direction) == (1, 0)
    back = gradient_over_time(model, x, y, layer=0, direction=1)
    assert back.values.shape == (5,) and np.all(np.isfinite(back.values))
    with pytest.raises(ConfigError, match="layer"):
        gradient_over_time(model, x, y, layer=2)
    with pytest.raises(ConfigError, match="direction"):
        gradient_over_time(counter(), x[:, :, :1], y[:, -1], direction=1)
    with pytest.raises(ConfigError, match="labels"):
        curves_at_points(counter(), x, y[:, -1], parameter_plane(counter(), W_X, W_REC), [(1, 1)], labels=[])
