"""One-to-many in the app: the sine-from-start task drawn without inputs after the first step (mode "first")
or with x(1) repeated at every step ("repeat"); stepped through and trained."""
import numpy as np
import pytest

from ui.training.controller import PAUSED
from ui.views.graph_build import input_mode

TRAIN_TIMEOUT = 60000
STEPS = 6


def _input_arrows(view, t):
    return [k for k in view.arrows if k[0] == "U" and k[1] == 0 and k[3] == t and k[4] == "x"]


def _step_forward_and_check(w, qtbot, events=4):
    """Step ``events`` forward events: each graph node shows the Tape's values at the cursor."""
    s, view = w.session, w.graph.view
    for _ in range(events):
        s.step()
        state = s.tape.state_at(s.cursor)
        e = s.current
        assert e.phase == "forward"
        if e.kind == "forward":
            key = ("h", e.layer, e.direction, e.t)
            node = view.nodes[key]
            assert node.shown_v
            np.testing.assert_array_equal(node.value, state[key])
            assert view.ring.isVisible()                # the highlight found its node and arrows
            assert all(a in view.arrows.values() for a in view._active)
    s.step()


def _train_until_the_loss_falls(w, qtbot, steps=40):
    w.dashboard.steps_box.setValue(steps)
    w.dashboard.actions["train_steps"].trigger()
    qtbot.waitUntil(lambda: w.training.state == PAUSED, timeout=TRAIN_TIMEOUT)
    losses = w.training.history.loss.view()
    assert len(losses) == steps
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0]


def test_first_mode_draws_no_input_after_the_first_step(make_window, qtbot):
    w = make_window(task="sine-from-start", options={"steps": STEPS})
    s, view = w.session, w.graph.view
    qtbot.waitUntil(lambda: not view.building, timeout=20000)
    assert s.built.dataset.inputs == "first" and s.tape.T == STEPS
    assert input_mode(s, s.index) == "first"
    assert [k for k in view.nodes if k[0] == "x"] == [("x", 0)]
    assert len(_input_arrows(view, 0)) == 1
    for t in range(1, STEPS):
        assert not _input_arrows(view, t)
        assert "No input at this step" in view.nodes[("h", 0, 0, t)].base_tip
    assert all(("h", 0, 0, t) in view.nodes and ("W", 0, 0, t) in view.arrows for t in range(STEPS))
    minimap = w.graph.minimap
    x_row = [r for r, row in enumerate(view.layout_.rows) if row[0] == "x"][0]
    assert minimap.absent[x_row].tolist() == [False] + [True] * (STEPS - 1)
    assert "Shape: one-to-many (input at the first step)" in w.data_panel.summary.text()
    assert w.data_panel.option_fields["inputs"].text() == "first"
    _step_forward_and_check(w, qtbot, events=2 * STEPS)
    _train_until_the_loss_falls(w, qtbot)


def test_repeat_mode_draws_every_input(make_window, qtbot):
    w = make_window(task="sine-from-start", options={"steps": STEPS, "inputs": "repeat"})
    s, view = w.session, w.graph.view
    qtbot.waitUntil(lambda: not view.building, timeout=20000)
    assert s.built.dataset.inputs == "repeat"
    assert input_mode(s, s.index) == "repeat"
    assert sorted(k for k in view.nodes if k[0] == "x") == [("x", t) for t in range(STEPS)]
    for t in range(STEPS):
        assert len(_input_arrows(view, t)) == 1
        np.testing.assert_array_equal(view.nodes[("x", t)].value, s.index.x[0])
    assert "repeated" in view.nodes[("x", 2)].base_tip
    assert not w.graph.minimap.absent.any()
    assert "Shape: one-to-many (input repeated)" in w.data_panel.summary.text()
    _step_forward_and_check(w, qtbot, events=STEPS)
    _train_until_the_loss_falls(w, qtbot)


@pytest.mark.parametrize("probe_text, expected", [("0.5 0.8, 0 0, 0 0", "first"), ("0.5 0.8, 1 0, 0 0", "every")])
def test_a_typed_probe_keeps_its_inputs_drawn(make_window, qtbot, probe_text, expected):
    """A typed probe that is not one-to-many shaped gets its x nodes at every step."""
    w = make_window(task="sine-from-start", options={"steps": STEPS}, probe_text=probe_text)
    s, view = w.session, w.graph.view
    qtbot.waitUntil(lambda: not view.building, timeout=20000)
    assert s.tape.T == 3 and input_mode(s, s.index) == expected
    n_x = len([k for k in view.nodes if k[0] == "x"])
    assert n_x == (1 if expected == "first" else 3)


def test_the_input_mode_is_chosen_in_the_data_panel(make_window, qtbot, wait_for_new_tape):
    w = make_window(task="sine-from-start", options={"steps": STEPS})
    s, view, panel = w.session, w.graph.view, w.data_panel
    field = panel.option_fields["inputs"]
    old = s.tape
    field.setText("repeat")
    field.editingFinished.emit()
    assert w.training.dataset.inputs == "repeat"
    wait_for_new_tape(s, old)
    qtbot.waitUntil(lambda: not view.building, timeout=20000)
    assert len([k for k in view.nodes if k[0] == "x"]) == STEPS
    assert "Shape: one-to-many (input repeated)" in panel.summary.text()
    # a mode the task does not have is refused in a dialog; the data in use stay
    field = panel.option_fields["inputs"]
    field.setText("every")
    field.editingFinished.emit()
    assert "'first' or 'repeat'" in panel.last_error_text
    panel.last_error.close()
    assert w.training.dataset.inputs == "repeat"
    assert panel.option_fields["inputs"].text() == "repeat"
