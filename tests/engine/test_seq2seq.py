"""Encoder–decoder (N-to-M) models: PyTorch's Seq2Seq module of the contract, in float64, is the oracle.

    _, context = encoder(x)                    # h_n (and c_n) of every layer; h0 = c0 = 0
    out, _ = decoder(decoder_input, context)   # teacher forcing
    y = fc(out)                                # (batch, M, output_size)

nn.RNN/LSTM/GRU are used where PyTorch has the cell; the other Elman cells (linear, sigmoid, softplus,
hard sigmoid) are the same recurrence written by hand in torch with nn.RNN's parameter layout. Predict,
loss and every gradient agree to rtol 1e-9; central differences of ``Model.loss`` check the gradients
again without torch, for every cell and one and two layers.
"""
from __future__ import annotations

import numpy as np
import pytest

from rnnsim import Model, ModelSpec
from rnnsim.errors import ConfigError, InputError, SpecError
from rnnsim.spec import GATE_BLOCKS

CELLS = tuple(GATE_BLOCKS)
RTOL = 1e-9


def spec_for(cell, layers, loss="mse", **kw):
    kw.setdefault("output_size", 3 if loss == "cross_entropy" else 2)
    return ModelSpec(cell=cell, input_size=2, hidden_size=3, num_layers=layers, loss=loss,
                     architecture="encoder_decoder", **kw)


def problem(model, batch=2, n=4, m=3, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, n, model.spec.input_size))
    d = rng.standard_normal((batch, m, model.spec.decoder_inputs))
    if model.spec.loss == "cross_entropy":
        target = rng.integers(0, model.spec.output_size, (batch, m))
    else:
        target = rng.standard_normal((batch, m, model.spec.output_size))
    return x, d, target


# ---- the spec -------------------------------------------------------------------------------------
def test_parameter_names_and_shapes_are_the_seq2seq_modules():
    spec = spec_for("lstm", 2, decoder_input_size=5)
    shapes = spec.param_shapes()
    assert list(shapes)[:4] == ["encoder.weight_ih_l0", "encoder.weight_hh_l0", "encoder.bias_ih_l0",
                                "encoder.bias_hh_l0"]
    assert shapes["encoder.weight_ih_l0"] == (12, 2) and shapes["decoder.weight_ih_l0"] == (12, 5)
    assert shapes["decoder.weight_ih_l1"] == (12, 3) and shapes["fc.weight"] == (2, 3)
    assert spec.parameter_count == sum(int(np.prod(s)) for s in shapes.values())
    assert spec_for("gru", 1).decoder_inputs == 2                    # default: output_size
    assert ModelSpec.from_json(spec.to_json()) == spec
    assert "architecture" not in ModelSpec(cell="gru", input_size=1, hidden_size=2).to_dict()


@pytest.mark.parametrize("fields,message", [
    ({"bidirectional": True}, "cannot be bidirectional"),
    ({"output": "last"}, "output must be 'sequence'"),
    ({"output_size": None}, "needs 'output_size'"),
    ({"architecture": "transformer"}, "architecture"),
    ({"decoder_input_size": 0}, "decoder_input_size"),
])
def test_refused_specs(fields, message):
    d = spec_for("gru", 1).to_dict()
    d.update(fields)
    with pytest.raises(SpecError, match=message):
        ModelSpec.from_dict(d)
    with pytest.raises(SpecError, match="belongs to architecture"):
        ModelSpec(cell="gru", input_size=1, hidden_size=2, output_size=2, decoder_input_size=3)


def test_bad_inputs_are_refused_in_one_line():
    model = Model.create(spec_for("gru", 1))
    x, d, target = problem(model)
    with pytest.raises(InputError, match="needs decoder_input"):
        model.predict(x)
    with pytest.raises(InputError, match=r"decoder_input must have shape \(2, M, 2\)"):
        model.predict(x, decoder_input=d[:1])
    bad = d.copy()
    bad[0, 0, 0] = np.inf
    with pytest.raises(InputError, match="NaN or infinity"):
        model.loss_and_grads(x, target, decoder_input=bad)
    with pytest.raises(InputError, match=r"target must have shape \(2, 3, 2\)"):
        model.loss_and_grads(x, target[:, :2], decoder_input=d)
    with pytest.raises(ConfigError, match="truncated BPTT"):
        model.loss_and_grads(x, target, truncate=2, decoder_input=d)
    plain = Model.create(ModelSpec(cell="gru", input_size=2, hidden_size=3, output_size=2))
    with pytest.raises(InputError, match="only for an encoder_decoder"):
        plain.predict(x, decoder_input=d)


def test_model_file_round_trip(tmp_path):
    model = Model.create(spec_for("lstm", 2), seed=3)
    model.save(tmp_path / "s2s.npz")
    loaded = Model.load(tmp_path / "s2s.npz")
    assert loaded.spec == model.spec
    x, d, _ = problem(model)
    np.testing.assert_array_equal(loaded.predict(x, decoder_input=d), model.predict(x, decoder_input=d))


# ---- PyTorch parity -------------------------------------------------------------------------------
torch = None


def _torch():
    global torch
    torch = pytest.importorskip("torch")
    return torch


def hand_elman(cell, leaves, prefix, layers, x, h0s):
    """nn.RNN's recurrence written out for the Elman cells PyTorch lacks: (out, [h_n per layer])."""
    F = torch.nn.functional
    act = {"linear": lambda v: v, "rnn_sigmoid": torch.sigmoid, "rnn_tanh": torch.tanh, "rnn_relu": torch.relu,
           "rnn_softplus": lambda v: F.softplus(v, beta=1.0, threshold=20.0),
           "rnn_hard_sigmoid": F.hardsigmoid}[cell]
    layer_in, finals = x, []
    for layer in range(layers):
        w_ih, w_hh = leaves[f"{prefix}.weight_ih_l{layer}"], leaves[f"{prefix}.weight_hh_l{layer}"]
        h = h0s[layer] if h0s is not None else torch.zeros(x.shape[0], w_hh.shape[1], dtype=torch.float64)
        states = []
        for t in range(layer_in.shape[1]):
            h = act(layer_in[:, t] @ w_ih.T + leaves[f"{prefix}.bias_ih_l{layer}"] + h @ w_hh.T
                    + leaves[f"{prefix}.bias_hh_l{layer}"])
            states.append(h)
        finals.append(h)
        layer_in = torch.stack(states, dim=1)
    return layer_in, finals


def torch_seq2seq(spec, params, x, d):
    """(y, {name: leaf}) of the contract's Seq2Seq module with ``params``."""
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    xt, dt = torch.tensor(x), torch.tensor(d)
    modules = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
    if spec.cell in modules or spec.cell in ("rnn_tanh", "rnn_relu"):
        kind = modules.get(spec.cell, torch.nn.RNN)
        extra = {} if spec.cell in modules else {"nonlinearity": spec.cell[4:]}
        encoder = kind(spec.input_size, spec.hidden_size, spec.num_layers, batch_first=True, **extra).double()
        decoder = kind(spec.decoder_inputs, spec.hidden_size, spec.num_layers, batch_first=True, **extra).double()
        for prefix, module in (("encoder", encoder), ("decoder", decoder)):
            for name in [n for n, _ in module.named_parameters()]:
                delattr(module, name)
                setattr(module, name, leaves[f"{prefix}.{name}"])
            module._flat_weights = [getattr(module, n) for n in module._flat_weights_names]
        _, context = encoder(xt)
        out, _ = decoder(dt, context)
    else:
        _, finals = hand_elman(spec.cell, leaves, "encoder", spec.num_layers, xt, None)
        out, _ = hand_elman(spec.cell, leaves, "decoder", spec.num_layers, dt, finals)
    return out @ leaves["fc.weight"].T + leaves["fc.bias"], leaves


def torch_loss(spec, y, target):
    if spec.loss == "cross_entropy":
        return torch.nn.functional.cross_entropy(y.reshape(-1, y.shape[-1]), torch.tensor(target).reshape(-1),
                                                 reduction=spec.reduction)
    fn = torch.nn.L1Loss if spec.loss == "mae" else torch.nn.MSELoss
    return fn(reduction=spec.reduction)(y, torch.tensor(target))


def assert_close(got, want):
    want = np.asarray(want)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-12 * max(1.0, float(np.max(np.abs(want), initial=0))))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("loss,reduction", [("mse", "mean"), ("cross_entropy", "sum")])
def test_matches_pytorch(cell, layers, loss, reduction):
    _torch()
    spec = spec_for(cell, layers, loss, reduction=reduction, decoder_input_size=4)
    model = Model.create(spec, seed=7)
    x, d, target = problem(model, batch=3, n=5, m=4, seed=8)
    y, leaves = torch_seq2seq(spec, model.params, x, d)
    torch_loss(spec, y, target).backward()
    assert_close(model.predict(x, decoder_input=d), y.detach().numpy())
    got, grads = model.loss_and_grads(x, target, decoder_input=d)
    assert_close(got, torch_loss(spec, y, target).item())
    assert list(grads) == list(leaves)
    for name, leaf in leaves.items():
        assert_close(grads[name], leaf.grad.numpy())
    assert np.any(grads["encoder.weight_hh_l0"])          # the gradient reached the encoder


def test_a_sigmoid_head_and_mae_match_pytorch():
    _torch()
    spec = spec_for("gru", 2, "mae", output_activation="sigmoid")
    model = Model.create(spec, seed=2)
    x, d, _ = problem(model, seed=4)
    target = np.random.default_rng(0).uniform(size=(2, 3, 2))
    y, leaves = torch_seq2seq(spec, model.params, x, d)
    y = torch.sigmoid(y)
    torch_loss(spec, y, target).backward()
    got, grads = model.loss_and_grads(x, target, decoder_input=d)
    assert_close(got, torch_loss(spec, y, target).item())
    for name, leaf in leaves.items():
        assert_close(grads[name], leaf.grad.numpy())


# ---- central differences --------------------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_central_differences(cell, layers):
    loss = "cross_entropy" if cell in ("gru", "rnn_relu") else "mse"
    model = Model.create(spec_for(cell, layers, loss), seed=5)
    x, d, target = problem(model, seed=6)
    _, grads = model.loss_and_grads(x, target, decoder_input=d)
    eps = 1e-6
    for name, p in model.params.items():
        numeric = np.empty_like(p)
        for i in np.ndindex(p.shape):
            keep = p[i]
            p[i] = keep + eps
            up = model.loss(x, target, decoder_input=d)
            p[i] = keep - eps
            down = model.loss(x, target, decoder_input=d)
            p[i] = keep
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8, err_msg=name)


def test_a_large_batch_in_parallel_chunks_equals_one_chunk():
    model = Model.create(spec_for("lstm", 2), seed=1)
    x, d, target = problem(model, batch=300, n=6, m=5, seed=2)
    loss, grads = model.loss_and_grads(x, target, decoder_input=d)
    parts = [model.loss_and_grads(x[i:i + 1], target[i:i + 1], decoder_input=d[i:i + 1]) for i in range(300)]
    assert np.isclose(loss, sum(p[0] for p in parts) / 300, rtol=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads[name], sum(p[1][name] for p in parts) / 300, rtol=1e-10, atol=1e-14)


def test_single_stack_views_refuse_an_encoder_decoder_in_one_line():
    from rnnsim.boundary import why_not_drawable
    from rnnsim.gradflow import gradient_over_time
    from rnnsim.landscape import direction_plane, parameter_plane
    model = Model.create(spec_for("gru", 1))
    x, d, target = problem(model)
    with pytest.raises(ConfigError, match="one recurrent stack"):
        parameter_plane(model, ("encoder.weight_hh_l0", (0, 0)), ("decoder.weight_hh_l0", (0, 0)))
    with pytest.raises(ConfigError, match="one recurrent stack"):
        direction_plane(model)
    with pytest.raises(ConfigError, match="one recurrent stack"):
        gradient_over_time(model, x, target)
    assert "encoder–decoder" in why_not_drawable(model.spec, 1, "argmax")
