"""Session files through the dashboard: save/open round trip (plots survive a restart, training resumes
exactly), refusals that leave everything open as it was, recent files, the unsaved-changes prompt."""
import dataclasses
import pathlib
import shutil

import numpy as np
import pytest

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from rnnsim.data import load_data
from rnnsim.train import Trainer
from ui.training import files
from ui.training.controller import FINISHED, PAUSED, RUNNING, TrainingController
from ui.training.dashboard import TrainingDashboard

DATA = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "data"
TIMEOUT = 30000


@pytest.fixture
def controllers():
    made = []

    def make(task="temporal-xor", **config):
        c = TrainingController(task=task)
        if task == "temporal-xor":
            c.set_task(task, 0, {"n": 64})
        if config:
            c.set_config(dataclasses.replace(c.config, **config))
        made.append(c)
        return c

    yield make
    for c in made:
        assert c.shutdown()


def train(qtbot, c, steps=None):
    c.train(steps)
    qtbot.waitUntil(lambda: c.state != RUNNING, timeout=TIMEOUT)


def test_save_and_open_round_trip_restores_model_settings_and_plots(qtbot, controllers, tmp_path):
    a = controllers(epochs=30, lr=0.02, clip=0.5)
    twin = Trainer(a.model.copy(), a.dataset, a.config)       # the same run without interruption
    twin.run()
    train(qtbot, a, steps=25)
    assert a.dirty
    path = tmp_path / "run.rnnsession.npz"
    assert a.save_session(path) and not a.dirty

    b = controllers(task="bitcount")                           # a "restarted" app showing something else
    dash = TrainingDashboard()
    qtbot.addWidget(dash)
    dash.attach(b)
    dash.show()
    assert b.open_session(path)
    assert b.state == PAUSED and b.trainer.step_count == 25 and not b.dirty
    assert b.source == a.source and b.config == a.config and b.task.name == "temporal-xor"
    for k, v in a.model.params.items():
        assert np.array_equal(b.model.params[k], v)
    assert b.trainer.history.to_dict() == a.trainer.history.to_dict()
    x, y = dash.loss_plot.data("step")                          # the plots survived the restart
    assert np.array_equal(y, a.trainer.history.loss)
    for name in a.model.params:
        assert np.array_equal(dash.grad_norm_plot.data(f"p:{name}")[1], a.history.param_norms[name].view())
    train(qtbot, b)                                             # and training resumes exactly
    assert b.state == FINISHED
    assert b.trainer.history.loss == twin.history.loss


def test_a_file_source_session_keeps_its_data(qtbot, controllers, tmp_path):
    csv = tmp_path / "series.csv"
    shutil.copy(DATA / "series.csv", csv)
    a = controllers(task="bitcount")
    data = load_data(csv, window=6)
    assert a.set_data(data, {"kind": "file", "path": str(csv), "options": {"window": 6}})
    train(qtbot, a, steps=5)
    path = tmp_path / "csv.rnnsession.npz"
    assert a.save_session(path)
    csv.unlink()                                                # the file moved away
    b = controllers(task="bitcount")
    assert b.open_session(path)
    assert np.array_equal(b.dataset.x, data.x) and b.dataset.meta == data.meta and b.task is None


@pytest.mark.parametrize("make_bad, message", [
    (lambda p: p.write_bytes(b"\x00" * 100), "not a session file"),
    (lambda p: np.savez(p, x=np.zeros(3)), "not an rnnsim session"),
    (lambda p: np.savez(p, session=np.array('{"format": "other.app", "version": 1}')), "foreign format 'other.app'"),
    (lambda p: np.savez(p, session=np.array('{"format": "rnnsim.session", "version": 9}')), "version 9"),
    (lambda p: np.savez(p, session=np.array('{"format": "rnnsim.session",')), "not valid JSON"),
])
def test_a_damaged_or_foreign_session_is_refused_and_nothing_is_lost(qtbot, controllers, tmp_path, make_bad,
                                                                     message):
    c = controllers(epochs=3)
    train(qtbot, c)
    before = (c.dataset, c.model, c.trainer, c.source, c.history, c.state, c.dirty)
    path = tmp_path / "bad.npz"
    make_bad(path)
    with qtbot.waitSignal(c.error) as sig:
        assert not c.open_session(path)
    title, text = sig.args
    assert title == "Cannot open the session" and message in text and "bad.npz" in text
    assert (c.dataset, c.model, c.trainer, c.source, c.history, c.state, c.dirty) == before


def test_a_model_file_opens_as_a_model_not_as_a_session(qtbot, controllers, tmp_path):
    a = controllers(epochs=3)
    train(qtbot, a)
    a.save_model(tmp_path / "m.npz")
    b = controllers()
    with qtbot.waitSignal(b.error) as sig:
        assert not b.open_session(tmp_path / "m.npz")
    assert "model file, not a session" in sig.args[1]
    assert b.open_model(tmp_path / "m.npz")
    for k, v in a.model.params.items():
        assert np.array_equal(b.model.params[k], v)


def test_saves_are_atomic(qtbot, controllers, tmp_path, monkeypatch):
    c = controllers(epochs=3)
    train(qtbot, c)
    path = tmp_path / "s.npz"
    assert c.save_session(path)
    before = path.read_bytes()
    import os

    def no_space(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with qtbot.waitSignal(c.error) as sig:
        assert not c.save_session(path)
    assert "No space left" in sig.args[1]
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["s.npz"]


def test_recent_files_and_the_unsaved_changes_prompt(qtbot, controllers, tmp_path, monkeypatch):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    recent = files.RecentFiles(settings)
    c = controllers(epochs=2)
    assert files.confirm_close(None, c, lambda: pytest.fail("nothing to save"))   # clean: no question
    train(qtbot, c)
    assert c.dirty
    answers = iter([QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard,
                    QMessageBox.StandardButton.Save])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: next(answers))
    assert not files.confirm_close(None, c, lambda: True)                            # Cancel
    assert files.confirm_close(None, c, lambda: True)                                # Discard
    saved = []
    assert files.confirm_close(None, c, lambda: saved.append(1) or files.save_session_as(
        None, c, recent, str(tmp_path / "a.rnnsession.npz")))                       # Save
    assert saved and not c.dirty
    assert recent.paths() == [str(tmp_path / "a.rnnsession.npz")]
    files.save_session_as(None, c, recent, str(tmp_path / "b.rnnsession.npz"))
    assert recent.paths()[0].endswith("b.rnnsession.npz") and len(recent.paths()) == 2
    (tmp_path / "a.rnnsession.npz").unlink()
    assert recent.paths() == [str(tmp_path / "b.rnnsession.npz")]                    # missing files drop out
