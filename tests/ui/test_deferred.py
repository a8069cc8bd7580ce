"""The parts of the window built after it is on screen (ui/deferred.py): the training plots, the cost surface
and the decision boundary — built when their dock is first seen, or piece by piece once the window is
ready, and then showing what happened meanwhile."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from ui.plots.base import PlotPanel
from ui.training.controller import PAUSED

ROOT = Path(__file__).resolve().parents[2]


def test_the_window_imports_neither_pyqtgraph_nor_numba_nor_scipy():
    """What ui.app.main imports before the window is on screen: the heavy libraries come later."""
    code = textwrap.dedent("""
        import sys
        import ui.app, rnnsim.train_process, ui.main_window
        print(sorted(m for m in ("pyqtgraph", "numba", "scipy") if m in sys.modules))
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_hidden_docks_wait_and_a_dock_brought_forward_is_built(make_window, qtbot):
    w = make_window()
    assert not w.dashboard.plots_built and w.dashboard.plot_panels() == []
    assert not (w.later.surface.built or w.later.boundary.built)
    assert w.dashboard.actions["train"].isEnabled()          # the controls are there from the start
    w.show_panel("boundary")
    qtbot.waitUntil(lambda: w.later.boundary.built, timeout=5000)
    assert not w.later.surface.built
    w.show_panel("dashboard")
    qtbot.waitUntil(lambda: w.dashboard.plots_built, timeout=5000)
    assert len(w.dashboard.plot_panels()) == len(w.dashboard.findChildren(PlotPanel)) > 0


def test_the_plots_show_what_training_did_before_they_were_built(make_window, qtbot):
    w = make_window(task="bitcount")
    t = w.training
    t.train_steps(12)
    qtbot.waitUntil(lambda: t.state == PAUSED, timeout=30000)
    assert not w.dashboard.plots_built
    assert w.dashboard.progress.format().startswith("epoch")   # the controls followed the run
    w.build_deferred()
    x, y = w.dashboard.loss_plot._raw["step"]
    assert len(x) == 12 and x[-1] == 12 and (y > 0).all()


def test_the_idle_builder_builds_everything_one_piece_per_tick(make_window, qtbot):
    w = make_window()
    ticks = []
    w.later.builder.timer.timeout.connect(lambda: ticks.append(w.dashboard.plots_built))
    w.later.builder.start()
    qtbot.waitUntil(lambda: w.later.builder.done, timeout=30000)
    assert w.dashboard.plots_built and w.later.surface.built and w.later.boundary.built
    assert ticks.count(False) > 10                 # the plots took many ticks: the event loop ran between them
    assert w.cost_surface is w.later.surface.content and w.boundary is w.later.boundary.content


def test_a_dock_brought_forward_during_the_background_import_waits_for_it(make_window, qtbot):
    w = make_window()
    w.later.builder.start()
    qtbot.waitUntil(lambda: w.later.loading is not None, timeout=5000)
    w.show_panel("dashboard")
    qtbot.waitUntil(lambda: w.dashboard.plots_built, timeout=10000)
    assert not w.later.loading.is_alive()
    qtbot.waitUntil(lambda: w.later.builder.done, timeout=30000)
