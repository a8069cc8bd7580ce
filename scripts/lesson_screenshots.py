"""Render docs/lessons/<lesson id>.png: the window at 1600 × 1000 after each lesson's three clicks —
the lesson picked in the list, Set up, Run — once its headline figures are in.

    Xvfb :94 -screen 0 1600x1000x24 &
    DISPLAY=:94 QT_QPA_PLATFORM=xcb python scripts/lesson_screenshots.py [lesson-id ...]

Each lesson starts as on a first start, its settings in a temporary folder (the learner's own stay
untouched); with no ids every built-in lesson is rendered.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ui  # noqa: E402,F401  (the PySide6 guard first)
from PySide6.QtCore import QSettings  # noqa: E402

from rnnsim.lessons import builtin_lessons  # noqa: E402
from ui.app import make_app  # noqa: E402

OUT = ROOT / "docs" / "lessons"
TIMEOUT_S = 600


def wait(app, done, timeout=TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("lesson_screenshots: timed out")
        app.processEvents()
        time.sleep(0.01)


def shoot(app, lesson_id: str) -> Path:
    from PySide6.QtWidgets import QMessageBox

    from ui.main_window import MainWindow
    # closing a trained window asks whether to keep the work: no one is there to answer
    QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)
    window = MainWindow(remember_layout=True)
    window.resize(1600, 1000)
    window.show()
    window.session.start(warm=False)
    wait(app, lambda: window.ready)
    panel = window.lessons_panel
    panel.tree.setCurrentItem(panel.item_of(lesson_id))
    panel.setup_button.click()
    panel.run_button.click()
    wait(app, lambda: all(label.property("passed") is not None for label in panel.result_labels)
         and not window.lesson_driver.busy and not window.graph.view.building)
    for _ in range(30):                                   # let the last redraws land
        app.processEvents()
        time.sleep(0.02)
    path = OUT / f"{lesson_id}.png"
    window.grab().save(str(path))
    window.close()
    window.deleteLater()
    return path


def main(argv=None) -> int:
    ids = list(argv if argv is not None else sys.argv[1:]) or [lesson.id for lesson in builtin_lessons()]
    app = make_app()
    OUT.mkdir(parents=True, exist_ok=True)
    for lesson_id in ids:
        with tempfile.TemporaryDirectory(prefix="rnnsim-shots-") as settings:   # each lesson from a first start
            for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
                QSettings.setPath(fmt, QSettings.Scope.UserScope, settings)
            print(shoot(app, lesson_id), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
