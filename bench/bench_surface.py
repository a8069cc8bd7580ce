"""Cost-surface speed (rnnsim.landscape.loss_surface) against one model.loss call per grid point.

    python bench/bench_surface.py [--repeat 5]

Target (the issue): the one-unit counter (20 sequences × 10 steps) on a 200 × 200 grid in < 0.5 s.
Each repetition times the vectorised grid and, interleaved in the same process, the baseline — the
same loss computed one grid point at a time through ``Model.loss`` on a 20 × 20 grid, scaled by 100 to
200 × 200 (timing all 40 000 single calls would take a minute). Medians are printed, with their
range, and the ratio. Larger models show what a learner waits for with the "two random directions"
slice (41 × 41 grid).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from rnnsim import Model, ModelSpec, recipe  # noqa: E402
from rnnsim.data import make_task  # noqa: E402
from rnnsim.landscape import direction_plane, grid_axis, loss_surface, parameter_plane  # noqa: E402


def counter_case():
    data, _ = make_task("bitcount", seed=0)
    spec = ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", bias=False, output_size=None)
    model = Model(spec, {"rnn.weight_ih_l0": np.array([[-1.5]]), "rnn.weight_hh_l0": np.array([[2.0]])})
    plane = parameter_plane(model, ("rnn.weight_ih_l0", (0, 0)), ("rnn.weight_hh_l0", (0, 0)))
    return model, data, plane


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def one_call_per_point(model, data, plane, axis):
    for b in axis:
        for a in axis:
            Model(model.spec, plane.params_at(a, b)).loss(data.x, data.y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    model, data, plane = counter_case()
    big, small = grid_axis(-3, 3, 200, "w"), grid_axis(-3, 3, 20, "w")
    loss_surface(model, data.x, data.y, plane, small, small)          # warm-up
    grid, base = [], []
    for _ in range(args.repeat):
        grid.append(timed(lambda: loss_surface(model, data.x, data.y, plane, big, big)))
        base.append(100 * timed(lambda: one_call_per_point(model, data, plane, small)))
    g, b = statistics.median(grid), statistics.median(base)
    print("one-unit counter, 20 sequences × 10 steps, 200 × 200 grid")
    print(f"  vectorised grid        {g * 1000:8.1f} ms  (range {min(grid) * 1000:.1f}–{max(grid) * 1000:.1f})"
          f"   target < 500 ms: {'met' if g < 0.5 else 'NOT met'}")
    print(f"  one call per point     {b * 1000:8.1f} ms  (extrapolated from 20 × 20)")
    print(f"  speed-up               {b / g:8.1f} ×")
    print("two random directions, 41 × 41 grid:")
    axis = grid_axis(-1, 1, 41, "direction")
    for name in ("temporal-xor", "long-memory", "digits"):
        task_data, task = make_task(name, seed=0)
        spec = recipe.build_spec(task_data, task.model)
        m = Model.create(spec, seed=0)
        rows = slice(0, min(64, task_data.size))
        t = timed(lambda: loss_surface(m, task_data.x[rows], task_data.y[rows], direction_plane(m, 0), axis, axis))
        print(f"  {name:14s} {spec.cell} {spec.num_layers}×{spec.hidden_size}, {rows.stop} sequences × "
              f"{task_data.steps} steps: {t:6.2f} s")


if __name__ == "__main__":
    main()
