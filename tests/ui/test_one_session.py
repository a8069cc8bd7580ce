"""One session, one model: the data picker, the model panel, the debugger, training, Predict and the
files all act on the same model — driven through the real widgets."""
import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from ui.panels import network
from ui.training.controller import PAUSED

TIMEOUT = 60000


@pytest.fixture
def window(make_window, monkeypatch):
    # modal questions would hang offscreen: replace trained weights → yes; unsaved work at close → discard
    monkeypatch.setattr(network, "ask_to_replace", lambda *a, **k: True)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    return make_window(task="temporal-xor", cell="rnn_tanh", hidden_size=4, steps=6)


def _new_tape(qtbot, w, old):
    qtbot.waitUntil(lambda: w.session.tape is not old and w.ready, timeout=TIMEOUT)


def _same_weights(a, b):
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_choose_data_step_train_step_predict_save_reopen(window, qtbot, tmp_path):
    w, s, t = window, window.session, window.training
    # choose data: the one data picker
    old = s.tape
    i = w.data_panel.task.findData("bitcount")
    w.data_panel.task.setCurrentIndex(i)
    w.data_panel.task.activated.emit(i)
    _new_tape(qtbot, w, old)
    assert t.task.name == "bitcount" and s.spec.cell == t.spec.cell == "linear"
    np.testing.assert_array_equal(s.built.x, t.dataset.x[:1])           # the probe comes from the data
    # the model panel's cell is the session's cell — and stays so when training starts
    old = s.tape
    box = w.model_panel.network.cell
    box.setCurrentIndex(box.findData("rnn_tanh"))
    box.activated.emit(box.currentIndex())
    _new_tape(qtbot, w, old)
    assert t.spec.cell == s.spec.cell == "rnn_tanh"
    # step into the Tape, then train: the learner keeps their place and is offered the new weights
    for _ in range(3):
        w.debugger.step.trigger()
    stepping_tape = s.tape
    w.dashboard.steps_box.setValue(25)
    w.dashboard.actions["train_steps"].trigger()
    assert not w.docks["dashboard"].visibleRegion().isEmpty()            # Train brings the dashboard forward
    qtbot.waitUntil(lambda: t.state == PAUSED, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: w.debugger.new_weights.isVisible(), timeout=TIMEOUT)
    assert t.spec.cell == "rnn_tanh" and t.step_count == 25
    assert s.tape is stepping_tape and s.cursor == 2
    w.debugger.new_weights.trigger()
    _new_tape(qtbot, w, stepping_tape)
    assert s.built.trained_steps == 25 and not w.debugger.new_weights.isVisible()
    _same_weights(s.model.state_dict(), t.model.state_dict())
    # step the trained model to the end of BPTT
    w.debugger.to_bptt.trigger()
    assert s.current.phase == "backward"
    # Predict asks the same model
    w.predict_panel.input.setText("1, 0, 1, 1")
    with qtbot.waitSignal(w.predict_panel.predicted, timeout=TIMEOUT) as got:
        w.predict_panel.predict_button.click()
    x = np.array([1.0, 0.0, 1.0, 1.0]).reshape(1, 4, 1)
    np.testing.assert_allclose(np.asarray(got.args[0]).ravel(), t.model.predict(x).ravel(), rtol=1e-12)
    # and the debugger steps through what Predict was asked
    old = s.tape
    w.predict_panel.debug_button.click()
    _new_tape(qtbot, w, old)
    np.testing.assert_array_equal(s.built.x, x)
    np.testing.assert_array_equal(s.built.target, [[3.0]])             # the task's rule: the count of ones
    # save the session and the model
    session_path, model_path = tmp_path / "s.npz", tmp_path / "m.npz"
    assert w.save_session_as(str(session_path))
    assert w.save_model(str(model_path))
    saved = {k: v.copy() for k, v in t.model.state_dict().items()}
    probe = s.probe
    # change everything, then reopen
    old = s.tape
    box.setCurrentIndex(box.findData("gru"))
    box.activated.emit(box.currentIndex())
    _new_tape(qtbot, w, old)
    assert s.spec.cell == "gru"
    old = s.tape
    assert w.open_session(str(session_path))
    _new_tape(qtbot, w, old)
    assert s.spec.cell == t.spec.cell == "rnn_tanh" and w.model_panel.network.cell.currentData() == "rnn_tanh"
    _same_weights(t.model.state_dict(), saved)
    _same_weights(s.model.state_dict(), saved)
    assert s.probe == probe                                            # the debugger's probe came back too
    old = s.tape
    assert w.open_model(str(model_path))
    _new_tape(qtbot, w, old)
    _same_weights(s.model.state_dict(), saved)


def test_a_model_that_does_not_fit_the_data_brings_data_of_its_shape(window, qtbot, tmp_path):
    import rnnsim
    from rnnsim.spec import ModelSpec

    w, s = window, window.session
    spec = ModelSpec(cell="lstm", input_size=3, hidden_size=5, output_size=2, output="last", loss="cross_entropy")
    path = tmp_path / "lstm.npz"
    rnnsim.Model.create(spec, seed=1).save(str(path))
    old = s.tape
    assert w.open_model(str(path))
    _new_tape(qtbot, w, old)
    assert s.spec.input_size == 3 and s.spec.cell == "lstm"
    assert w.training.task.name == "custom" and w.training.dataset.input_size == 3
    _same_weights(s.model.state_dict(), rnnsim.load_model(str(path)).state_dict())


def test_changing_the_architecture_of_a_trained_model_asks_first(window, qtbot, monkeypatch):
    w, t = window, window.training
    asked = []
    monkeypatch.setattr(network, "ask_to_replace", lambda *a, **k: asked.append(a[1]) or False)
    w.dashboard.steps_box.setValue(5)
    w.dashboard.actions["train_steps"].trigger()
    qtbot.waitUntil(lambda: t.state == PAUSED, timeout=TIMEOUT)
    trained = {k: v.copy() for k, v in t.model.state_dict().items()}
    box = w.model_panel.network.cell
    box.setCurrentIndex(box.findData("lstm"))
    box.activated.emit(box.currentIndex())
    assert asked and "step 5" in asked[0]
    assert t.spec.cell == "rnn_tanh" and box.currentData() == "rnn_tanh"   # refused: nothing changed
    _same_weights(t.model.state_dict(), trained)


def test_apply_update_lands_in_the_one_model_at_the_start_of_the_next_pass(window, qtbot):
    w, s, t = window, window.session, window.training
    w.debugger.to_end.trigger()
    new = {k: v.copy() for k, v in s.tape.new_params.items()}
    old = s.tape
    w.debugger.apply.trigger()
    _new_tape(qtbot, w, old)
    assert s.cursor == -1
    _same_weights(t.model.state_dict(), new)
    _same_weights(s.model.state_dict(), new)
