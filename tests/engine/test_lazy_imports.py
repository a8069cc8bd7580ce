"""What the engine leaves unloaded until it is needed: numba (~0.2 s to import) until a kernel runs, SciPy
(~0.3 s) until a compiled kernel's BLAS is limited — so the app's window and its first Tape, which need
neither, do not wait for them. Each check runs in a fresh interpreter."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rnnsim import parallel
from rnnsim.cells import CELLS, elman

ROOT = Path(__file__).resolve().parents[2]


def run_fresh(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_importing_the_engine_loads_neither_numba_nor_scipy():
    out = run_fresh("""
        import sys
        import rnnsim, rnnsim.model, rnnsim.train, rnnsim.train_process, rnnsim.tape, rnnsim.lessons
        print(sorted(m for m in ("numba", "scipy", "llvmlite") if m in sys.modules))
    """)
    assert out.strip() == "[]"


def test_a_tape_records_without_numba_or_scipy_and_the_kernels_load_on_first_use():
    out = run_fresh("""
        import sys
        import numpy as np
        from rnnsim.model import Model
        from rnnsim.spec import ModelSpec
        from rnnsim.tape import record
        model = Model.create(ModelSpec(cell="rnn_tanh", input_size=1, hidden_size=4, output_size=2,
                                       loss="cross_entropy"), seed=0)
        record(model, np.zeros((1, 5, 1)), np.zeros((1, 5), dtype=np.int64))
        print(sorted(m for m in ("numba", "scipy") if m in sys.modules))
        model.loss_and_grads(np.zeros((1, 5, 1)), np.zeros((1, 5), dtype=np.int64))
        print(sorted(m for m in ("numba", "scipy") if m in sys.modules))
    """)
    assert out.split("\n")[:2] == ["[]", "['numba', 'scipy']"]


def test_two_threads_using_a_kernel_module_first_both_see_it_whole():
    """The stand-in imports under Python's import lock: a second thread waits for the module, never sees
    it half-run (importlib.util.LazyLoader's AttributeError before Python 3.12)."""
    out = run_fresh("""
        import threading
        from rnnsim.cells import elman, gru, lstm
        seen, barrier = [], threading.Barrier(6)
        def use(module):
            barrier.wait()
            seen.append((module.forward.__name__, module.backward.__name__))
        threads = [threading.Thread(target=use, args=(m,)) for m in (elman, gru, lstm) * 2]
        for t in threads: t.start()
        for t in threads: t.join()
        print(len(seen))
    """)
    assert out.strip() == "6"


def test_the_stand_in_and_the_module_are_the_same_kernels():
    import rnnsim.cells.elman as real
    assert elman.forward is real.forward and CELLS["rnn_tanh"].act == real.TANH == 1
    assert CELLS["rnn_hard_sigmoid"].act == real.HARD_SIGMOID


def test_blas_is_one_thread_inside_and_restored_after():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    np.dot(np.ones((64, 64)), np.ones((64, 64)))
    before = {lib["filepath"]: lib["num_threads"] for lib in threadpoolctl.threadpool_info()
              if lib["user_api"] == "blas"}
    with parallel.single_threaded_blas(with_scipy=False):
        with parallel.single_threaded_blas():                 # SciPy's library joins while numpy's is held
            inside = [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
    after = {lib["filepath"]: lib["num_threads"] for lib in threadpoolctl.threadpool_info()
             if lib["user_api"] == "blas"}
    assert inside and set(inside) == {1}
    assert {path: after[path] for path in before} == before
