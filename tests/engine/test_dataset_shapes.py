"""Dataset's sequence shapes: input modes (every / first / repeat) and encoder–decoder data."""
import numpy as np
import pytest

from rnnsim.data.dataset import Dataset
from rnnsim.errors import DataError


def test_shape_names():
    x = np.zeros((3, 4, 1))
    x[:, 0] = 1.0
    assert Dataset("a", x, np.zeros((3, 4, 1)), inputs="first").shape_name.startswith("one-to-many")
    assert Dataset("a", np.ones((3, 4, 1)), np.zeros((3, 4, 1)), inputs="repeat").shape_name == \
        "one-to-many (input repeated)"
    assert Dataset("a", np.ones((3, 4, 1)), np.zeros((3, 4, 1))).shape_name == "many-to-many"
    assert Dataset("a", np.ones((3, 4, 1)), np.zeros((3, 1)), "last").shape_name == "many-to-one"
    assert Dataset("a", np.ones((3, 1, 2)), np.zeros((3, 1)), "last").shape_name == "one-to-one"
    d = Dataset("a", np.ones((3, 4, 1)), np.zeros((3, 2), dtype=np.int64), "sequence", "cross_entropy",
                decoder_x=np.ones((3, 2, 5)))
    assert d.shape_name.startswith("N-to-M") and d.target_steps == 2 and d.decoder_input_size == 5


def test_input_modes_are_checked():
    with pytest.raises(DataError, match="zeros after the first step"):
        Dataset("a", np.ones((3, 4, 1)), np.zeros((3, 4, 1)), inputs="first")
    x = np.arange(12.0).reshape(3, 4, 1)
    with pytest.raises(DataError, match="same input at every step"):
        Dataset("a", x, np.zeros((3, 4, 1)), inputs="repeat")
    with pytest.raises(DataError, match="unknown input mode"):
        Dataset("a", x, np.zeros((3, 4, 1)), inputs="sometimes")


def test_decoder_inputs_are_checked_and_subset_keeps_them():
    x, dx = np.ones((4, 3, 2)), np.arange(40.0).reshape(4, 5, 2)
    with pytest.raises(DataError, match="do not match"):
        Dataset("a", x, np.zeros((4, 3, 1)), decoder_x=dx)          # targets follow the decoder's 5 steps
    with pytest.raises(DataError, match="3 decoder input sequences for 4"):
        Dataset("a", x, np.zeros((4, 5, 1)), decoder_x=dx[:3])
    with pytest.raises(DataError, match="output 'sequence'"):
        Dataset("a", x, np.zeros((4, 1)), "last", decoder_x=dx)
    bad = dx.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(DataError, match="decoder inputs contain NaN"):
        Dataset("a", x, np.zeros((4, 5, 1)), decoder_x=bad)
    d = Dataset("a", x, np.zeros((4, 5, 1)), decoder_x=dx)
    part = d.subset([1, 3])
    np.testing.assert_array_equal(part.decoder_x, dx[[1, 3]])
    train, val = d.split(0.5, seed=1)
    assert train.decoder_x.shape == (2, 5, 2) and val.decoder_x.shape == (2, 5, 2)
