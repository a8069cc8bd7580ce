"""Runs side by side: Reset keeps the run and the dashboard overlays it; the run list shows, hides, renames,
deletes and exports runs; runs survive a session file; the watched weights' path grows while training and
holds the Trainer's weights."""
import csv
import dataclasses

import numpy as np
import pytest

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from PySide6.QtCore import Qt
from rnnsim.train import Trainer
from ui.panels import runs as runs_panel
from ui.panels.runs import LABEL, NAME, OUTCOME, SHOW, RunsPanel
from ui.training.controller import PAUSED, READY, RUNNING, TrainingController
from ui.training.dashboard import TrainingDashboard

TIMEOUT = 30000
BITCOUNT_WATCH = [("rnn.weight_ih_l0", (0, 0)), ("rnn.weight_hh_l0", (0, 0))]


@pytest.fixture
def rig(qtbot):
    """(controller, dashboard, run list) on temporal-xor with 64 sequences (2 steps an epoch)."""
    c = TrainingController(task="temporal-xor")
    c.set_task("temporal-xor", 0, {"n": 64})
    dash = TrainingDashboard(c)
    panel = RunsPanel(c, show_errors=False)
    for w in (dash, panel):
        qtbot.addWidget(w)
        w.show()
    dash.resize(1200, 800)
    yield c, dash, panel
    assert c.shutdown(10000)


def train_steps(qtbot, c, n):
    assert c.train(n)
    qtbot.waitUntil(lambda: c.state != RUNNING, timeout=TIMEOUT)


def legend_names(plot):
    return [label.text for _, label in plot.legend.items]


def test_reset_keeps_the_run_and_the_dashboard_overlays_it(qtbot, rig):
    c, dash, panel = rig
    train_steps(qtbot, c, 12)
    losses, norms = list(c.trainer.history.loss), list(c.trainer.history.grad_norm)
    accuracy = list(c.trainer.history.accuracy)
    with qtbot.waitSignal(c.runsChanged, timeout=TIMEOUT):
        assert c.reset()
    assert c.state == READY and len(c.history) == 0 and c.dirty
    (run,) = c.runs
    assert run.outcome == "stopped" and run.settings["cell"] == c.network["cell"]
    np.testing.assert_array_equal(run.loss, losses)
    x, y = dash.loss_plot.data(f"run:{run.id}")                     # the overlay holds the kept losses
    np.testing.assert_array_equal(x, np.arange(1, 13))
    np.testing.assert_array_equal(y, losses)
    np.testing.assert_array_equal(dash.grad_norm_plot.data(f"run:{run.id}")[1], norms)
    np.testing.assert_array_equal(dash.accuracy_plot.data(f"run:{run.id}")[1], 100.0 * np.array(accuracy))
    assert any(k.startswith(f"run:{run.id}:") for k in dash.grad_time_plot.overlays)
    label = c.run_labels()[0]
    assert label in legend_names(dash.loss_plot)
    assert dash.loss_plot.curves[f"run:{run.id}"].zValue() < dash.loss_plot.curves["step"].zValue()
    assert panel.table.rowCount() == 1 and panel.table.item(0, LABEL).text() == label
    # a second run with another cell: both labelled by what differs
    train_steps(qtbot, c, 4)
    assert c.set_network(cell="lstm")
    assert [r.settings["cell"] for r in c.runs] == ["rnn_tanh", "rnn_tanh"]          # kept as it was trained
    train_steps(qtbot, c, 3)
    c.reset()
    assert [r.settings["cell"] for r in c.runs] == ["rnn_tanh", "rnn_tanh", "lstm"]
    assert c.run_labels()[2] == "LSTM" and c.run_labels()[0] == "tanh RNN #1"
    assert "LSTM" in legend_names(dash.loss_plot)


def test_keep_run_hide_rename_delete_and_clear_through_the_run_list(qtbot, rig, monkeypatch):
    c, dash, panel = rig
    train_steps(qtbot, c, 6)
    panel.keep_button.click()
    assert len(c.runs) == 1 and len(c.history) == 6                # kept; the current run goes on
    c.reset()
    assert len(c.runs) == 1                                        # not kept twice
    c.set_config(dataclasses.replace(c.config, lr=0.05))
    train_steps(qtbot, c, 4)
    panel.keep_button.click()
    first, second = c.runs
    assert c.run_labels() == ["lr 0.01", "lr 0.05"]
    # hide the first: its overlay goes, the second stays
    panel.table.item(0, SHOW).setCheckState(Qt.CheckState.Unchecked)
    assert not first.visible and f"run:{first.id}" not in dash.loss_plot.curves
    assert f"run:{second.id}" in dash.loss_plot.curves
    panel.table.item(0, SHOW).setCheckState(Qt.CheckState.Checked)
    assert first.visible and f"run:{first.id}" in dash.loss_plot.curves
    # rename: the name is the label everywhere
    panel.table.item(1, NAME).setText("  fast   one ")
    assert second.name == "fast one" and "fast one" in legend_names(dash.loss_plot)
    assert panel.table.item(1, LABEL).text() == "fast one"
    panel.table.item(1, NAME).setText("")
    assert second.name is None
    # delete the selected run, then clear the rest (after the question)
    panel.table.selectRow(0)
    panel.delete_button.click()
    assert c.runs == [second] and f"run:{first.id}" not in dash.loss_plot.curves
    monkeypatch.setattr(runs_panel, "confirm_clear", lambda *a: False)
    panel.clear_button.click()
    assert c.runs == [second]
    monkeypatch.setattr(runs_panel, "confirm_clear", lambda *a: True)
    panel.clear_button.click()
    assert c.runs == [] and panel.table.rowCount() == 0
    assert not any(k.startswith("run:") for k in dash.loss_plot.curves)


def test_export_csv_writes_every_run_or_says_why_not(qtbot, rig, tmp_path):
    c, _, panel = rig
    train_steps(qtbot, c, 5)
    c.reset()
    train_steps(qtbot, c, 3)
    c.keep_run()
    target = tmp_path / "runs.csv"
    with qtbot.waitSignal(panel.exported, timeout=TIMEOUT):
        panel.export_csv(str(target))
    with open(target, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["run"], r["step"]) for r in rows] == [("1", str(s)) for s in range(1, 6)] + \
        [("2", str(s)) for s in range(1, 4)]
    assert [float(r["loss"]) for r in rows[:5]] == list(c.runs[0].loss)
    folder = tmp_path / "a folder"
    folder.mkdir()
    with qtbot.waitSignal(panel.exportFailed, timeout=TIMEOUT) as failed:
        panel.export_csv(str(folder))
    assert "folder" in failed.args[0]
    qtbot.waitUntil(lambda: panel.export_button.isEnabled(), timeout=TIMEOUT)


def test_runs_survive_saving_and_opening_the_session(qtbot, rig, tmp_path):
    c, dash, panel = rig
    train_steps(qtbot, c, 6)
    c.reset()
    train_steps(qtbot, c, 2)
    c.keep_run()
    c.rename_run(c.runs[1].id, "short")
    c.set_run_visible(c.runs[0].id, False)
    path = tmp_path / "s.npz"
    assert c.save_session(str(path)) and not c.dirty
    kept = [(r.id, r.name, r.visible, list(r.loss)) for r in c.runs]
    c.clear_runs()
    assert c.dirty
    with qtbot.waitSignal(c.runsChanged, timeout=TIMEOUT):
        assert c.open_session(str(path))
    assert [(r.id, r.name, r.visible, list(r.loss)) for r in c.runs] == kept and not c.dirty
    assert panel.table.rowCount() == 2 and panel.table.item(1, NAME).text() == "short"
    assert f"run:{kept[0][0]}" not in dash.loss_plot.curves and f"run:{kept[1][0]}" in dash.loss_plot.curves
    train_steps(qtbot, c, 2)
    c.reset()
    assert [r.id for r in c.runs] == [1, 2, 3] and c.dirty        # new ids after the opened ones; unsaved
    train_steps(qtbot, c, 2)
    assert c.save_session(str(path))
    c.reset()                          # a history saved in the file is kept without making the session unsaved
    assert [r.id for r in c.runs] == [1, 2, 3, 4] and not c.dirty


def test_weights_put_in_as_a_new_run_keep_the_old_one(qtbot, rig):
    c, _, _ = rig
    train_steps(qtbot, c, 4)
    params = {k: v * 0.5 for k, v in c.model.state_dict().items()}
    assert c.set_params(params, "weights picked", new_run=True)
    assert len(c.runs) == 1 and len(c.history) == 0 and c.state == READY and c.trained
    for k, v in params.items():
        np.testing.assert_array_equal(c.model.params[k], v)
    assert c.set_params({k: v + 1 for k, v in params.items()}, "update applied")     # the debugger's way
    assert len(c.runs) == 1


def bitcount(qtbot):
    c = TrainingController(task="bitcount")
    watched = []
    c.watchChanged.connect(watched.append)
    assert c.set_watch(BITCOUNT_WATCH)
    assert watched == [BITCOUNT_WATCH]
    return c


def test_the_path_grows_while_training_and_holds_the_watched_weights(qtbot):
    c = bitcount(qtbot)
    try:
        h = c.history
        np.testing.assert_array_equal(h.path, [[-1.5, 2.0]])          # starts where the lesson starts
        assert h.path_watch == BITCOUNT_WATCH
        c.set_config(dataclasses.replace(c.config, epochs=100_000))
        twin = Trainer(c.model.copy(), c.dataset, c.config, watch=BITCOUNT_WATCH)
        c.train()
        qtbot.waitUntil(lambda: len(c.history.path) > 30, timeout=TIMEOUT)
        assert c.running
        c.pause()
        qtbot.waitUntil(lambda: c.state == PAUSED, timeout=TIMEOUT)
        h = c.history
        n = c.trainer.step_count
        assert h.path.shape == (n + 1, 2)
        np.testing.assert_array_equal(h.path_step.view(), np.arange(n + 1))
        p = c.model.params
        assert tuple(h.path[-1]) == (p["rnn.weight_ih_l0"][0, 0], p["rnn.weight_hh_l0"][0, 0])
        expected = [twin.watched_now()]
        twin.run(lambda s: expected.append(s.watched), max_steps=n)
        np.testing.assert_array_equal(h.path, expected)             # the Trainer's weights at every step
        # a rollback-style cut keeps the path consistent with the other series
        h.truncate(10)
        assert h.path.shape == (11, 2) and len(h) == 10
    finally:
        assert c.shutdown(10000)


def test_a_new_watch_while_running_starts_a_new_path_and_a_bad_one_is_refused(qtbot):
    c = bitcount(qtbot)
    try:
        errors = []
        c.error.connect(lambda title, text: errors.append(text))
        assert not c.set_watch([("rnn.weight_hh_l0", (0, 5))])
        assert errors and "outside" in errors[0] and c.watch == BITCOUNT_WATCH
        c.set_config(dataclasses.replace(c.config, epochs=100_000))
        c.train()
        qtbot.waitUntil(lambda: len(c.history.path) > 5, timeout=TIMEOUT)
        swapped = BITCOUNT_WATCH[::-1]
        assert c.set_watch(swapped)
        qtbot.waitUntil(lambda: c.history.path_watch == swapped and len(c.history.path) > 5, timeout=TIMEOUT)
        c.pause()
        qtbot.waitUntil(lambda: c.state == PAUSED, timeout=TIMEOUT)
        h, p = c.history, c.model.params
        assert tuple(h.path[-1]) == (p["rnn.weight_hh_l0"][0, 0], p["rnn.weight_ih_l0"][0, 0])
        assert h.path_step.view()[0] > 0 and h.path_step.last() == c.trainer.step_count
    finally:
        assert c.shutdown(10000)
