"""Render the app's main states to PNG (offscreen), for the README and for looking at the app.

    PYTHONPATH=. python scripts/screenshots.py [--out docs/screenshots]

Writes forward-midway.png, bptt-midway.png, lstm-cell.png (and lstm-cell-closeup.png),
folded.png, inspector.png, stacked-bidirectional.png, app-training.png (the whole window
mid-training, the Training dashboard docked), cost-surface.png and cost-surface-window.png (the
counter: Rprop beside plain gradient descent), xor-3-vs-50-units.png and boundary-xor-50.png (the
XOR lesson's shipped settings), one-to-many.png (the sine-from-start task: input at the first step only),
encoder-decoder.png (the reverse task: BPTT handed back from the decoder into the encoder).
``--only training`` / ``--only lessons`` / ``--only one-to-many`` / ``--only encoder-decoder`` renders just those.
The window starts from its first layout (a layout saved by the app is neither read nor changed).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="rnnsim-screenshots-")   # the first layout, nothing saved
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ui  # noqa: E402,F401  (None refcount guard first)
from PySide6.QtCore import Qt  # noqa: E402

from ui.app import make_app  # noqa: E402

SIZE = (1600, 1000)


def settle(app, ms=150):
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)


def open_window(app, **setup):
    from ui.main_window import MainWindow

    w = MainWindow(setup=setup)
    w.resize(*SIZE)
    w.show()
    w.cell.set_animated(False)
    w.session.start(warm=False)
    t0 = time.perf_counter()
    while not w.ready:
        app.processEvents()
        time.sleep(0.01)
        if time.perf_counter() - t0 > 60:
            raise TimeoutError("no Tape")
    settle(app)
    return w


def save(w, path):
    w.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    p.add_argument("--only", choices=["training", "lessons", "one-to-many", "encoder-decoder"],
                   help="render only these screenshots")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = make_app()
    if args.only == "training":
        training_shot(app, out)
        return
    if args.only == "one-to-many":
        one_to_many_shot(app, out)
        return
    if args.only == "encoder-decoder":
        encoder_decoder_shot(app, out)
        return
    if args.only == "lessons":
        surface_shots(app, out)
        xor_shots(app, out)
        return

    # 1-2. an Elman RNN on the running-parity task: forward mid-way, then BPTT mid-way (truncated)
    w = open_window(app, task="temporal-xor", cell="rnn_tanh", hidden_size=8, steps=10, truncate=4,
                    optimizer="sgd", lr=0.1)
    s = w.session
    s.seek(s.tape.find("forward", 0, 0, 4))
    settle(app)
    save(w, out / "forward-midway.png")
    s.seek(s.tape.find("backward", 0, 0, 5))
    settle(app)
    save(w, out / "bptt-midway.png")
    # the inspector on the shared W, with its gradient so far
    w.inspect_arrow(("W", 0, 0, 6))
    settle(app)
    save(w, out / "inspector.png")
    # the folded graph: the recurrence as a cycle
    s.seek(s.tape.find("forward", 0, 0, 6))
    w.folded_action.trigger()
    settle(app)
    save(w, out / "folded.png")
    w.close()

    # 3. an LSTM on the long-memory task: the cell view with its gates
    w = open_window(app, task="long-memory", cell="lstm", hidden_size=12, steps=12)
    s = w.session
    s.seek(s.tape.find("forward", 0, 0, 5))
    settle(app)
    save(w, out / "lstm-cell.png")
    w.docks["cell"].setFloating(True)
    w.docks["cell"].resize(1200, 520)
    settle(app)
    save(w.cell, out / "lstm-cell-closeup.png")
    w.close()

    # 4. two stacked bidirectional GRU layers during BPTT
    w = open_window(app, task="custom", cell="gru", hidden_size=6, steps=8, num_layers=2, bidirectional=True,
                    input_size=2, output_size=2)
    s = w.session
    w.graph.view.zoom(0.8)
    s.seek(s.tape.find("backward", 1, 0, 6))
    settle(app)
    for _ in range(12):                       # BPTT scrolls back in time: the frozen labels stay put
        s.step()
        settle(app, 30)
    save(w, out / "stacked-bidirectional.png")
    w.close()
    settle(app, 50)
    training_shot(app, out)
    surface_shots(app, out)
    xor_shots(app, out)
    one_to_many_shot(app, out)
    encoder_decoder_shot(app, out)


def wait_for(app, condition, what, seconds=120):
    t0 = time.perf_counter()
    while not condition():
        settle(app, 50)
        if time.perf_counter() - t0 > seconds:
            raise TimeoutError(what)


def surface_shots(app, out):
    """6. the counter's cost surface: Rprop's 500 steps kept, then plain SGD from the same start (it diverges),
    the six points' gradients over time."""
    w = open_window(app, task="bitcount")
    c, v = w.training, w.cost_surface
    w.docks["surface"].raise_()
    wait_for(app, lambda: v.surface.surface is not None and not v.surface.runner.busy, "no surface")
    c.train()
    wait_for(app, lambda: c.state == "finished", "Rprop did not finish")
    v.surface.put_weights(-1.5, 2.0)
    c.set_config(c.config_with(optimizer="sgd", lr=0.001))
    c.train()
    wait_for(app, lambda: c.state == "diverged", "SGD did not diverge")
    v.surface.put_weights(1.0, 0.5)
    v.gradients.show_lesson_points()
    settle(app, 600)
    save(w, out / "cost-surface-window.png")
    save(w.docks["surface"], out / "cost-surface.png")
    w.training._set_dirty(False)
    w.close()


def xor_shots(app, out):
    """7. XOR: the 3-unit run kept beside the 50-unit one (its loss jumps), and the 50-unit boundary."""
    from rnnsim.data.tasks import XOR_SETTINGS

    w = open_window(app, **XOR_SETTINGS["3 units"])
    c = w.training
    c.train()
    wait_for(app, lambda: c.state == "finished", "3 units did not finish")
    w.session.configure(**XOR_SETTINGS["50 units"])
    c.train()
    wait_for(app, lambda: c.state == "finished", "50 units did not finish")
    w.show_dashboard()
    settle(app, 600)
    save(w.docks["dashboard"], out / "xor-3-vs-50-units.png")
    w.docks["boundary"].raise_()
    wait_for(app, lambda: w.boundary.shown_step == c.step_count, "no boundary")
    settle(app, 300)
    save(w.docks["boundary"], out / "boundary-xor-50.png")
    w.training._set_dirty(False)
    w.close()


def training_shot(app, out):
    """5. the whole window mid-training: the Training dashboard docked below, the debugger above."""
    w = open_window(app, task="temporal-xor", cell="rnn_tanh", hidden_size=8, steps=8)
    w.docks["dashboard"].show()
    w.docks["dashboard"].raise_()
    w.docks["hyper"].raise_()
    w.resizeDocks([w.docks["hyper"], w.docks["equations"]], [300, 240], Qt.Orientation.Horizontal)
    w.resizeDocks([w.docks["dashboard"]], [int(SIZE[1] * 0.55)], Qt.Orientation.Vertical)
    cfg = w.training.config
    w.training.set_config(type(cfg)(**{**cfg.__dict__, "epochs": 2000}))     # long enough to catch it mid-run
    w.dashboard.actions["train"].trigger()
    t0 = time.perf_counter()
    while w.training.step_count < 300 and time.perf_counter() - t0 < 30:
        settle(app, 100)
    settle(app, 400)
    save(w, out / "app-training.png")
    w.training._set_dirty(False)          # no "unsaved training" prompt when closing
    w.close()
    settle(app, 50)


def one_to_many_shot(app, out):
    """6. one-to-many: a sine wave from one starting angle, x(1) only, stepped part-way through the forward
    pass (no input arrows after the first step); the data panel names the shape."""
    w = open_window(app, task="sine-from-start", hidden_size=16, options={"steps": 10})
    w.docks["data"].raise_()
    w.resizeDocks([w.docks["data"]], [430], Qt.Orientation.Horizontal)
    s = w.session
    w.graph.view.zoom(0.8)
    s.seek(s.tape.find("forward", 0, 0, 3))
    settle(app, 200)
    w.graph.view.horizontalScrollBar().setValue(0)        # x(1) and its arrow in view, beside the later steps
    settle(app, 400)
    save(w, out / "one-to-many.png")
    w.close()
    settle(app, 50)


def encoder_decoder_shot(app, out):
    """7. N-to-M: the reverse task's encoder row and decoder row on one timeline, stepped to the moment BPTT
    hands the gradient back through the context into the encoder."""
    w = open_window(app, task="reverse", hidden_size=16, options={"n": 200, "length": 3})
    s = w.session
    w.resizeDocks([w.docks["model"], w.docks["equations"]], [270, 300], Qt.Orientation.Horizontal)
    s.seek(s.tape.find("context_back"))
    settle(app, 300)
    w.graph.view.fit_all()                               # both rows, all N + M steps and the context between
    settle(app, 400)
    save(w, out / "encoder-decoder.png")
    w.close()
    settle(app, 50)


if __name__ == "__main__":
    main()
