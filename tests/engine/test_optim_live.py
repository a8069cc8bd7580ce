"""rnnsim.optim / rnnsim.schedules against torch.optim live (skipped when torch is not installed).

Freshly drawn parameters (three float64 tensors) and 200 gradient sets per optimizer
configuration — with exact zeros, elementwise sign flips, steps that negate or repeat the previous
gradient, and a tensor left without gradient for a step — applied by both libraries; every
parameter after every step must agree to ``rtol=1e-10`` (atol 1e-14), and the optimizer state
after the last step likewise. Set RNNSIM_TORCH_SEED to draw other values.
"""
from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

import rnnsim
from rnnsim import optim
from rnnsim.schedules import Schedule
from rnnsim.train import TrainConfig

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch

RTOL = 1e-10
ATOL = 1e-14
STEPS = 200
SEED = int(os.environ.get("RNNSIM_TORCH_SEED", "0"))
SHAPES = {"w_ih": (16, 5), "b": (16,), "w_hh": (2, 16, 16)}

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.03, "momentum": 0.9}),
    ("SGD", {"lr": 0.03, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.03, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.01, "momentum": 1.0, "dampening": 1.0}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.001}),
    ("Rprop", {"lr": 0.01, "etas": (0.4, 1.3), "step_sizes": (1e-4, 0.05)}),
    ("Rprop", {"lr": 0.2, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.5)}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.05, "betas": (0.0, 0.5), "eps": 1e-3}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5}),
    ("RMSprop", {"alpha": 0.9}),
    ("RMSprop", {"lr": 0.001, "alpha": 0.5, "eps": 1e-4, "momentum": 0.9}),
    ("Adagrad", {}),
    ("Adagrad", {"lr_decay": 0.1}),
    ("Adagrad", {"initial_accumulator_value": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "eps": 1e-6, "initial_accumulator_value": 0.5}),
]
IDS = [f"{c}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for c, kw in CONFIGS]


def draw(rng, steps=STEPS):
    """Starting parameters and ``steps`` gradient sets with zeros, sign flips and repeats."""
    init = {n: rng.standard_normal(s) for n, s in SHAPES.items()}
    grads = {}
    for k, (n, s) in enumerate(SHAPES.items()):
        size = int(np.prod(s))
        g = rng.standard_normal((steps, size)) * rng.uniform(0.05, 3.0, size=(steps, 1))
        g[rng.random((steps, size)) < 0.15] = 0.0                              # exact zeros
        flip = rng.random((steps, size)) < 0.3
        g[1:][flip[1:]] = -np.abs(g[1:][flip[1:]]) * np.sign(g[:-1][flip[1:]])  # sign flips
        g[:, 0] = np.abs(g[:, 0]) + 0.01                                       # never flips
        g[:, 1] = (np.abs(g[:, 1]) + 0.01) * (-1.0) ** np.arange(steps)        # always flips
        for t in range(5, steps, 17):
            g[t, 2:] = -g[t - 1, 2:]                                           # negate the last step
        for t in range(11, steps, 23):
            g[t] = g[t - 1]                                                    # repeat it
        for t in range(7 + k, steps, 31):
            g[t] = 0.0                                                         # no gradient at all
        grads[n] = g.reshape((steps,) + s)
    return init, grads


@pytest.mark.parametrize("cls,kwargs", CONFIGS, ids=IDS)
def test_live_matches_torch(cls, kwargs):
    rng = np.random.default_rng([SEED, CONFIGS.index((cls, kwargs))])
    init, grads = draw(rng)
    mine = getattr(optim, cls)(**kwargs)
    params = {n: v.copy() for n, v in init.items()}
    tensors = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in init.items()}
    theirs = getattr(torch.optim, cls)(list(tensors.values()), **kwargs)
    for t in range(STEPS):
        mine.step(params, {n: g[t].copy() for n, g in grads.items()})
        for n, p in tensors.items():
            p.grad = torch.tensor(grads[n][t], dtype=torch.float64)
        theirs.step()
        for n, p in tensors.items():
            np.testing.assert_allclose(
                params[n], p.detach().numpy(), rtol=RTOL, atol=ATOL,
                err_msg=f"{cls}({kwargs}): parameter '{n}' after step {t + 1} (seed {SEED})")
    for n, p in tensors.items():
        for key, value in theirs.state[p].items():
            if isinstance(value, torch.Tensor) and value.shape == p.shape:
                assert key in mine.state[n], f"{cls}: state['{n}'] lacks torch's '{key}'"
                np.testing.assert_allclose(mine.state[n][key], value.numpy(), rtol=RTOL, atol=ATOL,
                                           err_msg=f"{cls}({kwargs}): state['{n}']['{key}']")


def test_live_gradients_exercise_rprop_branches():
    init, grads = draw(np.random.default_rng([SEED, 0]))
    g = np.concatenate([v.reshape(STEPS, -1) for v in grads.values()], axis=1)
    prod = g[1:] * g[:-1]
    assert (g == 0).mean() > 0.1 and (prod < 0).mean() > 0.1 and (prod > 0).mean() > 0.1


@pytest.mark.parametrize("cls,kwargs", [c for c in CONFIGS if c[0] == "Rprop" and "step_sizes" in c[1]])
def test_live_rprop_hits_both_clamps(cls, kwargs):
    """The custom Rprop configurations above really reach both step-size bounds."""
    rng = np.random.default_rng([SEED, CONFIGS.index((cls, kwargs))])
    init, grads = draw(rng)
    opt = optim.Rprop(**kwargs)
    params = {n: v.copy() for n, v in init.items()}
    lo_hit = hi_hit = False
    for t in range(STEPS):
        opt.step(params, {n: g[t] for n, g in grads.items()})
        sizes = np.concatenate([s["step_size"].ravel() for s in opt.state.values()])
        lo_hit |= bool((sizes == kwargs["step_sizes"][0]).any())
        hi_hit |= bool((sizes == kwargs["step_sizes"][1]).any())
    assert lo_hit and hi_hit


DEFAULTS = {
    "SGD": ("lr", "momentum", "dampening", "nesterov"),
    "Rprop": ("lr", "etas", "step_sizes"),
    "Adam": ("lr", "betas", "eps"),
    "RMSprop": ("lr", "alpha", "eps", "momentum"),
    "Adagrad": ("lr", "lr_decay", "eps", "initial_accumulator_value"),
}


@pytest.mark.parametrize("cls", ["SGD", "Rprop", "Adam", "RMSprop", "Adagrad"])
def test_default_hyperparameters_match_torch(cls):
    ours = inspect.signature(getattr(optim, cls).__init__).parameters
    theirs = inspect.signature(getattr(torch.optim, cls).__init__).parameters
    for name in DEFAULTS[cls]:
        a, b = ours[name].default, theirs[name].default
        a = tuple(a) if isinstance(a, (tuple, list)) else a
        b = tuple(b) if isinstance(b, (tuple, list)) else b
        assert a == b, f"{cls}: default {name} = {a!r}, torch {b!r}"


@pytest.mark.parametrize("name,cls", [("sgd", "SGD"), ("rprop", "Rprop"), ("adam", "Adam"),
                                      ("rmsprop", "RMSprop"), ("adagrad", "Adagrad")])
def test_make_matches_torch_with_defaults(name, cls):
    """make(name, lr) = torch.optim.<cls>(params, lr=lr) with torch's other defaults."""
    init, grads = draw(np.random.default_rng([SEED, 99]), steps=50)
    mine = optim.make(name, 0.02)
    params = {n: v.copy() for n, v in init.items()}
    tensors = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in init.items()}
    theirs = getattr(torch.optim, cls)(list(tensors.values()), lr=0.02)
    for t in range(50):
        mine.step(params, {n: g[t].copy() for n, g in grads.items()})
        for n, p in tensors.items():
            p.grad = torch.tensor(grads[n][t], dtype=torch.float64)
        theirs.step()
    for n, p in tensors.items():
        np.testing.assert_allclose(params[n], p.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=f"{name}: '{n}'")


CONFIG_CASES = [
    # (TrainConfig settings, torch.optim class, its keyword arguments)
    ({"optimizer": "adam", "betas": (0.8, 0.99), "eps": 1e-6}, "Adam", {"betas": (0.8, 0.99), "eps": 1e-6}),
    ({"optimizer": "rmsprop", "alpha": 0.9}, "RMSprop", {"alpha": 0.9}),
    ({"optimizer": "rmsprop", "alpha": 0.9, "eps": 1e-6, "momentum": 0.5}, "RMSprop",
     {"alpha": 0.9, "eps": 1e-6, "momentum": 0.5}),
    ({"optimizer": "rprop", "etas": (0.3, 1.5), "step_sizes": (1e-4, 1.0)}, "Rprop",
     {"etas": (0.3, 1.5), "step_sizes": (1e-4, 1.0)}),
    ({"optimizer": "adagrad", "lr_decay": 0.01}, "Adagrad", {"lr_decay": 0.01}),
    ({"optimizer": "adagrad", "lr_decay": 0.01, "eps": 1e-6, "initial_accumulator_value": 0.1}, "Adagrad",
     {"lr_decay": 0.01, "eps": 1e-6, "initial_accumulator_value": 0.1}),
    ({"optimizer": "sgd", "momentum": 0.9, "dampening": 0.1}, "SGD", {"momentum": 0.9, "dampening": 0.1}),
]


@pytest.mark.parametrize("settings,cls,kwargs", CONFIG_CASES,
                         ids=[f"{cls}-{'-'.join(kwargs)}" for _, cls, kwargs in CONFIG_CASES])
def test_train_config_settings_match_torch(settings, cls, kwargs):
    """A TrainConfig's optimizer settings reach the optimizer: 50 steps equal torch.optim's to rtol 1e-12."""
    init, grads = draw(np.random.default_rng([SEED, 98]), steps=50)
    mine = TrainConfig(lr=0.02, **settings).check().make_optimizer()
    params = {n: v.copy() for n, v in init.items()}
    tensors = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in init.items()}
    theirs = getattr(torch.optim, cls)(list(tensors.values()), lr=0.02, **kwargs)
    for t in range(50):
        mine.step(params, {n: g[t].copy() for n, g in grads.items()})
        for n, p in tensors.items():
            p.grad = torch.tensor(grads[n][t], dtype=torch.float64)
        theirs.step()
        for n, p in tensors.items():
            np.testing.assert_allclose(params[n], p.detach().numpy(), rtol=1e-12, atol=ATOL,
                                       err_msg=f"{settings}: parameter '{n}' after step {t + 1}")


@pytest.mark.parametrize("kind,kwargs", [
    ("step", {"gamma": 0.5, "step_size": 3}), ("step", {"gamma": 0.1, "step_size": 7}),
    ("step", {"gamma": 0.77, "step_size": 1}), ("exponential", {"gamma": 0.9}),
    ("exponential", {"gamma": 0.987}), ("exponential", {"gamma": 1.0}),
])
def test_live_schedule_matches_torch(kind, kwargs):
    lr0, epochs = 0.037, 120
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    if kind == "step":
        sch = torch.optim.lr_scheduler.StepLR(opt, **kwargs)
    else:
        sch = torch.optim.lr_scheduler.ExponentialLR(opt, **kwargs)
    expected = []
    for _ in range(epochs):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sch.step()
    s = Schedule(kind, **kwargs)
    got = [s.factor(e) * lr0 for e in range(epochs)]
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0, err_msg=f"{kind} {kwargs}")


def test_torch_refuses_what_rnnsim_refuses_for_betas():
    """A sanity check on the oracle: torch also refuses β ≥ 1 and negative learning rates."""
    p = [torch.zeros(2, dtype=torch.float64, requires_grad=True)]
    for betas in ((1.0, 0.999), (0.9, 1.0)):
        with pytest.raises(ValueError):
            torch.optim.Adam(p, betas=betas)
        with pytest.raises(rnnsim.ConfigError):
            optim.Adam(betas=betas)
    with pytest.raises(ValueError):
        torch.optim.SGD(p, lr=-0.1)
    with pytest.raises(ValueError):
        torch.optim.SGD(p, lr=0.1, nesterov=True)
