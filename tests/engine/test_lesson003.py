"""The lesson of the Chinese tutorial on the linear recurrent network: the RNN that counts ones,
S(k) = S(k-1)·w_rec + X(k)·w_x, y = S(n), its cost surface and Rprop.

The engine's ``linear`` cell with one unit, no bias and no head is exactly this model; its loss
(MSE, mean over the 20 sequences) and its BPTT gradients must be the lesson's, derived by hand.
"""
import numpy as np
import pytest

from rnnsim import Model, ModelSpec, network, optim, recipe
from rnnsim.data import make_task
from rnnsim.gradcheck import gradcheck, numeric_grads
from rnnsim.train import Trainer

N_SEQ, N_STEPS = 20, 10
POINTS = [(2.0, 1.0), (1.0, 2.0), (1.0, -2.0), (1.0, 0.0), (1.0, 0.5), (1.0, -0.5), (1.2, 1.2), (-1.5, 2.0)]


def counter(w_x, w_rec) -> Model:
    spec = ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", loss="mse", bias=False,
                     output_size=None)
    assert list(spec.param_shapes()) == ["rnn.weight_ih_l0", "rnn.weight_hh_l0"]
    return Model(spec, {"rnn.weight_ih_l0": np.array([[w_x]]), "rnn.weight_hh_l0": np.array([[w_rec]])})


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2, size=(N_SEQ, N_STEPS)).astype(np.float64)
    x = bits[:, :, None]                        # (20, 10, 1)
    t = bits.sum(axis=1)[:, None]               # (20, 1): the number of ones
    return x, t


def lesson_bptt(bits, t, w_x, w_rec):
    """The lesson's forward and backward pass, by hand. Returns loss, ∂ξ/∂w_x, ∂ξ/∂w_rec, ∂ξ/∂S(k)."""
    m, n = bits.shape
    S = np.zeros((m, n + 1))                    # S[:, 0] = S(0) = 0
    for k in range(1, n + 1):
        S[:, k] = S[:, k - 1] * w_rec + bits[:, k - 1] * w_x
    y = S[:, n]
    loss = np.sum((t - y) ** 2) / m
    dS = np.zeros((m, n + 1))
    dS[:, n] = 2.0 * (y - t) / m                # ∂ξ/∂y
    for k in range(n, 0, -1):
        dS[:, k - 1] = dS[:, k] * w_rec         # ∂ξ/∂S(k-1) = ∂ξ/∂S(k)·w_rec
    g_wx = np.sum(dS[:, 1:] * bits)             # Σ_k ∂ξ/∂S(k)·X(k)
    g_wrec = np.sum(dS[:, 1:] * S[:, :-1])      # Σ_k ∂ξ/∂S(k)·S(k-1)
    return loss, g_wx, g_wrec, dS


def test_optimum_is_exact(data):
    x, t = data
    model = counter(1.0, 1.0)
    np.testing.assert_array_equal(model.predict(x), t)
    loss, grads = model.loss_and_grads(x, t)
    assert loss == 0.0
    assert grads["rnn.weight_ih_l0"][0, 0] == 0.0 and grads["rnn.weight_hh_l0"][0, 0] == 0.0


def test_lesson_example_counts_five():
    seq = np.array([0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1], dtype=np.float64)
    y = counter(1.0, 1.0).predict(seq[None, :, None])
    assert y.shape == (1, 1)
    assert y[0, 0] == 5.0


def test_loss_is_the_lessons_mse(data):
    x, t = data
    for w_x, w_rec in POINTS:
        loss, _ = counter(w_x, w_rec).loss_and_grads(x, t)
        expected, *_ = lesson_bptt(x[:, :, 0], t[:, 0], w_x, w_rec)
        assert loss == pytest.approx(expected, rel=1e-13)
    # and it is Σ(t − y)² / 20 computed from predict
    y = counter(1.2, 1.2).predict(x)
    assert counter(1.2, 1.2).loss_and_grads(x, t)[0] == pytest.approx(np.sum((t - y) ** 2) / N_SEQ, rel=1e-14)


def test_gradient_check_at_1_2(data):
    """The lesson's check: central differences with eps = 1e-7 at (1.2, 1.2) — "No gradient errors found"."""
    x, t = data
    model = counter(1.2, 1.2)
    _, grads = model.loss_and_grads(x, t)
    numeric = numeric_grads(model, x, t, eps=1e-7)
    for name in grads:
        np.testing.assert_allclose(grads[name], numeric[name], rtol=1e-6)
    result = gradcheck(model, x, t, eps=1e-7)
    assert result.passed, result.parameters
    # the same by hand on the loss through predict, as the lesson does it
    def cost(w_x, w_rec):
        return float(np.sum((t - counter(w_x, w_rec).predict(x)) ** 2) / N_SEQ)
    eps = 1e-7
    g_wx = (cost(1.2 + eps, 1.2) - cost(1.2 - eps, 1.2)) / (2 * eps)
    g_wrec = (cost(1.2, 1.2 + eps) - cost(1.2, 1.2 - eps)) / (2 * eps)
    assert grads["rnn.weight_ih_l0"][0, 0] == pytest.approx(g_wx, rel=1e-6)
    assert grads["rnn.weight_hh_l0"][0, 0] == pytest.approx(g_wrec, rel=1e-6)


@pytest.mark.parametrize("w_x,w_rec", POINTS)
def test_engine_gradients_are_the_lessons_sums(data, w_x, w_rec):
    x, t = data
    _, grads = counter(w_x, w_rec).loss_and_grads(x, t)
    _, g_wx, g_wrec, _ = lesson_bptt(x[:, :, 0], t[:, 0], w_x, w_rec)
    assert grads["rnn.weight_ih_l0"].shape == (1, 1) and grads["rnn.weight_hh_l0"].shape == (1, 1)
    assert grads["rnn.weight_ih_l0"][0, 0] == pytest.approx(g_wx, rel=1e-12, abs=1e-300)
    assert grads["rnn.weight_hh_l0"][0, 0] == pytest.approx(g_wrec, rel=1e-12, abs=1e-300)


def engine_state_gradients(model, x, t):
    """∂ξ/∂S(k), k = 0..n, as (batch, n + 1) — k = 0 the initial state: the engine's gradient-over-time view (network.backward's state_grads)."""
    state_grads = {}
    network.loss_and_grads(model.spec, model.params, x, t, state_grads=state_grads)
    assert list(state_grads) == [(0, 0), (0, 0, "h0")]
    dh = state_grads[(0, 0)]                    # (T, B, H) original time order
    assert dh.shape == (x.shape[1], x.shape[0], 1)
    return np.concatenate([state_grads[(0, 0, "h0")], dh[:, :, 0].T], axis=1)


@pytest.mark.parametrize("w_x,w_rec", POINTS)
def test_gradient_over_time(data, w_x, w_rec):
    x, t = data
    _, _, _, dS = lesson_bptt(x[:, :, 0], t[:, 0], w_x, w_rec)
    engine = engine_state_gradients(counter(w_x, w_rec), x, t)
    np.testing.assert_allclose(engine, dS, rtol=1e-12, atol=0)
    # the lesson's picture: ∂ξ/∂S(k) = ∂ξ/∂S(n) · w_rec^(n-k)
    g = engine[np.argmax(np.abs(dS[:, -1]))]         # one sequence with a non-zero error
    assert g[-1] != 0.0
    if w_rec == 0.0:
        assert np.all(g[:-1] == 0.0)                  # killed at once
    else:
        np.testing.assert_allclose(g[:-1] / g[1:], w_rec, rtol=1e-13)   # ∂ξ/∂S(k-1) = ∂ξ/∂S(k)·w_rec
    if w_rec == 1.0:
        assert np.all(g == g[-1])                     # constant
    if abs(w_rec) > 1:
        assert abs(g[0]) == pytest.approx(abs(g[-1]) * abs(w_rec) ** N_STEPS, rel=1e-12)   # explodes (n links back to S(0))
    if 0 < abs(w_rec) < 1:
        assert abs(g[0]) < abs(g[-1]) * 0.01          # vanishes
    if w_rec < 0:
        assert np.all(np.sign(g[:-1]) == -np.sign(g[1:]))   # alternates sign


def test_plain_gradient_is_huge_at_1_2(data):
    """Why plain gradient descent fails here: the gradient at (1, 2) is of order 1e5..1e7."""
    x, t = data
    _, grads = counter(1.0, 2.0).loss_and_grads(x, t)
    assert abs(grads["rnn.weight_hh_l0"][0, 0]) > 1e5
    _, near = counter(1.0, 1.0).loss_and_grads(x, t)
    assert abs(near["rnn.weight_hh_l0"][0, 0]) == 0.0


def rprop_run(x, t, steps=500):
    """The lesson's run with the engine's optimizer: Rprop (η+ = 1.2, η− = 0.5, Δ₀ = 0.001) from
    (w_x, w_rec) = (−1.5, 2). Returns the weights after each step (the start first) and the losses."""
    model = counter(-1.5, 2.0)
    rprop = optim.Rprop(lr=0.001, etas=(0.5, 1.2))
    weights, losses = [(-1.5, 2.0)], []
    for _ in range(steps):
        loss, grads = model.loss_and_grads(x, t)
        rprop.step(model.params, grads)
        weights.append((model.params["rnn.weight_ih_l0"][0, 0], model.params["rnn.weight_hh_l0"][0, 0]))
        losses.append(loss)
    return np.array(weights), np.array(losses), rprop


def test_rprop_reaches_the_optimum(data):
    """The lesson's Rprop (η+ = 1.2, η− = 0.5, start (−1.5, 2), Δ = 0.001, 500 iterations) ends at (1, 1),
    where plain gradient descent explodes (the gradient there is ~1e5..1e7)."""
    x, t = data
    weights, losses, rprop = rprop_run(x, t)
    _, grads = counter(-1.5, 2.0).loss_and_grads(x, t)
    first_sign = -np.sign([grads["rnn.weight_ih_l0"][0, 0], grads["rnn.weight_hh_l0"][0, 0]])
    # each weight moves by its own step Δ against the gradient's sign: Δ₀, then ×η+ while the sign holds
    np.testing.assert_allclose(np.diff(weights[:4], axis=0), np.outer([0.001, 0.0012, 0.00144], first_sign),
                               rtol=1e-9)
    np.testing.assert_allclose(weights[-1], [1.0, 1.0], atol=1e-3)
    assert losses[0] > 1e5 and losses[-1] < 1e-6
    assert rprop.steps == 500 and set(rprop.state) == {"rnn.weight_ih_l0", "rnn.weight_hh_l0"}


def test_bitcount_task_is_this_run(data):
    """`rnnsim train --task bitcount` (the Trainer with the task's settings, on the same 20 sequences) goes
    through exactly the same weights."""
    x, t = data
    dataset, task = make_task("bitcount", seed=3)
    np.testing.assert_array_equal(dataset.x, x)
    np.testing.assert_array_equal(dataset.y, t)
    spec = recipe.build_spec(dataset, task.model)
    model = recipe.build_model(spec, task.training.get("init", "pytorch"), 3, None, task.initial_params)
    trainer = Trainer(model, dataset, recipe.build_config(task.training, {"seed": 3}))
    assert isinstance(trainer.optimizer, optim.Rprop)
    trainer.run()
    weights, losses, _ = rprop_run(x, t)
    assert trainer.step_count == 500 and trainer.history.loss == list(losses)
    assert (model.params["rnn.weight_ih_l0"][0, 0], model.params["rnn.weight_hh_l0"][0, 0]) == tuple(weights[-1])
