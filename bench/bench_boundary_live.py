"""The decision boundary view's cost to training: steps per second in the app with the view redrawing vs without,
and the redraw rate it reaches.

The app-like setting of bench/bench_app_training.py: a :class:`ui.training.controller.TrainingController` on
the XOR task trains in its worker process while the :class:`ui.training.dashboard.TrainingDashboard` is
attached and shown; the :class:`ui.plots.boundary.BoundaryView` is shown (it redraws at most ``--rate`` times
a second) or hidden (a hidden view computes nothing). Runs alternate — without, with, without, with … — in
one process, so that load from elsewhere hits both alike; a headless ``Trainer.run`` of the same steps
before each pair is the baseline. Reported: median steps/s of each, the median ratio with/without (target
≥ 0.80) and with/headless, and the view's redraws per second while training (target ≥ 5). Run:

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. python bench/bench_boundary_live.py [--quick] [--json]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import ui  # noqa: E402,F401  (first: the PySide6 6.12 refcount guard)
from PySide6.QtCore import QEventLoop  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

CASES = [(3, 20000), (50, 8000)]          # (hidden units, steps per run)


def headless(controller, steps) -> float:
    from rnnsim.model import Model
    from rnnsim.train import Trainer
    model = Model(controller.model.spec, controller.model.state_dict())
    trainer = Trainer(model, controller.dataset, controller.trainer.config)
    trainer.run(max_steps=5)
    start = time.perf_counter()
    trainer.run(max_steps=steps)
    return (trainer.step_count - 5) / (time.perf_counter() - start)


def in_app(app, controller, view, steps, with_view: bool) -> tuple[float, float]:
    """(steps/s, the view's redraws/s) of one run of ``steps`` steps from fresh weights."""
    loop = QEventLoop()

    def done(state):
        if state != "running":
            loop.quit()

    view.setVisible(with_view)
    controller.stateChanged.connect(done)
    controller.reset()
    controller.train_steps(5)                 # the worker process is up, kernels warm
    loop.exec()
    for _ in range(3):
        app.processEvents()
    before, redraws = controller.trainer.step_count, view.redraws
    start = time.perf_counter()
    controller.train_steps(steps)
    loop.exec()
    elapsed = time.perf_counter() - start
    controller.stateChanged.disconnect(done)
    return (controller.trainer.step_count - before) / elapsed, (view.redraws - redraws) / elapsed


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer steps, two pairs")
    p.add_argument("--pairs", type=int, default=4)
    p.add_argument("--rate", type=float, default=10.0, help="the view's most redraws a second")
    p.add_argument("--resolution", type=int, default=160, help="the view's finest grid (points per side)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ui.app import settle_memory
    from ui.plots.boundary import BoundaryView
    from ui.training.controller import TrainingController
    from ui.training.dashboard import TrainingDashboard

    results = []
    for hidden, steps in CASES:
        pairs = 2 if args.quick else args.pairs
        steps = steps // 4 if args.quick else steps
        controller = TrainingController(task="xor")
        controller.set_network(hidden_size=hidden)
        controller.set_config(dataclasses.replace(controller.config, epochs=1_000_000, patience=None))
        dashboard = TrainingDashboard()
        dashboard.resize(1200, 700)
        dashboard.attach(controller)
        dashboard.show()
        view = BoundaryView(controller, rate_hz=args.rate, max_resolution=args.resolution)
        view.resize(560, 600)
        app.processEvents()
        settle_memory()
        rows = []                             # (headless, without, with, redraws/s with)
        for _ in range(pairs):
            head = headless(controller, steps)
            without, _ = in_app(app, controller, view, steps, False)
            with_view, rate = in_app(app, controller, view, steps, True)
            rows.append((head, without, with_view, rate))
        ratio = statistics.median(w / wo for _, wo, w, _ in rows)
        row = {"hidden": hidden, "steps": steps, "resolution": view.resolution,
               "headless_steps_per_s": round(statistics.median(r[0] for r in rows), 1),
               "without_view_steps_per_s": round(statistics.median(r[1] for r in rows), 1),
               "with_view_steps_per_s": round(statistics.median(r[2] for r in rows), 1),
               "ratio_with_without": round(ratio, 3),
               "ratio_range": [round(min(w / wo for _, wo, w, _ in rows), 3), round(max(w / wo for _, wo, w, _ in rows), 3)],
               "ratio_with_headless": round(statistics.median(w / h for h, _, w, _ in rows), 3),
               "redraws_per_s": round(min(r[3] for r in rows), 1)}
        results.append(row)
        if not args.json:
            print(f"xor h{hidden:<3d} grid {row['resolution']}²  headless {row['headless_steps_per_s']:8.1f}/s  "
                  f"app without view {row['without_view_steps_per_s']:8.1f}/s  with view "
                  f"{row['with_view_steps_per_s']:8.1f}/s  ratio {ratio:.2f} "
                  f"({row['ratio_range'][0]:.2f}–{row['ratio_range'][1]:.2f})  with/headless "
                  f"{row['ratio_with_headless']:.2f}  redraws ≥{row['redraws_per_s']:.1f}/s", flush=True)
        controller.shutdown()
        view.close()
        dashboard.close()
        for widget in (view, dashboard, controller):
            widget.deleteLater()
        app.processEvents()
    if args.json:
        print(json.dumps({"results": results, "rate_hz": args.rate}))
    else:
        print(f"lowest median with/without ratio {min(r['ratio_with_without'] for r in results):.2f} (target ≥ 0.80); "
              f"lowest redraw rate {min(r['redraws_per_s'] for r in results):.1f}/s (target ≥ 5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
