"""Hyperparameters (checked as typed, refused with the reason), the predict panel (lesson 003's counter
answers ≈ 5), every plot's PNG and CSV export, the symlog axis."""
import csv
import dataclasses
import math

import numpy as np
import pytest

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from rnnsim import optim
from rnnsim.train import TrainConfig
from ui.panels.hyperparameters import HyperparametersPanel
from ui.panels.predict import PredictPanel
from ui.plots.base import PlotPanel, symlog, symlog_inverse, symlog_threshold
from ui.plots.gradients import GradOverTimePlot
from ui.training.controller import FINISHED, PAUSED, READY, TrainingController
from ui.training.dashboard import TrainingDashboard

TIMEOUT = 30000


@pytest.fixture
def controller():
    c = TrainingController(task="temporal-xor")
    yield c
    assert c.shutdown()


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def type_into(field, text):
    field.setText(text)
    field.textEdited.emit(text)


def finish(field, text):
    type_into(field, text)
    field.editingFinished.emit()


def test_values_are_checked_as_typed_and_refused_with_the_reason(qtbot, controller):
    p = HyperparametersPanel(controller)
    qtbot.addWidget(p)
    p.show()
    type_into(p.lr, "-1")
    assert p.reason.isVisible() and "Learning rate: must be > 0, got -1" in p.reason.text()
    assert p.lr.property("invalid") and "must be > 0" in p.lr.toolTip()
    p.lr.editingFinished.emit()
    assert controller.config.lr == 0.01                       # refused: nothing applied
    type_into(p.lr, "fast")
    assert "'fast' is not a number" in p.reason.text()
    finish(p.lr, "0.05")
    assert not p.reason.isVisible() and controller.config.lr == 0.05
    # a refusal only the engine can judge, in the engine's words
    p._select(p.optimizer, "sgd")
    p.nesterov.setChecked(True)
    assert "Nesterov momentum needs a momentum > 0" in p.reason.text() and not controller.config.nesterov
    p.nesterov.setChecked(False)
    # one that needs the data: too small a validation split for 4 XOR points
    controller.set_task("xor")
    p.split.setValue(10)
    p.split.editingFinished.emit()
    assert "leaves no sequence" in p.reason.text() and controller.config.validation_split == 0.0
    finish(p.momentum, "1.5")
    assert "Momentum: must be ≥ 0 and < 1" in p.reason.text()


def test_training_settings_apply_and_show_back(qtbot, controller):
    p = HyperparametersPanel(controller)
    qtbot.addWidget(p)
    p.clip_on.setChecked(False)
    assert controller.config.clip is None
    p.truncate.setValue(4)
    p.truncate.editingFinished.emit()
    p._select(p.schedule, "step")
    assert controller.config.truncate == 4 and controller.config.schedule == "step"
    assert p.step_size.isEnabled() and p.gamma.isEnabled() and not p.clip.isEnabled()
    controller.set_config(dataclasses.replace(controller.config, optimizer="rprop", momentum=0.0, lr=0.003))
    assert p.optimizer.currentData() == "rprop" and p.lr.text() == "0.003"
    assert p.lr_label.text() == "Initial step Δ0" and not p.momentum.isEnabled()


def test_each_optimizer_shows_only_its_own_settings(qtbot, controller):
    p = HyperparametersPanel(controller)
    qtbot.addWidget(p)
    p.show()
    assert set(p.setting_rows) == set(optim.SETTINGS)
    for name in optim.OPTIMIZERS:
        p._select(p.optimizer, name)
        assert controller.config.optimizer == name and not p.reason.isVisible()
        for key, (row, widgets) in p.setting_rows.items():
            applies = name in optim.SETTINGS[key]
            assert row.isVisible() == applies and all(w.isEnabled() == applies for w in widgets), (name, key)
    p._select(p.optimizer, "adagrad")
    assert p.eps.text() == "" and p.eps.placeholderText() == "default 1e-10"


def test_adam_beta1_typed_in_the_panel_reaches_the_config(qtbot, controller):
    p = HyperparametersPanel(controller)
    qtbot.addWidget(p)
    p.show()
    p._select(p.optimizer, "adam")
    finish(p.beta1, "0.8")
    assert controller.config.betas == (0.8, 0.999) and not p.reason.isVisible()
    finish(p.eps, "1e-6")
    assert controller.config.eps == 1e-6
    before = controller.config
    type_into(p.beta1, "1")
    assert p.reason.isVisible() and "Adam β1: must be ≥ 0 and < 1, got 1" in p.reason.text()
    assert p.beta1.property("invalid") and "must be ≥ 0 and < 1" in p.beta1.toolTip()
    p.beta1.editingFinished.emit()
    assert controller.config == before                        # refused: nothing applied
    finish(p.beta1, "0.85")
    assert controller.config.betas == (0.85, 0.999) and not p.reason.isVisible()
    finish(p.eps, "")                                         # empty: the optimizer's default
    assert controller.config.eps is None and p.eps.placeholderText() == "default 1e-08"
    # another optimizer: Adam's settings go back to their defaults instead of being refused
    p._select(p.optimizer, "sgd")
    assert controller.config.optimizer == "sgd" and controller.config.betas == TrainConfig().betas
    assert not p.reason.isVisible() and p.beta1.text() == "0.9"


def test_rprop_settings_refused_in_the_engine_s_words(qtbot, controller):
    p = HyperparametersPanel(controller)
    qtbot.addWidget(p)
    p.show()
    p._select(p.optimizer, "rprop")
    finish(p.eta_minus, "0.3")
    finish(p.eta_plus, "1.5")
    finish(p.step_min, "0.001")
    assert controller.config.etas == (0.3, 1.5) and controller.config.step_sizes == (0.001, 50.0)
    before = controller.config
    finish(p.step_max, "0.0001")                              # each field fine, the pair is not
    assert "Rprop step sizes (smallest, largest) must satisfy 0 < smallest ≤ largest" in p.reason.text()
    assert controller.config == before
    finish(p.eta_plus, "1")
    assert "Rprop η+: must be > 1, got 1" in p.reason.text() and controller.config == before


def test_the_optimizer_memory_is_kept_only_while_its_settings_stay(qtbot, controller):
    p = HyperparametersPanel(controller)
    qtbot.addWidget(p)
    p._select(p.optimizer, "adam")

    def train(steps):
        controller.train(steps=steps)
        qtbot.waitUntil(lambda: controller.state == PAUSED, timeout=TIMEOUT)
        return {s["step"] for s in controller.trainer.optimizer.state.values()}

    assert train(3) == {3}
    finish(p.lr, "0.02")                                      # the learning rate is not the optimizer's memory
    assert train(1) == {4}
    finish(p.beta2, "0.99")                                   # β2 is: a fresh Adam
    assert train(1) == {1}


def test_network_changes_apply_at_once_and_ask_before_losing_training(qtbot, controller, monkeypatch):
    from ui.panels import network
    from ui.panels.network import NetworkEditor

    answers = []
    monkeypatch.setattr(network, "ask_to_replace", lambda *a, **k: answers.pop(0))
    p = NetworkEditor(controller)
    qtbot.addWidget(p)
    p.show()
    p.hidden.setValue(8)                                      # nothing trained yet: new weights at once, no question
    assert controller.model.spec.hidden_size == 8 and controller.state == READY
    controller.train(steps=3)
    qtbot.waitUntil(lambda: controller.state == PAUSED, timeout=TIMEOUT)
    trained = {k: v.copy() for k, v in controller.model.params.items()}
    answers.append(False)                                     # "keep my trained weights"
    p.cell.setCurrentIndex(p.cell.findData("gru"))
    p.cell.activated.emit(p.cell.currentIndex())
    assert not answers and controller.model.spec.cell == "rnn_tanh" and p.cell.currentData() == "rnn_tanh"
    for k, v in trained.items():
        np.testing.assert_array_equal(controller.model.params[k], v)
    answers.append(True)                                      # "replace them"
    p.cell.setCurrentIndex(p.cell.findData("gru"))
    p.cell.activated.emit(p.cell.currentIndex())
    assert controller.model.spec.cell == "gru" and controller.model.spec.hidden_size == 8
    assert controller.step_count == 0 and controller.state == READY


def test_the_bit_counter_answers_about_five(qtbot):
    c = TrainingController(task="bitcount")                   # lesson 003: Rprop from (−1.5, 2), 500 steps
    p = PredictPanel(c)
    qtbot.addWidget(p)
    c.train()
    qtbot.waitUntil(lambda: c.state == FINISHED, timeout=TIMEOUT)
    p.input.setText("0,1,1,0,0,0,0,1,0,0,1,1")
    with qtbot.waitSignal(p.predicted, timeout=TIMEOUT) as sig:
        p.predict()
    out = sig.args[0]
    assert out.shape == (1, 1) and abs(out[0, 0] - 5) < 0.05
    assert "≈ 5" in p.answer_text
    with qtbot.waitSignal(p.openInDebugger) as sig:
        p.debug_button.click()
    x = sig.args[0]
    assert x.shape == (1, 12, 1) and x[0, :, 0].tolist() == [0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1]
    p.input.setText("0,1,x")
    p.predict()
    assert "not a number" in p.answer.text()
    assert c.shutdown()


def test_predict_speaks_the_data_s_language(qtbot, controller):
    p = PredictPanel(controller)                             # temporal-xor: a class per step
    qtbot.addWidget(p)
    assert p.input.text().count(",") == 7                     # the first sequence of the data, 8 steps
    with qtbot.waitSignal(p.predicted, timeout=TIMEOUT):
        p.predict()
    assert p.answer_text.count("t = ") == 8 and "probability" in p.answer_text
    controller.set_task("sine")                               # a forecast in the series' own units
    assert "one time step after another" in p.hint.text()
    with qtbot.waitSignal(p.predicted, timeout=TIMEOUT):
        p.predict()
    assert p.answer_text.startswith("Forecast: value = ")


def test_every_plot_exports_png_and_csv(qtbot, controller, tmp_path):
    controller.set_task("long-memory", 0, {"n": 64, "delay": 5})
    controller.set_config(dataclasses.replace(controller.config, epochs=4))
    dash = TrainingDashboard(controller)
    qtbot.addWidget(dash)
    dash.resize(1300, 850)
    dash.show()
    controller.train()
    qtbot.waitUntil(lambda: controller.state == FINISHED, timeout=TIMEOUT)
    for tab in range(dash.tabs.count()):                      # draw every tab once
        dash.tabs.setCurrentIndex(tab)
        dash.refresh(force=True)
    qtbot.waitUntil(lambda: dash.confusion_plot.counts is not None, timeout=TIMEOUT)   # drawn by a worker
    panels = dash.findChildren(PlotPanel)
    assert len(panels) == 7 + 6 + 1                           # 7 plots + U, W, V and their gradients + confusion
    for i, panel in enumerate(panels):
        png, table = tmp_path / f"{i}.png", tmp_path / f"{i}.csv"
        panel.export_png(png)
        panel.export_csv(table)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
        rows = read_csv(table)
        assert len(rows) > 1 and len(rows[0]) >= 2, panel.title
    rows = read_csv(tmp_path / f"{panels.index(dash.loss_plot)}.csv")
    assert rows[0] == ["step", "mini-batch loss", "train loss (epoch mean)", "validation loss"]
    assert float(rows[1][1]) == controller.trainer.history.loss[0]          # exact, not rounded
    weights = dash.weights_view.panels["W"]
    rows = read_csv(tmp_path / f"{panels.index(weights)}.csv")
    assert len(rows) == 1 + 4 * 16 and float(rows[1][1]) == controller.model.params["rnn.weight_hh_l0"][0, 0]


def test_symlog_axis():
    y = np.array([-1e6, -3.0, -1e-9, 0.0, 1e-9, 2.5, 1e7])
    c = 1e-3
    t = symlog(y, c)
    assert np.all(np.diff(t) > 0) and t[3] == 0                # monotonic, 0 ↦ 0, sign kept
    assert np.allclose(symlog_inverse(t, c), y, rtol=1e-9, atol=1e-15)
    assert symlog_threshold([1e-3, 2.0, -50.0]) == 1e-5          # six decades below the largest |value|
    plot = GradOverTimePlot()
    plot.show_data({"layer 1": 10.0 ** np.arange(-8, 1)})
    assert plot.c == 1e-6
    ticks = plot.axis.tickValues(float(t.min()), float(symlog(1.0, plot.c)), 300)[0][1]
    labels = plot.axis.tickStrings(ticks, 1, 1)
    assert "0" in labels and "1" in labels and "1e-3" in labels
    x, raw = plot.data("layer 1")
    assert np.array_equal(raw, 10.0 ** np.arange(-8, 1))         # the readout and CSV keep the raw values
    text, _ = plot.readout_at(2)
    assert "1e-07" in text.replace("−", "-")
    assert math.isclose(plot.curves["layer 1"].getData()[1][-1], math.log10(1 + 1 / 1e-6))


def test_a_long_note_wraps_inside_the_plot_area(qtbot):
    """An empty plot's note (e.g. the cost surface's "Choose two weights … press Compute") stays within
    the plot area in a narrow dock instead of running over the axes' labels."""
    panel = PlotPanel("Cost surface", y_label="loss")
    qtbot.addWidget(panel)
    panel.resize(300, 260)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_note("Choose two weights (or directions) and press Compute to see the loss over their plane")
    area = panel.item.vb.sceneBoundingRect()
    note = panel._note.mapRectToScene(panel._note.boundingRect())
    assert area.left() <= note.left() and note.right() <= area.right()
    panel.set_note("short")
    assert panel._note.mapRectToScene(panel._note.boundingRect()).width() < 0.5 * area.width()
