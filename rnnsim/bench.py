"""Throughput of the engine beside PyTorch CPU eager, same weights, same process (``rnnsim bench``).

A step is what one training iteration costs: forward + BPTT (``loss_and_grads``), plus, with
``update=True``, an SGD update of every parameter. PyTorch runs float64 — like for like — on the
same weights and data; its numbers are None when PyTorch is not installed.
"""
from __future__ import annotations

import time

import numpy as np

from .model import Model
from .spec import ModelSpec

CONFIGS = [(8, 20, 32), (32, 50, 32), (128, 50, 64)]   # (hidden, T, batch)
CELLS = ("lstm", "gru")
INPUT_SIZE = 4


def _rate(step, min_time, min_reps=3):
    """Steps per second of ``step()`` over at least ``min_time`` seconds (after one warm-up call)."""
    step()
    reps, start = 0, time.perf_counter()
    while True:
        step()
        reps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time and reps >= min_reps:
            return reps / elapsed


def _problem(cell, hidden, steps, batch, seed=0):
    spec = ModelSpec(cell=cell, input_size=INPUT_SIZE, hidden_size=hidden, output_size=INPUT_SIZE)
    model = Model.create(spec, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, INPUT_SIZE))
    target = rng.standard_normal((batch, steps, INPUT_SIZE))
    return model, x, target


def _rnnsim_step(model, x, target, update, lr=1e-3):
    def step():
        _, grads = model.loss_and_grads(x, target)
        if update:
            for name, g in grads.items():
                model.params[name] -= lr * g
    return step


def _torch_step(model, x, target, update, lr=1e-3):
    import torch
    spec = model.spec
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[spec.cell]
    rnn = module(spec.input_size, spec.hidden_size, batch_first=True).double()
    fc = torch.nn.Linear(spec.hidden_size, spec.output_size).double()
    with torch.no_grad():
        for name, p in list(rnn.named_parameters()) + [("fc." + n, p) for n, p in fc.named_parameters()]:
            p.copy_(torch.from_numpy(model.params[name if name.startswith("fc.") else "rnn." + name]))
    params = list(rnn.parameters()) + list(fc.parameters())
    xt, tt = torch.from_numpy(x), torch.from_numpy(target)
    loss_fn = torch.nn.MSELoss()

    def step():
        for p in params:
            p.grad = None
        out, _ = rnn(xt)
        loss = loss_fn(fc(out), tt)
        loss.backward()
        if update:
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
    return step


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def run(configs=CONFIGS, cells=CELLS, update=True, min_time=1.0, with_torch=None, progress=None):
    """A list of result dicts: cell, hidden, T, batch, rnnsim_steps_per_s, torch_steps_per_s, ratio."""
    with_torch = torch_available() if with_torch is None else with_torch
    results = []
    for cell in cells:
        for hidden, steps, batch in configs:
            model, x, target = _problem(cell, hidden, steps, batch)
            ours = _rate(_rnnsim_step(model.copy(), x, target, update), min_time)
            theirs = _rate(_torch_step(model, x, target, update), min_time) if with_torch else None
            row = {"cell": cell, "hidden": hidden, "T": steps, "batch": batch,
                   "rnnsim_steps_per_s": ours, "torch_steps_per_s": theirs,
                   "ratio": ours / theirs if theirs else None}
            results.append(row)
            if progress:
                progress(row)
    return results


def format_row(row) -> str:
    torch_s = f"{row['torch_steps_per_s']:10.1f}" if row["torch_steps_per_s"] else "         -"
    ratio = f"{row['ratio']:6.2f}x" if row["ratio"] else "      -"
    return (f"{row['cell']:5} {row['hidden']:6d} {row['T']:4d} {row['batch']:5d} "
            f"{row['rnnsim_steps_per_s']:10.1f} {torch_s} {ratio}")


HEADER = "cell  hidden    T batch   rnnsim/s    torch/s  ratio"
