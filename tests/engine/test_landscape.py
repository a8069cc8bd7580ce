"""The cost surface (rnnsim.landscape): every grid value equals the model's own loss at that point."""
import numpy as np
import pytest

from rnnsim import Model, ModelSpec
from rnnsim.data import make_task
from rnnsim.errors import ConfigError, InputError
from rnnsim.landscape import (Unit, check_scalar, direction_plane, grid_axis, loss_surface, parameter_plane,
                              plane_losses, scalar_parameters)

W_X, W_REC = ("rnn.weight_ih_l0", (0, 0)), ("rnn.weight_hh_l0", (0, 0))
LESSON_POINTS = [(2, 1), (1, 2), (1, -2), (1, 0), (1, 0.5), (1, -0.5)]


def counter(w_x=-1.5, w_rec=2.0) -> Model:
    spec = ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", loss="mse", bias=False,
                     output_size=None)
    return Model(spec, {"rnn.weight_ih_l0": np.array([[w_x]]), "rnn.weight_hh_l0": np.array([[w_rec]])})


def test_counter_surface_at_the_lessons_points():
    """The six marked points of the counting-ones tutorial, on the bitcount task's data (seed 0)."""
    data, _ = make_task("bitcount", seed=0)
    model = counter()
    plane = parameter_plane(model, W_X, W_REC)
    a, b = np.array(LESSON_POINTS, dtype=float).T
    got = plane_losses(model, data.x, data.y, plane, a, b)
    want = [counter(p, q).loss(data.x, data.y) for p, q in LESSON_POINTS]
    np.testing.assert_allclose(got, want, rtol=1e-13)
    np.testing.assert_allclose(got, [33.45, 4.87316e5, 1.27753e5, 27.75, 22.2330, 29.6490], rtol=1e-5)
    # the grid: 0 at the optimum (1, 1), exactly, and the same values as one point at a time
    axis = grid_axis(-3, 3, 7, "w_x")
    surface = loss_surface(model, data.x, data.y, plane, axis, axis)
    assert surface.loss.shape == (7, 7) and surface.complete
    assert surface.loss[4, 4] == 0.0                                 # (a, b) = (1, 1)
    for j, bv in enumerate(axis):
        for i, av in enumerate(axis):
            assert surface.loss[j, i] == pytest.approx(counter(av, bv).loss(data.x, data.y), rel=1e-12)


def test_parameter_plane_keeps_the_other_weights_and_reads_coordinates():
    model = Model.create(ModelSpec(cell="rnn_tanh", input_size=2, hidden_size=3, output_size=2), seed=1)
    p, q = ("rnn.weight_hh_l0", (1, 2)), ("fc.bias", (0,))
    plane = parameter_plane(model, p, q)
    assert plane.axes == ("rnn.weight_hh_l0[1,2]", "fc.bias[0]")
    assert plane.coordinates(model.params) == (model.params[p[0]][p[1]], model.params[q[0]][q[1]])
    moved = plane.params_at(0.25, -3.0)
    assert moved[p[0]][p[1]] == 0.25 and moved[q[0]][q[1]] == -3.0
    for name, value in model.params.items():
        mask = np.ones(value.shape, bool)
        for n, idx in (p, q):
            if n == name:
                mask[idx] = False
        np.testing.assert_array_equal(moved[name][mask], value[mask])


SPECS = [
    dict(cell="rnn_tanh", input_size=2, hidden_size=3, output_size=2, output="sequence"),
    dict(cell="rnn_relu", input_size=2, hidden_size=3, num_layers=2, output_size=1, output="last"),
    dict(cell="lstm", input_size=2, hidden_size=3, output_size=3, output="last", loss="cross_entropy"),
    dict(cell="gru", input_size=2, hidden_size=2, bidirectional=True, output_size=2, output="sequence",
         loss="cross_entropy", reduction="sum"),
    dict(cell="lstm", input_size=2, hidden_size=2, num_layers=2, bidirectional=True, output_size=1, output="last"),
    dict(cell="rnn_sigmoid", input_size=2, hidden_size=4, output_size=None, output="sequence", bias=False),
    dict(cell="rnn_softplus", input_size=2, hidden_size=3, num_layers=2, output_size=2, output="sequence",
         loss="mae"),
    dict(cell="rnn_hard_sigmoid", input_size=2, hidden_size=3, bidirectional=True, output_size=1, output="last",
         loss="mae", reduction="sum", output_activation="sigmoid"),
    dict(cell="gru", input_size=2, hidden_size=2, output_size=None, output="last", loss="mae"),
]


def _data(spec, rng, n=5, steps=4):
    x = rng.normal(size=(n, steps, spec.input_size))
    out = spec.output_size or spec.hidden_size * spec.directions
    shape = (n, steps) if spec.output == "sequence" else (n,)
    if spec.loss == "cross_entropy":
        return x, rng.integers(0, out, size=shape)
    return x, rng.normal(size=shape + (out,))


@pytest.mark.parametrize("fields", SPECS, ids=lambda f: f"{f['cell']}-{f.get('num_layers', 1)}-{f['output']}")
def test_every_network_kind_matches_its_own_loss(fields):
    rng = np.random.default_rng(7)
    spec = ModelSpec(**fields)
    model = Model.create(spec, seed=3)
    x, y = _data(spec, rng)
    names = scalar_parameters(spec)
    planes = [parameter_plane(model, names[0], names[-1]), parameter_plane(model, names[len(names) // 2], names[1]),
              direction_plane(model, seed=5)]
    a, b = rng.uniform(-1.5, 1.5, size=(2, 9))
    for plane in planes:
        got = plane_losses(model, x, y, plane, a, b, l2=0.01)
        for g, av, bv in zip(got, a, b):
            params = plane.params_at(av, bv)
            want = Model(spec, params).loss(x, y) + 0.005 * sum(np.sum(w * w) for k, w in params.items()
                                                               if ".weight" in k)
            assert g == pytest.approx(want, rel=1e-11)


def test_direction_plane_is_filter_normalised_seeded_and_passes_through_the_model():
    model = Model.create(ModelSpec(cell="lstm", input_size=3, hidden_size=4, output_size=2), seed=0)
    plane = direction_plane(model, seed=11)
    again = direction_plane(model, seed=11)
    other = direction_plane(model, seed=12)
    assert plane.kind == "directions" and plane.seed == 11
    for name, w in model.params.items():
        if ".weight" in name:
            for d in (plane.d1[name], plane.d2[name]):
                np.testing.assert_allclose(np.linalg.norm(d, axis=1), np.linalg.norm(w, axis=1), rtol=1e-9)
            np.testing.assert_array_equal(plane.d1[name], again.d1[name])
            assert not np.array_equal(plane.d1[name], other.d1[name])
        else:
            assert name not in plane.d1 and name not in plane.d2       # biases do not move
    at_origin = plane.params_at(0.0, 0.0)
    for name, w in model.params.items():
        np.testing.assert_array_equal(at_origin[name], w)
    a, b = plane.coordinates(plane.params_at(0.3, -0.7))
    assert (a, b) == (pytest.approx(0.3, abs=1e-12), pytest.approx(-0.7, abs=1e-12))


def test_progress_reports_chunks_and_can_stop(monkeypatch):
    import rnnsim.landscape as landscape
    monkeypatch.setattr(landscape, "WORK_BUDGET", 2000)           # many small chunks
    data, _ = make_task("bitcount", seed=0)
    model = counter()
    plane = parameter_plane(model, W_X, W_REC)
    axis = grid_axis(0, 2, 20, "w")
    calls = []
    full = loss_surface(model, data.x, data.y, plane, axis, axis, progress=lambda d, t: calls.append((d, t)))
    assert full.complete and len(calls) > 3 and calls[-1] == (400, 400)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    stopped = loss_surface(model, data.x, data.y, plane, axis, axis, progress=lambda d, t: d < 100)
    assert not stopped.complete
    flat = stopped.loss.ravel()
    assert np.isnan(flat[-1]) and np.all(np.isfinite(flat[:100]))
    np.testing.assert_array_equal(flat[:100], full.loss.ravel()[:100])


def test_scalar_parameters_list_every_number():
    spec = ModelSpec(cell="gru", input_size=2, hidden_size=3, output_size=1)
    names = scalar_parameters(spec)
    assert len(names) == sum(int(np.prod(s)) for s in spec.param_shapes().values())
    assert names[0].label == "rnn.weight_ih_l0[0,0]"
    assert check_scalar(spec, ("fc.bias", 0)).index == (0,)


@pytest.mark.parametrize("bad, words", [
    (("rnn.weight_xx_l0", (0, 0)), "no parameter"),
    (("rnn.weight_hh_l0", (0, 1)), "not inside"),
    (("rnn.weight_hh_l0", (0,)), "not inside"),
    (("rnn.weight_hh_l0", (True, 0)), "not inside"),
])
def test_refuses_parameters_that_do_not_exist(bad, words):
    with pytest.raises(ConfigError, match=words):
        parameter_plane(counter(), bad, W_X)


def test_refuses_bad_grids_and_data():
    model = counter()
    data, _ = make_task("bitcount", seed=0)
    plane = parameter_plane(model, W_X, W_REC)
    with pytest.raises(ConfigError, match="two different"):
        parameter_plane(model, W_X, W_X)
    for lo, hi, n in ((1, 1, 10), (0, float("nan"), 10), (0, 1, 1), (0, 1, 10**6), (0, 1, 2.5)):
        with pytest.raises(ConfigError):
            grid_axis(lo, hi, n, "w_x")
    with pytest.raises(ConfigError, match="at most"):
        loss_surface(model, data.x, data.y, plane, np.zeros(1000), np.zeros(1000))
    with pytest.raises(ConfigError, match="finite"):
        plane_losses(model, data.x, data.y, plane, [np.nan], [0.0])
    with pytest.raises(InputError):
        plane_losses(model, data.x[:, :, :0], data.y, plane, [0.0], [0.0])
    other = Model.create(ModelSpec(cell="rnn_tanh", input_size=1, hidden_size=2), seed=0)
    with pytest.raises(ConfigError, match="another network"):
        plane_losses(other, data.x, data.y, plane, [0.0], [0.0])
    with pytest.raises(ConfigError, match="seed"):
        direction_plane(model, seed=-1)


def test_a_cliff_is_a_value_not_a_warning():
    data, _ = make_task("bitcount", seed=0)
    model = counter()
    plane = parameter_plane(model, W_X, W_REC)
    got = plane_losses(model, data.x, data.y, plane, [1.0], [1e40])
    assert np.isinf(got[0]) or np.isnan(got[0])


def test_unit_direction_is_one_number():
    plane = parameter_plane(counter(), W_X, W_REC)
    assert plane.d1 == {"rnn.weight_ih_l0": Unit((0, 0))}


def test_put_moves_only_the_planes_two_weights_or_goes_to_the_direction_point():
    model = Model.create(ModelSpec(cell="gru", input_size=2, hidden_size=2, output_size=1), seed=2)
    plane = parameter_plane(model, ("rnn.weight_hh_l0", (1, 0)), ("fc.weight", (0, 1)))
    later = {k: v + 1.0 for k, v in model.params.items()}           # the model trained on since
    moved = plane.put(later, 0.5, -0.5)
    assert moved["rnn.weight_hh_l0"][1, 0] == 0.5 and moved["fc.weight"][0, 1] == -0.5
    moved["rnn.weight_hh_l0"][1, 0] = later["rnn.weight_hh_l0"][1, 0]
    moved["fc.weight"][0, 1] = later["fc.weight"][0, 1]
    for name, value in later.items():
        np.testing.assert_array_equal(moved[name], value)
    assert later["fc.weight"][0, 1] == model.params["fc.weight"][0, 1] + 1.0      # not changed in place
    directions = direction_plane(model, seed=1)
    for name, value in directions.put(later, 0.2, 0.3).items():
        np.testing.assert_array_equal(value, directions.params_at(0.2, 0.3)[name])
