"""Live comparison with PyTorch (skipped when torch is not installed).

Bigger than the stored fixtures (hidden 16, T 30, batch 4, 2 bidirectional layers), weights from
PyTorch's own default init, torch float64 as the oracle:

* predict, loss and every gradient: ``assert_allclose(rtol=1e-9, atol=1e-12 * max(1, max|expected|))``;
* a float32 ``state_dict()`` saved by hand with ``np.savez`` + spec: the engine computes in float64
  on those float32 values, so it matches torch float64 on the same weights cast to float64 to 1e-9,
  and torch's own float32 forward to float32 accuracy (rtol 1e-4, atol 1e-5).
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import rnnsim

torch = pytest.importorskip("torch")
nn = torch.nn

pytestmark = pytest.mark.torch

RTOL = 1e-9
ATOL_SCALE = 1e-12
# fixed seeds keep failures reproducible; set RNNSIM_TORCH_SEED to draw other configs' weights and data
SEED = int(os.environ.get("RNNSIM_TORCH_SEED", "0"))
NATIVE = ("rnn_tanh", "rnn_relu", "lstm", "gru")
INPUT, HIDDEN, OUTPUT_SIZE, BATCH, STEPS, LAYERS = 5, 16, 4, 4, 30, 2


class Net(nn.Module):
    def __init__(self, spec):
        super().__init__()
        kw = dict(num_layers=spec["num_layers"], bias=spec["bias"], batch_first=True,
                  bidirectional=spec["bidirectional"])
        cell = spec["cell"]
        if cell == "lstm":
            self.rnn = nn.LSTM(spec["input_size"], spec["hidden_size"], **kw)
        elif cell == "gru":
            self.rnn = nn.GRU(spec["input_size"], spec["hidden_size"], **kw)
        else:
            self.rnn = nn.RNN(spec["input_size"], spec["hidden_size"],
                              nonlinearity="relu" if cell == "rnn_relu" else "tanh", **kw)
        dirs = 2 if spec["bidirectional"] else 1
        self.fc = nn.Linear(spec["hidden_size"] * dirs, spec["output_size"])
        self.output = spec["output"]

    def forward(self, x):
        out, _ = self.rnn(x)
        if self.output == "last":
            out = out[:, -1, :]
        return self.fc(out)


def torch_loss(spec, out, target):
    if spec["loss"] == "mse":
        return nn.MSELoss(reduction=spec["reduction"])(out, target)
    return nn.CrossEntropyLoss(reduction=spec["reduction"])(out.reshape(-1, out.shape[-1]), target.reshape(-1))


def make_spec(cell, output, loss, reduction):
    return {"format": "rnnsim.model", "version": 1, "cell": cell, "input_size": INPUT,
            "hidden_size": HIDDEN, "num_layers": LAYERS, "bidirectional": True, "bias": True,
            "output_size": OUTPUT_SIZE, "output": output, "loss": loss, "reduction": reduction}


def draw(spec, rng):
    x = rng.standard_normal((BATCH, STEPS, INPUT))
    shape = (BATCH, STEPS) if spec["output"] == "sequence" else (BATCH,)
    if spec["loss"] == "cross_entropy":
        target = rng.integers(0, OUTPUT_SIZE, size=shape).astype(np.int64)
    else:
        target = rng.standard_normal(shape + (OUTPUT_SIZE,))
    return x, target


def assert_close(actual, expected, what, rtol=RTOL, atol_scale=ATOL_SCALE):
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, PyTorch {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol_scale * scale, err_msg=what)


CASES = [(cell, output, loss, ("mean", "sum")[k % 2])
         for k, (cell, output, loss) in enumerate(
             (c, o, l) for c in NATIVE for o in ("sequence", "last") for l in ("mse", "cross_entropy"))]


@pytest.mark.parametrize("cell,output,loss,reduction", CASES,
                         ids=[f"{c}-L2-bi-{o}-{l}-{r}" for c, o, l, r in CASES])
def test_live_parity(cell, output, loss, reduction):
    seed = SEED + 1000 + CASES.index((cell, output, loss, reduction))
    spec = make_spec(cell, output, loss, reduction)
    torch.manual_seed(seed)
    net = Net(spec).double()
    x, target = draw(spec, np.random.default_rng(seed))

    out = net(torch.tensor(x))
    loss_t = torch_loss(spec, out, torch.tensor(target))
    loss_t.backward()

    params = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    model = rnnsim.Model(rnnsim.ModelSpec.from_dict(spec), params)
    assert list(model.state_dict()) == list(params)
    assert_close(model.predict(x), out.detach().numpy(), "predict output")
    loss_r, grads = model.loss_and_grads(x, target)
    assert_close(loss_r, loss_t.item(), "loss")
    expected = {k: p.grad.numpy() for k, p in net.named_parameters()}
    assert list(grads) == list(expected)
    for name, g in expected.items():
        assert_close(grads[name], g, f"gradient {name}")


@pytest.mark.parametrize("cell", NATIVE)
def test_float32_state_dict_file(cell, tmp_path):
    seed = SEED + 2000 + NATIVE.index(cell)
    spec = make_spec(cell, "sequence", "mse", "mean")
    torch.manual_seed(seed)
    net32 = Net(spec)                              # PyTorch's default: float32
    state = {k: v.detach().numpy() for k, v in net32.state_dict().items()}
    assert all(v.dtype == np.float32 for v in state.values())
    path = tmp_path / "from_torch.npz"
    np.savez(path, spec=np.array(json.dumps(spec)), **state)

    model = rnnsim.load_model(path)
    assert all(v.dtype == np.float64 for v in model.state_dict().values())
    x = np.random.default_rng(seed).standard_normal((BATCH, STEPS, INPUT))
    y = model.predict(x)

    net64 = Net(spec)
    net64.load_state_dict(net32.state_dict())
    net64 = net64.double()                         # the same float32 values, cast to float64
    with torch.no_grad():
        ref64 = net64(torch.tensor(x)).numpy()
        ref32 = net32(torch.tensor(x, dtype=torch.float32)).numpy()
    assert_close(y, ref64, "predict vs torch float64 on the float32 weights")
    assert_close(y, ref32, "predict vs torch float32", rtol=1e-4, atol_scale=1e-5)
