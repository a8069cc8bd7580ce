"""The training plots say what they plot and hide nothing: legends beside (not over) the curves, the
gradient-over-time plot titled by what it draws and spanning k = 1..T, no empty gates plot for a cell
without gates, and the state badge clear of the epoch counter."""
import numpy as np
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from ui import theme
from ui.plots.base import PlotPanel
from ui.plots.gates import GATES, GatePlot
from ui.plots.gradients import NORM_TITLE, SIGNED_TITLE, GradNormPlot, GradOverTimePlot
from ui.plots.loss import AccuracyPlot, LossPlot
from ui.training.controller import DIVERGED, FINISHED, PAUSED, READY, RUNNING, STOPPED, TrainingController
from ui.training.dashboard import STATE_WORDS, TrainingDashboard


@pytest.fixture
def shown(qtbot):
    def show(widget, size=(520, 300)):
        qtbot.addWidget(widget)
        widget.resize(*size)
        widget.show()
        qtbot.waitExposed(widget)
        return widget
    return show


def legend_clear_of_the_curves(plot: PlotPanel):
    QApplication.processEvents()
    legend, vb = plot.legend.sceneBoundingRect(), plot.item.vb.sceneBoundingRect()
    assert legend.height() > 0 and not legend.intersects(vb.adjusted(1, 1, -1, -1)), (legend, vb)
    assert plot.item.sceneBoundingRect().contains(legend)               # and inside the picture (the PNG)


def test_legends_sit_beside_the_curves_not_over_them(shown):
    steps = np.arange(1, 301, dtype=float)
    loss = shown(LossPlot())
    loss.show_data(steps, np.exp(-steps / 80), steps[9::10], np.exp(-steps[9::10] / 80),
                   np.exp(-steps[9::10] / 90))
    legend_clear_of_the_curves(loss)
    assert [label.text for _, label in loss.legend.items] == ["mini-batch", "train (epoch mean)", "validation"]
    assert loss.csv_table()[0] == ["step", "mini-batch loss", "train loss (epoch mean)", "validation loss"]
    acc = shown(AccuracyPlot(), (260, 200))
    acc.show_data(steps[9::10], np.linspace(0.2, 1, 30), np.linspace(0.1, 0.9, 30))
    legend_clear_of_the_curves(acc)
    grads = shown(GradNormPlot(), (600, 300))
    names = ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "fc.weight", "fc.bias"]
    grads.show_data(steps, {n: np.full(300, 0.1 * (i + 1)) for i, n in enumerate(names)}, np.full(300, 1.0))
    legend_clear_of_the_curves(grads)
    assert grads.legend.columnCount > 1                                  # entries side by side, not a tall list
    gates = shown(GatePlot())
    gates.show_data(np.random.default_rng(0).uniform(0, 1, (8, 4)), "lstm")
    legend_clear_of_the_curves(gates)


def test_gradient_over_time_is_titled_by_what_it_plots_and_spans_1_to_T(shown):
    plot = shown(GradOverTimePlot())
    signed = np.array([0.3, -0.2, 0.1, -0.05, 0.02, -0.01, 0.004, -0.002])
    plot.show_data({"layer 1": signed}, step=5, signed=True)
    assert plot.title == SIGNED_TITLE and "‖" not in plot.title and "signed" in plot.title
    assert plot.y_label == "∂L/∂h(k)"
    x0, x1 = plot.item.vb.viewRange()[0]
    assert 0.8 <= x0 <= 1.0 and 8.0 <= x1 <= 8.2                       # k = 1..T, nothing past T
    ticks = [v for _, level in plot.item.getAxis("bottom").tickValues(x0, x1, 400) for v in level]
    assert ticks and all(float(v).is_integer() for v in ticks)          # whole time steps
    np.testing.assert_array_equal(plot.data("layer 1")[1], signed)      # the values as given
    norms = np.abs(signed)[:5]
    plot.show_data({"layer 1": norms, "layer 1 ←": norms[::-1]}, step=6, signed=False)
    assert plot.title == NORM_TITLE and plot.y_label == "‖∂L/∂h(k)‖"
    x0, x1 = plot.item.vb.viewRange()[0]
    assert 0.8 <= x0 <= 1.0 and 5.0 <= x1 <= 5.1


@pytest.mark.parametrize("task", ["temporal-xor", "long-memory"])
def test_the_gates_plot_only_for_cells_with_gates(qtbot, task):
    c = TrainingController(task=task)
    try:
        dash = TrainingDashboard(c)
        qtbot.addWidget(dash)
        dash.resize(1200, 700)
        dash.show()
        dash.tabs.setCurrentIndex(dash.inside_tab)
        QApplication.processEvents()
        gated = c.model.spec.cell in GATES
        assert dash.gate_plot.isVisible() == gated
        assert dash.tabs.tabText(dash.inside_tab) == ("Hidden state && gates" if gated else "Hidden state")
        assert dash.hidden_plot.isVisible()
    finally:
        assert c.shutdown()


def test_a_plot_for_a_cell_without_gates_says_so(shown):
    plot = shown(GatePlot())
    plot.show_data(None, "rnn_tanh")
    assert "has no gates" in plot._note.toPlainText() and not plot.curves


def test_the_state_badge_never_covers_the_epoch_counter(qtbot):
    c = TrainingController(task="temporal-xor")
    try:
        dash = TrainingDashboard(c)
        qtbot.addWidget(dash)
        dash.resize(760, 500)                                            # narrow: the controls' row is tight
        dash.show()
        badge, bar = dash.state_label, dash.progress
        dash.progress.setFormat("epoch 2000/2000")
        for state in (READY, RUNNING, PAUSED, STOPPED, FINISHED, DIVERGED):
            dash.state_label.setText(STATE_WORDS[state][0])
            QApplication.processEvents()
            assert not badge.geometry().intersects(bar.geometry()), state
            text = badge.fontMetrics().horizontalAdvance(badge.text())
            assert text + 16 <= badge.width(), state                      # the word and its padding fit
            assert bar.fontMetrics().horizontalAdvance(bar.format()) < bar.width()
        for word, colour in STATE_WORDS.values():
            assert theme.contrast(theme.readable(QColor(colour), theme.PAPER), theme.PAPER) >= 4.5
    finally:
        assert c.shutdown()
