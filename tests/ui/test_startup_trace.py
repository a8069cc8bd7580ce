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

