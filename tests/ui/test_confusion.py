"""The dashboard's confusion matrix: the engine's counts for the model's weights, on the training
sequences (the validation split excluded); hidden for regression data."""
import numpy as np
import pytest

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from rnnsim import recipe
from rnnsim.metrics import confusion_matrix
from ui.plots.confusion import ConfusionPlot
from ui.training.controller import FINISHED, TrainingController
from ui.training.dashboard import TrainingDashboard


@pytest.fixture
def dashboard(qtbot):
    made = []

    def make(task):
        c = TrainingController(task=task)
        dash = TrainingDashboard(c, show_errors=False)
        qtbot.addWidget(dash)
        dash.resize(1300, 700)
        dash.show()
        qtbot.waitExposed(dash)
        made.append((c, dash))
        return c, dash
    yield make
    for c, dash in made:
        dash.confusion_runner.stop()
        assert c.shutdown()


def test_the_matrix_shown_is_the_engines_for_the_trained_weights(qtbot, dashboard):
    c, dash = dashboard("digits")
    assert dash.tabs.isTabVisible(dash.confusion_tab)
    assert c.set_config(recipe.build_config(c.task.training, {"epochs": 3}))
    dash.tabs.setCurrentIndex(dash.confusion_tab)
    c.train()
    qtbot.waitUntil(lambda: c.state == FINISHED, timeout=120_000)
    assert c.trainer.epoch == 3
    train = c.trainer.train_set
    expected = confusion_matrix("argmax", c.model.predict(train.x), train.y, 10)
    plot = dash.confusion_plot
    qtbot.waitUntil(lambda: plot.counts is not None and f"at step {c.step_count}" in plot.title,
                    timeout=60_000)
    np.testing.assert_array_equal(plot.counts, expected)
    # the training sequences only: 80% of the 1797 images, the validation split is left out
    assert plot.counts.sum() == train.size == 1797 - round(0.2 * 1797)
    assert plot.row_names == [str(d) for d in range(10)] == plot.col_names
    assert np.trace(plot.counts) / train.size == pytest.approx(c.history.accuracy.last())
    # the cells say their counts, and hovering one reads it exactly
    written = {label.toPlainText() for label in plot._labels if label.isVisible()}
    assert {str(v) for v in expected.ravel()} == written
    text, _ = plot.readout_at(3.0, 3.0)
    assert text.startswith(f"true 3, predicted 3:  {expected[3, 3]} (")


def test_regression_data_hide_the_matrix(qtbot, dashboard):
    c, dash = dashboard("sine")
    assert not dash.tabs.isTabVisible(dash.confusion_tab)
    dash.refresh(force=True)
    assert dash.confusion_plot.counts is None and not dash.confusion_runner.busy


def test_the_plot_writes_counts_and_exports_them(qtbot):
    plot = ConfusionPlot()
    qtbot.addWidget(plot)
    counts = np.array([[5, 1], [0, 4]])
    plot.show_counts(counts, ["a", "␣"], "10 training sequences, at step 7")
    assert "at step 7" in plot.title
    assert [label.toPlainText() for label in plot._labels if label.isVisible()] == ["5", "1", "0", "4"]
    header, rows = plot.csv_table()
    assert header == ["true \\ predicted", "a", "␣"] and rows == [["a", "5", "1"], ["␣", "0", "4"]]
    assert plot.readout_at(1.0, 0.0)[0] == "true a, predicted ␣:  1 (16.7% of true a)"
    plot.clear_matrix("gone")
    assert plot.counts is None and not any(label.isVisible() for label in plot._labels)
