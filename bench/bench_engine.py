"""Forward + BPTT (no update) throughput of rnnsim vs PyTorch eager float64, plus cold/warm start.

    python bench/bench_engine.py            # prints a table and ratios
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from rnnsim import bench  # noqa: E402

START = ("import time; t=time.perf_counter(); import numpy as np, rnnsim; "
         "m=rnnsim.Model.create(rnnsim.ModelSpec(cell='{cell}', input_size=4, hidden_size=8, output_size=4)); "
         "x=np.zeros((2,5,4)); m.loss_and_grads(x, x); print(time.perf_counter()-t)")


def fresh_process_start(cell):
    """Seconds from interpreter start to the first loss_and_grads in a new process (cache warm)."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", START.format(cell=cell)], capture_output=True, text=True,
                         cwd=os.path.join(os.path.dirname(__file__), ".."), check=True)
    return time.perf_counter() - t, float(out.stdout)


if __name__ == "__main__":
    print("forward + BPTT (loss_and_grads), float64, steps/s")
    print(bench.HEADER)
    bench.run(update=False, progress=lambda row: print(bench.format_row(row), flush=True))
    for cell in bench.CELLS:
        fresh_process_start(cell)  # make sure the cache is warm
        total, inside = fresh_process_start(cell)
        print(f"{cell}: fresh process, warm cache: import + first loss_and_grads {inside:.2f} s "
              f"(whole process {total:.2f} s)")
