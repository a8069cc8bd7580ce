"""Large batches run as parallel chunks; the result must equal the one-chunk computation."""
import numpy as np
import pytest

from rnnsim import Model, ModelSpec, parallel
from rnnsim.gradcheck import random_problem


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru"])
@pytest.mark.parametrize("output,loss,reduction", [("sequence", "mse", "mean"), ("last", "cross_entropy", "mean"),
                                                   ("sequence", "cross_entropy", "sum")])
def test_chunked_equals_single_chunk(monkeypatch, cell, output, loss, reduction):
    spec = ModelSpec(cell=cell, input_size=3, hidden_size=5, num_layers=2, bidirectional=True,
                     output_size=4, output=output, loss=loss, reduction=reduction)
    model = Model.create(spec, seed=1)
    x, target = random_problem(model, batch=11, steps=6, seed=2)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 10**12)
    loss1, grads1 = model.loss_and_grads(x, target, truncate=4, l2=0.01)
    out1 = model.predict(x)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_WORK", 0)
    monkeypatch.setattr(parallel, "workers", lambda: 3)
    assert parallel.chunk_count(11, 6, 20, 4) == 2
    loss2, grads2 = model.loss_and_grads(x, target, truncate=4, l2=0.01)
    np.testing.assert_allclose(model.predict(x), out1, rtol=1e-13, atol=1e-15)
    assert loss2 == pytest.approx(loss1, rel=1e-13)
    for name in grads1:
        np.testing.assert_allclose(grads2[name], grads1[name], rtol=1e-12, atol=1e-15)


def test_blas_threads_restored_after_use():
    libs = parallel._blas_libraries()
    before = [lib.num_threads for lib in libs]
    with parallel.single_threaded_blas():
        assert all(lib.num_threads == 1 for lib in libs)
        with parallel.single_threaded_blas():
            pass
        assert all(lib.num_threads == 1 for lib in libs)
    assert [lib.num_threads for lib in libs] == before
