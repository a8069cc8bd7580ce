"""Built-in tasks: shapes, dtypes, determinism, correct targets, suggested models and settings."""
import numpy as np
import pytest

import rnnsim
from rnnsim.data import ALIASES, TASKS, Dataset, accuracy, denormalise_targets, get_task, make_task
from rnnsim.errors import DataError
from rnnsim.init import SCHEMES
from rnnsim.optim import OPTIMIZERS

# name -> (x shape, y shape, y dtype kind, output, loss, accuracy kind) with default options
EXPECTED = {
    "xor": ((4, 1, 2), (4, 2), "f", "last", "mse", "argmax"),
    "temporal-xor": ((256, 8, 1), (256, 8), "i", "sequence", "cross_entropy", "argmax"),
    "bitcount": ((20, 10, 1), (20, 1), "f", "last", "mse", "round"),
    "long-memory": ((512, 21, 2), (512,), "i", "last", "cross_entropy", "argmax"),
    "digits": ((1797, 8, 8), (1797,), "i", "last", "cross_entropy", "argmax"),
    "sine": ((400, 20, 1), (400, 1), "f", "last", "mse", None),
    "python-source": ((399, 50, 96), (399, 50), "i", "sequence", "cross_entropy", "argmax"),
    "custom": ((4, 8, 1), (4, 8, 1), "f", "sequence", "mse", None),
    "sine-from-start": ((256, 12, 2), (256, 12, 1), "f", "sequence", "mse", None),
    "reverse": ((2000, 5, 10), (2000, 5), "i", "sequence", "cross_entropy", "argmax"),
}
RANDOM = {"temporal-xor": {}, "bitcount": {}, "long-memory": {}, "sine": {}, "digits": {"n": 100}, "custom": {}}
TRAINING_KEYS = {"optimizer", "lr", "momentum", "epochs", "batch_size", "clip", "truncate", "weight_decay",
                 "init", "validation_split", "patience"}


def test_registry_lists_every_task():
    assert set(TASKS) == set(EXPECTED)
    assert ALIASES == {"parity": "temporal-xor", "recall": "long-memory"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shapes_and_dtypes(name):
    ds, task = make_task(name)
    xs, ys, kind, output, loss, acc = EXPECTED[name]
    assert isinstance(ds, Dataset) and task is TASKS[name]
    assert ds.x.shape == xs and ds.x.dtype == np.float64
    assert ds.y.shape == ys and ds.y.dtype.kind == kind
    assert ds.y.dtype == (np.int64 if kind == "i" else np.float64)
    assert (ds.output, ds.loss, ds.accuracy) == (output, loss, acc)
    assert ds.name == name and ds.description == task.description
    assert np.all(np.isfinite(ds.x))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_same_seed_gives_identical_arrays(name):
    a, _ = make_task(name, seed=7, **RANDOM.get(name, {}))
    b, _ = make_task(name, seed=7, **RANDOM.get(name, {}))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.meta == b.meta


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_different_seed_gives_different_data(name):
    a, _ = make_task(name, seed=0, **RANDOM[name])
    b, _ = make_task(name, seed=1, **RANDOM[name])
    assert not np.array_equal(a.x, b.x)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_task_metadata_and_suggestions(name):
    ds, task = make_task(name)
    assert task.title and task.description
    sentences = [s for s in task.description.replace("e.g.", "eg").split(". ") if s.strip()]
    assert 1 <= len(sentences) <= 4
    assert set(task.training) <= TRAINING_KEYS
    assert task.training["optimizer"] in OPTIMIZERS
    assert task.training.get("init", "pytorch") in SCHEMES
    assert task.training["lr"] > 0 and task.training["epochs"] >= 1
    assert "input_size" not in task.model
    spec = task.suggest_spec(ds)
    assert spec.input_size == ds.input_size and spec.output == ds.output and spec.loss == ds.loss
    if ds.loss == "cross_entropy":
        assert spec.output_size == ds.output_size == ds.meta["classes"]
    # the suggested model reads the data and the initial parameters fit it
    model = rnnsim.Model.create(spec, task.training.get("init", "pytorch"), seed=0)
    shapes = spec.param_shapes()
    for key, value in (task.initial_params or {}).items():
        assert shapes[key] == np.shape(value)
        model.params[key] = np.array(value, dtype=float)
    sub = ds.subset(slice(0, 4))
    loss, grads = model.loss_and_grads(sub.x, sub.y, decoder_input=sub.decoder_x)
    assert np.isfinite(loss) and set(grads) == set(shapes)
    acc = accuracy(ds.accuracy, model.predict(sub.x, decoder_input=sub.decoder_x), sub.y)
    assert acc is None if ds.accuracy is None else 0 <= acc <= 1


@pytest.mark.parametrize("alias, name", [("parity", "temporal-xor"), ("recall", "long-memory")])
def test_aliases(alias, name):
    a, task = make_task(alias, seed=3)
    b, _ = make_task(name, seed=3)
    assert task.name == name and get_task(alias) is TASKS[name]
    np.testing.assert_array_equal(a.x, b.x)


def test_unknown_task_lists_the_known_ones():
    with pytest.raises(DataError) as err:
        make_task("bitcounter")
    msg = str(err.value)
    assert "'bitcounter'" in msg
    for name in list(TASKS) + list(ALIASES):
        assert name in msg
    with pytest.raises(DataError):
        make_task(None)


def test_unknown_option_lists_the_known_ones():
    with pytest.raises(DataError) as err:
        make_task("bitcount", length=5)
    msg = str(err.value)
    assert "'length'" in msg and "n" in msg and "steps" in msg
    with pytest.raises(DataError, match="known options: points, noise"):
        make_task("xor", hidden=50)


@pytest.mark.parametrize("name, options", [
    ("bitcount", {"n": 0}), ("bitcount", {"steps": 2.5}), ("bitcount", {"n": True}),
    ("temporal-xor", {"target": "middle"}), ("temporal-xor", {"steps": -1}),
    ("long-memory", {"delay": -1}), ("long-memory", {"noise": -0.5}), ("long-memory", {"noise": "loud"}),
    ("digits", {"n": 0}), ("digits", {"n": 5000}),
    ("sine", {"window": 0}), ("sine", {"horizon": 0}), ("sine", {"period": 0.0}),
])
def test_bad_option_values_are_refused(name, options):
    with pytest.raises(DataError) as err:
        make_task(name, **options)
    assert name in str(err.value) and next(iter(options)) in str(err.value)


def test_bad_seed_is_refused():
    with pytest.raises(DataError, match="seed"):
        make_task("bitcount", seed=-1)


# ---- task contents -------------------------------------------------------------------------
def test_xor_is_the_exact_table():
    ds, task = make_task("xor")
    np.testing.assert_array_equal(ds.x[:, 0, :], [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(ds.y, [[1, 0], [0, 1], [0, 1], [1, 0]])
    assert ds.output_size == 2
    assert task.model["cell"] == "rnn_sigmoid" and task.model["hidden_size"] == 3
    assert make_task("xor", seed=5)[0].x.tobytes() == ds.x.tobytes()


@pytest.mark.parametrize("steps", [1, 8, 13])
def test_parity_is_the_running_xor(steps):
    ds, _ = make_task("temporal-xor", seed=2, n=50, steps=steps)
    bits = ds.x[:, :, 0]
    assert set(np.unique(bits)) <= {0.0, 1.0}
    running = np.zeros(50, dtype=int)
    for t in range(steps):
        running ^= bits[:, t].astype(int)
        np.testing.assert_array_equal(ds.y[:, t], running)
    end, _ = make_task("parity", seed=2, n=50, steps=steps, target="end")
    assert end.output == "last" and end.y.shape == (50,)
    np.testing.assert_array_equal(end.x, ds.x)
    np.testing.assert_array_equal(end.y, ds.y[:, -1])


def test_bitcount_targets_are_bit_sums():
    ds, task = make_task("bitcount", seed=4)
    assert set(np.unique(ds.x)) == {0.0, 1.0}
    np.testing.assert_array_equal(ds.y[:, 0], ds.x[:, :, 0].sum(axis=1))
    big, _ = make_task("bitcount", n=7, steps=30)
    assert big.x.shape == (7, 30, 1)
    np.testing.assert_array_equal(big.y[:, 0], big.x.sum(axis=(1, 2)))
    assert task.training == {"optimizer": "rprop", "lr": 0.001, "epochs": 500, "batch_size": None}
    np.testing.assert_array_equal(task.initial_params["rnn.weight_ih_l0"], [[-1.5]])
    np.testing.assert_array_equal(task.initial_params["rnn.weight_hh_l0"], [[2.0]])


def test_bitcount_counter_with_unit_weights_has_zero_loss():
    """The Chinese linear-RNN tutorial: w_x = w_rec = 1 counts exactly — zero loss and zero gradient."""
    ds, task = make_task("bitcount", seed=0)
    spec = task.suggest_spec(ds)
    assert spec == rnnsim.ModelSpec(cell="linear", input_size=1, hidden_size=1, bias=False,
                                    output_size=None, output="last", loss="mse")
    model = rnnsim.Model(spec, {"rnn.weight_ih_l0": np.array([[1.0]]), "rnn.weight_hh_l0": np.array([[1.0]])})
    loss, grads = model.loss_and_grads(ds.x, ds.y)
    assert loss == 0.0
    assert all(np.all(g == 0) for g in grads.values())
    np.testing.assert_array_equal(model.predict(ds.x), ds.y)
    assert accuracy(ds.accuracy, model.predict(ds.x), ds.y) == 1.0
    # the tutorial's test sequence: 0,1,1,0,0,0,0,1,0,0,1,1 -> 5
    seq = np.array([0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1], dtype=float)[None, :, None]
    assert model.predict(seq)[0, 0] == 5.0
    # the start point of the Rprop run is far from it
    start = rnnsim.Model(spec, task.initial_params)
    assert start.loss_and_grads(ds.x, ds.y)[0] > 1.0


def test_long_memory_layout():
    ds, task = make_task("long-memory", seed=1, n=64, delay=7, noise=2.0)
    assert ds.x.shape == (64, 8, 2) and ds.steps == 8
    np.testing.assert_array_equal(ds.x[:, 0, 1], 1.0)           # marker at t = 0 only
    np.testing.assert_array_equal(ds.x[:, 1:, 1], 0.0)
    np.testing.assert_array_equal(ds.x[:, 0, 0], 2.0 * ds.y - 1.0)  # the bit as -1/+1
    assert 1.0 < ds.x[:, 1:, 0].std() < 3.0                      # noise afterwards
    assert set(np.unique(ds.y)) == {0, 1}
    assert ds.meta["delay"] == 7 and ds.meta["classes"] == 2
    assert task.model["cell"] == "lstm" and task.model["hidden_size"] == 16
    assert task.training["optimizer"] == "adam" and task.training["batch_size"] == 64
    # the LSTM starts with its forget gate open: bias 2 on the f block (gate order i, f, g, o)
    b = task.initial_params["rnn.bias_ih_l0"]
    np.testing.assert_array_equal(b[16:32], 2.0)
    assert not b[:16].any() and not b[32:].any() and not task.initial_params["rnn.bias_hh_l0"].any()
    zero, _ = make_task("recall", delay=0)
    assert zero.steps == 1


def test_digits_have_ten_classes():
    ds, task = make_task("digits")
    assert ds.output_size == 10 and set(np.unique(ds.y)) == set(range(10))
    assert ds.x.min() == 0.0 and ds.x.max() == 1.0
    assert np.all(np.bincount(ds.y) > 150)
    assert task.model == {"cell": "rnn_tanh", "hidden_size": 100, "num_layers": 3}
    assert task.training["patience"] == 2 and task.training["optimizer"] == "sgd"
    sub, _ = make_task("digits", seed=3, n=30)
    assert sub.x.shape == (30, 8, 8)
    # a subset holds whole images of the full set, with their labels
    flat = {(row.tobytes(), label) for row, label in zip(ds.x, ds.y)}
    assert all((row.tobytes(), label) in flat for row, label in zip(sub.x, sub.y))


def test_sine_windows_and_normalisation():
    ds, task = make_task("sine", seed=2, n=50, window=10, horizon=1)
    assert ds.x.shape == (50, 10, 1) and ds.y.shape == (50, 1)
    # with horizon 1 the target of window s is the last value of window s+1
    np.testing.assert_array_equal(ds.y[:-1, 0], ds.x[1:, -1, 0])
    meta = ds.meta
    assert meta["inputs"] == ["value"] and meta["targets"] == ["value"]
    assert meta["window"] == 10 and meta["horizon"] == 1 and meta["std"]["value"] > 0
    # horizon 3: the same series (one seed), the target 3 steps past the window's end, in raw units
    ahead, _ = make_task("sine", seed=2, n=50, window=10, horizon=3)
    raw_target = denormalise_targets(ahead.meta, ahead.y)[:, 0]
    raw_last = ds.x[:, -1, 0] * meta["std"]["value"] + meta["mean"]["value"]
    np.testing.assert_allclose(raw_target[:-3], raw_last[3:], rtol=0, atol=1e-12)
    assert task.model["cell"] == "gru" and ds.accuracy is None
