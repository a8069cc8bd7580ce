"""Engine invariants: kernels step-by-step vs whole sequence, predict vs network, init schemes, clipping,
input validation, gradient names and shapes."""
import numpy as np
import pytest

import rnnsim
from rnnsim import ConfigError, InputError, Model, ModelSpec, network
from rnnsim.cells import elman, gru, lstm
from rnnsim.clip import clip_by_norm, clip_by_value, global_norm
from rnnsim.init import SCHEMES, initialise

CELLS = ("linear", "rnn_tanh", "rnn_relu", "rnn_sigmoid", "lstm", "gru")
ACTS = {"linear": elman.IDENTITY, "rnn_tanh": elman.TANH, "rnn_relu": elman.RELU, "rnn_sigmoid": elman.SIGMOID}
T, B, H = 7, 3, 4


def _kernel_inputs(blocks, seed=0):
    rng = np.random.default_rng(seed)
    xproj = rng.standard_normal((T, B, blocks * H))
    w_hh_t = np.ascontiguousarray(rng.uniform(-0.8, 0.8, (blocks * H, H)).T)
    b_hh = rng.standard_normal(blocks * H) * 0.3
    h0 = rng.standard_normal((B, H)) * 0.5
    c0 = rng.standard_normal((B, H)) * 0.5
    return xproj, w_hh_t, b_hh, h0, c0


# ---- one step at a time == whole sequence ------------------------------------------------------

@pytest.mark.parametrize("cell", list(ACTS))
def test_elman_stepwise_equals_sequence(cell):
    xproj, w_hh_t, b_hh, h0, _ = _kernel_inputs(1)
    act = ACTS[cell]
    whole = np.empty((T, B, H))
    elman.forward(xproj, w_hh_t, b_hh, h0, act, whole)
    steps = np.empty((T, B, H))
    h_prev = h0
    for t in range(T):
        elman.forward(xproj[t:t + 1], w_hh_t, b_hh, h_prev, act, steps[t:t + 1])
        h_prev = steps[t]
    np.testing.assert_array_equal(steps, whole)
    if cell == "rnn_relu":
        assert (whole == 0).any() and (whole > 0).any()      # both sides of the kink were visited


def test_lstm_stepwise_equals_sequence():
    xproj, w_hh_t, b_hh, h0, c0 = _kernel_inputs(4)
    whole = [np.empty((T, B, H)), np.empty((T, B, H)), np.empty((T, B, 4 * H)), np.empty((T, B, H))]
    lstm.forward(xproj, w_hh_t, b_hh, h0, c0, *whole)
    steps = [np.empty_like(a) for a in whole]
    h_prev, c_prev = h0, c0
    for t in range(T):
        lstm.forward(xproj[t:t + 1], w_hh_t, b_hh, h_prev, c_prev, *[a[t:t + 1] for a in steps])
        h_prev, c_prev = steps[0][t], steps[1][t]
    for name, a, b in zip(("h", "c", "gates", "tanh_c"), steps, whole):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_gru_stepwise_equals_sequence():
    xproj, w_hh_t, b_hh, h0, _ = _kernel_inputs(3)
    whole = [np.empty((T, B, H)), np.empty((T, B, 3 * H)), np.empty((T, B, H))]
    gru.forward(xproj, w_hh_t, b_hh, h0, *whole)
    steps = [np.empty_like(a) for a in whole]
    h_prev = h0
    for t in range(T):
        gru.forward(xproj[t:t + 1], w_hh_t, b_hh, h_prev, *[a[t:t + 1] for a in steps])
        h_prev = steps[0][t]
    for name, a, b in zip(("h", "gates", "hn"), steps, whole):
        np.testing.assert_array_equal(a, b, err_msg=name)


def _numpy_reference(cell, xproj, w_hh_t, b_hh, h0, c0):
    """The cell equations written plainly in numpy (PyTorch's formulas)."""
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))
    h, c, out = h0, c0, []
    for t in range(xproj.shape[0]):
        pre_h = h @ w_hh_t + b_hh
        if cell in ACTS:
            v = xproj[t] + pre_h
            h = {"linear": v, "rnn_tanh": np.tanh(v), "rnn_relu": np.maximum(v, 0.0), "rnn_sigmoid": sig(v)}[cell]
        elif cell == "lstm":
            i, f, g, o = np.split(xproj[t] + pre_h, 4, axis=1)
            c = sig(f) * c + sig(i) * np.tanh(g)
            h = sig(o) * np.tanh(c)
        else:
            xr, xz, xn = np.split(xproj[t], 3, axis=1)
            hr, hz, hn = np.split(pre_h, 3, axis=1)
            r, z = sig(xr + hr), sig(xz + hz)
            n = np.tanh(xn + r * hn)
            h = (1 - z) * n + z * h
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("cell", CELLS)
def test_kernels_match_plain_numpy(cell):
    blocks = {"lstm": 4, "gru": 3}.get(cell, 1)
    xproj, w_hh_t, b_hh, h0, c0 = _kernel_inputs(blocks, seed=3)
    h = np.empty((T, B, H))
    if cell in ACTS:
        elman.forward(xproj, w_hh_t, b_hh, h0, ACTS[cell], h)
    elif cell == "lstm":
        lstm.forward(xproj, w_hh_t, b_hh, h0, c0, h, np.empty((T, B, H)), np.empty((T, B, 4 * H)),
                     np.empty((T, B, H)))
    else:
        gru.forward(xproj, w_hh_t, b_hh, h0, h, np.empty((T, B, 3 * H)), np.empty((T, B, H)))
    np.testing.assert_allclose(h, _numpy_reference(cell, xproj, w_hh_t, b_hh, h0, c0), rtol=1e-13, atol=1e-14)


# ---- predict == network.forward; direction semantics ----------------------------------------------

def _model(cell, layers=2, bidirectional=True, output="sequence", output_size=3, loss="mse", seed=0, **kw):
    spec = ModelSpec(cell=cell, input_size=2, hidden_size=H, num_layers=layers, bidirectional=bidirectional,
                     output_size=output_size, output=output, loss=loss, **kw)
    return Model.create(spec, seed=seed)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("output", ["sequence", "last"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("output_size", [None, 3])
def test_predict_equals_network_forward(cell, output, bidirectional, output_size):
    model = _model(cell, bidirectional=bidirectional, output=output, output_size=output_size)
    x = np.random.default_rng(1).standard_normal((B, T, 2))
    y = model.predict(x)
    fp = network.forward(model.spec, model.params, network.to_time_major(x))
    expected = fp.output.swapaxes(0, 1) if output == "sequence" else fp.output
    np.testing.assert_array_equal(y, expected)
    out = output_size or H * (2 if bidirectional else 1)
    assert y.shape == ((B, T, out) if output == "sequence" else (B, out))
    assert y.shape == model.output_shape(B, T)
    # predict does not depend on the other sequences of the batch
    np.testing.assert_allclose(model.predict(x[1:2])[0], y[1], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("cell", CELLS)
def test_last_is_sequence_at_last_step(cell):
    seq = _model(cell, output="sequence")
    last = Model(ModelSpec(cell=cell, input_size=2, hidden_size=H, num_layers=2, bidirectional=True,
                           output_size=3, output="last"), seq.state_dict())
    x = np.random.default_rng(2).standard_normal((B, T, 2))
    np.testing.assert_array_equal(last.predict(x), seq.predict(x)[:, -1, :])


@pytest.mark.parametrize("cell", CELLS)
def test_bidirectional_last_reverse_half_read_only_last_input(cell):
    """out[:, -1, H:] is the backward direction after its first step: it saw only x(T) (PyTorch)."""
    model = _model(cell, layers=1, output="last", output_size=None)
    x = np.random.default_rng(3).standard_normal((B, T, 2))
    full = model.predict(x)
    only_last = model.predict(x[:, -1:, :])
    np.testing.assert_allclose(full[:, H:], only_last[:, H:], rtol=1e-14, atol=1e-15)
    assert not np.allclose(full[:, :H], only_last[:, :H])


@pytest.mark.parametrize("cell", CELLS)
def test_reverse_direction_is_forward_on_flipped_input(cell):
    bi = _model(cell, layers=1, output_size=None)
    uni = Model(ModelSpec(cell=cell, input_size=2, hidden_size=H),
                {k.replace("_reverse", ""): v for k, v in bi.state_dict().items() if k.endswith("_reverse")})
    x = np.random.default_rng(4).standard_normal((B, T, 2))
    np.testing.assert_allclose(bi.predict(x)[:, :, H:], uni.predict(x[:, ::-1])[:, ::-1], rtol=1e-14, atol=1e-15)


# ---- initialisation -------------------------------------------------------------------------------

def _spec(cell="lstm", **kw):
    base = dict(cell=cell, input_size=3, hidden_size=H, num_layers=2, bidirectional=True, output_size=2)
    base.update(kw)
    return ModelSpec(**base)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("cell", CELLS)
def test_init_is_seeded(scheme, cell):
    spec = _spec(cell)
    a, b = initialise(spec, scheme, seed=7), initialise(spec, scheme, seed=7)
    assert list(a) == list(spec.param_shapes())
    for name, shape in spec.param_shapes().items():
        assert a[name].shape == shape and a[name].dtype == np.float64
        np.testing.assert_array_equal(a[name], b[name])
        assert np.all(np.isfinite(a[name]))
    ma, mb = Model.create(spec, init=scheme, seed=7), Model.create(spec, init=scheme, seed=7)
    for name in spec.param_shapes():
        np.testing.assert_array_equal(ma.params[name], mb.params[name])
    if scheme != "zeros":
        c = initialise(spec, scheme, seed=8)
        for name in spec.param_shapes():
            if scheme != "pytorch" and ".bias" in name:
                continue                              # xavier/orthogonal: zero biases whatever the seed
            assert not np.array_equal(a[name], c[name]), name


@pytest.mark.parametrize("cell", CELLS)
def test_zeros_init(cell):
    params = Model.create(_spec(cell), init="zeros", seed=3).state_dict()
    assert all(not v.any() for v in params.values())


@pytest.mark.parametrize("cell", CELLS)
def test_pytorch_init_bounds(cell):
    spec = _spec(cell)
    for name, value in initialise(spec, "pytorch", seed=0).items():
        fan = H * 2 if name.startswith("fc.") else H
        assert np.abs(value).max() <= 1 / np.sqrt(fan)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("forget_bias", [1.0, -2.5])
def test_lstm_forget_bias(scheme, forget_bias):
    spec = _spec("lstm")
    plain = initialise(spec, scheme, seed=4)
    params = initialise(spec, scheme, seed=4, forget_bias=forget_bias)
    names = [n for n in params if "bias_ih" in n]
    assert len(names) == 4                            # 2 layers × 2 directions
    for name, value in params.items():
        if "bias_ih" in name:
            np.testing.assert_array_equal(value[H:2 * H], forget_bias)
            np.testing.assert_array_equal(np.delete(value, np.s_[H:2 * H]), np.delete(plain[name], np.s_[H:2 * H]))
        elif "bias_hh" in name:
            np.testing.assert_array_equal(value[H:2 * H], 0.0)
            np.testing.assert_array_equal(np.delete(value, np.s_[H:2 * H]), np.delete(plain[name], np.s_[H:2 * H]))
        else:
            np.testing.assert_array_equal(value, plain[name])
    model = Model.create(spec, init=scheme, seed=4, forget_bias=forget_bias)
    np.testing.assert_array_equal(model.params["rnn.bias_ih_l1_reverse"][H:2 * H], forget_bias)


def test_forget_bias_needs_lstm_and_scheme_must_exist():
    with pytest.raises(ConfigError):
        initialise(_spec("gru"), "pytorch", forget_bias=1.0)
    with pytest.raises(ConfigError):
        initialise(_spec("lstm"), "he", seed=0)
    assert issubclass(ConfigError, rnnsim.RnnsimError)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("hidden", [1, 4, 7])
def test_orthogonal_recurrent_blocks(cell, hidden):
    spec = _spec(cell, hidden_size=hidden)
    params = initialise(spec, "orthogonal", seed=5)
    blocks = spec.gate_blocks
    names = [n for n in params if "weight_hh" in n]
    assert len(names) == 4
    for name in names:
        w = params[name]
        assert w.shape == (blocks * hidden, hidden)
        for k in range(blocks):
            q = w[k * hidden:(k + 1) * hidden]
            np.testing.assert_allclose(q @ q.T, np.eye(hidden), atol=1e-12, err_msg=f"{name} block {k}")
            np.testing.assert_allclose(q.T @ q, np.eye(hidden), atol=1e-12)
    for name, value in params.items():
        if ".bias" in name:
            assert not value.any()


# ---- clipping -------------------------------------------------------------------------------------

def _grads(scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return {"a": rng.standard_normal((3, 4)) * scale, "b": rng.standard_normal(5) * scale,
            "c": rng.standard_normal((2, 2, 2)) * scale}


@pytest.mark.parametrize("scale,max_norm", [(10.0, 1.0), (1.0, 0.5), (1e6, 5.0), (1e-3, 1e-4)])
def test_clip_by_norm_clips(scale, max_norm):
    grads = _grads(scale)
    before = {k: v.copy() for k, v in grads.items()}
    norm = np.sqrt(sum(np.sum(v * v) for v in before.values()))
    assert norm > max_norm
    arrays = {k: id(v) for k, v in grads.items()}
    returned = clip_by_norm(grads, max_norm)
    assert returned == pytest.approx(norm, rel=1e-14)
    assert {k: id(v) for k, v in grads.items()} == arrays          # in place
    factor = max_norm / (norm + 1e-6)                               # torch.nn.utils.clip_grad_norm_
    for k in grads:
        np.testing.assert_allclose(grads[k], before[k] * factor, rtol=1e-14)
    assert global_norm(grads) == pytest.approx(max_norm * norm / (norm + 1e-6), rel=1e-13)
    assert global_norm(grads) <= max_norm
    if norm >= 1.0:     # the +1e-6 only matters for tiny norms (PyTorch does the same)
        assert global_norm(grads) == pytest.approx(max_norm, rel=1e-6)


@pytest.mark.parametrize("scale", [0.0, 0.1])
def test_clip_by_norm_leaves_small_gradients(scale):
    grads = _grads(scale)
    before = {k: v.copy() for k, v in grads.items()}
    returned = clip_by_norm(grads, 5.0)
    assert returned == pytest.approx(global_norm(before), rel=1e-14, abs=0.0)
    for k in grads:
        np.testing.assert_array_equal(grads[k], before[k])


def test_clip_by_value():
    grads = _grads(3.0)
    before = {k: v.copy() for k, v in grads.items()}
    returned = clip_by_value(grads, 1.5)
    assert returned == pytest.approx(global_norm(before), rel=1e-14)
    for k in grads:
        np.testing.assert_array_equal(grads[k], np.clip(before[k], -1.5, 1.5))
        assert np.abs(grads[k]).max() <= 1.5
    assert any((np.abs(v) > 1.5).any() for v in before.values())
    small = _grads(0.01)
    kept = {k: v.copy() for k, v in small.items()}
    clip_by_value(small, 1.5)
    for k in small:
        np.testing.assert_array_equal(small[k], kept[k])


# ---- input validation -----------------------------------------------------------------------------

def _x(batch=2, steps=5, features=2, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, steps, features))


@pytest.mark.parametrize("x", [np.zeros((5, 2)), np.zeros((1, 2, 5, 2)), np.zeros(2), np.float64(1.0),
                               np.zeros((2, 5, 3)), np.zeros((2, 5, 1)), np.zeros((0, 5, 2)), np.zeros((2, 0, 2)),
                               "abc", [[["a", "b"]]]],
                         ids=["2d", "4d", "1d", "scalar", "3-features", "1-feature", "no-batch", "no-steps",
                              "string", "strings"])
def test_bad_input_shape(x):
    model = _model("gru")
    with pytest.raises(InputError):
        model.predict(x)
    with pytest.raises(InputError):
        model.loss_and_grads(x, np.zeros((2, 5, 3)))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_input(value):
    model = _model("lstm")
    x = _x()
    x[1, 2, 0] = value
    with pytest.raises(InputError, match="NaN"):
        model.predict(x)
    with pytest.raises(InputError):
        model.loss_and_grads(x, np.zeros((2, 5, 3)))


def test_list_input_accepted():
    model = _model("rnn_tanh")
    x = _x()
    np.testing.assert_array_equal(model.predict(x.tolist()), model.predict(x))
    np.testing.assert_array_equal(model.predict(x.astype(np.float32)), model.predict(x.astype(np.float32)
                                                                                       .astype(np.float64)))


@pytest.mark.parametrize("output", ["sequence", "last"])
def test_cross_entropy_targets(output):
    model = _model("gru", output=output, loss="cross_entropy", output_size=3)
    x = _x()
    shape = (2, 5) if output == "sequence" else (2,)
    good = np.random.default_rng(0).integers(0, 3, size=shape)
    loss, _ = model.loss_and_grads(x, good)
    assert np.isfinite(loss)
    # whole floats are accepted as class indices
    assert model.loss_and_grads(x, good.astype(np.float64))[0] == loss
    for bad in (np.full(shape, 3), np.full(shape, -1)):                 # out of range
        with pytest.raises(InputError, match="0..2"):
            model.loss_and_grads(x, bad)
    half = good.astype(np.float64)
    half.reshape(-1)[0] = 1.5
    with pytest.raises(InputError):
        model.loss_and_grads(x, half)
    nan = good.astype(np.float64)
    nan.reshape(-1)[0] = np.nan
    with pytest.raises(InputError):
        model.loss_and_grads(x, nan)
    for bad_shape in (shape + (3,), (3,) + shape[1:], (2, 4) if output == "sequence" else (2, 5)):
        with pytest.raises(InputError):
            model.loss_and_grads(x, np.zeros(bad_shape, dtype=int))
    with pytest.raises(InputError):
        model.loss_and_grads(x, np.full(shape, "a"))


@pytest.mark.parametrize("output", ["sequence", "last"])
def test_mse_targets(output):
    model = _model("lstm", output=output, output_size=3)
    x = _x()
    shape = (2, 5, 3) if output == "sequence" else (2, 3)
    model.loss_and_grads(x, np.zeros(shape))
    for bad_shape in ((2, 5), (2, 5, 2), (2, 3, 1), (1,) + shape[1:], shape + (1,)):
        with pytest.raises(InputError, match="shape"):
            model.loss_and_grads(x, np.zeros(bad_shape))
    bad = np.zeros(shape)
    bad.reshape(-1)[0] = np.nan
    with pytest.raises(InputError):
        model.loss_and_grads(x, bad)
    with pytest.raises(InputError):
        model.loss_and_grads(x, np.full(shape, "a"))


def test_input_errors_are_rnnsim_errors():
    assert issubclass(InputError, rnnsim.RnnsimError)
    assert issubclass(InputError, ValueError)


@pytest.mark.parametrize("truncate", [-1, 1.5, True, "2"])
def test_bad_truncate(truncate):
    model = _model("gru")
    with pytest.raises((ConfigError, InputError)):
        model.loss_and_grads(_x(), np.zeros((2, 5, 3)), truncate=truncate)


@pytest.mark.parametrize("l2", [-0.1, np.nan, np.inf])
def test_bad_l2(l2):
    model = _model("gru")
    with pytest.raises(ConfigError):
        model.loss_and_grads(_x(), np.zeros((2, 5, 3)), l2=l2)


# ---- gradient names and shapes --------------------------------------------------------------------

@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("output_size,bias", [(3, True), (None, True), (3, False)])
def test_grads_have_state_dict_names_and_shapes(cell, bidirectional, output_size, bias):
    model = _model(cell, layers=3, bidirectional=bidirectional, output_size=output_size, bias=bias)
    loss, grads = model.loss_and_grads(_x(), np.zeros(model.output_shape(2, 5)))
    assert isinstance(loss, float)
    state = model.state_dict()
    assert list(grads) == list(state) == list(model.spec.param_shapes())
    for name in state:
        assert grads[name].shape == state[name].shape, name
        assert grads[name].dtype == np.float64
        assert np.all(np.isfinite(grads[name]))


def test_state_dict_is_a_copy():
    model = _model("lstm")
    state = model.state_dict()
    state["rnn.weight_hh_l0"][:] = 0.0
    assert model.params["rnn.weight_hh_l0"].any()


def test_loss_and_grads_do_not_change_parameters():
    model = _model("gru", loss="cross_entropy")
    before = model.state_dict()
    model.loss_and_grads(_x(), np.zeros((2, 5), dtype=int), truncate=2, l2=0.1)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
