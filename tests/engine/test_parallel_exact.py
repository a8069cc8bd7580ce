"""At the sizes where the engine really splits the work, the result stays exact.

tests/engine/test_parallel.py forces chunking on a tiny network (hidden 5) and test_torch_parity.py
uses stored fixtures at hidden ≤ 16. Here the problems are large enough (batch 64, T 20, hidden
64–128) that ``parallel.chunk_count`` picks more than one chunk with the engine's own threshold, so
the chunks really run on the thread pool. Two checks hold each of them:

* chunked ``loss_and_grads`` equals the one-chunk path (``MIN_PARALLEL_WORK`` raised so that
  everything runs as one chunk): loss and every gradient to rtol 1e-12;
* chunked ``loss_and_grads`` equals PyTorch float64 on the same weights and data to the contract's
  ``rtol=1e-9, atol=1e-12 · max(1, max|expected|)`` (skipped without torch).
"""
from __future__ import annotations

import numpy as np
import pytest

from rnnsim import Model, ModelSpec, parallel
from rnnsim.gradcheck import random_problem

BATCH, STEPS, INPUT, OUTPUT = 64, 20, 8, 6

# (cell, hidden, layers, bidirectional, output, loss, reduction, truncate)
CASES = [
    ("lstm", 64, 1, False, "sequence", "mse", "mean", None),
    ("gru", 64, 1, False, "sequence", "mse", "mean", None),
    ("lstm", 128, 1, False, "sequence", "mse", "sum", None),
    ("gru", 128, 1, False, "sequence", "mse", "sum", None),
    ("lstm", 64, 2, True, "last", "cross_entropy", "mean", 5),
    ("gru", 64, 2, True, "last", "cross_entropy", "mean", 5),
]
IDS = [f"{c[0]}-h{c[1]}-l{c[2]}{'-bi' if c[3] else ''}-{c[4]}-{c[5]}-{c[6]}{f'-tbptt{c[7]}' if c[7] else ''}" for c in CASES]


def _problem(case, seed=3):
    cell, hidden, layers, bidirectional, output, loss, reduction, _ = case
    spec = ModelSpec(cell=cell, input_size=INPUT, hidden_size=hidden, num_layers=layers,
                     bidirectional=bidirectional, output_size=OUTPUT, output=output, loss=loss,
                     reduction=reduction)
    model = Model.create(spec, seed=seed)
    x, target = random_problem(model, batch=BATCH, steps=STEPS, seed=seed + 1)
    return model, x, target


def _chunks_at_default_threshold(monkeypatch, spec) -> int:
    """The engine's own chunk count for this problem; a 1-core machine is given 2 workers."""
    if parallel.workers() < 2:
        monkeypatch.setattr(parallel, "workers", lambda: 2)
    gate_units = spec.gate_blocks * spec.hidden_size
    return parallel.chunk_count(BATCH, STEPS, gate_units, spec.num_layers * spec.directions)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_threaded_chunks_equal_one_chunk(monkeypatch, case):
    model, x, target = _problem(case)
    truncate = case[-1]
    assert _chunks_at_default_threshold(monkeypatch, model.spec) > 1, "this size must really be split"
    loss_chunked, grads_chunked = model.loss_and_grads(x, target, truncate=truncate)

    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 10**15)
    gate_units = model.spec.gate_blocks * model.spec.hidden_size
    assert parallel.chunk_count(BATCH, STEPS, gate_units, model.spec.num_layers * model.spec.directions) == 1
    loss_single, grads_single = model.loss_and_grads(x, target, truncate=truncate)

    assert loss_chunked == pytest.approx(loss_single, rel=1e-12)
    assert grads_chunked.keys() == grads_single.keys()
    for name in grads_single:
        np.testing.assert_allclose(grads_chunked[name], grads_single[name], rtol=1e-12, atol=1e-15,
                                   err_msg=name)


def _torch_loss_and_grads(model, x, target):
    """PyTorch float64 loss and {name: grad} for ``model``'s weights, names as in ``state_dict()``."""
    torch = pytest.importorskip("torch")
    spec = model.spec
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[spec.cell]
    rnn = module(spec.input_size, spec.hidden_size, num_layers=spec.num_layers, batch_first=True,
                 bidirectional=spec.bidirectional).double()
    fc = torch.nn.Linear(spec.hidden_size * spec.directions, spec.output_size).double()
    named = [("rnn." + n, p) for n, p in rnn.named_parameters()] + [("fc." + n, p) for n, p in fc.named_parameters()]
    assert sorted(n for n, _ in named) == sorted(model.params)
    with torch.no_grad():
        for name, p in named:
            p.copy_(torch.from_numpy(model.params[name]))
    out, _ = rnn(torch.from_numpy(x))
    if spec.output == "last":
        out = out[:, -1, :]
    prediction = fc(out)
    if spec.loss == "mse":
        loss = torch.nn.MSELoss(reduction=spec.reduction)(prediction, torch.from_numpy(target))
    else:
        loss = torch.nn.CrossEntropyLoss(reduction=spec.reduction)(prediction, torch.from_numpy(target).long())
    loss.backward()
    return loss.item(), {name: p.grad.numpy() for name, p in named}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_threaded_chunks_match_torch(monkeypatch, case):
    model, x, target = _problem(case)
    assert _chunks_at_default_threshold(monkeypatch, model.spec) > 1
    expected_loss, expected_grads = _torch_loss_and_grads(model, x, target)
    loss, grads = model.loss_and_grads(x, target)
    assert loss == pytest.approx(expected_loss, rel=1e-9)
    for name, expected in expected_grads.items():
        np.testing.assert_allclose(grads[name], expected, rtol=1e-9,
                                   atol=1e-12 * max(1.0, float(np.max(np.abs(expected)))), err_msg=name)
