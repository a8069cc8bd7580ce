"""The unrolled graph never lies: what is on screen after scrolling, replacing the Tape, following the
cursor and fitting is what a fresh render of the Tape's state shows — no stale pixels, no row label naming
the wrong row, no node hidden under the frozen header band or row gutter."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from ui.views.graph_layout import GUTTER, HEADER_H
from ui.views.graph_view import FIT_MIN
from ui.views.graphics import strength


def on_screen(view) -> QImage:
    """What the window's backing store holds for the graph's viewport (the pixels a user sees, stale or not)."""
    QApplication.processEvents()
    vp = view.viewport()
    win = vp.window()
    tl = vp.mapTo(win, QPoint(0, 0))
    shot = QApplication.primaryScreen().grabWindow(win.winId()).toImage()
    return shot.copy(QRect(tl.x(), tl.y(), vp.width(), vp.height())).convertToFormat(QImage.Format.Format_RGB32)


def fresh(view) -> QImage:
    """The same viewport painted from scratch."""
    return view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def stale_pixels(view, edge: int = 0, tolerance: int = 0) -> int:
    """Pixels on screen that differ from a fresh render (sampled every 3 px) by more than ``tolerance`` in a
    colour channel. At a fractional zoom a window repaint and a grab antialias a few edges differently (and
    items cut by the right and bottom edges, ``edge`` px, are cached differently): not stale — a full repaint
    gives the same — so those comparisons allow small differences; a stale copy differs wholesale."""
    a, b = on_screen(view), fresh(view)
    assert a.size() == b.size()
    n = 0
    for y in range(0, a.height() - edge, 3):
        for x in range(0, a.width() - edge, 3):
            p, q = a.pixelColor(x, y), b.pixelColor(x, y)
            if max(abs(p.red() - q.red()), abs(p.green() - q.green()), abs(p.blue() - q.blue())) > tolerance:
                n += 1
    return n


def free_viewport_rect(view) -> QRect:
    vp = view.viewport().rect()
    band = int(round(HEADER_H * view.transform().m22()))
    return QRect(vp.left() + GUTTER, vp.top() + band, vp.width() - GUTTER, vp.height() - band)


def ring_in_free_area(view) -> bool:
    r = view.mapFromScene(view.ring.sceneBoundingRect()).boundingRect()
    return free_viewport_rect(view).contains(r)


def gutter_labels(view) -> list:
    return [text for _, text, _ in view.gutter.rows]


# ---- 1. scrolling back in time leaves no stale copy of the frozen parts ------------------------------
def test_scrolling_back_through_bptt_leaves_no_stale_pixels(make_window, qtbot):
    w = make_window(task="temporal-xor", cell="rnn_tanh", hidden_size=8, steps=20)
    s, view = w.session, w.graph.view
    s.run_to("loss")
    moved = 0
    for _ in range(20):                                   # BPTT: t = T … 1, the view scrolls back in time
        before = view.horizontalScrollBar().value()
        s.step()
        QApplication.processEvents()
        moved += view.horizontalScrollBar().value() < before
        assert stale_pixels(view) == 0, f"stale pixels at {s.current.title}"
    assert moved >= 2 and s.current.t == 0
    assert ring_in_free_area(view)


def test_a_scroll_repaints_where_the_blit_copied_the_frozen_parts(make_window, monkeypatch):
    """Where Qt's scroll blit moves the gutter (content right) or the band (content down) is repainted
    explicitly: on X a copy of the gutter once stayed ~510 px into the graph after a long scroll back."""
    w = make_window(task="temporal-xor", cell="rnn_tanh", hidden_size=4, steps=20)
    view = w.graph.view
    asked = []
    monkeypatch.setattr(view.viewport(), "update", lambda *args: asked.append(args))
    view._repaint_blitted_frozen(510, 0)
    view._repaint_blitted_frozen(0, 40)
    view._repaint_blitted_frozen(-300, -20)               # content moved left or up: the copies left the view
    gutter = view.gutter.boundingRect().width()
    assert [a[0].x() for a in asked if a[0].y() == 0 and a[0].x() > 0] == [510]
    assert asked[0][0].width() >= gutter and asked[0][0].height() == view.viewport().height()
    assert asked[1][0].y() == 40 and asked[1][0].width() == view.viewport().width()
    assert len(asked) == 2


def test_panning_a_stacked_net_keeps_the_frozen_parts_in_place(make_window, qtbot):
    w = make_window(task="custom", cell="gru", hidden_size=4, steps=16, num_layers=2, bidirectional=True)
    view = w.graph.view
    hbar, vbar = view.horizontalScrollBar(), view.verticalScrollBar()
    assert vbar.maximum() > 0                             # taller than the view: it scrolls vertically
    for h, v in ((hbar.maximum(), vbar.maximum()), (hbar.maximum() // 2, 0), (hbar.maximum() // 3, vbar.maximum()),
                 (0, vbar.maximum() // 2), (0, 0)):
        hbar.setValue(h)
        vbar.setValue(v)
        QApplication.processEvents()
        top_left = view.mapToScene(0, 0)
        assert view.band.scenePos().y() == pytest.approx(max(top_left.y(), 0.0))     # the headers stay on top
        assert view.mapFromScene(view.gutter.scenePos()) == QPoint(0, 0)              # the row labels at the left
        assert stale_pixels(view) == 0
    for factor in (0.7, 1 / 0.7, 1.25):                    # zooming keeps them in place too
        view.zoom(factor)
        QApplication.processEvents()
        assert view.mapFromScene(view.gutter.scenePos()) == QPoint(0, 0)
        assert view.mapFromScene(view.band.scenePos()).y() <= 0
        assert stale_pixels(view, edge=40, tolerance=60) == 0


# ---- 2. a new Tape replaces the whole picture ---------------------------------------------------------
def _expected_arrows(spec, T, outputs):
    dirs = spec.directions
    w = spec.num_layers * dirs * T
    u = T * dirs + (spec.num_layers - 1) * dirs * dirs * T
    return w + u + len(outputs) * (dirs + 1)


def test_a_new_tape_replaces_the_picture_rows_scroll_and_inspector(make_window, qtbot, wait_for_new_tape):
    w = make_window(task="custom", cell="rnn_tanh", hidden_size=4, steps=30)
    s, view = w.session, w.graph.view
    s.seek(s.tape.find("backward", 0, 0, 4))
    w.inspect_node(("h", 0, 0, 25))
    assert w.inspector.entries
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum())
    old = s.tape
    s.configure(cell="lstm", num_layers=2, bidirectional=True, steps=12)
    wait_for_new_tape(s, old)
    idx, L = s.index, view.layout_
    # the row labels name the new rows, top to bottom
    assert gutter_labels(view) == [L.row_label(r)[0] for r in L.rows]
    assert "layer 2\n← reverse" in gutter_labels(view)
    # every node and arrow of the new Tape, each arrow joining two nodes of it (nothing half-built)
    assert len(view.headers) == 12 and max(view.headers) == 11
    assert len(view.arrows) == _expected_arrows(idx.spec, idx.T, idx.tape.output_times)
    for key, a in view.arrows.items():
        path = a.path()
        start, end = path.elementAt(0), path.elementAt(path.elementCount() - 4)      # (then the arrowhead)
        hits = [n for n in view.nodes.values()
                if n.rect().adjusted(-1, -1, 1, 1).contains(start.x, start.y)
                or n.rect().adjusted(-1, -1, 1, 1).contains(end.x, end.y)]
        assert len(hits) == 2, key
    # the cursor is before the first event: the view shows the start, not where the old Tape was scrolled
    assert s.cursor == -1
    assert view.horizontalScrollBar().value() == view.horizontalScrollBar().minimum()
    assert stale_pixels(view) == 0
    # the inspector no longer shows the old Tape's values
    assert w.inspector.entries == [] and not w.inspector.split.isVisible()
    assert "new Tape" in w.inspector.placeholder.text()


def test_new_weights_replace_the_tape_and_the_view_follows_the_cursor(make_window, qtbot, wait_for_new_tape):
    w = make_window(task="custom", cell="rnn_tanh", hidden_size=3, steps=8)
    s, view = w.session, w.graph.view
    old = s.tape
    s.configure(cell="gru", hidden_size=5, num_layers=2, steps=40)
    wait_for_new_tape(s, old)
    assert s.tape.T == 40 and len(view.headers) == 40
    assert gutter_labels(view) == ["loss\nL(t)", "output\no(t)", "layer 2\nh(t)", "layer 1\nh(t)", "input\nx(t)"]
    s.seek(s.tape.find("forward", 1, 0, 35))
    view.horizontalScrollBar().setValue(0)                  # the learner looks elsewhere ...
    old = s.tape
    params = {k: np.asarray(v) * 0.5 for k, v in s.training.model.params.items()}
    assert s.training.set_params(params)                    # ... when the weights change (e.g. trained)
    wait_for_new_tape(s, old)
    state = s.tape.state_at(s.tape.cursor)
    for key, node in view.nodes.items():                   # the nodes show the new Tape's numbers
        if key[0] == "h" and node.shown_v:
            np.testing.assert_array_equal(node.value, state[key])
    event = s.current
    if event is not None and event.t is not None:
        assert ring_in_free_area(view)                      # scrolled to the cursor
    else:
        assert view.horizontalScrollBar().value() == view.horizontalScrollBar().minimum()
    assert stale_pixels(view) == 0


# ---- 3. following the cursor keeps the node clear of the frozen parts ----------------------------------
def test_following_the_cursor_never_parks_the_node_under_the_frozen_parts(make_window, qtbot):
    w = make_window(task="custom", cell="gru", hidden_size=4, steps=14, num_layers=2, bidirectional=True)
    s, view = w.session, w.graph.view
    band = view.band
    checked = 0
    while not s.at_end:
        s.step()
        e = s.current
        if e.kind in ("forward", "backward", "output", "loss") and view.ring.isVisible():
            assert ring_in_free_area(view), e.title
            checked += 1
        # the "t = …" headers are at the top of the view, whatever the vertical scroll
        assert view.mapFromScene(band.scenePos()).y() == 0 or view.mapToScene(0, 0).y() < 0
    assert checked > 100
    # stepping back in time too
    for _ in range(60):
        s.step_back()
        if view.ring.isVisible():
            assert ring_in_free_area(view), s.current.title
    header = view.headers[s.current.t] if s.current.t is not None else None
    if header is not None:
        assert view.mapFromScene(header.sceneBoundingRect().center()).y() < HEADER_H


def test_the_header_band_stays_on_top_when_scrolled_down(make_window, qtbot):
    w = make_window(task="custom", cell="lstm", hidden_size=3, steps=6, num_layers=3, bidirectional=True)
    view = w.graph.view
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    QApplication.processEvents()
    assert view.verticalScrollBar().value() > 0
    img = fresh(view)
    header = view.headers[0]
    c = view.mapFromScene(header.sceneBoundingRect().center())
    assert 0 <= c.y() < HEADER_H                         # the header of t = 1, at the top, still readable
    assert header.isVisible() and view.band.zValue() > max(n.zValue() for n in view.nodes.values())
    # the band's colour at the top of the view, not a node scrolled beneath it
    colour = img.pixelColor(GUTTER + 5, 2)
    assert (colour.red(), colour.green(), colour.blue()) == (0xed, 0xf2, 0xf7)


# ---- 6. Fit keeps the graph readable -------------------------------------------------------------------
def test_fit_never_zooms_below_a_readable_size(make_window, qtbot):
    w = make_window(task="custom", cell="rnn_tanh", hidden_size=4, steps=120)
    s, view = w.session, w.graph.view
    s.seek(s.tape.find("forward", 0, 0, 90))
    view.fit_all()
    m = view.transform().m11()
    assert m == pytest.approx(FIT_MIN)
    assert view.labels_visible
    node = view.nodes[("h", 0, 0, 90)]
    assert node.label.font().pixelSize() * m >= 9                 # a node's name stays ≥ 9 px on screen
    assert view.headers[90].text.font().pixelSize() * m >= 9
    assert ring_in_free_area(view)                                # scrolled to the cursor, not to the start
    w2 = make_window(task="custom", cell="rnn_tanh", hidden_size=4, steps=3)
    w2.graph.view.fit_all()
    assert FIT_MIN <= w2.graph.view.transform().m11() <= 1.0     # a short sequence: fitted, at most 100 %


# ---- 8. the loss node, diverged models, the one strength rule -------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_the_loss_node_names_the_specs_reduction(make_window, reduction):
    w = make_window(task="custom", cell="rnn_tanh", hidden_size=3, steps=4)
    s, view = w.session, w.graph.view
    node = view.nodes[("loss",)]
    assert s.spec.reduction == "mean"
    assert node.label_text == "L = mean" and "mean" in node.base_tip and "Σ" not in node.label_text
    e = next(e for e in s.tape.events if e.kind == "loss")
    assert f"count = {int(e.quantities['count'])}" in node.base_tip
    if reduction == "sum":                            # the label follows the spec (a summed loss says so)
        from dataclasses import replace
        from types import SimpleNamespace

        from ui.views import graph_build
        idx = s.index
        label, tip = graph_build.loss_words(SimpleNamespace(spec=replace(s.spec, reduction="sum"),
                                                            event_of=idx.event_of, tape=idx.tape))
        assert label == "L = sum" and "'sum'" in tip


def test_a_diverged_model_is_shown_without_warnings(make_window, qtbot, wait_for_new_tape):
    w = make_window(task="custom", cell="rnn_tanh", hidden_size=3, steps=5)
    s, view = w.session, w.graph.view
    params = {k: np.array(v, dtype=np.float64) for k, v in s.training.model.params.items()}
    params["rnn.weight_hh_l0"][0, 0] = np.nan
    params["fc.weight"][0, 1] = np.inf
    old = s.tape
    assert s.training.set_params(params)                    # warnings are errors in this suite
    wait_for_new_tape(s, old)
    while not s.at_end:
        s.step()
    w.graph.minimap.rebuild()
    for a in view.arrows.values():
        if a.grad is not None:
            assert np.isfinite(a.grad.pen().widthF())
    assert not np.isfinite(s.tape.loss)
    assert stale_pixels(view) == 0


def test_one_strength_rule_for_arrows_and_minimap(make_window):
    assert strength(1.0, 1.0) == 1.0 and strength(1e-4, 1.0) == 0.0 and strength(1e-2, 1.0) == pytest.approx(0.5)
    for bad in (0.0, -1.0, np.nan, np.inf):
        assert strength(bad, 1.0) == 0.0
    assert strength(0.5, np.nan) == 0.0 and strength(0.5, np.inf) == 0.0
    np.testing.assert_allclose(strength(np.array([1.0, 1e-2, np.nan]), 1.0), [1.0, 0.5, 0.0])
    w = make_window(task="temporal-xor", cell="rnn_tanh", hidden_size=4, steps=6)
    s, view = w.session, w.graph.view
    s.run_to("backward")
    idx = s.index
    a = view.arrows[("W", 0, 0, 2)]
    norm, _ = idx.flow_w[(0, 0, 1)]
    assert a.grad.pen().widthF() == pytest.approx(1.0 + 4.5 * strength(norm, idx.flow_max))
