"""How often the gradient-over-time view redraws while a weight is dragged (target: ≥ 20 curves a second).

    QT_QPA_PLATFORM=offscreen python bench/bench_gradflow_drag.py [--seconds 3]

A drag is simulated the way Qt delivers one: a new position every 16 ms (a 60 Hz mouse), as the
surface's target emits ``pointDragged``; the view computes on its worker and draws the newest curve.
Printed: positions sent, curves drawn, curves per second, for the one-unit counter and for a bigger
model (temporal-xor's tanh RNN) — and, as the baseline in the same process, the engine alone computing
one curve after another (the most the view could draw).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402

import ui  # noqa: E402,F401
from rnnsim.gradflow import gradient_over_time  # noqa: E402
from rnnsim.model import Model  # noqa: E402
from ui.app import make_app  # noqa: E402
from ui.panels.surface_view import CostSurfaceView  # noqa: E402
from ui.training.controller import TrainingController  # noqa: E402


def drag(app, task: str, seconds: float):
    controller = TrainingController(task=task)
    view = CostSurfaceView(controller)
    view.resize(1200, 400)
    view.show()
    surface = view.surface
    if surface.surface is None:
        surface.points.setValue(20)
        surface.start()
    while surface.surface is None or surface.runner.busy:
        app.processEvents()
    g = view.gradients
    lo, hi = surface.surface.b[0], surface.surface.b[-1]
    a0 = float(np.mean(surface.surface.a))
    sent = [0]

    def move():
        b = lo + (hi - lo) * (0.5 + 0.5 * np.sin(sent[0] / 10))
        surface.plot.pointDragged.emit(a0, float(b))
        sent[0] += 1

    timer = QTimer()
    timer.timeout.connect(move)
    start_drawn = g.drawn
    t0 = time.perf_counter()
    timer.start(16)
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
    timer.stop()
    elapsed = time.perf_counter() - t0
    drawn = g.drawn - start_drawn
    # the engine alone, one curve after another, on the same sequences
    model = controller.current_model()
    x, y = controller.trainer.train_set.x[:512], controller.trainer.train_set.y[:512]
    n, t1 = 0, time.perf_counter()
    while time.perf_counter() - t1 < 1.0:
        gradient_over_time(Model(model.spec, model.state_dict()), x, y)
        n += 1
    engine_rate = n / (time.perf_counter() - t1)
    view.shutdown()
    view.close()
    controller.shutdown()
    return sent[0], drawn, drawn / elapsed, engine_rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    app = make_app()
    print(f"{'task':14s} {'positions':>9s} {'drawn':>6s} {'curves/s':>9s} {'engine alone/s':>15s}  target ≥ 20/s")
    for task in ("bitcount", "temporal-xor"):
        sent, drawn, rate, engine = drag(app, task, args.seconds)
        print(f"{task:14s} {sent:9d} {drawn:6d} {rate:9.1f} {engine:15.1f}  {'met' if rate >= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
