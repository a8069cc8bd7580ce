"""The app, offscreen: open the window, step forward and back, and check that what the equation
panel, the graph's nodes and the cell view show equals the Tape's numbers."""
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from ui import theme



# ---- reading numbers back from the screen --------------------------------------------------------
def _num(text):
    return float(text.replace("−", "-").replace("∞", "inf"))


def _shown_numbers(cells):
    """The numbers of a displayed value block, in reading order (ellipsis cells skipped)."""
    return [_num(c) for row in cells for c in row if c not in ("⋮", "⋯")]


def _tape_numbers(value):
    """The Tape values a block shows: all of a small vector/matrix, head (4) and tail (3) of a long vector."""
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1 and a.shape[0] > 1:
        a = a[:, 0]
    if a.ndim <= 1:
        a = a.reshape(-1)
        return list(a) if a.size <= 8 else list(a[:4]) + list(a[-3:])
    return list(a.reshape(-1))


def _close(shown, expected):
    assert len(shown) == len(expected)
    for s, e in zip(shown, expected):
        assert s == pytest.approx(e, rel=6e-3, abs=1e-12), (shown, expected)


def check_equations(w):
    """Every formula of the current event: name, template and numbers equal the Tape's."""
    event = w.session.current
    shown = w.equations.displayed()
    assert len(shown) == len(event.formulas)
    q = event.quantities
    checked = 0
    for block, formula in zip(shown, event.formulas):
        assert block["result"] == formula.result
        assert block["symbolic"] == formula.plain()
        for name, cells in block["values"].items():
            checked += _check_block(cells, q[name])
        if block["result_values"] is not None:
            checked += _check_block(block["result_values"], q[formula.result])
    return checked


def _check_block(cells, value):
    value = np.asarray(value, dtype=np.float64)
    if not cells:             # a large matrix is drawn as a heatmap (its numbers are in the inspector)
        assert value.ndim == 2 and max(value.shape) > 6 and min(value.shape) > 1
        return 0
    _close(_shown_numbers(cells), _tape_numbers(value))
    return 1


def check_nodes(w):
    """Every node shows exactly what the Tape knows at the cursor (values and gradients)."""
    s = w.session
    state = s.tape.state_at(s.cursor)
    view = w.graph.view
    n_checked = 0
    for key, node in view.nodes.items():
        if key[0] == "h":
            _, l, d, t = key
            known = ("h", l, d, t) in state
            assert node.shown_v == known, key
            assert node.v_item.isVisible() == known
            if known:
                np.testing.assert_array_equal(node.value, state[("h", l, d, t)])
                n_checked += 1
            gknown = ("dh", l, d, t) in state
            assert node.shown_g == gknown, key
            if gknown:
                np.testing.assert_array_equal(node.grad, state[("dh", l, d, t)])
        elif key[0] == "o":
            known = ("o", key[1]) in state
            assert node.shown_v == known
            if known:
                np.testing.assert_array_equal(node.value, state[("o", key[1])])
        elif key[0] == "L":
            known = ("L", key[1]) in state
            assert node.shown_v == known
            if known:
                assert float(node.value[0]) == pytest.approx(state[("L", key[1])])
    return n_checked


def node_pixel(node, unit=0):
    """The colour the graph paints for one unit of a node's value grid."""
    pm = node.v_item.pixmap().toImage()
    rows = pm.height()
    return pm.pixelColor(unit // rows, unit % rows)


# ---- tests ------------------------------------------------------------------------------------------
def test_window_opens_with_a_recorded_tape(make_window):
    w = make_window()
    s = w.session
    assert "rnnsim" in w.windowTitle()
    assert {"model", "equations", "inspector", "cell"} <= set(w.docks)
    assert s.tape is not None and s.cursor == -1
    assert len(w.graph.view.nodes) > 0
    assert w.equations.title.text() == "Before the first step"
    assert "L = " in w.loss_label.text()
    # every debugger action that is visible does something or is disabled for a reason
    assert w.debugger.step.isEnabled() and not w.debugger.back.isEnabled()


def test_step_forward_and_back_show_the_tapes_numbers(make_window, qtbot):
    w = make_window(task="temporal-xor", cell="rnn_tanh", hidden_size=4, steps=6)
    s = w.session
    tape = s.tape
    for _ in range(3):
        w.debugger.step.trigger()
    assert s.cursor == 2 and s.current.kind == "forward" and s.current.t == 2
    assert check_equations(w) > 0
    assert check_nodes(w) == 3
    w.debugger.back.trigger()
    assert s.cursor == 1 and s.tape is tape          # stepping back moves the cursor, never recomputes
    check_equations(w)
    assert check_nodes(w) == 2
    # keyboard: F10 steps, Shift+F10 steps back
    w.activateWindow()
    qtbot.keyClick(w, Qt.Key.Key_F10)
    assert s.cursor == 2
    qtbot.keyClick(w, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    assert s.cursor == 1


def test_the_next_event_prepared_ahead_shows_the_same_numbers(make_window, qtbot):
    """While idle the equation panel lays out and paints the next event (in the direction of the last
    move); stepping there shows those prepared blocks — with the Tape's numbers, forward and back."""
    from ui.views.equation import AHEAD_AFTER_MS
    w = make_window(task="temporal-xor", cell="lstm", hidden_size=4, steps=6)
    s = w.session
    moves = [s.step] * 4 + [s.step_back] * 3 + [s.step] * 2
    for k, move in enumerate(moves):
        qtbot.wait(AHEAD_AFTER_MS + 30)                # the next event gets prepared
        move()
        blocks = w.equations.canvas.blocks
        if k == 0 or moves[k - 1] is move:             # same direction as before: the prepared event
            assert blocks and all(b.picture is not None for b in blocks)
        else:                                          # turned round: laid out now
            assert blocks and all(b.picture is None for b in blocks)
        assert check_equations(w) > 0
    w.equations.canvas.resize(w.equations.canvas.width() - 40, w.equations.canvas.height())
    qtbot.wait(AHEAD_AFTER_MS + 30)
    s.step()                                           # prepared for another width: laid out afresh
    assert check_equations(w) > 0


def test_every_event_of_a_small_tape(make_window):
    """Forward, output, loss, BPTT, clip and update events: panel and nodes equal the Tape."""
    w = make_window(task="custom", cell="lstm", hidden_size=3, steps=4, input_size=2, output_size=2,
                    clip=0.5, optimizer="adam", lr=0.01)
    s = w.session
    kinds = set()
    total = 0
    while not s.at_end:
        w.debugger.step.trigger()
        kinds.add(s.current.kind)
        total += check_equations(w)
        check_nodes(w)
    assert {"forward", "output", "loss", "backward", "clip", "update"} <= kinds
    assert total > 50


def test_node_colours_follow_the_diverging_map(make_window):
    w = make_window(task="temporal-xor", cell="rnn_tanh", hidden_size=4, steps=5)
    w.session.seek(3)
    idx = w.session.index
    node = w.graph.view.nodes[("h", 0, 0, 2)]
    for unit in range(4):
        r, g, b = theme.colours(node.value[unit:unit + 1], idx.scale["h"])[0]
        c = node_pixel(node, unit)
        assert (c.red(), c.green(), c.blue()) == (r, g, b)


def test_run_to_loss_end_of_bptt_and_reset(make_window):
    w = make_window(task="temporal-xor", hidden_size=3, steps=5)
    s = w.session
    w.debugger.to_loss.trigger()
    assert s.current.kind == "loss"
    assert w.graph.view.nodes[("loss",)].shown_v
    check_equations(w)
    w.debugger.to_bptt.trigger()
    assert s.current.phase == "backward"
    assert all(e.phase != "backward" for e in s.tape.events[s.cursor + 1:])
    assert check_nodes(w) == 5
    w.debugger.reset.trigger()
    assert s.cursor == -1
    assert check_nodes(w) == 0


def test_breakpoint_by_clicking_a_timestep_header(make_window, qtbot):
    w = make_window(task="temporal-xor", hidden_size=3, steps=6)
    s, view = w.session, w.graph.view
    header = view.headers[3]
    pos = view.mapFromScene(header.rect().center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert s.breakpoints == {3}
    assert header.dot.isVisible()
    w.debugger.continue_.trigger()
    assert s.current.t == 3 and s.current.kind == "forward"
    w.debugger.continue_.trigger()            # the output at t = 4 is at the breakpoint too
    assert s.current.t == 3 and s.current.kind == "output"
    w.debugger.continue_.trigger()            # no breakpoint left in this phase: to its end
    assert s.current.phase == "forward"
    assert s.tape.events[s.cursor + 1].phase != "forward"
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(header.rect().center()))
    assert s.breakpoints == set()


def test_timeline_click_seeks(make_window, qtbot):
    w = make_window(task="temporal-xor", hidden_size=3, steps=5)
    tl = w.debugger.timeline
    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=tl.rect().center())
    n = len(w.session.tape.events)
    assert abs(w.session.cursor - n // 2) <= 1
    check_equations(w)


def test_play_runs_to_the_end(make_window, qtbot):
    w = make_window(task="temporal-xor", hidden_size=3, steps=3)
    w.debugger.speed.setValue(60)
    w.debugger.play.trigger()
    assert w.debugger.timer.isActive()
    qtbot.waitUntil(lambda: not w.debugger.timer.isActive(), timeout=10000)
    assert w.session.at_end
    assert w.debugger.play.text() == "Play"


def test_apply_update_changes_the_model_and_rerecords(make_window, qtbot, wait_for_new_tape):
    w = make_window(task="bitcount", steps=6, optimizer="rprop", lr=0.01)
    s = w.session
    old = s.tape
    new_params = {k: v.copy() for k, v in old.new_params.items()}
    w.debugger.to_end.trigger()
    w.debugger.apply.trigger()
    wait_for_new_tape(s, old)
    for k, v in new_params.items():
        np.testing.assert_array_equal(s.model.params[k], v)
    assert s.built.updates == 1
    assert s.cursor == -1                               # at the start of the new forward pass
    for k, v in new_params.items():                     # the session's one model took the update
        np.testing.assert_array_equal(w.training.model.params[k], v)
    assert "update" in w.loss_label.text()
    # Rprop's step sizes carry on: the second update uses the grown Δ
    second = s.tape.events[-1].quantities
    assert "Rprop Δ before" in second


def test_model_panel_rebuilds_without_freezing(make_window, qtbot, wait_for_new_tape):
    w = make_window(task="temporal-xor", hidden_size=4, steps=6)
    s = w.session
    old = s.tape
    w.model_panel.network.hidden.setValue(7)
    w.model_panel.network.layers.setValue(2)
    assert s.tape is old and s.busy               # the Tape is recorded later, on a worker: nothing waits for it
    wait_for_new_tape(s, old)
    assert s.spec.hidden_size == 7 and s.spec.num_layers == 2
    assert w.training.spec.hidden_size == 7 and w.training.spec.num_layers == 2      # the one model
    # switching task (the one data picker) applies its suggested model
    old = s.tape
    i = w.data_panel.task.findData("long-memory")
    w.data_panel.task.setCurrentIndex(i)
    w.data_panel.task.activated.emit(i)
    wait_for_new_tape(s, old)
    assert s.spec.cell == "lstm" and s.spec.output == "last"
    assert w.model_panel.network.cell.currentData() == "lstm"


def test_typed_probe_records_a_new_tape(make_window, qtbot, wait_for_new_tape):
    w = make_window(task="temporal-xor", hidden_size=3, steps=4)
    s = w.session
    old = s.tape
    w.model_panel.probe.setText("1, 0, 1, 1, 0")
    w.model_panel.probe.setModified(True)
    w.model_panel.probe.editingFinished.emit()
    wait_for_new_tape(s, old)
    np.testing.assert_array_equal(s.tape.x[0, :, 0], [1, 0, 1, 1, 0])
    np.testing.assert_array_equal(s.tape.target[0], [1, 1, 0, 1, 1])      # the task's rule: running parity
    assert s.tape.T == 5 and len(w.graph.view.headers) == 5


def test_engine_refusal_shows_a_dialog_and_keeps_the_state(make_window, qtbot):
    w = make_window(task="temporal-xor", hidden_size=3, steps=4)
    s = w.session
    old, probe = s.tape, s.probe
    s.set_probe("0, 1, x")                        # not a number: the engine's parser refuses (InputError)
    qtbot.waitUntil(lambda: any(isinstance(d, QMessageBox) and d.isVisible() for d in w._dialogs), timeout=10000)
    box = next(d for d in w._dialogs if isinstance(d, QMessageBox))
    assert "not a number" in box.text()
    assert s.tape is old and s.probe == probe
    assert w.model_panel.probe.text() == s.built.probe_text          # the panel shows the state in force
    box.done(0)
    w.debugger.step.trigger()                                        # still usable
    assert s.cursor == 0


def test_cell_view_shows_lstm_gates_and_their_gradients(make_window):
    w = make_window(task="custom", cell="lstm", hidden_size=5, steps=4, input_size=2, output_size=2)
    s = w.session
    s.seek(s.tape.find("forward", 0, 0, 2))
    shown = w.cell.displayed()
    q = s.current.quantities
    for gate in "ifgo":
        values, gradient = shown[gate]
        np.testing.assert_array_equal(values, q[gate])
        assert not gradient
    np.testing.assert_array_equal(shown["c"][0], q["c(t)"])
    np.testing.assert_array_equal(shown["c_prev"][0], q["c(t-1)"])
    s.seek(s.tape.find("backward", 0, 0, 1))
    shown = w.cell.displayed()
    q = s.current.quantities
    for gate in "ifgo":
        values, gradient = shown[gate]
        np.testing.assert_array_equal(values, q[f"∂L/∂{gate}_pre"])
        assert gradient
    np.testing.assert_array_equal(shown["h"][0], q["∂L/∂h(t)"])
    assert "gradients" in w.cell.title.text()


@pytest.mark.parametrize("cell", ["gru", "rnn_relu", "linear"])
def test_cell_view_for_other_cells(make_window, cell):
    w = make_window(task="custom", cell=cell, hidden_size=3, steps=3)
    s = w.session
    s.seek(1)
    shown = w.cell.displayed()
    q = s.current.quantities
    np.testing.assert_array_equal(shown["h"][0], q["h(t)"])
    if cell == "gru":
        for gate in "rzn":
            np.testing.assert_array_equal(shown[gate][0], q[gate])
    else:
        np.testing.assert_array_equal(shown["h_pre"][0], q["h_pre"])


def test_cell_view_animates_between_events(make_window, qtbot):
    w = make_window(task="custom", cell="lstm", hidden_size=4, steps=3)
    w.cell.set_animated(True)
    s = w.session
    s.seek(0)
    strip = w.cell.cell_scene.slots["f"]
    first = s.current.quantities["f"]
    qtbot.waitUntil(lambda: strip.progress >= 1.0 and strip.current() is not None
                    and np.array_equal(strip.current(), first), timeout=5000)   # event 1 shown, its glide ended
    w.cell._last_show -= 1.0               # as if the learner looked for a second: the next step glides
    s.seek(1)
    assert strip.progress < 1.0                       # gliding from the old values ...
    qtbot.waitUntil(lambda: strip.progress >= 1.0, timeout=5000)
    np.testing.assert_array_equal(strip.current(), s.current.quantities["f"])   # ... to the new ones


def test_clicking_a_node_opens_the_inspector(make_window, qtbot):
    w = make_window(task="temporal-xor", hidden_size=4, steps=4)
    s, view = w.session, w.graph.view
    w.debugger.to_bptt.trigger()
    node = view.nodes[("h", 0, 0, 1)]
    view.centerOn(node)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(node.rect().center()))
    names = [e[0] for e in w.inspector.entries]
    assert names[:2] == ["h(2)", "∂L/∂h(2)"]
    np.testing.assert_array_equal(w.inspector.entries[0][1], s.tape.state_at()[("h", 0, 0, 1)])
    np.testing.assert_array_equal(w.inspector.entries[1][1], s.tape.state_at()[("dh", 0, 0, 1)])
    assert "‖·‖₂" in w.inspector.info.text()
    assert w.inspector.table.rowCount() == 4
    # an arrow: the shared weight W and, after BPTT, its gradient
    w.inspect_arrow(("W", 0, 0, 2))
    assert w.inspector.entries[0][0] == "W"
    np.testing.assert_array_equal(w.inspector.entries[0][1], s.tape.params["rnn.weight_hh_l0"])
    assert any("total" in e[0] for e in w.inspector.entries)


def test_equation_block_click_inspects_it(make_window, qtbot):
    w = make_window(task="temporal-xor", hidden_size=3, steps=3)
    w.session.seek(0)
    canvas = w.equations.canvas
    g = next(g for g in w.equations.blocks[0].numeric if g.value is not None)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=g.rect.center().toPoint())
    assert w.inspector.entries[0][0] == g.name


def test_folded_view_and_bidirectional_layers(make_window):
    w = make_window(task="custom", cell="rnn_tanh", hidden_size=3, steps=4, num_layers=2, bidirectional=True,
                    truncate=2)
    s, view = w.session, w.graph.view
    rows = [r for r in view.layout_.rows if r[0] == "h"]
    assert rows == [("h", 1, 1), ("h", 1, 0), ("h", 0, 1), ("h", 0, 0)]
    # the reverse direction's recurrent arrows point left: from t+1 to t
    a = view.arrows[("W", 0, 1, 1)].path()
    assert a.elementAt(0).x > a.elementAt(1).x
    assert len(s.index.cuts) > 0                     # truncation marks exist
    w.folded_action.trigger()
    assert w.graph.folded.isVisible() and not view.isVisible()
    s.seek(s.tape.find("forward", 0, 0, 1))
    assert w.graph.folded.t == 1
    w.side_by_side_action.trigger()                  # the cycle beside its copies, both following the cursor
    assert w.graph.folded.isVisible() and view.isVisible()
    assert 0 < w.graph.folded.width() < view.width()
    s.seek(s.tape.find("forward", 0, 0, 2))
    assert w.graph.folded.t == 2
    w.unrolled_action.trigger()
    assert view.isVisible() and not w.graph.folded.isVisible()


def test_hovering_a_weight_marks_every_copy_of_it(make_window, qtbot):
    w = make_window(task="custom", cell="rnn_tanh", hidden_size=3, steps=5)
    view = w.graph.view
    qtbot.waitUntil(lambda: not view.building, timeout=10000)
    copies = view.param_arrows["rnn.weight_hh_l0"]
    assert len(copies) == 5 and all(a.label is not None for a in copies)
    others = [a for a in view.param_arrows["rnn.weight_ih_l0"] if a.label is not None]
    arrow = copies[2]
    view.centerOn(arrow)
    where = view.mapFromScene(arrow.path().pointAtPercent(0.5))
    qtbot.mouseMove(view.viewport(), where)
    qtbot.waitUntil(lambda: all(a.label.font().bold() for a in copies), timeout=5000)
    assert not any(a.label.font().bold() for a in others)          # U's copies stay as they were
    qtbot.mouseMove(view.viewport(), view.mapFromScene(view.nodes[("x", 0)].rect().center())
                    if ("x", 0) in view.nodes else where + where)
    qtbot.waitUntil(lambda: not any(a.label.font().bold() for a in copies), timeout=5000)


def test_long_sequence_stays_usable(make_window):
    w = make_window(task="custom", cell="lstm", hidden_size=8, steps=200)
    s, view = w.session, w.graph.view
    assert len(view.headers) == 200
    s.run_to("forward")
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        w.debugger.back.trigger()
        view.viewport().repaint()
        times.append(time.perf_counter() - t0)
    assert np.median(times) < 0.1
    # the current column is scrolled into view
    vis = view.mapToScene(view.viewport().rect()).boundingRect()
    assert vis.contains(view.nodes[("h", 0, 0, s.current.t)].rect().center())


def test_warmup_runs_on_a_worker_while_the_window_stays_responsive(make_window, qtbot, monkeypatch):
    """The kernels' warm-up cannot finish here until a timer of the window's event loop has fired while it
    runs: it does finish, so the event loop kept turning (had it run on the GUI thread, it would wait in vain)."""
    import threading

    import ui.session

    w = make_window(task="temporal-xor", hidden_size=3, steps=3)
    s = w.session
    ticked_while_compiling = threading.Event()
    seen = []
    real_warmup = ui.session.warmup

    def gated_warmup(first_cell=None):
        job_function = real_warmup(first_cell)

        def run(job):
            seen.append(threading.current_thread() is not threading.main_thread())
            seen.append(ticked_while_compiling.wait(timeout=60))
            return job_function(job)
        return run

    monkeypatch.setattr(ui.session, "warmup", gated_warmup)
    said = []
    s.status.connect(said.append)
    timer = QTimer()
    timer.timeout.connect(lambda: s.compiling and ticked_while_compiling.set())
    timer.start(0)
    s.start(warm=True)
    assert s.compiling and w.compile_label.isVisible()
    qtbot.waitUntil(lambda: not s.compiling and w.ready, timeout=120000)
    timer.stop()
    assert seen == [True, True]            # on a worker thread; released by the event loop's timer
    assert not w.compile_label.isVisible()
    # what it says holds whether the kernels compiled or came from the cache: which is known only at the end
    assert "Loading or compiling Elman/linear kernels (1/3)…" in said
    ready = [text for text in said if text.startswith("Kernels ready (")]
    assert len(ready) == 1 and float(ready[0][len("Kernels ready ("):-len(" s).")]) >= 0   # 0.0: already loaded


def test_save_and_load_model(make_window, qtbot, tmp_path, wait_for_new_tape):
    w = make_window(task="custom", cell="gru", hidden_size=3, steps=4, input_size=2, output_size=2)
    s = w.session
    path = tmp_path / "m.npz"
    assert w.save_model(str(path))
    import rnnsim
    m = rnnsim.load_model(str(path))
    assert m.spec.cell == "gru"
    old = s.tape
    w.model_panel.network.hidden.setValue(5)
    wait_for_new_tape(s, old)
    old = s.tape
    assert w.open_model(str(path))
    wait_for_new_tape(s, old)
    assert s.spec.hidden_size == 3
    for k, v in m.params.items():
        np.testing.assert_array_equal(s.model.params[k], v)


def test_a_large_rebuild_never_freezes_the_window(make_window, wait_for_new_tape):
    """T = 200 with two bidirectional LSTM layers: ~14 000 scene items, built in slices."""
    w = make_window(task="temporal-xor", hidden_size=3, steps=4)
    s = w.session
    old = s.tape
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(5)
    s.configure(task="custom", cell="lstm", hidden_size=16, steps=200, num_layers=2,
                bidirectional=True)
    # from here on the Tape is recorded on a worker and the scene is built in slices: the event
    # loop must keep ticking (the synchronous part of configure() above is not what this tests)
    wait_for_new_tape(s, old)
    timer.stop()
    gaps = np.diff(ticks)
    assert len(w.graph.view.nodes) >= 1400
    assert gaps.max() < 0.8, f"the event loop stalled for {gaps.max():.2f} s"
    check_nodes(w)
