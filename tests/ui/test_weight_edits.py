"""Weights set by hand: a value typed in the inspector goes into the model (and the next Tape), a point put
on the cost surface too; Edit ▸ Undo / Redo take them back and forth; refusals change nothing."""
import numpy as np

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from ui.panels.surface_view import CostSurfaceView
from ui.session import Session

TIMEOUT = 30000


def test_typing_a_weight_in_the_inspector_and_undoing_it(qtbot, make_window, wait_for_new_tape):
    w = make_window(task="temporal-xor", hidden_size=3)
    s = w.session
    w.inspect_arrow(("W", 0, 0, 1))
    ins = w.inspector
    assert ins.param == "rnn.weight_hh_l0" and "double-click" in ins.info.text()
    before = s.training.model.params["rnn.weight_hh_l0"].copy()
    tape = s.tape
    ins.table.item(0, 1).setText("0.5")                    # what finishing an edit of the cell does
    wait_for_new_tape(s, tape)
    after = s.training.model.params["rnn.weight_hh_l0"]
    assert after[0, 1] == 0.5
    changed = np.ones(before.shape, bool)
    changed[0, 1] = False
    np.testing.assert_array_equal(after[changed], before[changed])
    np.testing.assert_array_equal(s.tape.params["rnn.weight_hh_l0"], after)      # the debugger steps the new weight
    assert ins.param == "rnn.weight_hh_l0" and ins.array[0, 1] == 0.5            # the inspector followed
    assert w.undo_action.isEnabled() and "0.5" in w.undo_action.text()
    tape = s.tape
    w.undo_action.trigger()
    wait_for_new_tape(s, tape)
    np.testing.assert_array_equal(s.training.model.params["rnn.weight_hh_l0"], before)
    tape = s.tape
    w.redo_action.trigger()
    wait_for_new_tape(s, tape)
    assert s.training.model.params["rnn.weight_hh_l0"][0, 1] == 0.5


def test_a_refused_value_changes_nothing(qtbot, make_window):
    w = make_window(task="temporal-xor", hidden_size=3)
    w.inspect_arrow(("U", 0, 0, 1))
    ins = w.inspector
    before = w.session.training.model.state_dict()
    ins.table.item(0, 0).setText("abc")
    assert "'abc' is not a finite number" in ins.info.text()
    assert ins.table.item(0, 0).text() != "abc"
    for name, value in before.items():
        np.testing.assert_array_equal(w.session.training.model.params[name], value)
    assert not w.undo_action.isEnabled()
    # a value that is not a weight (an equation's block) is not editable
    w.inspect("h", [("h", np.zeros((1, 3)), False)])
    assert ins.param is None and ins.table.editTriggers() == ins.table.EditTrigger.NoEditTriggers


def test_points_put_on_the_surface_are_undoable(qtbot):
    session = Session()
    session.training.set_task("bitcount")
    view = CostSurfaceView(session.training, session.edits)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.surface.surface is not None and not view.surface.runner.busy, timeout=TIMEOUT)
    c = session.training
    view.surface.plot.pointChosen.emit(1.0, 1.0)
    assert (c.model.params["rnn.weight_ih_l0"][0, 0], c.model.params["rnn.weight_hh_l0"][0, 0]) == (1.0, 1.0)
    session.edits.stack.undo()
    assert (c.model.params["rnn.weight_ih_l0"][0, 0], c.model.params["rnn.weight_hh_l0"][0, 0]) == (-1.5, 2.0)
    assert view.surface.plot.current() == (-1.5, 2.0)
    session.edits.stack.redo()
    assert (c.model.params["rnn.weight_ih_l0"][0, 0], c.model.params["rnn.weight_hh_l0"][0, 0]) == (1.0, 1.0)
    # another data set: the edits of the old model cannot be undone on the new one
    c.set_task("temporal-xor")
    assert session.edits.stack.count() == 0
    session.shutdown()


def test_no_edit_while_training(qtbot):
    session = Session()
    c = session.training
    errors = []
    c.error.connect(lambda title, text: errors.append(text))
    c.train()
    try:
        assert not session.edits.set_value("rnn.weight_hh_l0", (0, 0), 0.25)
        assert errors and "pause" in errors[-1] and session.edits.stack.count() == 0
    finally:
        c.pause()
        qtbot.waitUntil(lambda: not c.running, timeout=TIMEOUT)
        session.shutdown()
