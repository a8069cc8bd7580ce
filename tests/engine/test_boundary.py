"""The decision boundary (rnnsim.boundary): the grid holds model.predict's answer at each of its points,
read as classes the way the data's accuracy counts them; which models qualify; what is refused."""
import math

import numpy as np
import pytest

from rnnsim import boundary
from rnnsim.boundary import (BoundaryReading, affordable_resolution, as_points, as_sequences, boundary_reading,
                             classify, decision_grid, input_window, point_labels, why_not_drawable)
from rnnsim.data import accuracy as dataset_accuracy
from rnnsim.data import make_task
from rnnsim.errors import InputError, RnnsimError
from rnnsim.model import Model
from rnnsim.spec import ModelSpec


def model_for(input_size=2, output_size=2, loss="mse", accuracy="argmax", output="last", hidden=5, seed=1,
              cell="rnn_sigmoid", **spec_fields):
    spec = ModelSpec(cell=cell, input_size=input_size, hidden_size=hidden, output_size=output_size, output=output,
                     loss=loss, extra={"data": {"name": "t", "kind": "values", "accuracy": accuracy}}, **spec_fields)
    return Model.create(spec, seed=seed)


def cross_at_zero(model, head, bias):
    """Unit 1 of the hidden layer becomes sigmoid(3·x₁) and the head reads it with ``head`` (its first two
    columns) and ``bias``: the classes change where x₁ = 0, inside the test's grid."""
    for name in ("rnn.bias_ih_l0", "rnn.bias_hh_l0"):
        model.params[name][0] = 0.0
    model.params["rnn.weight_ih_l0"][0] = [3.0, 0.0]
    model.params["fc.weight"][...] = 0.0
    model.params["fc.weight"][:, :2] = head
    model.params["fc.bias"][...] = bias
    return model


def by_hand(model, point, layout):
    """The class and its probability at one point, from model.predict on that point alone and the rule
    written out (not the module's vectorised code)."""
    x1, x2 = point
    x = np.array([[[x1, x2]]]) if layout == "features" else np.array([[[x1], [x2]]])
    o = model.predict(x)
    o = o[0, -1] if o.ndim == 3 else o[0]
    spec = model.spec
    if spec.loss == "cross_entropy":
        e = [math.exp(v - max(o)) for v in o]
        p = [v / sum(e) for v in e]
        k = int(np.argmax(o))
    elif spec.out_features == 1:
        p1 = min(max(o[0], 0.0), 1.0)
        p = [1 - p1, p1]
        k = 1 if o[0] > 0.5 else 0
    else:
        c = [min(max(v, 0.0), 1.0) for v in o]
        p = [v / sum(c) for v in c] if sum(c) > 0 else [1 / len(o)] * len(o)
        k = int(np.argmax(o))
    return k, p[k], p


@pytest.mark.parametrize("kind", ["xor-share", "threshold", "softmax-steps", "softmax-sequence"])
def test_the_grid_holds_model_predict_at_its_points(kind):
    if kind == "xor-share":
        model, layout = cross_at_zero(model_for(hidden=4, seed=3), [[1.0, 0.3], [-1.0, 0.1]], [0.0, 1.0]), "features"
    elif kind == "threshold":
        model, layout = cross_at_zero(model_for(output_size=1, accuracy="threshold"), [[1.0, 0.2]], [0.0]), "features"
    elif kind == "softmax-steps":
        model, layout = model_for(input_size=1, output_size=3, loss="cross_entropy", cell="gru"), "steps"
    else:
        model, layout = model_for(input_size=1, output_size=2, loss="cross_entropy", output="sequence",
                                  cell="lstm"), "steps"
    grid = decision_grid(model, (-2.0, 3.0), (-1.0, 0.5), 7)
    assert grid.reading.layout == layout
    np.testing.assert_array_equal(grid.xs, np.linspace(-2, 3, 7))
    np.testing.assert_array_equal(grid.ys, np.linspace(-1, 0.5, 7))
    assert grid.classes.shape == grid.probability.shape == (7, 7) and grid.classes.dtype == np.int64
    for i, y in enumerate(grid.ys):
        for j, x in enumerate(grid.xs):
            k, pk, p = by_hand(model, (x, y), layout)
            assert grid.classes[i, j] == k, (i, j)
            assert grid.probability[i, j] == pytest.approx(pk, abs=1e-12)
            np.testing.assert_allclose(grid.probabilities[i, j], p, atol=1e-12)
    assert grid.probability.min() >= 1 / grid.reading.classes - 1e-12
    in_blocks = decision_grid(model, (-2.0, 3.0), (-1.0, 0.5), 7, block=5)        # 49 points in 10 calls
    np.testing.assert_array_equal(in_blocks.probabilities, grid.probabilities)
    assert boundary.serial_block(model.spec) >= boundary.parallel.MIN_CHUNK
    if kind in ("xor-share", "threshold"):
        assert set(np.unique(grid.classes)) == {0, 1}     # the test really crosses a boundary


def test_the_shown_class_is_the_one_the_data_sets_accuracy_counts():
    dataset, _ = make_task("xor")
    model = model_for(hidden=3, seed=7)
    model.params["fc.bias"][...] = [0.4, 0.6]
    classes, probability = classify(model, dataset.x, "argmax")
    labels = point_labels(dataset)
    np.testing.assert_array_equal(labels, [0, 1, 1, 0])
    assert np.mean(classes == labels) == dataset_accuracy("argmax", model.predict(dataset.x), dataset.y)
    grid = decision_grid(model, (0.0, 1.0), (0.0, 1.0), 2, accuracy="argmax")
    # the grid's corners are XOR's four points: row i is x₂ = i, column j is x₁ = j
    points = as_points(dataset.x, "features")
    for n, (x1, x2) in enumerate(points):
        assert grid.classes[int(x2), int(x1)] == classes[n]
        assert grid.probability[int(x2), int(x1)] == pytest.approx(probability[n], abs=1e-12)


def test_share_rule_clips_and_ties_are_undecided():
    reading = BoundaryReading("features", 2, "share")
    classes, p = boundary.class_probabilities(reading, np.array([[2.0, 0.5], [-1.0, -3.0], [1.5, 1.2],
                                                                 [0.2, 0.6]]))
    np.testing.assert_array_equal(classes, [0, 0, 0, 1])
    np.testing.assert_allclose(p, [[1 / 1.5, 0.5 / 1.5], [0.5, 0.5], [0.5, 0.5], [0.25, 0.75]])


def test_layouts_turn_points_into_sequences_and_back():
    pts = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert as_sequences(pts, "features").shape == (2, 1, 2)
    seq = as_sequences(pts, "steps")
    assert seq.shape == (2, 2, 1) and seq[1, 0, 0] == 3.0 and seq[1, 1, 0] == 4.0
    np.testing.assert_array_equal(as_points(seq, "steps"), pts)
    with pytest.raises(InputError, match=r"\(N, 1, 2\)"):
        as_points(seq, "features")


def test_which_models_qualify():
    xor, _ = make_task("xor")
    two_steps, _ = make_task("custom", input_size=1, steps=2, output_size=3, loss="cross_entropy")
    assert boundary_reading(model_for().spec, xor.steps, xor.accuracy) == BoundaryReading("features", 2, "share")
    spec = model_for(input_size=1, output_size=3, loss="cross_entropy").spec
    assert boundary_reading(spec, two_steps.steps, two_steps.accuracy) == BoundaryReading("steps", 3, "softmax")
    assert boundary_reading(model_for(output_size=1, accuracy="threshold").spec, 1).rule == "threshold"
    # the accuracy kind stored in the model's spec is the default
    assert boundary_reading(model_for(accuracy="argmax").spec, 1).rule == "share"

    refusals = [
        (model_for().spec, 8, "argmax", "8 steps of 2 inputs"),
        (model_for(input_size=1).spec, 8, "argmax", "8 steps of 1 input"),
        (model_for(input_size=1).spec, 1, "argmax", "1 step of 1 input"),
        (model_for(input_size=3).spec, 1, "argmax", "reads 3 inputs per step"),
        (model_for(output_size=1, accuracy=None).spec, 1, None, "values, not right or wrong"),
        (model_for(output_size=1, accuracy="round").spec, 1, "round", "counts, not classes"),
        (model_for(output_size=1, accuracy="argmax").spec, 1, "argmax", "1 outputs read by 'argmax'"),
        (model_for(output_size=3, accuracy="threshold").spec, 1, "threshold", "3 outputs read by 'threshold'"),
        (model_for(output_size=1, loss="cross_entropy").spec, 1, "argmax", "at least two classes"),
        (model_for(output_size=9, loss="cross_entropy").spec, 1, "argmax", "at most 8 classes"),
    ]
    for spec, steps, acc, words in refusals:
        reason = why_not_drawable(spec, steps, acc)
        assert reason is not None and words in reason, (reason, words)
        assert reason.startswith("The decision boundary needs") or "at most" in reason
        with pytest.raises(InputError) as err:
            boundary_reading(spec, steps, acc)
        assert str(err.value) == reason and "\n" not in reason
    with pytest.raises(InputError, match="reads 3 inputs"):
        decision_grid(model_for(input_size=3), (0, 1), (0, 1), 4)
    with pytest.raises(InputError, match="values, not right or wrong"):
        decision_grid(model_for(output_size=2, accuracy=None), (0, 1), (0, 1), 4)


def test_the_window_spans_the_data_with_a_margin():
    xor, _ = make_task("xor")
    assert input_window(xor.x) == ((-0.25, 1.25), (-0.25, 1.25))
    x = np.array([[[2.0], [-1.0]], [[4.0], [-1.0]]])           # steps layout; x₂ constant
    assert input_window(x, margin=0.5) == ((1.0, 5.0), (-1.5, -0.5))
    for bad, words in [(np.zeros((0, 1, 2)), "N ≥ 1"), (np.zeros((3, 2, 2)), r"\(N, 1, 2\)"),
                       (np.array([[[np.nan, 1.0]]]), "NaN")]:
        with pytest.raises(InputError, match=words):
            input_window(bad)
    for margin in (-0.1, float("nan"), "1", True, 11):
        with pytest.raises(InputError, match="margin"):
            input_window(xor.x, margin=margin)


@pytest.mark.parametrize("resolution", [0, 1, -5, 513, 10 ** 12, 2.5, True, "100", None])
def test_an_absurd_resolution_is_refused_before_any_work(resolution, monkeypatch):
    model = model_for()
    monkeypatch.setattr(model, "predict", lambda x: pytest.fail("predicted although refused"))
    with pytest.raises(InputError, match="resolution") as err:
        decision_grid(model, (0, 1), (0, 1), resolution)
    assert isinstance(err.value, RnnsimError) and isinstance(err.value, ValueError)


@pytest.mark.parametrize("block", [0, -1, 2.0, True])
def test_a_bad_block_is_refused(block):
    with pytest.raises(InputError, match="block"):
        decision_grid(model_for(), (0, 1), (0, 1), 8, block=block)


@pytest.mark.parametrize("bad", [(0, float("nan")), (float("-inf"), 1), (1, 1), (2, 1), (-1e308, 1e308), "ab",
                                 (1,), None, (0, 1, 2)])
def test_a_bad_range_is_refused(bad):
    model = model_for()
    with pytest.raises(InputError, match="x₁'s range"):
        decision_grid(model, bad, (0, 1), 8)
    with pytest.raises(InputError, match="x₂'s range"):
        decision_grid(model, (0, 1), bad, 8)


def test_affordable_resolution_shrinks_with_the_model_and_stays_in_bounds():
    small, big = model_for(hidden=3).spec, model_for(hidden=50).spec
    assert affordable_resolution(small) == 160
    r = affordable_resolution(big)
    assert 16 <= r < 160 and r * r * 2 * big.parameter_count <= boundary.GRID_BUDGET
    assert affordable_resolution(model_for(hidden=1000).spec) == 16


def test_point_labels_for_each_target_kind():
    xor, _ = make_task("xor")
    np.testing.assert_array_equal(point_labels(xor), [0, 1, 1, 0])
    two_steps, _ = make_task("custom", input_size=1, steps=2, output_size=3, loss="cross_entropy")
    np.testing.assert_array_equal(point_labels(two_steps), two_steps.y[:, -1])
