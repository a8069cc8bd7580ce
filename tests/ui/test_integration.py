"""The main window with the training dashboard docked: train from the Training menu, watch it, and
step through the trained weights in the debugger."""
import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from ui.training.controller import PAUSED, STOPPED

TRAIN_TIMEOUT = 60000


@pytest.fixture
def window(make_window, monkeypatch):
    # the unsaved-training prompt at close: answer "Discard" (a modal dialog would hang offscreen)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    return make_window(task="temporal-xor", cell="rnn_tanh", hidden_size=4, steps=6)


def test_docks_and_menus(window):
    w = window
    for key in ("dashboard", "data", "hyper", "predict", "model", "cell"):
        assert key in w.docks
    assert w.docks["dashboard"].widget().widget() is w.dashboard
    assert w.docks["predict"].widget().widget() is w.predict_panel
    left = w.tabifiedDockWidgets(w.docks["model"])
    assert {w.docks["data"], w.docks["hyper"], w.docks["predict"]} <= set(left)
    assert w.docks["dashboard"] in w.tabifiedDockWidgets(w.docks["cell"])
    # no key is claimed twice (the dashboard's own F5 / F6 / Shift+F5 would clash with the debugger)
    keys = [k.toString() for a in w.findChildren(type(w.open_action)) for k in a.shortcuts() if not k.isEmpty()]
    dup = {k for k in keys if keys.count(k) > 1}
    assert not dup, dup
    assert w.dashboard.actions["train"].shortcut().toString() == "Ctrl+T"
    assert w.debugger.continue_.shortcut().toString() == "F5"
    menus = [a.text().replace("&", "") for a in w.menuBar().actions()]
    assert "Training" in menus
    file_texts = [a.text().replace("&", "") for a in w.menuBar().actions()[0].menu().actions()]
    for t in ("Open model…", "Save model…", "Open session…", "Save session as…", "Recent sessions"):
        assert t in file_texts
    assert len([t for t in file_texts if "model" in t]) == 2          # one Open model, one Save model


def _trained(w, qtbot, steps=40):
    w.dashboard.steps_box.setValue(steps)
    w.dashboard.actions["train_steps"].trigger()
    qtbot.waitUntil(lambda: w.training.state == PAUSED, timeout=TRAIN_TIMEOUT)
    assert w.training.trainer.step_count == steps
    assert len(w.training.history) >= steps


def test_train_then_show_in_debugger(window, qtbot, wait_for_new_tape):
    w = window
    s = w.session
    _trained(w, qtbot)
    # the learner was not stepping: pausing hands the trained weights to the debugger; wait for that Tape
    qtbot.waitUntil(lambda: w.ready and s.built.trained_steps == w.training.step_count, timeout=TRAIN_TIMEOUT)
    w.training.stop()
    assert w.training.state == STOPPED
    old = s.tape
    w.show_trained_action.trigger()
    wait_for_new_tape(s, old)
    trained = w.training.model.state_dict()
    shown = s.model.state_dict()
    assert set(shown) == set(trained)
    for k in trained:
        np.testing.assert_array_equal(shown[k], trained[k])
    np.testing.assert_array_equal(s.built.x, w.training.trainer.probe_x)
    assert w.isWindowModified()


def test_predict_opens_in_debugger(window, qtbot, wait_for_new_tape):
    w = window
    s = w.session
    old = s.tape
    x = np.array([[[1.0], [0.0], [1.0], [1.0], [0.0]]])
    w.predict_panel.openInDebugger.emit(x)
    wait_for_new_tape(s, old)
    np.testing.assert_array_equal(s.built.x, x)
    for k, v in w.training.model.state_dict().items():
        np.testing.assert_array_equal(s.model.state_dict()[k], v)


def test_close_while_training(window, qtbot):
    w = window
    w.dashboard.actions["train"].trigger()
    qtbot.waitUntil(lambda: len(w.training.history) > 5, timeout=TRAIN_TIMEOUT)
    assert w.close()
    assert not w.training._thread.isRunning()


def test_the_layout_is_kept_between_runs_and_can_be_reset(window, qtbot, tmp_path, monkeypatch):
    """With remember_layout (as ``python main.py`` opens it), closing saves the docks' places and the next
    window restores them; View → Reset layout puts every panel back."""
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow
    store = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    monkeypatch.setattr(MainWindow, "_layout_settings", lambda self: store)
    w = window
    w.remember_layout = True
    w.docks["inspector"].hide()
    w.save_layout()
    b = MainWindow(session=None, remember_layout=True)
    qtbot.addWidget(b)
    b.show()
    qtbot.waitExposed(b)
    assert not b.docks["inspector"].isVisible() and b.docks["equations"].isVisible()
    b.reset_layout()
    assert b.docks["inspector"].isVisible()
    assert b.docks["dashboard"] in b.tabifiedDockWidgets(b.docks["cell"])
    assert store.value(f"{MainWindow.LAYOUT_KEY}/state") is None          # forgotten
