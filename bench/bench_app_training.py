"""Training in the app vs headless: steps per second and the event loop's worst gap.

For each case the same model (a built-in task's suggested network and settings, same seed) trains
the same number of steps

- headless: ``Trainer.run(max_steps=N)`` on the main thread, as ``rnnsim train`` does;
- app: through :class:`ui.training.controller.TrainingController` on its QThread, with the
  :class:`ui.training.dashboard.TrainingDashboard` attached and shown (offscreen), redrawing with
  setData while the Qt event loop runs; a 5 ms QTimer records how late each of its ticks is
  (the event loop's worst gap = the longest the window could not react).

Each case runs ``--repeat`` pairs (headless, then app, back to back, so that load from other
processes on the machine hits both alike) and reports the median ratio with its range. Run:

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. python bench/bench_app_training.py [--quick] [--json]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from rnnsim.model import Model  # noqa: E402
from rnnsim.train import Trainer  # noqa: E402

CASES = [  # (task, steps, tab shown: 0 gradients, 1 hidden state & gates, 2 weights)
    ("bitcount", 3000, 0),
    ("temporal-xor", 1500, 1),
    ("long-memory", 400, 1),
    ("sine", 800, 2),
    ("digits", 300, 0),
]


class GapMeter:
    """A 5 ms timer; the worst lateness of its ticks is the event loop's worst gap."""

    def __init__(self, interval_ms=5):
        self.interval = interval_ms
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.worst = 0.0
        self.ticks = 0

    def start(self):
        self.worst, self.ticks = 0.0, 0
        self.clock.start()
        self._last = 0
        self.timer.start()

    def _tick(self):
        now = self.clock.nsecsElapsed() / 1e6
        self.worst = max(self.worst, now - self._last - self.interval)
        self._last = now
        self.ticks += 1

    def stop(self):
        self.timer.stop()


def headless(controller, steps) -> float:
    """Steps/s of Trainer.run on a copy of the controller's model, data and settings."""
    trainer = controller.trainer
    model = Model(controller.model.spec, controller.model.state_dict())
    t = Trainer(model, controller.dataset, trainer.config)
    t.run(max_steps=5)                                  # compiled kernels, warm caches
    start = time.perf_counter()
    t.run(max_steps=steps)
    done = t.step_count - 5
    return done / (time.perf_counter() - start)


def in_app(app, controller, dashboard, steps, meter) -> tuple[float, float, int]:
    loop = QEventLoop()

    def done(state):
        if state != "running":
            loop.quit()

    controller.stateChanged.connect(done)
    controller.reset()
    controller.train_steps(5)
    loop.exec()
    before = controller.trainer.step_count
    redraws = dashboard.redraws
    for _ in range(3):                      # let the last run's final repaint happen before measuring
        app.processEvents()
    meter.start()
    start = time.perf_counter()
    controller.train_steps(steps)
    loop.exec()
    elapsed = time.perf_counter() - start
    meter.stop()
    controller.stateChanged.disconnect(done)
    return (controller.trainer.step_count - before) / elapsed, meter.worst, dashboard.redraws - redraws


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer steps, one repeat")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-stagger", action="store_true", help="redraw all plots in one frame")
    p.add_argument("--no-plots", action="store_true", help="the controller alone (no dashboard): the thread's cost")
    p.add_argument("--refresh", type=float, default=10.5, help="dashboard redraw rate (Hz)")
    args = p.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ui.app import settle_memory
    from ui.training.controller import TrainingController
    from ui.training.dashboard import TrainingDashboard

    results = []
    meter = GapMeter()
    for task, steps, tab in CASES:
        if args.quick:
            steps = max(100, steps // 4)
        controller = TrainingController(task=task)
        cfg = controller.config
        controller.set_config(dataclasses.replace(cfg, epochs=1_000_000, patience=None))
        dashboard = TrainingDashboard(refresh_hz=args.refresh, stagger=not args.no_stagger)
        dashboard.resize(1500, 900)
        dashboard.tabs.setCurrentIndex(tab)
        if not args.no_plots:
            dashboard.attach(controller)
            dashboard.show()
        app.processEvents()
        settle_memory()                         # as ui.app.main does once the window is up
        repeats = 1 if args.quick else args.repeat
        pairs = []                              # (headless, app, gap, redraws/s): measured back to back
        for _ in range(repeats):
            head = headless(controller, steps)
            app_rate, gap, redraws = in_app(app, controller, dashboard, steps, meter)
            pairs.append((head, app_rate, gap, redraws / (steps / app_rate)))
        if args.no_plots:
            pairs = [(h, a, g, float("nan")) for h, a, g, _ in pairs]
        ratios = sorted(a / h for h, a, _, _ in pairs)
        median = ratios[len(ratios) // 2]
        spec = controller.model.spec
        row = {"task": task, "cell": spec.cell, "hidden": spec.hidden_size, "layers": spec.num_layers,
               "batch": cfg.batch_size, "steps": steps, "tab": dashboard.tabs.tabText(tab).replace("&&", "&"),
               "headless_steps_per_s": round(max(p[0] for p in pairs), 1),
               "app_steps_per_s": round(max(p[1] for p in pairs), 1),
               "ratio_median": round(median, 3), "ratio_min": round(ratios[0], 3), "ratio_max": round(ratios[-1], 3),
               "worst_gap_ms": round(max(p[2] for p in pairs), 1),
               "redraws_per_s": round(min(p[3] for p in pairs), 1)}
        if not args.json:
            print(f"{task:13s} {spec.cell:11s} h{spec.hidden_size:<3d} x{spec.num_layers} batch {str(cfg.batch_size):4s} "
                  f"headless {row['headless_steps_per_s']:7.1f}/s  app {row['app_steps_per_s']:7.1f}/s  "
                  f"ratio {median:4.2f} ({ratios[0]:.2f}–{ratios[-1]:.2f})  worst gap {row['worst_gap_ms']:5.1f} ms  "
                  f"redraws ≥{row['redraws_per_s']:.1f}/s  [{row['tab']}]", flush=True)
        results.append(row)
        controller.shutdown()
        dashboard.close()
        dashboard.deleteLater()
        controller.deleteLater()
        app.processEvents()
    if args.json:
        print(json.dumps({"results": results, "refresh_hz": None if args.no_plots else args.refresh}))
    else:
        worst = min(r["ratio_median"] for r in results)
        print(f"lowest median app/headless ratio {worst:.2f}; worst event-loop gap "
              f"{max(r['worst_gap_ms'] for r in results):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
