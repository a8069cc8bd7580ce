"""rnnsim.optim and rnnsim.schedules against torch.optim reference values (no torch needed).

tests/fixtures/torch_optim.npz (written by tests/fixtures/make_optim_fixtures.py) holds, for each
optimizer case, three float64 parameters, 12 gradient sets (with sign flips, exact zeros, a
gradient-free tensor and repeated steps, which matter for Rprop) and torch.optim's parameters after
every step, plus torch's per-parameter state after the last step and the learning rates of
StepLR / ExponentialLR over 25 epochs. Replaying the gradients through rnnsim must reproduce every
step to ``rtol=1e-12, atol=1e-15``.

Also: ``rnnsim.optim.make`` by name, hyperparameter validation (rnnsim.ConfigError naming the
hyperparameter) and the documented per-parameter state keys.
"""
from __future__ import annotations

import functools
import json
import math
import os

import numpy as np
import pytest

import rnnsim
from rnnsim import optim
from rnnsim.schedules import Schedule

FIXTURE = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "torch_optim.npz")

RTOL = 1e-12
ATOL = 1e-15

# documented per-parameter state (module docstrings of rnnsim.optim)
STATE_KEYS = {
    "SGD": {"momentum_buffer"},
    "Rprop": {"step_size", "prev"},
    "Adam": {"exp_avg", "exp_avg_sq"},
    "RMSprop": {"square_avg"},
    "Adagrad": {"sum"},
}


@functools.lru_cache(maxsize=None)
def fixture():
    """{"cases": {id: {"meta", "init", "grads", "params", "state"}}, "schedules": {...}}."""
    with np.load(FIXTURE, allow_pickle=False) as z:
        files = set(z.files)
        cases = {}
        for case in json.loads(str(z["cases"])):
            meta = json.loads(str(z[f"{case}/meta"]))
            entry = {"meta": meta, "state": {}}
            for part in ("init", "grads", "params"):
                entry[part] = {n: z[f"{case}/{part}/{n}"] for n in meta["params"]}
            for key in meta["state_keys"]:
                entry["state"][key] = {n: z[f"{case}/state/{key}/{n}"] for n in meta["params"]
                                       if f"{case}/state/{key}/{n}" in files}
            cases[case] = entry
        sched = json.loads(str(z["schedules"]))
        sched["lrs"] = {k: z[f"schedule/{k}"] for k in ("step", "exponential")}
    return {"cases": cases, "schedules": sched}


def case_ids():
    with np.load(FIXTURE, allow_pickle=False) as z:
        return json.loads(str(z["cases"]))


CASES = case_ids()


def build(meta):
    return getattr(optim, meta["optimizer"])(**meta["kwargs"])


def replay(opt, case, steps=None):
    """Run ``opt`` over the case's gradients; yields (step, params) after each step."""
    data = fixture()["cases"][case]
    params = {n: v.copy() for n, v in data["init"].items()}
    ids = {n: id(v) for n, v in params.items()}
    n_steps = next(iter(data["grads"].values())).shape[0] if steps is None else steps
    for t in range(n_steps):
        opt.step(params, {n: g[t].copy() for n, g in data["grads"].items()})
        assert {n: id(v) for n, v in params.items()} == ids, "step() must update params in place"
        yield t, params


def assert_trajectory(opt, case):
    expected = fixture()["cases"][case]["params"]
    for t, params in replay(opt, case):
        for n, p in params.items():
            np.testing.assert_allclose(
                p, expected[n][t], rtol=RTOL, atol=ATOL,
                err_msg=f"{case}: parameter '{n}' after step {t + 1} differs from torch.optim")


# --- the fixture itself -----------------------------------------------------------------------

def test_fixture_covers_the_cases():
    cases = fixture()["cases"]
    by_opt = {}
    for case, data in cases.items():
        by_opt.setdefault(data["meta"]["optimizer"], []).append(case)
        shapes = {v.shape for v in data["init"].values()}
        assert len(shapes) == len(data["init"]) >= 2
        for n, g in data["grads"].items():
            assert g.dtype == np.float64 and g.shape == (12,) + data["init"][n].shape
            assert data["params"][n].shape == g.shape
    assert set(by_opt) == set(STATE_KEYS)
    assert len(by_opt["SGD"]) >= 4 and len(by_opt["Rprop"]) >= 3 and len(by_opt["Adam"]) >= 2
    assert len(by_opt["RMSprop"]) >= 3 and len(by_opt["Adagrad"]) >= 3
    # the Rprop cases see exact zeros and sign flips
    g = np.stack([np.concatenate([v[t].ravel() for v in cases["rprop_default"]["grads"].values()])
                  for t in range(12)])
    assert (g == 0).any() and (g[1:] * g[:-1] < 0).any() and (g[1:] * g[:-1] > 0).any()


# --- trajectories -----------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
def test_matches_torch_every_step(case):
    assert_trajectory(build(fixture()["cases"][case]["meta"]), case)


@pytest.mark.parametrize("case", CASES)
def test_state_matches_torch(case):
    data = fixture()["cases"][case]
    meta = data["meta"]
    opt = build(meta)
    for _ in replay(opt, case):
        pass
    assert opt.steps == 12
    assert set(opt.state) == set(meta["params"])
    for key, per in data["state"].items():
        for n, expected in per.items():
            assert key in opt.state[n], f"{case}: state['{n}'] lacks '{key}'"
            np.testing.assert_allclose(opt.state[n][key], expected, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{case}: state['{n}']['{key}'] differs from torch")


@pytest.mark.parametrize("case", CASES)
def test_documented_state_keys(case):
    meta = fixture()["cases"][case]["meta"]
    opt = build(meta)
    for _ in replay(opt, case, steps=1):
        pass
    expected = set(STATE_KEYS[meta["optimizer"]])
    if meta["optimizer"] == "SGD" and not meta["kwargs"].get("momentum"):
        expected = set()            # plain SGD keeps no buffer (torch's is None)
    if meta["optimizer"] == "RMSprop" and meta["kwargs"].get("momentum"):
        expected.add("momentum_buffer")
    for n, p in fixture()["cases"][case]["init"].items():
        state = opt.state[n]
        assert expected <= set(state), f"{case}: state['{n}'] has {sorted(state)}"
        for key in expected:
            assert isinstance(state[key], np.ndarray) and state[key].shape == p.shape
            assert state[key].dtype == np.float64


@pytest.mark.parametrize("case", [c for c in CASES if c.endswith("_default")])
def test_defaults_resolve_like_torch(case):
    """The "default" cases give neither library any hyperparameter but lr-free defaults."""
    meta = fixture()["cases"][case]["meta"]
    hp = build(meta).hyperparameters()
    group = meta["torch_group"]
    for key, value in hp.items():
        if key in group:
            expected = group[key]
            got = list(value) if isinstance(value, tuple) else value
            assert got == expected, f"{case}: {key} = {got!r}, torch {expected!r}"


# --- make() -----------------------------------------------------------------------------------

MAKE_CASES = [
    # (make args, kwargs, fixture case reproduced)
    (("sgd", 0.1), {}, "sgd_plain"),
    (("sgd", 0.05), {"momentum": 0.9}, "sgd_momentum"),
    (("sgd", 0.05), {"momentum": 0.9, "nesterov": True}, "sgd_nesterov"),
    (("rprop", 0.01), {}, "rprop_default"),
    (("rprop", 0.001), {}, "rprop_lr0.001"),
    (("adam", 0.001), {}, "adam_default"),
    (("rmsprop", 0.01), {}, "rmsprop_default"),
    (("rmsprop", 0.01), {"momentum": 0.5}, "rmsprop_momentum"),
    (("adagrad", 0.01), {}, "adagrad_default"),
]


@pytest.mark.parametrize("args,kwargs,case", MAKE_CASES, ids=[c[2] for c in MAKE_CASES])
def test_make_builds_by_name(args, kwargs, case):
    opt = optim.make(*args, **kwargs)
    cls = getattr(optim, fixture()["cases"][case]["meta"]["optimizer"])
    assert type(opt) is cls and opt.name == args[0] and optim.OPTIMIZERS[args[0]] is cls
    assert opt.lr == args[1]
    assert_trajectory(opt, case)


@pytest.mark.parametrize("name", ["adamw", "lbfgs", "", "sgd ", "nadam"])
def test_make_refuses_unknown_names(name):
    with pytest.raises(rnnsim.ConfigError, match="unknown optimizer"):
        optim.make(name, 0.01)


@pytest.mark.parametrize("name", ["adam", "rprop", "adagrad"])
@pytest.mark.parametrize("kwargs", [{"momentum": 0.9}, {"nesterov": True}, {"momentum": 0.5, "nesterov": True}])
def test_make_refuses_momentum_where_it_does_not_apply(name, kwargs):
    with pytest.raises(rnnsim.ConfigError, match=f"(?i)momentum.*{name}|{name}.*momentum"):
        optim.make(name, 0.01, **kwargs)


def test_settings_table_reads_the_constructors():
    assert optim.SETTINGS["betas"] == {"adam": (0.9, 0.999)}
    assert optim.SETTINGS["eps"] == {"adam": 1e-8, "rmsprop": 1e-8, "adagrad": 1e-10}
    assert optim.SETTINGS["momentum"] == {"sgd": 0.0, "rmsprop": 0.0}
    assert set(optim.SETTINGS) == {"momentum", "dampening", "nesterov", "etas", "step_sizes", "betas", "eps",
                                   "alpha", "lr_decay", "initial_accumulator_value"}


@pytest.mark.parametrize("name,settings,expected", [
    ("adam", {"betas": (0.8, 0.99), "eps": 1e-6}, {"betas": (0.8, 0.99), "eps": 1e-6}),
    ("adam", {"eps": None}, {"eps": 1e-8}),
    ("rmsprop", {"alpha": 0.9, "momentum": 0.5}, {"alpha": 0.9, "momentum": 0.5}),
    ("rprop", {"etas": (0.3, 1.5), "step_sizes": (1e-4, 1.0)}, {"etas": (0.3, 1.5), "step_sizes": (1e-4, 1.0)}),
    ("adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1, "eps": None},
     {"lr_decay": 0.01, "initial_accumulator_value": 0.1, "eps": 1e-10}),
    ("sgd", {"momentum": 0.9, "dampening": 0.1}, {"momentum": 0.9, "dampening": 0.1}),
])
def test_make_passes_each_optimizer_its_settings(name, settings, expected):
    opt = optim.make(name, 0.01, **settings)
    got = opt.hyperparameters()
    assert {k: got[k] for k in expected} == expected


ALL_DEFAULTS = {"dampening": 0.0, "betas": (0.9, 0.999), "eps": None, "alpha": 0.99, "etas": (0.5, 1.2),
                "step_sizes": (1e-6, 50.0), "lr_decay": 0.0, "initial_accumulator_value": 0.0}


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_make_accepts_settings_of_other_optimizers_at_their_defaults(name):
    assert optim.make(name, 0.01, **ALL_DEFAULTS).name == name


@pytest.mark.parametrize("name,setting,value,owners", [
    ("sgd", "betas", (0.8, 0.99), "adam"),
    ("adam", "etas", (0.3, 1.5), "rprop"),
    ("rprop", "alpha", 0.9, "rmsprop"),
    ("sgd", "eps", 1e-8, "adam, rmsprop and adagrad"),
    ("adam", "lr_decay", 0.1, "adagrad"),
    ("rmsprop", "dampening", 0.1, "sgd"),
    ("rmsprop", "nesterov", True, "sgd"),
])
def test_make_refuses_settings_another_optimizer_takes(name, setting, value, owners):
    pattern = f"(?i)^{name} has no .*{setting}.* setting; it belongs to {owners}$"
    with pytest.raises(rnnsim.ConfigError, match=pattern):
        optim.make(name, 0.01, **{setting: value})


def test_make_refuses_unknown_settings():
    with pytest.raises(rnnsim.ConfigError, match="unknown optimizer setting 'amsgrad'"):
        optim.make("adam", 0.01, amsgrad=True)


def test_make_refuses_nesterov_without_momentum():
    with pytest.raises(rnnsim.ConfigError, match="(?i)nesterov"):
        optim.make("sgd", 0.01, nesterov=True)


@pytest.mark.parametrize("lr", [0.0, -0.01, math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("name", ["sgd", "rprop", "adam", "rmsprop", "adagrad"])
def test_make_refuses_bad_lr(name, lr):
    with pytest.raises(rnnsim.ConfigError, match=r"(?i)learning rate|\blr\b"):
        optim.make(name, lr)


# --- hyperparameter validation ----------------------------------------------------------------

LR_NAME = r"(?i)learning rate|\blr\b"
BAD = [0.0, -1e-3, math.nan, math.inf, -math.inf]

INVALID = [
    # (class, kwargs, regex the message must match)
    *[(cls, {"lr": lr}, LR_NAME) for cls in ("SGD", "Rprop", "Adam", "RMSprop", "Adagrad") for lr in BAD],
    ("Adam", {"betas": (1.0, 0.999)}, r"β1|(?i:beta1|betas)"),
    ("Adam", {"betas": (1.5, 0.999)}, r"β1|(?i:beta1|betas)"),
    ("Adam", {"betas": (-0.1, 0.999)}, r"β1|(?i:beta1|betas)"),
    ("Adam", {"betas": (math.nan, 0.999)}, r"β1|(?i:beta1|betas)"),
    ("Adam", {"betas": (0.9, 1.0)}, r"β2|(?i:beta2|betas)"),
    ("Adam", {"betas": (0.9, 1.01)}, r"β2|(?i:beta2|betas)"),
    ("Adam", {"betas": (0.9, math.inf)}, r"β2|(?i:beta2|betas)"),
    ("Adam", {"eps": 0.0}, r"ε|(?i:eps)"),
    ("Adam", {"eps": -1e-8}, r"ε|(?i:eps)"),
    ("Adam", {"eps": math.nan}, r"ε|(?i:eps)"),
    ("SGD", {"lr": 0.1, "nesterov": True}, r"(?i)nesterov"),
    ("SGD", {"lr": 0.1, "momentum": 0.0, "nesterov": True}, r"(?i)nesterov"),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5, "nesterov": True}, r"(?i)nesterov"),
    ("SGD", {"lr": 0.1, "momentum": -0.5}, r"(?i)momentum"),
    ("SGD", {"lr": 0.1, "momentum": math.nan}, r"(?i)momentum"),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": -0.1}, r"(?i)dampening"),
    ("Rprop", {"etas": (1.0, 1.2)}, r"η|(?i:eta)"),
    ("Rprop", {"etas": (0.0, 1.2)}, r"η|(?i:eta)"),
    ("Rprop", {"etas": (0.5, 0.9)}, r"η|(?i:eta)"),
    ("Rprop", {"etas": (0.5, math.nan)}, r"η|(?i:eta)"),
    ("Rprop", {"step_sizes": (-1e-6, 50.0)}, r"(?i)step"),
    ("Rprop", {"step_sizes": (1e-6, 0.0)}, r"(?i)step"),
    ("Rprop", {"step_sizes": (1e-6, math.inf)}, r"(?i)step"),
    ("Rprop", {"step_sizes": (0.0, 50.0)}, r"Rprop step sizes .*0 < smallest ≤ largest"),
    ("Rprop", {"step_sizes": (1.0, 0.5)}, r"Rprop step sizes .*0 < smallest ≤ largest"),
    ("Rprop", {"etas": (0.5,)}, r"Rprop etas .*0 < η− < 1 < η\+, got \(0.5,\)"),
    ("Adam", {"betas": ("0.9", 0.999)}, r"Adam betas .* must both be in \[0, 1\)"),
    ("SGD", {"lr": 0.1, "dampening": 1.5}, r"SGD dampening must be in \[0, 1\], got 1.5"),
    ("RMSprop", {"alpha": 1.5}, r"RMSprop alpha \(α\) must be in \[0, 1\], got 1.5"),
    ("Adam", {"eps": "tiny"}, r"Adam eps \(ε\) must be a number > 0, got 'tiny'"),
    ("RMSprop", {"alpha": -0.1}, r"α|(?i:alpha)"),
    ("RMSprop", {"alpha": math.nan}, r"α|(?i:alpha)"),
    ("RMSprop", {"eps": 0.0}, r"ε|(?i:eps)"),
    ("RMSprop", {"momentum": -0.5}, r"(?i)momentum"),
    ("Adagrad", {"lr_decay": -0.1}, r"(?i)lr_decay|lr decay"),
    ("Adagrad", {"lr_decay": math.inf}, r"(?i)lr_decay|lr decay"),
    ("Adagrad", {"eps": -1e-10}, r"ε|(?i:eps)"),
    ("Adagrad", {"initial_accumulator_value": -0.1}, r"(?i)initial.accumulator"),
    ("Adagrad", {"initial_accumulator_value": math.nan}, r"(?i)initial.accumulator"),
]


@pytest.mark.parametrize("cls,kwargs,pattern", INVALID,
                         ids=[f"{c}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for c, kw, _ in INVALID])
def test_invalid_hyperparameters_raise_config_error(cls, kwargs, pattern):
    with pytest.raises(rnnsim.ConfigError, match=pattern):
        getattr(optim, cls)(**kwargs)


def test_config_error_is_a_value_error():
    with pytest.raises(ValueError):
        optim.Adam(lr=-1.0)


# --- schedules --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["step", "exponential"])
def test_schedule_matches_torch(kind):
    sched = fixture()["schedules"]
    expected = sched["lrs"][kind]
    s = Schedule(kind, **sched[kind])
    got = np.array([s.factor(epoch) * sched["lr0"] for epoch in range(sched["epochs"])])
    assert len(expected) == 25
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0,
                               err_msg=f"{kind} schedule differs from torch's LR scheduler")


def test_schedule_step_in_the_brief_form():
    sched = fixture()["schedules"]
    lr0 = sched["lr0"]
    step = Schedule("step", gamma=0.5, step_size=3)
    expo = Schedule("exponential", gamma=0.9)
    for epoch in range(25):
        assert math.isclose(step.factor(epoch) * lr0, sched["lrs"]["step"][epoch], rel_tol=RTOL)
        assert math.isclose(expo.factor(epoch) * lr0, sched["lrs"]["exponential"][epoch], rel_tol=RTOL)
    assert Schedule("constant").factor(17) == 1.0


@pytest.mark.parametrize("args,kwargs", [
    (("cosine",), {}), (("step",), {"gamma": 0.0}), (("step",), {"gamma": 1.5}),
    (("exponential",), {"gamma": math.nan}), (("step",), {"step_size": 0}), (("step",), {"step_size": 2.5}),
])
def test_schedule_refuses_bad_settings(args, kwargs):
    with pytest.raises(rnnsim.ConfigError):
        Schedule(*args, **kwargs)
