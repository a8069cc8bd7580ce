"""Encoder–decoder in the app: the 'reverse' task drawn as an encoder row and a decoder row on one timeline
with the context arrow between them; stepped through forward, across the context and back; trained."""
import numpy as np

from ui.training.controller import PAUSED

TRAIN_TIMEOUT = 60000
N = 4


def _window(make_window, qtbot):
    w = make_window(task="reverse", options={"n": 200, "length": N})
    qtbot.waitUntil(lambda: not w.graph.view.building, timeout=20000)
    return w


def test_encoder_and_decoder_rows_and_the_context_arrow(make_window, qtbot):
    w = _window(make_window, qtbot)
    s, view = w.session, w.graph.view
    tape = s.tape
    assert tape.T == 2 * N and tape.encoder_rows == 1 and s.spec.is_seq2seq
    h_nodes = sorted(k for k in view.nodes if k[0] == "h")
    assert h_nodes == [("h", 0, 0, t) for t in range(N)] + [("h", 1, 0, t) for t in range(N, 2 * N)]
    assert ("h0", 0, 0) in view.nodes and ("h0", 1, 0) not in view.nodes     # the decoder starts from the context
    labels = [view.nodes[("x", t)].label_text for t in range(2 * N)]
    assert labels[:N] == [f"x({t + 1})" for t in range(N)]
    assert labels[N:] == [f"d({t + 1})" for t in range(N, 2 * N)]
    context = view.arrows[("W", 1, 0, N)]
    assert context.label.text() == "context" and "encoder's final state hᵉ(4)" in context.base_tip
    start = context.path().elementAt(0)
    enc = view.nodes[("h", 0, 0, N - 1)].rect()
    assert abs(start.x - enc.right()) < 1 and abs(start.y - enc.center().y()) < 1
    assert sorted(k[1] for k in view.nodes if k[0] == "o") == list(range(N, 2 * N))
    rows = [w.graph.view.layout_.row_label(r)[0] for r in view.layout_.rows if r[0] == "h"]
    assert rows == ["decoder\nhᵈ(t)", "encoder\nhᵉ(t)"]


def test_stepping_across_the_context_and_back(make_window, qtbot):
    w = _window(make_window, qtbot)
    s, view = w.session, w.graph.view
    seen = []
    while not s.at_end:
        s.step()
        e = s.current
        seen.append(e.kind)
        state = s.tape.state_at(s.cursor)
        if e.kind in ("forward", "backward"):
            key = ("h", e.layer, e.direction, e.t)
            node = view.nodes[key]
            np.testing.assert_array_equal(node.value, state[key])
            assert view.ring.isVisible()
        if e.kind == "context":
            assert [a.key for a in view._active] == [("W", 1, 0, N)]
            f = e.formulas[0]
            assert f.plain() == "hᵈ(4) = hᵉ(4)"
            np.testing.assert_array_equal(e.quantities["hᵈ(4)"], state[("h", 0, 0, N - 1)])
            qtbot.waitUntil(lambda: "Context" in w.equations.title.text(), timeout=5000)
        if e.kind == "context_back":
            assert [a.key for a in view._active] == [("W", 1, 0, N)]
    assert seen.index("context") < seen.index("output") < seen.index("context_back")
    assert seen.count("forward") == seen.count("backward") == 2 * N
    # the cell view names the decoder's step
    s.seek(s.tape.find("forward", layer=1, t=N + 1))
    qtbot.waitUntil(lambda: "decoder" in w.cell.title.text(), timeout=5000)


def test_training_reduces_the_loss_and_shows_accuracy(make_window, qtbot):
    w = _window(make_window, qtbot)
    w.dashboard.steps_box.setValue(30)
    w.dashboard.actions["train_steps"].trigger()
    qtbot.waitUntil(lambda: w.training.state == PAUSED, timeout=TRAIN_TIMEOUT)
    h = w.training.history
    losses = h.loss.view()
    assert len(losses) == 30 and np.all(np.isfinite(losses))
    assert losses[-3:].mean() < 0.8 * losses[:3].mean()
    assert len(h.accuracy.view()) >= 1 and 0 <= h.accuracy.view()[-1] <= 1


def test_the_cost_surface_says_why_not(make_window, qtbot):
    w = _window(make_window, qtbot)
    panel = w.cost_surface.surface
    panel.start()
    assert "encoder–decoder has two" in panel.status.text()


def test_predict_decodes_on_its_own_outputs_and_the_folded_view_explains(make_window, qtbot):
    w = _window(make_window, qtbot)
    panel = w.predict_panel
    panel.input.setText("0 0 0 1 0 0 0 0 0 0, 0 0 0 0 0 0 0 1 0 0, 1 0 0 0 0 0 0 0 0 0")
    with qtbot.waitSignal(panel.predicted, timeout=20000) as got:
        panel.predict()
    out = got.args[0]
    assert out.shape == (1, 3, 10)                  # the decoder ran as many steps as the input has
    assert "reading back its own choices" in panel.answer.text()
    w.graph.folded_btn.click()
    assert not w.graph.folded.pix and "two cycles" in " ".join(
        i.text() for i in w.graph.folded.graph.items() if hasattr(i, "text"))


def test_a_session_round_trip_keeps_the_encoder_decoder(make_window, qtbot, tmp_path):
    w = _window(make_window, qtbot)
    w.dashboard.steps_box.setValue(5)
    w.dashboard.actions["train_steps"].trigger()
    qtbot.waitUntil(lambda: w.training.state == PAUSED, timeout=TRAIN_TIMEOUT)
    path = tmp_path / "reverse.npz"
    assert w.training.save_session(path)
    assert w.training.open_session(path)
    assert w.training.model.spec.is_seq2seq and len(w.training.trainer.probe) == 3
    qtbot.waitUntil(lambda: w.session.tape is not None and w.session.tape.encoder_rows == 1
                    and not w.graph.view.building, timeout=20000)


def test_the_network_editor_has_no_bidirectional_for_it(make_window, qtbot):
    from ui.panels.network import NetworkEditor
    w = _window(make_window, qtbot)
    editor = w.findChildren(NetworkEditor)[0]
    assert not editor.bidirectional.isEnabled() and "not bidirectional" in editor.bidirectional.toolTip()
