"""The Tape (rnnsim.tape, docs/tape.md): a plain-numpy step-through recording held to the kernels.

- exactness: outputs = predict, loss and gradients = loss_and_grads (1e-12) for every cell, layer
  count, direction, output mode, loss and truncation setting; ∂L/∂h(k) and the forward states =
  the kernels' (network.py); the optimizer's new values = rnnsim.train.Trainer.step;
- event order and counts for each configuration; formulas refer only to quantities they carry;
  the running sums end at the gradients;
- the cursor: round trips land on the same state, seek/seek_to/run_to_end_of/continue_;
- truncation: no gradient flow before the window; clipping: the numbers of rnnsim.clip.
"""
from __future__ import annotations

import copy
import itertools
import json
import time
import tracemalloc
import weakref

import numpy as np
import pytest

from rnnsim import ConfigError, InputError, Model, ModelSpec, clip, network, optim
from rnnsim.data import Dataset
from rnnsim.tape import Event, Formula, Tape, record, render_text, to_json
from rnnsim.train import TrainConfig, Trainer

CELLS = ("linear", "rnn_tanh", "rnn_relu", "rnn_sigmoid", "rnn_softplus", "rnn_hard_sigmoid", "lstm", "gru")
# (loss, with a linear head; "sigmoid": a head with output_activation "sigmoid")
HEADS = (("mse", True), ("mse", False), ("cross_entropy", True), ("mse", "sigmoid"), ("mae", True), ("mae", "sigmoid"))
T, B, IN, H, OUT = 5, 2, 2, 3, 3
TOL = 1e-12


def make(cell="lstm", layers=1, bidirectional=False, output="sequence", loss="mse", head=True, bias=True,
         reduction="mean", batch=B, steps=T, seed=0, hidden=H):
    spec = ModelSpec(cell=cell, input_size=IN, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional,
                     bias=bias, output_size=OUT if head else None, output=output, loss=loss, reduction=reduction,
                     output_activation="sigmoid" if head == "sigmoid" else "identity")
    model = Model.create(spec, seed=seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((batch, steps, IN))
    shape = model.output_shape(batch, steps)
    y = rng.standard_normal(shape) if loss != "cross_entropy" else rng.integers(0, OUT, shape[:-1])
    return model, x, y


def close(a, b, tol=TOL):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert np.max(np.abs(a - b), initial=0.0) <= tol * max(1.0, np.max(np.abs(b), initial=0.0))


def expected_events(spec, steps, truncate=None, l2=0.0, with_clip=False, with_update=False):
    """(kind, layer, direction, t) in execution order, written out independently of the Tape."""
    dirs = spec.directions
    orig = lambda d, s: s if d == 0 else steps - 1 - s                        # noqa: E731
    cut = lambda s: truncate and s >= 1 and (steps - s) % truncate == 0      # noqa: E731
    ev = [("forward", l, d, orig(d, s)) for l in range(spec.num_layers) for d in range(dirs) for s in range(steps)]
    ev += [("output", None, None, t) for t in (range(steps) if spec.output == "sequence" else [steps - 1])]
    ev.append(("loss", None, None, None))
    for l in reversed(range(spec.num_layers)):
        for d in range(dirs):
            for s in reversed(range(steps)):
                ev.append(("backward", l, d, orig(d, s)))
                if cut(s):
                    ev.append(("truncate", l, d, orig(d, s)))
    if l2:
        ev.append(("weight_decay", None, None, None))
    if with_clip:
        ev.append(("clip", None, None, None))
    if with_update:
        for name in spec.param_shapes():
            if name.startswith("fc."):
                ev.append(("update", None, None, None))
            else:
                ev.append(("update", int(name.split("_l")[1][0]), int(name.endswith("_reverse")), None))
    return ev


GRID = list(itertools.product(CELLS, (1, 2), (False, True), ("sequence", "last"), HEADS, (None, 2)))


def _id(p):
    cell, layers, bi, output, (loss, head), trunc = p
    return f"{cell}-L{layers}-{'bi' if bi else 'uni'}-{output}-{loss}{'' if head else '-nohead'}{'-sigmoid' if head == 'sigmoid' else ''}-tr{trunc}"


@pytest.mark.parametrize("case", GRID, ids=[_id(p) for p in GRID])
def test_tape_equals_engine_and_events_are_in_order(case):
    cell, layers, bi, output, (loss, head), trunc = case
    l2 = 0.05 if trunc else 0.0                  # half the grid also carries an L2 term
    model, x, y = make(cell, layers, bi, output, loss, head)
    tape = record(model, x, y, truncate=trunc, l2=l2)
    ref_loss, ref_grads = model.loss_and_grads(x, y, truncate=trunc, l2=l2)
    close(tape.output, model.predict(x))
    assert abs(tape.loss - ref_loss) <= TOL * max(1.0, abs(ref_loss))
    assert list(tape.grads) == list(ref_grads)
    for name in ref_grads:
        close(tape.grads[name], ref_grads[name])
    # ∂L/∂h(k) for every k, as the kernels compute it
    state_grads = {}
    network.loss_and_grads(model.spec, model.params, x, y, trunc, l2, state_grads=state_grads)
    for key, dh in state_grads.items():
        if len(key) == 3:                       # ∂L/∂h0: the Tape has no event for the initial state
            continue
        close(tape.dh_norms[key], np.sqrt(np.sum(dh[:, 0] ** 2, axis=1)))
    # event order and counts
    got = [(e.kind, e.layer, e.direction, e.t) for e in tape.events]
    assert got == expected_events(model.spec, T, trunc, l2)
    assert [e.index for e in tape.events] == list(range(len(tape.events)))
    # every formula refers only to quantities its event carries
    for e in tape.events:
        q = e.quantities
        assert e.formulas, e.title
        for f in e.formulas:
            assert f.result in q, (e.title, f.result)
            for name in f.names():
                assert name in q, (e.title, f.template, name)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bi", (False, True))
def test_forward_states_equal_the_kernels(cell, bi):
    model, x, y = make(cell, layers=2, bidirectional=bi)
    tape = record(model, x, y)
    fp = network.forward(model.spec, model.params, network.to_time_major(x))
    state = tape.state_at(len(tape.events) - 1)
    for l, row in enumerate(fp.layers):
        for d, dp in enumerate(row):
            rec = dp.record
            for s in range(T):
                t = s if d == 0 else T - 1 - s
                close(state[("h", l, d, t)], rec.h[s, 0])
                if rec.c is not None:
                    close(state[("c", l, d, t)], rec.c[s, 0])
                if rec.gates is not None:
                    close(state[("gates", l, d, t)], rec.gates[s, 0].reshape(model.spec.gate_blocks, H))
            if rec.gates is not None:
                g = rec.gates[:, 0] if d == 0 else rec.gates[::-1, 0]
                close(tape.gate_means[(l, d)], g.reshape(T, -1, H).mean(axis=2))
    if cell not in ("lstm", "gru"):
        assert tape.gate_means == {}


@pytest.mark.parametrize("cell", ("rnn_tanh", "lstm", "gru"))
@pytest.mark.parametrize("reduction", ("mean", "sum"))
def test_no_bias_sum_reduction_and_a_batch_of_one(cell, reduction):
    for batch in (1, 4):
        model, x, y = make(cell, layers=2, bidirectional=True, bias=False, reduction=reduction, loss="cross_entropy",
                           batch=batch)
        tape = record(model, x, y, truncate=3)
        ref_loss, ref_grads = model.loss_and_grads(x, y, truncate=3)
        assert abs(tape.loss - ref_loss) <= TOL * max(1.0, abs(ref_loss))
        for name in ref_grads:
            close(tape.grads[name], ref_grads[name])
        assert not any(n.startswith("rnn.bias") for n in tape.grads)


# ---- quantities ----------------------------------------------------------------------------------
DOC_NAMES = {
    "forward": ["x(t)", "h(t-1)", "U", "W", "h(t)"],
    "output": ["o(t)", "L(t)", "h(t)", "y(t)"],
    "loss": ["L", "reduction", "count"],
    "backward": ["∂L/∂h(t) from output", "∂L/∂h(t) from t+1", "∂L/∂h(t)", "∂L/∂U (step)", "∂L/∂U (sum)",
                 "∂L/∂W (step)", "∂L/∂W (sum)", "∂L/∂b (step)", "∂L/∂b (sum)", "h(t-1)", "h(t)", "x(t)",
                 "∂L/∂h(t-1) from t"],
    "clip": ["norm before", "norm after", "threshold"],
    "update": ["old", "grad", "new"],
}
CELL_NAMES = {
    "lstm": {"forward": ["c(t-1)", "c(t)", "b", *"ifgo", "i_pre", "f_pre", "g_pre", "o_pre"],
             "backward": ["∂L/∂c(t)", "∂L/∂c(t) from t+1", "∂L/∂i_pre", "∂L/∂f_pre", "∂L/∂g_pre", "∂L/∂o_pre"]},
    "gru": {"forward": [*"rzn", "r_pre", "z_pre", "n_pre", "b_ih", "b_hh"],
            "backward": ["∂L/∂r_pre", "∂L/∂z_pre", "∂L/∂n_pre"]},
    "rnn_tanh": {"forward": ["b", "h_pre"], "backward": ["∂L/∂h_pre"]},
}


@pytest.mark.parametrize("cell", ("rnn_tanh", "lstm", "gru"))
@pytest.mark.parametrize("layers,bi", ((1, False), (2, True)))
def test_the_names_of_docs_tape_md_resolve(cell, layers, bi):
    model, x, y = make(cell, layers=layers, bidirectional=bi, loss="cross_entropy")
    tape = record(model, x, y, clip=1.0, optimizer=optim.SGD(0.1))
    for e in tape.events:
        wanted = DOC_NAMES.get(e.kind, []) + CELL_NAMES[cell].get(e.kind, [])
        if e.kind == "backward" and cell == "gru":
            wanted = [w for w in wanted if w not in ("∂L/∂b (step)", "∂L/∂b (sum)")] + ["∂L/∂b_ih (sum)"]
        if e.kind == "backward" and e.layer == layers - 1:
            wanted = wanted + ["∂L/∂o(t)"]
        if e.kind == "output":
            wanted = wanted + ["ŷ(t)"]
        q = e.quantities
        for name in wanted:
            assert name in q, (e.title, name)
            assert q[name] is q[q.resolve(name)]
        assert set(q.aliases) >= {k for k in wanted if k not in dict.keys(q)}


def test_first_row_and_batch_views():
    model, x, y = make("gru", layers=2, bidirectional=True, batch=3)
    tape = record(model, x, y, optimizer=optim.Adam(0.01))
    for e in tape.events:
        q, qb = e.quantities, e.quantities_batch
        assert list(q) == list(qb)
        for name in q:
            if name in e.per_sequence:
                assert qb[name].shape[0] == 3
                np.testing.assert_array_equal(q[name], qb[name][0])
            else:
                assert qb[name] is q[name]
            assert isinstance(q[name], np.ndarray)
    e = tape.seek_to("forward", layer=1, direction=1, t=2)
    np.testing.assert_array_equal(e.quantities["x(t)"], tape.state_at()[("h", 0, 0, 2)].tolist()
                                  + tape.state_at()[("h", 0, 1, 2)].tolist())


def test_running_sums_end_at_the_gradients():
    model, x, y = make("lstm", layers=2, bidirectional=True, output="sequence", loss="cross_entropy")
    tape = record(model, x, y, truncate=2)
    steps_sum = {}
    for e in tape.events:
        if e.kind != "backward":
            continue
        q = e.quantities
        for short, param in (("U", "weight_ih"), ("W", "weight_hh"), ("b", "bias_ih")):
            name = f"rnn.{param}_l{e.layer}" + ("_reverse" if e.direction else "")
            steps_sum[name] = steps_sum.get(name, 0) + q[f"∂L/∂{short} (step)"]
            close(q[f"∂L/∂{short} (sum)"], q[f"∂L/∂{short} (sum before)"] + q[f"∂L/∂{short} (step)"])
        if e.layer == 1 and e.direction == 0:
            steps_sum["fc.weight"] = steps_sum.get("fc.weight", 0) + q["∂L/∂V (step)"]
        last = e.t == (0 if e.direction == 0 else T - 1)
        if last:
            close(q["∂L/∂U (sum)"], tape.grads[f"rnn.weight_ih_l{e.layer}" + ("_reverse" if e.direction else "")])
            close(q["∂L/∂W (sum)"], tape.grads[f"rnn.weight_hh_l{e.layer}" + ("_reverse" if e.direction else "")])
            if e.layer == 1 and e.direction == 0:
                close(q["∂L/∂V (sum)"], tape.grads["fc.weight"])
                close(q["∂L/∂c (sum)"], tape.grads["fc.bias"])
    for name, total in steps_sum.items():
        close(total, tape.grads[name])
    # read out of order (nothing cached nearby), the running sums are formed directly: the same numbers
    fresh = record(model, x, y, truncate=2)
    for e in reversed(fresh.events):
        if e.kind == "backward":
            for key in ("∂L/∂U (sum)", "∂L/∂W (sum before)", "∂L/∂b (sum)"):
                close(e.quantities[key], tape.events[e.index].quantities[key])


def test_reverse_direction_names_and_the_last_output_sentence():
    model, x, y = make("rnn_tanh", bidirectional=True, output="last", loss="cross_entropy")
    tape = record(model, x, y)
    e = tape.seek_to("forward", layer=0, direction=1, t=T - 1)        # the reverse direction's first step
    assert e.title == f"Forward · layer 1 · reverse direction · t = {T}"
    assert f"h←({T})" in e.quantities and f"h←({T + 1})" in e.quantities   # h←(T) from the initial h←(T+1)
    assert "reverse direction" in e.formulas[-1].words
    out = tape.seek_to("output")
    words = out.formulas[0].words
    assert "FIRST step" in words and f"h←({T})" in words and "out[:, -1, :]" in words
    back = tape.seek_to("backward", layer=0, direction=1, t=2)
    assert "∂L/∂h←(3) from h←(2)" in back.quantities           # the next step in processing order is t-1
    assert "∂L/∂h←(4) from h←(3)" in back.quantities


def test_single_layer_uses_the_lessons_names():
    model, x, y = make("rnn_tanh", loss="cross_entropy")
    tape = record(model, x, y)
    e = tape.seek(2)
    assert e.title == "Forward · layer 1 · t = 3"
    assert {"x(3)", "h(2)", "h(3)", "U", "W", "b", "h_pre"} <= set(e.quantities)
    assert e.formulas[0] == Formula("h_pre", "{U}·{x(3)} + {W}·{h(2)} + {b}", e.formulas[0].words)
    assert e.formulas[1].template == "tanh({h_pre})"
    out = tape.seek_to("output", t=2)
    assert [f.result for f in out.formulas] == ["o(3)", "ŷ(3)", "L(3)"]
    np.testing.assert_allclose(out.quantities["ŷ(3)"].sum(), 1.0)


# ---- truncation and clipping --------------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
def test_truncated_run_has_no_gradient_flow_before_the_window(cell):
    steps, k = 9, 3
    model, x, y = make(cell, layers=2, output="last", steps=steps)
    tape = record(model, x, y, truncate=k)
    full = record(model, x, y)
    for layer in range(2):
        norms = tape.dh_norms[(layer, 0)]
        assert np.all(norms[:steps - k] == 0.0)
        assert np.any(norms[steps - k:] > 0.0)
        assert np.any(full.dh_norms[(layer, 0)][:steps - k] > 0.0)      # without truncation it does reach them
    cuts = [e for e in tape.events if e.kind == "truncate"]
    assert [(e.layer, e.t) for e in cuts] == [(l, t) for l in (1, 0) for t in (6, 3)]
    for e in cuts:
        q = e.quantities
        assert np.all(q["∂L/∂h(t-1) from t"] == 0.0)
        assert "blocked ∂L/∂h(t-1)" in q and q["window"] == k
        assert any(f.template == "0" for f in e.formulas)
    first_cut = cuts[0]
    assert np.any(first_cut.quantities["blocked ∂L/∂h(t-1)"] != 0.0)     # the window's gradient is really stopped


@pytest.mark.parametrize("mode,threshold", (("norm", 0.05), ("norm", 1e6), ("value", 0.01)))
def test_clip_event_matches_rnnsim_clip(mode, threshold):
    model, x, y = make("lstm", layers=2, loss="cross_entropy")
    tape = record(model, x, y, clip=threshold, clip_mode=mode, optimizer=optim.SGD(0.1))
    _, grads = model.loss_and_grads(x, y)
    before = clip.global_norm(grads)
    clipped = {k: v.copy() for k, v in grads.items()}
    (clip.clip_by_norm if mode == "norm" else clip.clip_by_value)(clipped, threshold)
    e = tape.run_to_end_of("backward")
    assert e.kind == "clip"
    q = e.quantities
    close(q["norm before"], before)
    close(q["norm after"], clip.global_norm(clipped))
    assert float(q["threshold"]) == threshold
    for name in grads:
        close(tape.clipped_grads[name], clipped[name])
    if mode == "norm":
        assert bool(q["clipped"]) == (threshold < before)
        close(q["scale"], threshold / (before + 1e-6))
    upd = tape.seek_to("update")
    close(upd.quantities["grad"], clipped[upd.param])


# ---- the optimizer's update ---------------------------------------------------------------------
OPTIMIZERS = [
    ("sgd", {}), ("sgd", {"momentum": 0.9}), ("sgd", {"momentum": 0.9, "nesterov": True}), ("rprop", {}),
    ("adam", {}), ("rmsprop", {}), ("rmsprop", {"momentum": 0.5}), ("adagrad", {}),
]
STATE_NAMES = {"sgd": ["momentum"], "rprop": ["Rprop Δ", "Rprop sign"], "adam": ["Adam m", "Adam v"],
               "rmsprop": ["RMSprop v"], "adagrad": ["Adagrad sum"]}


@pytest.mark.parametrize("name,options", OPTIMIZERS, ids=[f"{n}-{'-'.join(o)}" for n, o in OPTIMIZERS])
def test_update_equals_trainer_step(name, options):
    model, x, y = make("gru", layers=2, bidirectional=True, output="last", loss="cross_entropy", batch=3)
    data = Dataset("probe", x, y, output="last", loss="cross_entropy")
    config = TrainConfig(optimizer=name, lr=0.05, momentum=options.get("momentum", 0.0),
                         nesterov=options.get("nesterov", False), clip=0.5, truncate=3, weight_decay=0.01)
    trainer = Trainer(model, data, config)
    for _ in range(3):                          # later steps carry optimizer state (momentum, Rprop's signs)
        before_params = model.state_dict()
        before_state = copy.deepcopy(trainer.optimizer.state)
        tape = record(model, x, y, truncate=3, l2=0.01, clip=0.5, optimizer=trainer.optimizer)
        for k, v in before_params.items():      # the caller's model and optimizer are untouched
            np.testing.assert_array_equal(model.params[k], v)
        assert trainer.optimizer.state.keys() == before_state.keys()
        for k, st in before_state.items():
            for sk, sv in st.items():
                np.testing.assert_array_equal(trainer.optimizer.state[k][sk], sv)
        trainer.step()
        updates = [e for e in tape.events if e.kind == "update"]
        assert [e.param for e in updates] == list(model.params)
        for e in updates:
            close(tape.new_params[e.param], model.params[e.param])
            close(e.quantities["new"], model.params[e.param])
            close(e.quantities["old"], before_params[e.param])
            if name != "sgd" or options:
                for state_name in STATE_NAMES[name]:
                    assert state_name in e.quantities, (e.title, state_name)
            for f in e.formulas:
                for n in f.names():
                    assert n in e.quantities


# ---- the cursor ---------------------------------------------------------------------------------
def _snapshot(state):
    return {k: (np.array(v, copy=True) if not isinstance(v, (bool, float, tuple)) else v) for k, v in state.items()}


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(np.asarray(a[k], dtype=float), np.asarray(b[k], dtype=float))


def test_cursor_round_trip_lands_on_the_same_state():
    model, x, y = make("lstm", layers=2, bidirectional=True, loss="cross_entropy")
    tape = record(model, x, y, truncate=2, l2=0.01, clip=0.1, optimizer=optim.Adam(0.01))
    arrays = {id(a): a.copy() for row in tape.traces for tr in row for a in (tr.h, tr.c, tr.dh, tr.dpre)}
    assert tape.cursor == -1 and tape.current is None and tape.state_at() == {}
    forward_states, titles = [], []
    while tape.cursor < len(tape.events) - 1:
        e = tape.next()
        forward_states.append(_snapshot(tape.state_at()))
        titles.append(e.title)
        e.quantities                                           # reading an event changes nothing
    assert tape.next() is tape.events[-1]                      # stays at the end
    assert tape.current.kind == "update"
    for i in range(len(tape.events) - 1, -1, -1):
        assert tape.cursor == i and tape.current.title == titles[i]
        _same(tape.state_at(), forward_states[i])
        tape.prev()
    assert tape.cursor == -1 and tape.prev() is None
    for i in (5, 0, len(tape.events) - 1, 17):
        assert tape.seek(i) is tape.events[i]
        _same(tape.state_at(), forward_states[i])
    with pytest.raises(ValueError):                              # the recorded numbers cannot be changed by a viewer
        tape.events[0].quantities["h(t)"][...] = 1.0
    for row in tape.traces:                                      # no recomputation: the stored numbers are as recorded
        for tr in row:
            for a in (tr.h, tr.c, tr.dh, tr.dpre):
                np.testing.assert_array_equal(a, arrays[id(a)])
    with pytest.raises(IndexError):
        tape.seek(len(tape.events))
    with pytest.raises(IndexError):
        tape.seek(-2)


def test_state_at_grows_with_the_cursor():
    model, x, y = make("gru", loss="cross_entropy")
    tape = record(model, x, y, optimizer=optim.SGD(0.1))
    s = tape.state_at(tape.find("output") - 1)
    assert set(k[0] for k in s) == {"h", "gates"} and len(s) == 2 * T
    s = tape.state_at(tape.find("loss"))
    assert s[("loss",)] == tape.loss and ("o", T - 1) in s and ("ŷ", 0) in s
    s = tape.state_at(tape.find("backward", t=T - 1))
    assert ("dh", 0, 0, T - 1) in s and ("dh", 0, 0, 0) not in s
    s = tape.state_at(len(tape.events) - 1)
    assert all(("grad", k) in s and ("new", k) in s for k in model.params)


def test_seek_run_to_and_breakpoints():
    model, x, y = make("rnn_tanh", loss="cross_entropy")          # 1 layer: forward 0..4, output 5..9, loss 10
    tape = record(model, x, y, clip=1.0, optimizer=optim.SGD(0.1))
    assert tape.phases == ["forward", "loss", "backward", "update"]
    assert tape.run_to_end_of("forward").index == 9
    assert tape.run_to_end_of("loss").kind == "loss"
    assert tape.run_to_end_of("backward").kind == "clip"
    assert tape.run_to_end_of("update") is tape.events[-1]
    e = tape.seek_to("backward", layer=0, t=2)
    assert (e.kind, e.layer, e.direction, e.t) == ("backward", 0, 0, 2)
    assert tape.seek("forward", 0, 3) is tape.events[3]
    assert tape.seek_to("output", t=1).index == 6
    with pytest.raises(LookupError):
        tape.seek_to("backward", layer=3)
    tape.seek(-1)
    tape.breakpoints = {2}
    stops = []
    while tape.cursor < len(tape.events) - 1:
        stops.append(tape.continue_().index)
    backward_t2 = tape.find("backward", t=2)
    assert stops == [2, 7, 9, 10, backward_t2, tape.find("clip"), len(tape.events) - 1]
    tape.breakpoints = set()
    tape.seek(-1)
    assert tape.continue_().index == 9                          # no breakpoint: the end of the phase
    no_update = record(model, x, y)
    assert no_update.phases == ["forward", "loss", "backward"]
    with pytest.raises(LookupError):
        no_update.run_to_end_of("update")


# ---- input checks, robustness, output formats ---------------------------------------------------
def test_refusals():
    model, x, y = make("lstm", batch=5)
    with pytest.raises(InputError):
        record(model, x, y)
    model, x, y = make("lstm")
    with pytest.raises(InputError):
        record(model, x[:, :, :1], y)
    with pytest.raises(ConfigError):
        record(model, x, y, truncate=-1)
    with pytest.raises(ConfigError):
        record(model, x, y, clip=0.0)
    with pytest.raises(ConfigError):
        record(model, x, y, clip_mode="sideways")
    with pytest.raises(ConfigError):
        record(model, x, y, optimizer="sgd")


def test_the_tape_keeps_its_own_copies():
    model, x, y = make("rnn_tanh")
    tape = record(model, x, y)
    out = tape.output.copy()
    h = tape.state_at(len(tape.events) - 1)[("h", 0, 0, 2)].copy()
    x[...] = 0.0
    for p in model.params.values():
        p *= 2.0
    np.testing.assert_array_equal(tape.output, out)
    np.testing.assert_array_equal(tape.seek_to("forward", t=2).quantities["h(t)"], h)
    assert not np.all(tape.x == 0.0)


def test_exploding_values_record_without_warnings():
    model, x, y = make("rnn_relu", layers=2, steps=8)
    for name, p in model.params.items():
        if "weight_hh" in name:
            p[...] = 1e120 * np.abs(p)
    tape = record(model, x, y, clip=1.0, optimizer=optim.Adam(0.01))   # warnings are errors under pytest
    assert not np.isfinite(tape.loss) or tape.loss > 1e100
    for e in tape.events:
        e.quantities
    render_text(tape)
    json.dumps(to_json(tape))


def test_render_and_json():
    model, x, y = make("lstm", loss="cross_entropy", batch=2)
    tape = record(model, x, y, truncate=2, clip=1.0, optimizer=optim.SGD(0.1, momentum=0.9))
    text = render_text(tape)
    assert text.count("\n\n") == len(tape.events) - 1
    assert "Forward · layer 1 · t = 1" in text and "Truncation" in text and "Update · fc.bias (c)" in text
    d = json.loads(json.dumps(to_json(tape)))
    assert d["event_count"] == len(d["events"]) == len(tape.events)
    assert abs(d["loss"] - tape.loss) == 0.0
    e = d["events"][tape.find("backward", t=2)]
    assert set(e) >= {"index", "kind", "phase", "layer", "direction", "t", "title", "formulas", "quantities",
                      "quantities_batch"}
    assert e["quantities"]["∂L/∂h(3)"] == tape.events[e["index"]].quantities["∂L/∂h(t)"].tolist()
    assert all(set(f) == {"result", "template", "words"} for f in e["formulas"])
    assert d["dh_norms"]["0,0"] == tape.dh_norms[(0, 0)].tolist()


def test_a_dropped_tape_is_freed_at_once():
    """Events refer to the Recording, not to the Tape: no reference cycle, so no garbage-collector pause later."""
    model, x, y = make("lstm")
    tape = record(model, x, y, optimizer=optim.SGD(0.1))
    event = tape.events[3]
    event.quantities
    alive = weakref.ref(tape)
    del tape
    assert alive() is None
    assert event.quantities["h(t)"].shape == (H,)        # an event kept by a view still reads its numbers


def test_types_and_public_names():
    model, x, y = make("gru")
    tape = record(model, x, y)
    assert isinstance(tape, Tape) and isinstance(tape.events[0], Event)
    assert isinstance(tape.events[0].quantities, dict)
    assert tape.T == T and tape.spec is model.spec and tape.new_params is None
    np.testing.assert_array_equal(tape.x, x)
    np.testing.assert_array_equal(tape.target, y)
    assert all(isinstance(f, Formula) for e in tape.events for f in e.formulas)


def test_recording_is_cheap():
    """The issue's budget: a 2-layer LSTM, hidden 64, T = 200, batch 1 in < 50 ms and < 50 MB (bench/bench_tape.py
    measures it; here the time bound is loose so that a busy test machine does not fail it)."""
    spec = ModelSpec(cell="lstm", input_size=8, hidden_size=64, num_layers=2, output_size=4, loss="cross_entropy")
    model = Model.create(spec, seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((1, 200, 8)), rng.integers(0, 4, (1, 200))
    record(model, x, y)
    best = min(_timed(lambda: record(model, x, y, optimizer=optim.Adam(0.001))) for _ in range(3))
    assert best < 0.5
    tracemalloc.start()
    try:
        record(model, x, y, optimizer=optim.Adam(0.001))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2 ** 20


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0
