"""Screenshots of the training dashboard mid-training: docs/screenshots/dashboard_*.png.

A standalone window hosts the dashboard with the data, hyperparameter and predict panels as dock
widgets (as the main window does), trains on a task in the background and grabs the window while the
worker is still running — one picture per dashboard tab — then a divergence (the banner), the Load
data dialog with a CSV preview, and the predict panel after training.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. python scripts/dashboard_screenshot.py [--task long-memory]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import ui  # noqa: E402,F401  (first: the PySide6 6.12 refcount guard)
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QTabWidget  # noqa: E402

from ui import theme  # noqa: E402
from ui.panels.data import DataPanel  # noqa: E402
from ui.panels.hyperparameters import HyperparametersPanel  # noqa: E402
from ui.panels.predict import PredictPanel  # noqa: E402
from ui.training.controller import TrainingController  # noqa: E402
from ui.training.dashboard import TrainingDashboard  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def build(task: str):
    controller = TrainingController(task=task)
    win = QMainWindow()
    win.setWindowTitle("rnnsim — training dashboard")
    win.setStyleSheet(theme.STYLE)
    dashboard = TrainingDashboard(controller)
    win.setCentralWidget(dashboard)
    panels = QTabWidget()
    data, hyper, predict = DataPanel(controller), HyperparametersPanel(controller), PredictPanel(controller)
    panels.addTab(data, "Data")
    panels.addTab(hyper, "Hyperparameters")
    panels.addTab(predict, "Predict")
    dock = QDockWidget("Training setup", win)
    dock.setWidget(panels)
    dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
    win.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    win.resize(1680, 980)
    win.show()
    return win, controller, dashboard, panels, data, hyper, predict


def pump(app, seconds: float, until=None):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and not (until and until()):
        app.processEvents()
        time.sleep(0.005)


def grab(win, name):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"dashboard_{name}.png"
    win.grab().save(str(path))
    print("wrote", path.relative_to(ROOT))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="long-memory")
    p.add_argument("--seconds", type=float, default=2.5, help="training time before the first picture")
    args = p.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    win, c, dash, panels, data, hyper, predict = build(args.task)
    pump(app, 0.3)
    # mid-training: a run long enough to be still going while the pictures are taken
    c.set_config(dataclasses.replace(c.config, epochs=max(c.config.epochs, 200)))
    panels.setCurrentWidget(hyper)
    c.train()
    pump(app, args.seconds)
    assert c.running, "training ended before the screenshot; use a longer run"
    dash.tabs.setCurrentIndex(0)
    pump(app, 0.4)
    grab(win, "gradients")
    panels.setCurrentWidget(data)
    dash.tabs.setCurrentIndex(1)
    pump(app, 0.6)
    grab(win, "hidden_gates")
    dash.tabs.setCurrentIndex(2)
    pump(app, 0.6)
    grab(win, "weights")
    c.pause()
    pump(app, 5, until=lambda: not c.running)
    panels.setCurrentWidget(predict)
    predict.predict()
    pump(app, 3, until=lambda: predict.output is not None)
    dash.tabs.setCurrentIndex(0)
    pump(app, 0.2)
    grab(win, "predict")

    # the divergence banner: lesson 003's counter with plain gradient descent and a large step
    c.set_task("bitcount")
    c.set_config(dataclasses.replace(c.config, optimizer="sgd", lr=0.05))
    panels.setCurrentWidget(hyper)
    c.train()
    pump(app, 10, until=lambda: not c.running)
    pump(app, 0.3)
    grab(win, "diverged")

    # the Load data dialog with a CSV preview
    dialog = data.open_dialog(str(ROOT / "tests" / "fixtures" / "data" / "series.csv"))
    pump(app, 0.3)
    OUT.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(OUT / "dashboard_load_csv.png"))
    print("wrote", (OUT / "dashboard_load_csv.png").relative_to(ROOT))
    dialog.reject()
    c.shutdown()
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
