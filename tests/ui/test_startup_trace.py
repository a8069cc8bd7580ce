"""The start-up trace (ui/app.py StartupTrace) that bench/bench_startup.py reads: the process's age, and
the two lines it prints — painted first, interactive once the first Tape is shown."""
import io
import os
import re
import subprocess
import sys
import time

from ui.app import StartupTrace, process_age


def test_process_age_counts_from_the_process_start():
    """A child that sleeps 0.3 s before asking is at least 0.3 s old, and not absurdly older."""
    code = "import time; time.sleep(0.3); from ui.app import process_age; print(process_age())"
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen")).stdout
    elapsed = time.monotonic() - started
    age = float(out.strip())
    assert 0.3 <= age <= elapsed + 0.02          # /proc's start time has 10 ms ticks


def test_trace_prints_painted_then_interactive(qtbot):
    from ui.main_window import MainWindow
    from ui.app import make_app

    make_app()
    window = MainWindow()
    qtbot.addWidget(window)
    stream = io.StringIO()
    trace = StartupTrace(window, stream)
    window.show()
    qtbot.waitUntil(lambda: trace.painted is not None, timeout=20000)
    assert trace.interactive is None and not window.ready        # no Tape yet: not interactive
    window.session.start(warm=False)
    qtbot.waitUntil(lambda: trace.interactive is not None, timeout=20000)
    assert window.ready
    assert 0 < trace.painted <= trace.interactive <= process_age()
    lines = stream.getvalue().splitlines()
    assert lines == [f"startup painted {trace.painted:.3f}", f"startup interactive {trace.interactive:.3f}"]
    assert all(re.fullmatch(r"startup (painted|interactive) \d+\.\d{3}", line) for line in lines)
    window.close()



def test_first_paint_runs_its_work_once_after_the_paint(qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QLabel
    from ui.app import FirstPaint

    label = QLabel("first picture")
    qtbot.addWidget(label)
    calls = []
    FirstPaint(label, lambda: calls.append(label.isVisible()), at_most_ms=60000)
    assert calls == []
    label.show()
    qtbot.waitUntil(lambda: calls == [True])
    label.repaint()                          # a second paint, handled now
    later = []
    QTimer.singleShot(0, lambda: later.append(1))   # queued after anything that paint queued
    qtbot.waitUntil(lambda: later == [1])
    assert calls == [True]


def test_first_paint_runs_its_work_even_without_a_paint(qtbot):
    from PySide6.QtWidgets import QLabel
    from ui.app import FirstPaint

    hidden = QLabel("never shown")
    qtbot.addWidget(hidden)
    calls = []
    FirstPaint(hidden, lambda: calls.append("ran"), at_most_ms=30)
    qtbot.waitUntil(lambda: calls == ["ran"])


def test_once_connects_for_one_emission(qtbot):
    from PySide6.QtCore import QObject, Signal
    from ui.app import once

    class Source(QObject):
        fired = Signal(object)

    source, calls = Source(), []
    once(source.fired, lambda: calls.append(1))
    source.fired.emit("a")
    source.fired.emit("b")
    assert calls == [1]
