"""The absolute-error loss ``mae`` (nn.L1Loss) and the Elman cells ``rnn_softplus`` / ``rnn_hard_sigmoid``.

PyTorch has no nn.RNN with these nonlinearities, so the oracle is a recurrence written by hand in torch
float64 with nn.RNN's parameter names and layout (h = act(W_ih x + b_ih + W_hh h_prev + b_hh), the
reverse direction reading the sequence backwards, output "last" = out[:, -1, :]), differentiated by
autograd: predict, loss and every gradient to rtol 1e-9. Central differences (rnnsim.gradcheck) check
the same gradients independently of torch.
"""
from __future__ import annotations

import numpy as np
import pytest

from rnnsim import Model, ModelSpec
from rnnsim.cells.elman import HARD_SIGMOID_SLOPE
from rnnsim.errors import SpecError
from rnnsim.gradcheck import gradcheck, random_problem
from rnnsim.losses import mae

torch = pytest.importorskip("torch")
F = torch.nn.functional

RTOL = 1e-9
NEW_CELLS = ("rnn_softplus", "rnn_hard_sigmoid")
TORCH_ACT = {"rnn_softplus": lambda v: F.softplus(v, beta=1.0, threshold=20.0), "rnn_hard_sigmoid": F.hardsigmoid,
             "rnn_tanh": torch.tanh}


def torch_forward(spec: ModelSpec, params: dict, x: np.ndarray):
    """The model written out in torch: returns (output, {name: leaf tensor})."""
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    act = TORCH_ACT[spec.cell]
    layer_in = torch.tensor(x, dtype=torch.float64)                    # (batch, T, features)
    steps = layer_in.shape[1]
    for layer in range(spec.num_layers):
        outs = []
        for direction in range(spec.directions):
            sfx = spec.suffix(layer, direction)
            w_ih, w_hh = leaves[f"rnn.weight_ih{sfx}"], leaves[f"rnn.weight_hh{sfx}"]
            h = torch.zeros(layer_in.shape[0], spec.hidden_size, dtype=torch.float64)
            order = range(steps) if direction == 0 else range(steps - 1, -1, -1)
            states = [None] * steps
            for t in order:
                pre = layer_in[:, t] @ w_ih.T + h @ w_hh.T
                if spec.bias:
                    pre = pre + leaves[f"rnn.bias_ih{sfx}"] + leaves[f"rnn.bias_hh{sfx}"]
                h = act(pre)
                states[t] = h
            outs.append(torch.stack(states, dim=1))
        layer_in = torch.cat(outs, dim=-1)
    out = layer_in[:, -1, :] if spec.output == "last" else layer_in
    if spec.output_size is not None:
        out = out @ leaves["fc.weight"].T + leaves["fc.bias"]
    if spec.output_activation == "sigmoid":
        out = torch.sigmoid(out)
    return out, leaves


def torch_loss(spec, out, target):
    t = torch.tensor(target, dtype=torch.float64)
    if spec.loss == "mae":
        return torch.nn.L1Loss(reduction=spec.reduction)(out, t)
    return torch.nn.MSELoss(reduction=spec.reduction)(out, t)


def assert_close(got, want):
    want = np.asarray(want)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-12 * max(1.0, float(np.max(np.abs(want), initial=0))))


def spec_for(cell, layers, bidirectional, output, loss="mse", reduction="mean", **kw):
    return ModelSpec(cell=cell, input_size=3, hidden_size=5, num_layers=layers, bidirectional=bidirectional,
                     output_size=2, output=output, loss=loss, reduction=reduction, **kw)


GRID = [(cell, layers, bi, output) for cell in NEW_CELLS for layers in (1, 2) for bi in (False, True)
        for output in ("last", "sequence")]


@pytest.mark.parametrize("cell,layers,bidirectional,output", GRID)
@pytest.mark.parametrize("loss,reduction", [("mse", "mean"), ("mae", "sum")])
def test_matches_a_hand_written_torch_recurrence(cell, layers, bidirectional, output, loss, reduction):
    spec = spec_for(cell, layers, bidirectional, output, loss, reduction)
    model = Model.create(spec, seed=4)
    # weights large enough that hard sigmoid clips and softplus crosses its threshold of 20 somewhere
    model.params = {k: v * 8.0 for k, v in model.params.items()}
    rng = np.random.default_rng(5)
    x = 3.0 * rng.standard_normal((3, 6, 3))
    target = rng.standard_normal(model.output_shape(3, 6))
    out, leaves = torch_forward(spec, model.params, x)
    loss_t = torch_loss(spec, out, target)
    loss_t.backward()
    assert_close(model.predict(x), out.detach().numpy())
    got_loss, grads = model.loss_and_grads(x, target)
    assert_close(got_loss, loss_t.item())
    assert grads.keys() == leaves.keys()
    for name, leaf in leaves.items():
        assert_close(grads[name], leaf.grad.numpy())


def test_the_grid_reaches_both_sides_of_each_kink():
    """The parity test above means something only if its first layer leaves the smooth middle: hard
    sigmoid clips at both ends and stays linear elsewhere; softplus goes past its threshold of 20."""
    for cell in NEW_CELLS:
        model = Model.create(spec_for(cell, 1, False, "sequence"), seed=4)
        params = {k: v * 8.0 for k, v in model.params.items()}
        x = 3.0 * np.random.default_rng(5).standard_normal((3, 6, 3))
        h = np.zeros((3, 5))
        pres = []
        for t in range(6):
            pre = (x[:, t] @ params["rnn.weight_ih_l0"].T + h @ params["rnn.weight_hh_l0"].T
                   + params["rnn.bias_ih_l0"] + params["rnn.bias_hh_l0"])
            h = TORCH_ACT[cell](torch.tensor(pre)).numpy()
            pres.append(pre)
        pres = np.array(pres)
        if cell == "rnn_hard_sigmoid":
            assert np.any(pres < -3) and np.any(pres > 3) and np.any(np.abs(pres) < 3)
        else:
            assert np.any(pres > 20) and np.any(pres < 20)


def test_softplus_threshold_and_hard_sigmoid_values_and_slopes_are_pytorchs():
    v = np.array([-40.0, -3.0, -2.9999, -1.0, 0.0, 2.5, 3.0, 19.9, 20.0, 20.5, 45.0])
    for cell in NEW_CELLS:
        spec = ModelSpec(cell=cell, input_size=1, hidden_size=1, bias=False)
        model = Model(spec, {"rnn.weight_ih_l0": np.ones((1, 1)), "rnn.weight_hh_l0": np.zeros((1, 1))})
        x = v.reshape(-1, 1, 1)                          # one step per sequence: h = act(v)
        leaf = torch.tensor(v, dtype=torch.float64, requires_grad=True)
        h_torch = TORCH_ACT[cell](leaf)
        slope = torch.autograd.grad(h_torch.sum(), leaf)[0].numpy()
        h = h_torch.detach().numpy()
        assert_close(model.predict(x)[:, 0, 0], h)
        # L = mean(h²) over the n sequences: ∂L/∂w_ih = Σ 2·h·act′(v)·v / n
        _, grads = model.loss_and_grads(x, np.zeros((len(v), 1, 1)))
        assert_close(grads["rnn.weight_ih_l0"][0, 0], np.sum(2 * h * slope * v) / len(v))
    # PyTorch's hard sigmoid slope: 1/6 strictly inside (−3, 3), else 0 — its 1/6 is a float32 literal even
    # in float64, which the engine copies exactly
    leaf = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    slope = torch.autograd.grad(F.hardsigmoid(leaf).sum(), leaf)[0].numpy()
    np.testing.assert_array_equal(slope, np.where(np.abs(v) < 3, float(np.float32(1 / 6)), 0.0))
    assert HARD_SIGMOID_SLOPE == float(np.float32(1 / 6))


@pytest.mark.parametrize("cell", NEW_CELLS)
@pytest.mark.parametrize("layers,bidirectional,output", [(1, False, "last"), (2, True, "sequence")])
@pytest.mark.parametrize("loss,reduction", [("mse", "mean"), ("mae", "mean"), ("mae", "sum")])
def test_central_differences(cell, layers, bidirectional, output, loss, reduction):
    model = Model.create(spec_for(cell, layers, bidirectional, output, loss, reduction), seed=2)
    # an odd number of positions (3 sequences, 3 steps): mae's fc.bias gradient, a sum of signs, is never an
    # exact 0 that the finite difference's rounding noise would turn into a large relative error
    x, target = random_problem(model, batch=3, steps=3, seed=3)
    result = gradcheck(model, x, target)
    assert result.passed, result


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mae_is_l1loss_with_zero_gradient_at_zero_error(reduction):
    rng = np.random.default_rng(0)
    output = rng.standard_normal((4, 3, 2))
    target = output.copy()
    target[0, 0, :] += np.array([0.5, -2.0])
    target[1, 2, 1] -= 1e-3
    loss, grad = mae(output, target, reduction)
    leaf = torch.tensor(output, requires_grad=True)
    want = torch.nn.L1Loss(reduction=reduction)(leaf, torch.tensor(target))
    want.backward()
    assert loss == pytest.approx(want.item(), rel=1e-15)
    np.testing.assert_array_equal(grad, leaf.grad.numpy())
    count = output.size if reduction == "mean" else 1
    assert np.count_nonzero(grad) == 3
    np.testing.assert_array_equal(grad[0, 0], np.array([-1.0, 1.0]) / count)


def test_mae_model_at_a_perfect_fit_has_zero_gradients():
    spec = ModelSpec(cell="rnn_softplus", input_size=2, hidden_size=3, output_size=2, output="last", loss="mae")
    model = Model.create(spec, seed=1)
    x = np.random.default_rng(2).standard_normal((3, 4, 2))
    loss, grads = model.loss_and_grads(x, model.predict(x))
    assert loss == 0.0
    assert all(not np.any(g) for g in grads.values())


@pytest.mark.parametrize("cell,loss", [("rnn_softplus", "mae"), ("rnn_hard_sigmoid", "mse")])
def test_model_file_round_trip(tmp_path, cell, loss):
    spec = spec_for(cell, 2, True, "sequence", loss, "sum")
    model = Model.create(spec, seed=6)
    path = tmp_path / "m.npz"
    model.save(path)
    again = Model.load(path)
    assert again.spec == spec and again.spec.cell == cell and again.spec.loss == loss
    for name, value in model.params.items():
        np.testing.assert_array_equal(again.params[name], value)
    x = np.random.default_rng(0).standard_normal((2, 3, 3))
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


@pytest.mark.parametrize("field,value", [("cell", "rnn_softsign"), ("cell", "rnn_hardsigmoid"), ("loss", "l1"),
                                         ("loss", "MAE")])
def test_unknown_names_are_refused_in_one_line(field, value):
    fields = {"cell": "rnn_softplus", "input_size": 2, "hidden_size": 3, "output_size": 1, field: value}
    with pytest.raises(SpecError) as err:
        ModelSpec.from_dict(fields)
    message = str(err.value)
    assert "\n" not in message and f"'{field}'" in message and value in message
    assert "rnn_hard_sigmoid" in message if field == "cell" else "mae" in message


def test_npz_data_with_loss_mae_trains_a_softplus_model(tmp_path):
    """A data file read with loss 'mae' gives a mae model, whose training lowers the absolute error."""
    from rnnsim.data.loaders import load_npz
    from rnnsim.data.model_spec import build_spec
    from rnnsim.train import TrainConfig, Trainer

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(16, 5, 1))
    np.savez(tmp_path / "d.npz", x=x, y=np.cumsum(x, axis=1)[:, -1, :])           # the running sum, many-to-one
    data = load_npz(tmp_path / "d.npz", loss="mae")
    assert data.loss == "mae" and data.output == "last"
    spec = build_spec(data, {"cell": "rnn_softplus", "hidden_size": 4})
    assert spec.loss == "mae" and spec.cell == "rnn_softplus"
    model = Model.create(spec, seed=0)
    before = model.loss(data.x, data.y)
    Trainer(model, data, TrainConfig(optimizer="adam", lr=0.05, epochs=40, batch_size=16)).run()
    assert model.loss(data.x, data.y) < 0.5 * before
