"""Search for the settings of the XOR lesson ("Like Lego", after O. Flores' scratch_mlp): many runs at once.

The task ``xor`` is one step of an ``rnn_sigmoid`` layer (the recurrent weights never act at T = 1) and a
sigmoid output layer, trained on the squared error by full-batch SGD. This script trains R such networks
side by side in numpy — the same equations as the engine (mse mean over N·2 elements, b_ih and b_hh as two
parameters, L2 term λ/2·Σw² over the weight matrices, torch.optim.SGD with momentum, an exponential or
step learning-rate schedule per epoch, the engine's own initialisation) — and measures, per run:

- the loss at every step (before that step's update, as rnnsim.train.History records it);
- accuracy after every step (argmax, as the engine's "argmax" accuracy);
- jump: the first step s after learning started (the running minimum below half the first loss) where the
  loss exceeds ``JUMP`` × its running minimum, and the largest ratio loss / running minimum of the run.

    python scripts/xor_search.py            # prints the tables of docs/lesson002-xor.md

The settings it picks are then run through the engine's Trainer (tests/engine/test_lesson002.py).
"""
from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnsim.data import make_task                 # noqa: E402
from rnnsim.init import initialise                # noqa: E402
from rnnsim.spec import ModelSpec                 # noqa: E402

JUMP = 2.0          # a "jump": the loss more than doubles over its best value so far


def sigmoid(a):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-a))


def initial(hidden, init, seeds):
    """The engine's initial parameters for each seed, stacked: {name: (R, ...)}."""
    spec = ModelSpec(cell="rnn_sigmoid", input_size=2, hidden_size=hidden, output_size=2, output="last",
                     output_activation="sigmoid")
    runs = [initialise(spec, init, int(s)) for s in seeds]
    return {k: np.stack([r[k] for r in runs]) for k in runs[0]}


def train(x, y, params, lr, momentum, l2, steps, gamma=1.0, step_size=None):
    """Full-batch SGD on R networks at once. x (N, 2), y (N, 2); params {name: (R, ...)}; lr, momentum, l2,
    gamma: (R,) arrays or scalars. Returns loss (R, steps), accuracy (R, steps) (after each update)."""
    p = {k: v.copy() for k, v in params.items()}
    R = p["fc.weight"].shape[0]
    lr, momentum, l2, gamma = (np.broadcast_to(np.asarray(v, float), (R,)) for v in (lr, momentum, l2, gamma))
    buf = {}
    count = y.size
    labels = y.argmax(axis=1)
    losses, accs = np.empty((R, steps)), np.empty((R, steps))
    shape = {k: (R,) + (1,) * (v.ndim - 1) for k, v in p.items()}
    for s in range(steps):
        epoch_lr = lr * (gamma ** (s // step_size if step_size else s))
        b = p["rnn.bias_ih_l0"] + p["rnn.bias_hh_l0"]
        h = sigmoid(np.einsum("ni,rhi->rnh", x, p["rnn.weight_ih_l0"]) + b[:, None, :])
        yh = sigmoid(np.einsum("rnh,roh->rno", h, p["fc.weight"]) + p["fc.bias"][:, None, :])
        diff = yh - y
        loss = np.sum(diff * diff, axis=(1, 2)) / count
        for k in ("rnn.weight_ih_l0", "rnn.weight_hh_l0", "fc.weight"):
            loss = loss + 0.5 * l2 * np.sum(p[k] ** 2, axis=tuple(range(1, p[k].ndim)))
        losses[:, s] = loss
        dz = 2.0 * diff / count * yh * (1.0 - yh)
        dh = np.einsum("rno,roh->rnh", dz, p["fc.weight"])
        dpre = dh * h * (1.0 - h)
        g = {"rnn.weight_ih_l0": np.einsum("rnh,ni->rhi", dpre, x),
             "rnn.weight_hh_l0": np.zeros_like(p["rnn.weight_hh_l0"]),
             "rnn.bias_ih_l0": dpre.sum(axis=1), "rnn.bias_hh_l0": dpre.sum(axis=1),
             "fc.weight": np.einsum("rno,rnh->roh", dz, h), "fc.bias": dz.sum(axis=1)}
        for k in ("rnn.weight_ih_l0", "rnn.weight_hh_l0", "fc.weight"):
            g[k] = g[k] + l2.reshape(shape[k]) * p[k]
        for k in p:
            if k in buf:
                buf[k] = momentum.reshape(shape[k]) * buf[k] + g[k]
            else:
                buf[k] = g[k].copy()
            step = np.where(momentum.reshape(shape[k]) > 0, buf[k], g[k])
            p[k] = p[k] - epoch_lr.reshape(shape[k]) * step
        b = p["rnn.bias_ih_l0"] + p["rnn.bias_hh_l0"]
        h = sigmoid(np.einsum("ni,rhi->rnh", x, p["rnn.weight_ih_l0"]) + b[:, None, :])
        z = np.einsum("rnh,roh->rno", h, p["fc.weight"]) + p["fc.bias"][:, None, :]
        accs[:, s] = np.mean(z.argmax(axis=2) == labels, axis=1)
    return losses, accs


def jumps(losses):
    """(first jump step (1-based, 0 = none), largest loss / running minimum) per run, after learning began."""
    best = np.minimum.accumulate(losses, axis=1)
    learned = best < 0.5 * losses[:, :1]
    ratio = np.where(learned[:, :-1], losses[:, 1:] / best[:, :-1], 1.0)
    ratio = np.where(np.isfinite(ratio), ratio, np.inf)
    over = ratio > JUMP
    first = np.where(over.any(axis=1), over.argmax(axis=1) + 2, 0)
    return first, ratio.max(axis=1)


DATA = {"4 corners": {}, "clouds 10×4, σ 0.15": {"points": 10, "noise": 0.15}}


def grid(hidden, steps=300, seeds=range(10)):
    """Every (data, init, momentum, lr) for ``hidden`` units and the seeds; one row per setting."""
    rows = []
    lrs = np.round(np.geomspace(0.25, 64, 17), 3)
    for data_name, init, momentum in itertools.product(DATA, ("pytorch", "xavier"), (0.0, 0.9)):
        dataset, _ = make_task("xor", **DATA[data_name])
        x, y = dataset.x[:, 0, :], dataset.y
        combos = list(itertools.product(lrs, seeds))
        params = initial(hidden, init, [s for _, s in combos])
        lr = np.array([c[0] for c in combos])
        loss, acc = train(x, y, params, lr, momentum, 0.0, steps)
        first, ratio = jumps(loss)
        for i, (lr_value, seed) in enumerate(combos):
            rows.append((data_name, init, momentum, lr_value, seed, loss[i], acc[i], first[i], ratio[i]))
    return rows


def summary(rows, steps):
    """Per setting: runs reaching 100 %, runs with a jump, the median jump step."""
    table = {}
    for data_name, init, momentum, lr, seed, loss, acc, first, ratio in rows:
        key = (data_name, init, momentum, lr)
        t = table.setdefault(key, {"solved": 0, "jump": 0, "steps": [], "runs": 0})
        t["runs"] += 1
        t["solved"] += bool(acc[-1] == 1.0)
        if first:
            t["jump"] += 1
            t["steps"].append(first)
    return table


def main():
    start = time.perf_counter()
    steps = 300
    for hidden in (3, 50):
        rows = grid(hidden, steps)
        print(f"\n## {hidden} hidden units, {steps} steps, seeds 0–9 ({len(rows)} runs)")
        print("| data | init | momentum | lr | 100 % at the end | runs with a jump (×2) | median jump step |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for (data_name, init, momentum, lr), t in summary(rows, steps).items():
            med = int(np.median(t["steps"])) if t["steps"] else "–"
            print(f"| {data_name} | {init} | {momentum} | {lr} | {t['solved']}/{t['runs']} | {t['jump']}/{t['runs']} "
                  f"| {med} |")
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
