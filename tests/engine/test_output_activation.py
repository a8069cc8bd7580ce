"""The sigmoid output layer (docs/contract.md, spec field ``output_activation``).

``"sigmoid"``: predict returns σ(fc(out)) and the loss is computed on it. Checked here against
central differences (rnnsim.gradcheck), against PyTorch float64 (torch.sigmoid on nn.Linear, live,
skipped without torch; ``rnn_sigmoid`` as a hand-written torch loop, which has no nn module), through
the model file (round trip, a version-1 file without the field, refusals) and through the Tape, whose
ŷ(t), o(t) and ∂L/∂o(t) must be the numbers the kernels compute.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import rnnsim
from rnnsim import Model, ModelFileError, ModelSpec, SpecError, load_model, network
from rnnsim.gradcheck import gradcheck, random_problem
from rnnsim.tape import record

CELLS = ("rnn_sigmoid", "rnn_tanh", "lstm")
OUTPUTS = ("last", "sequence")
RTOL, ATOL_SCALE = 1e-9, 1e-12


def sigmoid_model(cell="rnn_sigmoid", output="last", layers=1, bidirectional=False, reduction="mean",
                  hidden=3, seed=0, input_size=2, output_size=2):
    spec = ModelSpec(cell=cell, input_size=input_size, hidden_size=hidden, num_layers=layers,
                     bidirectional=bidirectional, output_size=output_size, output=output, loss="mse",
                     reduction=reduction, output_activation="sigmoid")
    return Model.create(spec, seed=seed)


def probability_target(model, batch=3, steps=4, seed=1):
    """A random input and a target in (0, 1), the range a sigmoid output can reach."""
    x, raw = random_problem(model, batch=batch, steps=steps, seed=seed)
    return x, 1.0 / (1.0 + np.exp(-2.0 * raw))


# ---- the forward pass ----------------------------------------------------------------------------
@pytest.mark.parametrize("output", OUTPUTS)
def test_predict_is_the_sigmoid_of_the_identity_heads_output(output):
    model = sigmoid_model("lstm", output, layers=2, bidirectional=True)
    plain = Model(ModelSpec.from_dict({**model.spec.to_dict(), "output_activation": "identity"}), model.params)
    x, _ = probability_target(model)
    z = plain.predict(x)
    y = model.predict(x)
    expected = np.array([[1.0 / (1.0 + np.exp(-v)) for v in row.ravel()] for row in z]).reshape(z.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-15, atol=0)
    assert np.all((y > 0) & (y < 1))


def test_loss_is_the_squared_error_on_the_sigmoid_output():
    model = sigmoid_model(output="sequence", reduction="sum")
    x, target = probability_target(model)
    y = model.predict(x)
    assert model.loss(x, target) == pytest.approx(float(np.sum((y - target) ** 2)), rel=1e-14)
    loss, _ = model.loss_and_grads(x, target, l2=0.3)
    weights = sum(float(np.sum(w * w)) for k, w in model.params.items() if ".weight" in k)
    assert loss == pytest.approx(float(np.sum((y - target) ** 2)) + 0.15 * weights, rel=1e-14)


def test_huge_logits_saturate_without_warnings():
    model = sigmoid_model()
    model.params["fc.bias"][:] = [800.0, -800.0]          # e^800 overflows: σ must be exactly 1 and 0
    y = model.predict(np.zeros((1, 1, 2)))
    assert y.tolist() == [[1.0, 0.0]]
    loss, grads = model.loss_and_grads(np.zeros((1, 1, 2)), [[0.0, 1.0]])
    assert loss == 1.0 and np.all(grads["fc.bias"] == 0.0)   # a saturated sigmoid passes no gradient


# ---- gradients: central differences -------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("truncate,l2", [(None, 0.0), (2, 0.1)])
def test_gradients_match_central_differences(cell, output, truncate, l2):
    model = sigmoid_model(cell, output, layers=2, bidirectional=output == "sequence", seed=3)
    x, target = probability_target(model, steps=5)
    result = gradcheck(model, x, target, truncate=truncate, l2=l2)
    assert result.passed, result.parameters


def test_the_head_gradient_is_the_chain_rule_through_sigma():
    """∂L/∂z = ∂L/∂ŷ · ŷ(1 − ŷ): fc.bias's gradient, for mse mean on one output position."""
    model = sigmoid_model(output="last")
    x = np.array([[[1.0, 0.0]]])
    target = np.array([[1.0, 0.0]])
    y = model.predict(x)[0]
    _, grads = model.loss_and_grads(x, target)
    np.testing.assert_allclose(grads["fc.bias"], 2 * (y - target[0]) / 2 * y * (1 - y), rtol=1e-14)


# ---- gradients: PyTorch --------------------------------------------------------------------------
def _torch_forward(torch, spec, params, x):
    """σ(fc(out)) in torch float64 -> (output, {PyTorch name: leaf tensor}): nn.RNN / nn.LSTM loaded with
    ``params`` for the native cells, a loop over the steps for rnn_sigmoid (no nn module has it)."""
    nn = torch.nn
    xt = torch.tensor(x)
    head = {k: torch.tensor(params[k], requires_grad=True) for k in ("fc.weight", "fc.bias")}
    if spec.cell == "rnn_sigmoid":
        leaves = {k: torch.tensor(v, requires_grad=True) for k, v in params.items() if k.startswith("rnn.")}
        h = torch.zeros(x.shape[0], spec.hidden_size, dtype=torch.float64)
        states = []
        for k in range(x.shape[1]):
            h = torch.sigmoid(xt[:, k] @ leaves["rnn.weight_ih_l0"].T + leaves["rnn.bias_ih_l0"]
                              + h @ leaves["rnn.weight_hh_l0"].T + leaves["rnn.bias_hh_l0"])
            states.append(h)
        out = torch.stack(states, dim=1)
    else:
        module = (nn.LSTM if spec.cell == "lstm" else nn.RNN)(spec.input_size, spec.hidden_size, batch_first=True,
                                                              num_layers=spec.num_layers).double()
        module.load_state_dict({k[4:]: torch.tensor(v) for k, v in params.items() if k.startswith("rnn.")})
        leaves = {"rnn." + k: v for k, v in module.named_parameters()}
        out, _ = module(xt)
    if spec.output == "last":
        out = out[:, -1, :]
    y = torch.sigmoid(out @ head["fc.weight"].T + head["fc.bias"])
    return y, {**leaves, **head}


@pytest.mark.torch
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("output", OUTPUTS)
def test_parity_with_pytorch(cell, output):
    torch = pytest.importorskip("torch")
    model = sigmoid_model(cell, output, layers=1 if cell == "rnn_sigmoid" else 2, hidden=6, seed=7,
                          input_size=3, output_size=4)
    x, target = probability_target(model, batch=4, steps=9, seed=8)
    y, leaves = _torch_forward(torch, model.spec, model.params, x)
    loss_t = torch.nn.MSELoss()(y, torch.tensor(target))
    loss_t.backward()
    expected_y = y.detach().numpy()
    np.testing.assert_allclose(model.predict(x), expected_y, rtol=RTOL, atol=ATOL_SCALE)
    loss, grads = model.loss_and_grads(x, target)
    assert loss == pytest.approx(loss_t.item(), rel=RTOL)
    for name, g in grads.items():
        expected = leaves[name].grad.numpy()
        scale = max(1.0, float(np.max(np.abs(expected))))
        np.testing.assert_allclose(g, expected, rtol=RTOL, atol=ATOL_SCALE * scale, err_msg=name)


# ---- the spec and the model file ----------------------------------------------------------------
def test_sigmoid_with_cross_entropy_is_refused_in_one_line():
    with pytest.raises(SpecError) as info:
        ModelSpec(cell="gru", input_size=2, hidden_size=3, output_size=2, loss="cross_entropy",
                  output_activation="sigmoid")
    message = str(info.value)
    assert "\n" not in message and "output_activation" in message and "cross_entropy" in message


def test_sigmoid_without_a_head_is_refused():
    with pytest.raises(SpecError, match="output_activation 'sigmoid'.*output_size"):
        ModelSpec(cell="rnn_tanh", input_size=2, hidden_size=3, output_activation="sigmoid")


@pytest.mark.parametrize("value", ["softmax", "Sigmoid", 1, None, True])
def test_an_unknown_value_is_refused_naming_the_field(value):
    with pytest.raises(SpecError, match="'output_activation'"):
        ModelSpec(cell="rnn_tanh", input_size=2, hidden_size=3, output_size=1, output_activation=value)


def test_json_and_file_round_trip(tmp_path):
    model = sigmoid_model("lstm", "sequence")
    spec = model.spec
    assert spec.to_dict()["output_activation"] == "sigmoid"
    assert ModelSpec.from_json(spec.to_json()) == spec
    path = tmp_path / "sigmoid.npz"
    model.save(path)
    loaded = load_model(path)
    assert loaded.spec.output_activation == "sigmoid" and loaded.spec == spec
    x, _ = probability_target(model)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_a_version_1_file_without_the_field_loads_as_before(tmp_path):
    spec = {"format": "rnnsim.model", "version": 1, "cell": "rnn_tanh", "input_size": 2, "hidden_size": 3,
            "output_size": 2, "output": "last", "loss": "mse"}
    params = Model.create(ModelSpec.from_dict(spec), seed=2).params
    path = tmp_path / "old.npz"
    np.savez(path, spec=np.array(json.dumps(spec)), **params)
    model = load_model(path)
    assert model.spec.output_activation == "identity"
    x = np.random.default_rng(0).standard_normal((2, 3, 2))
    h = network.forward(model.spec, model.params, network.to_time_major(x)).features
    np.testing.assert_allclose(model.predict(x), h @ params["fc.weight"].T + params["fc.bias"], rtol=1e-14)


@pytest.mark.parametrize("value", ["softmax", 0])
def test_a_file_with_an_unknown_value_is_refused(tmp_path, value):
    spec = {"cell": "rnn_tanh", "input_size": 2, "hidden_size": 3, "output_size": 2, "output_activation": value}
    params = Model.create(ModelSpec.from_dict({**spec, "output_activation": "identity"})).params
    path = tmp_path / "bad.npz"
    np.savez(path, spec=np.array(json.dumps(spec)), **params)
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert "bad.npz" in str(info.value) and "'output_activation'" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_file_pairing_sigmoid_with_cross_entropy_is_refused(tmp_path):
    spec = {"cell": "gru", "input_size": 2, "hidden_size": 3, "output_size": 2, "loss": "cross_entropy",
            "output_activation": "sigmoid"}
    params = Model.create(ModelSpec.from_dict({**spec, "output_activation": "identity"})).params
    path = tmp_path / "ce.npz"
    np.savez(path, spec=np.array(json.dumps(spec)), **params)
    with pytest.raises(ModelFileError, match="ce.npz.*output_activation 'sigmoid'.*cross_entropy"):
        load_model(path)


# ---- the Tape shows the head's numbers ----------------------------------------------------------
@pytest.mark.parametrize("output", OUTPUTS)
def test_the_tape_shows_the_sigmoid_step_with_the_kernels_numbers(output):
    model = sigmoid_model("gru", output, layers=2, seed=5)
    x, target = probability_target(model, batch=2, steps=3)
    tape = record(model, x, target)
    fp = network.forward(model.spec, model.params, network.to_time_major(x))
    tgt = network.to_time_major(target) if output == "sequence" else target
    _, d_yhat = rnnsim.losses.compute("mse", fp.output, tgt, "mean")
    d_logits = network.head_gradient(model.spec, fp.output, d_yhat)
    at = (lambda a, t: a[t]) if output == "sequence" else (lambda a, t: a)
    outputs = [e for e in tape.events if e.kind == "output"]
    assert len(outputs) == (3 if output == "sequence" else 1)
    for e in outputs:
        q = e.quantities
        np.testing.assert_allclose(q["o(t)"], at(fp.logits, e.t)[0], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(q["ŷ(t)"], at(fp.output, e.t)[0], rtol=1e-13, atol=1e-15)
        assert [f.result for f in e.formulas][:2] == [q.resolve("o(t)"), q.resolve("ŷ(t)")]
        assert e.formulas[1].template == "σ({%s})" % q.resolve("o(t)")
        tape.seek(e.index)
        np.testing.assert_allclose(tape.state_at()[("ŷ", e.t)], at(fp.output, e.t)[0], rtol=1e-13)
    top = model.spec.num_layers - 1
    for e in tape.events:
        if e.kind != "backward" or e.layer != top or "∂L/∂o(t)" not in e.quantities:
            continue
        q = e.quantities
        np.testing.assert_allclose(q["∂L/∂ŷ(t)"], at(d_yhat, e.t)[0], rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(q["∂L/∂o(t)"], at(d_logits, e.t)[0], rtol=1e-13, atol=1e-16)
        results = [f.result for f in e.formulas]
        assert results.index(q.resolve("∂L/∂ŷ(t)")) < results.index(q.resolve("∂L/∂o(t)"))
    loss_event = next(e for e in tape.events if e.kind == "loss")
    assert "ŷ(t)" in loss_event.formulas[0].template
