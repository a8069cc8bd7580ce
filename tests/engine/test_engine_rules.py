"""Rules the app shows, with their home in the engine: a task's target for a typed input, "your own
sequence" data, a typed target, the clipping threshold, what an output means, where to roll back after a
divergence."""
import json
import math

import numpy as np
import pytest

from rnnsim import Model, ModelSpec
from rnnsim.clip import check_mode, check_threshold
from rnnsim.data import TASKS, make_task
from rnnsim.data.custom import LIMITS, make_custom
from rnnsim.errors import ConfigError, DataError, InputError
from rnnsim.inputs import parse_target
from rnnsim.interpret import describe_output, describe_text, softmax
from rnnsim.tape import record
from rnnsim.train import TrainConfig, rollback_point

# tasks whose target is a function of the input, with option sets to try
RULED = {"xor": [{}], "temporal-xor": [{}, {"target": "end"}, {"steps": 3, "n": 5}],
         "bitcount": [{}, {"steps": 17, "n": 9}], "long-memory": [{}, {"delay": 0, "n": 7}]}


# ---- Task.target_for ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, options", [(n, o) for n, opts in RULED.items() for o in opts])
@pytest.mark.parametrize("seed", [0, 5])
def test_target_for_gives_the_datasets_own_targets(name, options, seed):
    dataset, task = make_task(name, seed=seed, **options)
    target = task.target_for(dataset.x, dataset)
    assert target is not None and target.dtype == dataset.y.dtype
    np.testing.assert_array_equal(target, dataset.y)


def test_target_for_without_the_dataset_uses_the_default_options():
    for name in RULED:
        dataset, task = make_task(name)
        np.testing.assert_array_equal(task.target_for(dataset.x), dataset.y)


@pytest.mark.parametrize("name", ["digits", "sine", "custom"])
def test_target_for_is_none_where_the_input_does_not_decide(name):
    dataset, task = make_task(name, **({"n": 10} if name == "digits" else {}))
    assert task.target_for(dataset.x[:2], dataset) is None


def test_target_for_typed_inputs():
    parity, bitcount, xor, recall = (TASKS[n] for n in ("temporal-xor", "bitcount", "xor", "long-memory"))
    bits = np.array([1, 0, 1, 1], float)[None, :, None]
    np.testing.assert_array_equal(parity.target_for(bits), [[1, 1, 0, 1]])
    end, _ = make_task("temporal-xor", target="end")
    np.testing.assert_array_equal(parity.target_for(bits, end), [1])
    np.testing.assert_array_equal(bitcount.target_for(bits), [[3.0]])
    np.testing.assert_array_equal(xor.target_for(np.array([[[0, 0], [1, 0]]], float)), [[0.0, 1.0]])
    first = np.zeros((2, 5, 2))
    first[:, 0, 0] = [-0.3, 2.0]
    np.testing.assert_array_equal(recall.target_for(first), [0, 1])
    assert recall.target_for(np.zeros((1, 5, 2))) is None            # no bit at the first step
    assert bitcount.target_for(np.ones((1, 4, 2))) is None           # another width: the rule does not apply


@pytest.mark.parametrize("x", [np.ones((4, 1)), np.ones((0, 3, 1)), np.full((1, 2, 1), np.nan), [["a"]]])
def test_target_for_refuses_a_malformed_input(x):
    with pytest.raises(InputError, match="temporal-xor"):
        TASKS["temporal-xor"].target_for(x)


# ---- make_custom -------------------------------------------------------------------------------
def test_custom_data_are_the_debuggers_made_up_sequences():
    ds = make_custom(3, 2, 5, "sequence", "mse", seed=4)
    rng = np.random.default_rng(4)                                   # the rule, written out
    np.testing.assert_array_equal(ds.x, rng.uniform(-1.0, 1.0, size=(4, 5, 3)).round(2))
    np.testing.assert_array_equal(ds.y, rng.uniform(-1.0, 1.0, size=(4, 5, 2)).round(2))
    assert (ds.name, ds.output, ds.loss) == ("custom", "sequence", "mse")
    ce = make_custom(2, 4, 6, "last", "cross_entropy", seed=1, n=7)
    assert ce.x.shape == (7, 6, 2) and ce.y.shape == (7,) and ce.y.dtype == np.int64 and ce.y.max() < 4
    assert ce.meta["classes"] == 4
    headless = make_custom(1, None, 3, "sequence", "mse", hidden_size=5, bidirectional=True)
    assert headless.y.shape == (4, 3, 10)
    a, b = make_custom(1, 1, 8, "sequence", "mse", seed=2), make_custom(1, 1, 8, "sequence", "mse", seed=2)
    np.testing.assert_array_equal(a.x, b.x)


@pytest.mark.parametrize("args, kwargs, needle", [
    ((0, 1, 8, "sequence", "mse"), {}, "input_size"),
    ((1, 1, LIMITS["steps"] + 1, "sequence", "mse"), {}, "steps"),
    ((1, 1, 8, "middle", "mse"), {}, "output"),
    ((1, 1, 8, "sequence", "l1"), {}, "loss"),
    ((1, None, 8, "sequence", "mse"), {}, "hidden_size"),
    ((1, None, 8, "sequence", "cross_entropy"), {"hidden_size": 3}, "loss must be mse"),
    ((1, 1, 8, "sequence", "cross_entropy"), {}, "2 classes"),
    ((1, 1, 8, "sequence", "mse"), {"n": 0}, "n must"),
    ((1, 1, 2.5, "sequence", "mse"), {}, "steps"),
])
def test_custom_data_refuse_bad_sizes(args, kwargs, needle):
    with pytest.raises(DataError, match=needle):
        make_custom(*args, **kwargs)


# ---- parse_target ------------------------------------------------------------------------------
def spec(output="sequence", loss="mse", output_size=2, **more):
    return ModelSpec(cell="rnn_tanh", input_size=1, hidden_size=3, output=output, loss=loss,
                     output_size=output_size, **more)


def test_parse_target_shapes_fit_the_model():
    seq = parse_target("1 2, 3 4, 5 6", spec(), 3)
    assert seq.shape == (1, 3, 2) and seq.dtype == np.float64 and seq[0, 2, 1] == 6
    assert parse_target("0.5 -1", spec("last"), 9).tolist() == [[0.5, -1.0]]
    classes = parse_target("0, 1, 1", spec(loss="cross_entropy"), 3)
    assert classes.dtype == np.int64 and classes.tolist() == [[0, 1, 1]]
    assert parse_target("1", spec("last", "cross_entropy"), 4).tolist() == [1]
    headless = parse_target("1 2 3", spec("last", output_size=None), 2)
    assert headless.shape == (1, 3)
    model = Model.create(spec(loss="cross_entropy"), seed=0)
    x = np.zeros((1, 3, 1))
    model.loss_and_grads(x, classes)                                  # what the engine takes


@pytest.mark.parametrize("text, model_spec, steps, needle", [
    ("1 2, 3 4", spec(), 3, "3 step(s) of 2 value(s), got 2 of 2"),
    ("1", spec("last"), 3, "2 value(s) for the last step, got 1"),
    ("0, 1", spec(loss="cross_entropy"), 3, "3 class index(es) (one per step), got 2"),
    ("0.5", spec("last", "cross_entropy"), 3, "whole numbers"),
    ("2", spec("last", "cross_entropy"), 3, "in 0..1"),
    ("-1", spec("last", "cross_entropy"), 3, "in 0..1"),
    ("x", spec(), 1, "not a number"),
    ("1 2", spec(), 0, "steps"),
])
def test_parse_target_explains_what_is_wrong(text, model_spec, steps, needle):
    with pytest.raises(InputError) as err:
        parse_target(text, model_spec, steps)
    assert needle in str(err.value)


# ---- the clipping threshold --------------------------------------------------------------------
def test_check_threshold_is_the_one_check():
    assert check_threshold(None) is None
    assert check_threshold(2) == 2.0 and check_threshold("0.5") == 0.5 and check_threshold(np.float32(1)) == 1.0
    for bad in (0, -1.0, math.nan, math.inf, True, "abc", [1]):
        with pytest.raises(ConfigError, match="gradient clipping threshold must be a positive number"):
            check_threshold(bad)
    assert check_mode("value") == "value"
    with pytest.raises(ConfigError, match="clip mode"):
        check_mode("max")
    model = Model.create(spec(), seed=0)
    x, y = np.zeros((1, 2, 1)), np.zeros((1, 2, 2))
    for use in (lambda: TrainConfig(clip=-1).check(), lambda: record(model, x, y, clip=-1),
                lambda: TrainConfig(clip=True).check()):
        with pytest.raises(ConfigError, match="gradient clipping threshold must be a positive number"):
            use()


# ---- what an output means ----------------------------------------------------------------------
def test_softmax_is_stable_and_sums_to_one():
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 1001.0, 999.0]])
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(p[0], np.exp(z[0]) / np.exp(z[0]).sum())
    np.testing.assert_allclose(p[1], p[0][[1, 2, 0]])
    with pytest.raises(InputError):
        softmax(np.zeros((2, 0)))


def test_describe_output_of_each_kind():
    text = ModelSpec(cell="gru", input_size=3, hidden_size=2, output_size=3, loss="cross_entropy",
                     extra={"data": {"kind": "text", "vocab": "abc", "accuracy": "argmax"}})
    d = describe_output(text, np.array([[0.0, 5.0, 0.0], [9.0, 0.0, 1.0]]))
    assert d["kind"] == "next_char" and d["chars"] == "ba" and d["per_step"]
    assert [t["char"] for t in d["top"]] == ["a", "c", "b"] and d["top"][0]["probability"] > 0.99
    assert describe_text(d).startswith("next character after each step: 'ba'; after the last one: 'a' 100%")
    classes = ModelSpec(cell="gru", input_size=1, hidden_size=2, output_size=3, output="last", loss="cross_entropy")
    d = describe_output(classes, np.array([0.0, 0.0, 2.0]))
    assert d["kind"] == "classes" and d["classes"] == [2] and d["confidence"][0] == pytest.approx(softmax([0, 0, 2])[2])
    assert describe_text(d) == f"class 2 (probability {d['confidence'][0]:.3f})"
    series = ModelSpec(cell="gru", input_size=1, hidden_size=2, output_size=1, output="last",
                       extra={"data": {"kind": "series", "inputs": ["t"], "targets": ["t"], "mean": {"t": 15.0},
                                       "std": {"t": 5.0}}})
    d = describe_output(series, np.array([0.5]))
    assert d["kind"] == "values" and d["values"] == [[17.5]] and d["names"] == ["t"]
    counter = ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last")
    d = describe_output(counter, np.array([4.8]), meta={}, accuracy="round")
    assert d["kind"] == "count" and d["counts"] == [[5]]
    onehot = ModelSpec(cell="rnn_sigmoid", input_size=2, hidden_size=3, output_size=2, output="last")
    d = describe_output(onehot, np.array([0.2, 0.7]), meta={}, accuracy="argmax")
    assert d["kind"] == "classes" and d["classes"] == [1] and d["probabilities"] is None
    bits = ModelSpec(cell="rnn_tanh", input_size=1, hidden_size=2, output_size=2)
    d = describe_output(bits, np.array([[0.9, 0.1], [0.4, 0.6]]), meta={}, accuracy="threshold")
    assert d["kind"] == "bits" and d["bits"] == [[1, 0], [0, 1]]
    assert describe_text(d) == "t = 1: 0.9 → 1 0.1 → 0\nt = 2: 0.4 → 0 0.6 → 1"
    d = describe_output(Model.create(bits, seed=0), np.zeros((3, 2)))
    assert d["kind"] == "raw" and d["output"] == [[0.0, 0.0]] * 3
    for description in (d,):
        json.dumps(description)


@pytest.mark.parametrize("out", [np.zeros(2), np.zeros((2, 3)), np.zeros((0, 2)), [["x", "y"]]])
def test_describe_output_refuses_another_shape(out):
    with pytest.raises(InputError):
        describe_output(spec(), out)


# ---- rollback after a divergence ---------------------------------------------------------------
def history(*losses):
    """steps 1..n with these losses; checkpoints after steps 0, 2, 4 (weights named by their step)."""
    steps = np.arange(1, len(losses) + 1)
    checkpoints = [(s, {"w": s}) for s in (0, 2, 4) if s < len(losses)]
    return steps, np.array(losses, dtype=float), checkpoints


def test_only_the_update_overflowed_keeps_the_last_finite_weights():
    steps, losses, checkpoints = history(1.0, 0.9)
    assert rollback_point(steps, losses, checkpoints, {"w": "last"}, 3, 0.8) == (2, {"w": "last"})


def test_a_nan_loss_goes_back_to_the_newest_checkpoint_in_range():
    steps, losses, checkpoints = history(1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
    # step 7 computed NaN at the weights after step 6: the newest checkpoint before, step 4, had loss 0.6
    assert rollback_point(steps, losses, checkpoints, {"w": "last"}, 7, math.nan) == (4, {"w": 4})


def test_a_loss_out_of_range_counts_as_diverged():
    steps, losses, checkpoints = history(1.0, 0.9, 50.0, 0.8, 99.0, 200.0)
    # weights after 4 → loss at step 5 = 99 > 10 × 1.0; after 2 → loss at step 3 = 50 > 10; after 0 → 1.0
    assert rollback_point(steps, losses, checkpoints, {}, 7, math.inf) == (0, {"w": 0})
    assert rollback_point(steps, losses, checkpoints, {}, 7, math.inf, factor=60.0) == (2, {"w": 2})


def test_nothing_in_range_falls_back_to_the_start_then_to_the_last_finite_weights():
    steps, losses, checkpoints = history(1.0, math.nan, math.nan)
    checkpoints = [(2, {"w": 2})]
    assert rollback_point(steps, losses, checkpoints, {"w": "last"}, 4, math.nan, start=(0, {"w": 0})) == \
        (0, {"w": 0})
    assert rollback_point(steps, losses, checkpoints, {"w": "last"}, 4, math.nan) == (3, {"w": "last"})
    assert rollback_point([], [], [], {"w": "last"}, 1, math.nan) == (0, {"w": "last"})


@pytest.mark.parametrize("args, kwargs, needle", [
    (([1, 2], [1.0], [], {}, 3, 1.0), {}, "one length"),
    (([2, 1], [1.0, 1.0], [], {}, 3, 1.0), {}, "increase"),
    (([1], [1.0], [], {}, 0, 1.0), {}, "diverged step"),
    (([1], [1.0], [], {}, 2, 1.0), {"factor": 0}, "factor"),
])
def test_rollback_point_refuses_nonsense(args, kwargs, needle):
    with pytest.raises(ConfigError, match=needle):
        rollback_point(*args, **kwargs)
