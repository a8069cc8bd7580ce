"""What kept runs cost the training dashboard's redraws: the time of one live redraw of the loss,
accuracy, gradient-norm and gradient-over-time plots (the dashboard's ``refresh`` of a grown history, then
the plots painted into a pixmap) with no kept run and with ``--runs`` kept runs of ``--steps`` steps each
overlaid, interleaved in one process so that the machine's drift hits both alike.

    PYTHONPATH=. python bench/bench_runs_overlay.py [--runs 5] [--steps 2000] [--rounds 40]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import ui  # noqa: E402,F401  (None refcount guard first)
from rnnsim.runs import RunRecord  # noqa: E402
from rnnsim.train import Snapshot  # noqa: E402
from ui.app import make_app, settle_memory  # noqa: E402
from ui.training.controller import TrainingController  # noqa: E402
from ui.training.dashboard import TrainingDashboard  # noqa: E402


def fake_run(run_id: int, steps: int, settings: dict) -> RunRecord:
    """A kept run of ``steps`` steps with a noisy falling loss (only drawn here, not checked)."""
    rng = np.random.default_rng(run_id)
    step = np.arange(1, steps + 1)
    loss = np.exp(-step / steps * 3) * (1 + 0.1 * rng.random(steps))
    epochs = step[::10]
    return RunRecord.create(run_id, {**settings, "lr": 0.01 * run_id}, step, loss, loss * 2, epochs, loss[::10],
                            [None] * epochs.size, rng.random(epochs.size), dh_norms={(0, 0): rng.random(20)},
                            dh_step=steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    app = make_app()
    c = TrainingController(task="temporal-xor")
    dash = TrainingDashboard(c)
    dash.resize(1600, 700)
    dash.show()
    app.processEvents()
    names = list(c.model.params)
    snaps = [Snapshot(s, s // 10, 1.0 / s, 0.01, 1.0 / s, {k: 1.0 / s for k in names}, False, epoch_done=s % 10 == 0,
                      train_loss=1.0 / s, accuracy=0.5) for s in range(1, args.steps + 1)]
    c.history.extend(snaps)
    runs = [fake_run(i + 1, args.steps, c.current_settings()) for i in range(args.runs)]
    plots = (dash.loss_plot, dash.accuracy_plot, dash.grad_norm_plot, dash.grad_time_plot)
    settle_memory()
    times = {0: [], args.runs: []}

    def redraw() -> float:
        t0 = time.perf_counter()
        c.history.version += 1                 # as after a new batch of snapshots
        dash.refresh(parts=("loss", "acc_lr", "grads"))
        for plot in plots:
            plot.plot.grab()
        return time.perf_counter() - t0

    for _ in range(args.rounds):               # interleaved: without, with, without, ...
        for count in (0, args.runs):
            c.runs = runs[:count]
            dash._on_runs()
            app.processEvents()
            redraw()                            # the first redraw after a change sets the overlays' ranges
            times[count].append(redraw())
    base, more = statistics.median(times[0]), statistics.median(times[args.runs])
    print(f"history {args.steps} steps; one redraw of 4 plots (median of {args.rounds}):")
    print(f"  no kept run      {1000 * base:7.2f} ms")
    print(f"  {args.runs} kept runs      {1000 * more:7.2f} ms   ratio {more / base:.2f}")


if __name__ == "__main__":
    main()
