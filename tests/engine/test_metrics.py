"""The confusion matrix against counts made by hand, and against ``accuracy`` on its diagonal."""
import numpy as np
import pytest

from rnnsim.data import make_task
from rnnsim.data.dataset import Dataset, accuracy
from rnnsim.errors import DataError
from rnnsim.metrics import class_count, class_names, confusion_matrix


def test_argmax_with_class_indices_counts_by_hand():
    # 5 sequences, 3 classes; predicted = argmax of each row: 0, 2, 2, 1, 0
    output = np.array([[0.9, 0.1, 0.0], [0.1, 0.2, 0.7], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    target = np.array([0, 2, 1, 1, 2])
    # true 0 → predicted 0 once; true 1 → 2 once and 1 once; true 2 → 2 once and 0 once
    expected = np.array([[1, 0, 0],
                         [0, 1, 1],
                         [1, 0, 1]])
    counts = confusion_matrix("argmax", output, target, 3)
    np.testing.assert_array_equal(counts, expected)
    assert counts.dtype == np.int64
    assert np.trace(counts) / counts.sum() == accuracy("argmax", output, target)


def test_sequence_outputs_count_every_step_and_one_hot_targets_by_their_argmax():
    output = np.zeros((2, 3, 2))
    output[0, :, 1] = 1.0          # sequence 0 predicts class 1 at every step
    output[1, 0, 0] = 1.0          # sequence 1: 0, then ties (argmax → 0), 0
    one_hot = np.zeros((2, 3, 2))
    one_hot[0, [0, 1], 1] = 1.0    # truths: 1, 1, 0 | 0, 1, 1
    one_hot[0, 2, 0] = 1.0
    one_hot[1, 0, 0] = 1.0
    one_hot[1, 1:, 1] = 1.0
    # (true, predicted): (1,1) (1,1) (0,1) | (0,0) (1,0) (1,0)
    np.testing.assert_array_equal(confusion_matrix("argmax", output, one_hot, 2), [[1, 1], [2, 2]])
    indices = one_hot.argmax(axis=-1)
    np.testing.assert_array_equal(confusion_matrix("argmax", output, indices, 2), [[1, 1], [2, 2]])


def test_round_and_threshold_read_a_single_output():
    counts = confusion_matrix("round", np.array([[0.4], [1.6], [2.2], [-0.7], [5.0]]),
                              np.array([[0.0], [1.0], [2.0], [0.0], [2.0]]), 3)
    # predicted 0, 2, 2, −1 → column 0, 5 → column 2
    np.testing.assert_array_equal(counts, [[2, 0, 0], [0, 0, 1], [0, 0, 2]])
    counts = confusion_matrix("threshold", np.array([[0.7], [0.2], [0.6]]), np.array([[1.0], [1.0], [0.0]]), 2)
    np.testing.assert_array_equal(counts, [[0, 1], [1, 1]])


@pytest.mark.parametrize("args, words", [
    ((None, np.zeros((2, 3)), np.zeros(2, int), 3), "accuracy kind"),
    (("argmax", np.zeros((2, 3)), np.zeros(2, int), 0), "number of classes"),
    (("argmax", np.zeros((2, 3)), np.zeros(3, int), 3), "do not match"),
    (("argmax", np.zeros((2, 3)), np.array([0, 3]), 3), "outside 0..2"),
    (("argmax", np.full((2, 3), np.nan), np.zeros(2, int), 3), "NaN"),
    (("argmax", np.zeros((2, 4)), np.zeros(2, int), 3), "only 3 classes"),
    (("round", np.zeros((2, 2)), np.zeros((2, 2)), 3), "one output"),
])
def test_bad_input_is_refused_in_one_line(args, words):
    with pytest.raises(DataError, match=words) as info:
        confusion_matrix(*args)
    assert "\n" not in str(info.value)


def test_class_count_and_names_follow_the_data():
    digits, _ = make_task("digits", n=50)
    assert class_count(digits) == 10
    assert class_names(digits.meta, 10) == [str(i) for i in range(10)]
    bits, _ = make_task("bitcount")
    assert class_count(bits) == int(bits.y.max()) + 1
    regression = Dataset("r", np.zeros((2, 3, 1)), np.zeros((2, 1)), "last", "mse", None)
    assert class_count(regression) is None
    assert class_names({"vocab": "a b\n"}, 4) == ["a", "␣", "b", "↵"]


def test_model_confusion_predicts_the_data_set_with_the_given_weights():
    from rnnsim import recipe
    from rnnsim.metrics import model_confusion

    dataset, task = make_task("digits", n=60)
    model = recipe.build_model(task.suggest_spec(dataset), seed=1)
    counts, names = model_confusion(model.spec, model.state_dict(), dataset)
    predicted = model.predict(dataset.x).argmax(axis=-1)
    by_hand = np.zeros((10, 10), dtype=np.int64)
    for truth, guess in zip(dataset.y, predicted):
        by_hand[truth, guess] += 1
    np.testing.assert_array_equal(counts, by_hand)
    assert names == [str(i) for i in range(10)] and counts.sum() == 60
    sine, _ = make_task("sine")
    assert model_confusion(model.spec, model.state_dict(), sine) is None
