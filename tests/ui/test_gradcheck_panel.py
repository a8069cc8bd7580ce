"""The gradient-check panel: the engine's numbers in the table, progress and Cancel on a worker thread,
a result marked stale (not hidden) when the weights, data or settings change, a wrong gradient shown
as failing, and the engine's refusals shown in a dialog."""
import numpy as np
import pytest

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from PySide6.QtCore import Qt

from rnnsim import Model
from rnnsim import gradcheck as gc
from ui.panels.gradcheck import COLUMNS, GradcheckPanel
from ui.training.controller import TrainingController

TIMEOUT = 60000
COLUMN = {name: i for i, name in enumerate(COLUMNS)}


@pytest.fixture
def make_panel(qtbot):
    made = []

    def make(task="bitcount"):
        controller = TrainingController(task=task)
        panel = GradcheckPanel(controller)
        qtbot.addWidget(panel)
        panel.show()
        made.append((controller, panel))
        return controller, panel

    yield make
    for controller, panel in made:
        assert panel.shutdown()
        assert controller.shutdown()


def run_check(qtbot, panel):
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT) as blocker:
        panel.check_button.click()
    return blocker.args[0]


def cell(panel, row, column):
    return panel.table.item(row, COLUMN[column])


def test_the_table_is_the_engines_report_on_the_sessions_data(qtbot, make_panel):
    controller, panel = make_panel("bitcount")
    assert panel.eps.value() == 1e-7 and panel.sequences.value() == 20      # the counting-ones tutorial's check
    model, data = controller.current_model(), controller.dataset
    report = run_check(qtbot, panel)
    expected = gc.check_gradients(model, data.x[:20], data.y[:20], eps=1e-7, max_elements=100)
    assert report == expected
    assert panel.verdict.text() == "✓ No gradient errors found"
    assert panel.table.rowCount() == 2
    for row, p in enumerate(expected.parameters):
        assert cell(panel, row, "parameter").text() == p.name
        assert cell(panel, row, "shape").text() == "1 × 1"
        assert cell(panel, row, "checked").text() == "1 / 1"
        for column, value in (("relative error", p.rel_error), ("analytic", p.analytic), ("numeric", p.numeric)):
            assert cell(panel, row, column).data(Qt.ItemDataRole.UserRole) == value
        assert float(cell(panel, row, "analytic").text().replace("−", "-")) == pytest.approx(p.analytic, rel=1e-6)
        assert cell(panel, row, "").text() == "✓"
    assert "2 of 2 elements" in panel.summary.text() and "eps 1e-07" in panel.summary.text()
    assert not panel.stale and not panel.stale_label.isVisible()


def test_a_sample_on_a_larger_model_with_the_training_settings(qtbot, make_panel):
    controller, panel = make_panel("temporal-xor")
    controller.set_config(controller.config_with(truncate=3, weight_decay=0.01))
    assert "truncated BPTT every 3 steps" in panel.settings.text() and "0.01" in panel.settings.text()
    panel.sequences.setValue(5)
    panel.sample.setValue(4)
    panel.eps.set_value(1e-5)
    model, data = controller.current_model(), controller.dataset
    report = run_check(qtbot, panel)
    expected = gc.check_gradients(model, data.x[:5], data.y[:5], eps=1e-5, truncate=3, l2=0.01, max_elements=4)
    assert report == expected and report.truncate == 3 and report.l2 == 0.01
    assert [cell(panel, r, "checked").text() for r in range(panel.table.rowCount())] == [
        f"{p.checked} / {p.size}" for p in expected.parameters]
    assert all(p.checked == min(4, p.size) for p in report.parameters)


def test_the_newest_weights_are_checked(qtbot, make_panel, monkeypatch):
    """While training runs the panel checks what current_model() hands out, not the model at rest."""
    controller, panel = make_panel("bitcount")
    newest = Model(controller.spec, {"rnn.weight_ih_l0": np.array([[1.2]]), "rnn.weight_hh_l0": np.array([[1.2]])})
    monkeypatch.setattr(controller, "current_model", lambda: newest.copy())
    report = run_check(qtbot, panel)
    data = controller.dataset
    assert report == gc.check_gradients(newest, data.x[:20], data.y[:20], eps=1e-7, max_elements=100)
    assert report.max_rel_error < 1e-8


def test_progress_then_cancel_keeps_the_previous_result(qtbot, make_panel):
    controller, panel = make_panel("digits")
    panel.sample.setValue(1)
    panel.sequences.setValue(2)
    seen = []
    panel.progressed.connect(lambda done, total: seen.append((done, total)))
    first = run_check(qtbot, panel)
    total = first.checked
    assert seen and seen[-1] == (total, total) and all(a <= b for (a, _), (b, _) in zip(seen, seen[1:]))
    assert not panel.progress.isVisible() and panel.check_button.isEnabled()
    # a check of every element of 22 026 takes minutes: cancel it at its first progress report
    panel.sample.setValue(0)
    panel.sequences.setValue(20)
    with qtbot.waitSignal(panel.progressed, timeout=TIMEOUT):
        panel.check_button.click()
    assert panel.progress.isVisible() and panel.cancel_button.isEnabled() and not panel.check_button.isEnabled()
    assert panel.progress.maximum() == sum(v.size for v in controller.model.params.values())
    with qtbot.waitSignal(panel.cancelled, timeout=TIMEOUT):
        panel.cancel_button.click()
    assert panel.report is first and panel.table.rowCount() == len(first.parameters)
    assert panel.summary.text().startswith("Cancelled after ") and "previous check" in panel.summary.text()
    assert not panel.progress.isVisible() and panel.check_button.isEnabled()


def test_stale_when_weights_data_or_settings_change(qtbot, make_panel):
    controller, panel = make_panel("bitcount")
    with qtbot.assertNotEmitted(panel.staleChanged):
        run_check(qtbot, panel)
    with qtbot.waitSignal(panel.staleChanged):
        assert controller.set_config(controller.config_with(weight_decay=0.5))
    assert panel.stale and "truncation or L2" in panel.stale_label.text() and panel.stale_label.isVisible()
    assert panel.table.rowCount() == 2 and panel.verdict.text().endswith("No gradient errors found")   # not hidden
    controller.set_config(controller.config_with(weight_decay=0.0))
    assert not panel.stale and not panel.stale_label.isVisible()                   # back to what was checked
    params = controller.model.state_dict()
    params["rnn.weight_hh_l0"] += 0.25
    assert controller.set_params(params)
    assert panel.stale and "the weights changed" in panel.stale_label.text()
    report = run_check(qtbot, panel)
    assert not panel.stale and report.parameters[1].analytic == pytest.approx(
        controller.model.loss_and_grads(controller.dataset.x[:20], controller.dataset.y[:20])[1]["rnn.weight_hh_l0"][0, 0])
    assert controller.set_task("bitcount", seed=3)
    assert panel.stale and "the data changed" in panel.stale_label.text() and panel.table.rowCount() == 2


def test_a_wrong_gradient_is_shown_as_failing(qtbot, make_panel, monkeypatch):
    real = gc.analytic_grads

    def wrong(model, x, target, truncate=None, l2=0.0):
        loss, grads = real(model, x, target, truncate, l2)
        grads = {k: v.copy() for k, v in grads.items()}
        grads["rnn.weight_hh_l0"] *= 1.001
        return loss, grads

    monkeypatch.setattr(gc, "analytic_grads", wrong)
    controller, panel = make_panel("bitcount")
    report = run_check(qtbot, panel)
    assert report.failing == ("rnn.weight_hh_l0",)
    assert panel.verdict.text().startswith("✗ Gradient error in rnn.weight_hh_l0: the numerical gradient ")
    assert [cell(panel, r, "").text() for r in range(2)] == ["✓", "✗"]
    assert cell(panel, 1, "analytic").data(Qt.ItemDataRole.UserRole) == pytest.approx(
        1.001 * cell(panel, 1, "numeric").data(Qt.ItemDataRole.UserRole), rel=1e-6)


def test_a_refusal_is_a_dialog_and_the_result_stays(qtbot, make_panel):
    controller, panel = make_panel("bitcount")
    first = run_check(qtbot, panel)
    params = controller.model.state_dict()
    params["rnn.weight_hh_l0"][...] = 1e300                       # the loss overflows: nothing to check
    assert controller.set_params(params)
    with qtbot.waitSignal(panel.failed, timeout=TIMEOUT) as blocker:
        panel.check_button.click()
    assert "no gradients to check" in blocker.args[0] and panel.last_error_text == blocker.args[0]
    assert panel.last_error.isVisible()
    panel.last_error.close()
    assert panel.report is first and panel.table.rowCount() == 2 and panel.stale
    # an eps the field refuses never reaches the engine
    panel.eps.setText("0")
    assert not panel.check_button.isEnabled() and "eps: must be > 0" in panel.eps.toolTip()


def test_while_training_runs_it_checks_the_newest_weights_and_goes_stale(qtbot, make_panel):
    controller, panel = make_panel("temporal-xor")
    panel.sample.setValue(3)
    panel.sequences.setValue(4)
    panel.eps.set_value(1e-5)
    assert controller.train()
    qtbot.waitUntil(lambda: controller.history.latest is not None and controller.history.latest.params is not None,
                    timeout=TIMEOUT)
    report = run_check(qtbot, panel)
    assert report.passed, report.verdict
    # training goes on: new weights arrive and the result is marked stale, still shown
    qtbot.waitUntil(lambda: panel.stale, timeout=TIMEOUT)
    assert "the weights changed (training is running)" in panel.stale_label.text()
    assert panel.table.rowCount() == len(report.parameters)
    controller.pause()
    qtbot.waitUntil(lambda: not controller.running, timeout=TIMEOUT)
