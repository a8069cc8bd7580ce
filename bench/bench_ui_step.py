"""How long one debugger step takes to redraw, offscreen, at T = 100 and hidden 32.

For each cell kind: record a Tape (custom sequence, T = 100, hidden 32, many-to-many), open the
main window at 1600×1000, then time

  step+paint    the cursor move (Session.step / step_back: every view updates from the signal),
                then one pass of the event loop: the layout and the repaint of what changed, as
                Qt schedules them — the new frame on screen (the main figure)
  step+window   the cursor move, its layout requests, then the WHOLE window repainted
                synchronously (QWidget.repaint: every widget, changed or not) — an upper bound
  step+grab     the same, but the whole window rendered into a new pixmap (QWidget.grab)

over a forward sweep, the BPTT sweep and stepping back. The budget is 16 ms (one frame at 60 Hz).

    PYTHONPATH=. python bench/bench_ui_step.py [--steps 60] [--cells lstm gru rnn_tanh] [--pause 0.03]
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

import ui  # noqa: E402,F401  (None refcount guard first)
from ui.app import make_app, settle_memory  # noqa: E402
from ui.session import Settings  # noqa: E402


def wait(app, cond, timeout=60.0):
    t0 = time.perf_counter()
    while not cond():
        app.processEvents()
        time.sleep(0.005)
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError("the Tape did not arrive")


def measure(app, w, move, steps, how, pause_s):
    from PySide6.QtCore import QCoreApplication, QEvent
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        move()
        if how == "step+paint":
            app.processEvents()
        else:
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            if how == "step+grab":
                w.grab()
            else:
                w.repaint()
        times.append((time.perf_counter() - t0) * 1000)
        pause = time.perf_counter() + pause_s        # the pause between steps: animation frames and
        while time.perf_counter() < pause:           # deferred layout run here, outside the timing
            app.processEvents()
            time.sleep(0.002)
    return times


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=60, help="steps per sweep")
    p.add_argument("--cells", nargs="+", default=["lstm", "gru", "rnn_tanh"])
    p.add_argument("--T", type=int, default=100)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--pause", type=float, default=0.03,
                   help="seconds between steps (≥ 0.06: the cell view glides to its new values over the "
                        "following frames instead of jumping within the step's frame)")
    args = p.parse_args(argv)
    app = make_app()
    from ui.main_window import MainWindow

    print(f"redraw per debugger step, T = {args.T}, hidden = {args.hidden}, window 1600×1000, offscreen, "
          f"{args.pause * 1000:.0f} ms between steps (ms)")
    print(f"{'cell':9} {'sweep':9} {'what':13} {'mean':>7} {'median':>7} {'p95':>7} {'max':>7}")
    worst = 0.0
    medians = []
    for cell in args.cells:
        w = MainWindow(settings=Settings(task="custom", cell=cell, hidden_size=args.hidden, steps=args.T,
                                         input_size=2, output_size=2))
        w.resize(1600, 1000)
        w.show()
        w.session.start(warm=False)
        wait(app, lambda: w.ready)
        settle_memory()                              # as ui.app.main does once the window is up
        s = w.session
        for _ in range(5):
            app.processEvents()
        bwd = s.tape.find("backward")
        sweeps = [
            ("forward", lambda: s.seek(s.tape.find("forward", 0, 0, args.T // 3)), s.step),
            ("BPTT", lambda: s.seek(bwd + 10), s.step),
            ("back", lambda: s.seek(bwd + 10 + args.steps), s.step_back),
        ]
        for name, start, move in sweeps:
            for what in ("step+paint", "step+window", "step+grab"):
                start()
                w.repaint()
                app.processEvents()
                times = measure(app, w, move, args.steps, what, args.pause)
                times.sort()
                p95 = times[int(0.95 * (len(times) - 1))]
                if what == "step+paint":
                    worst = max(worst, p95)
                    medians.append(statistics.median(times))
                print(f"{cell:9} {name:9} {what:13} {statistics.mean(times):7.2f} {statistics.median(times):7.2f} "
                      f"{p95:7.2f} {max(times):7.2f}")
        w.close()
        app.processEvents()
    print(f"step+paint: median of medians {statistics.median(medians):.2f} ms, worst p95 {worst:.2f} ms "
          f"(budget 16 ms; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
