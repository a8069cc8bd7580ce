"""The equation panel: a one-hot vector's single 1 stays in view when the vector is elided (with its
index), the loss event shows numbers rather than repeating its formula, and the panel is tall enough
for one forward event (scrolling when an event needs more)."""
import numpy as np
from PySide6.QtWidgets import QApplication

from ui.views.equation import VEC_ROWS, shown_rows


def glyphs(w):
    return [g for b in w.equations.blocks for g in b.numeric + b.result if g.value is not None]


def test_shown_rows_keep_a_single_hot_entry():
    n = 12
    plain = shown_rows(n)
    assert len(plain) == VEC_ROWS and None in plain and 5 not in plain
    hot = np.zeros(n)
    hot[5] = 1.0
    rows = shown_rows(n, hot)
    assert len(rows) == VEC_ROWS and 5 in rows
    i = rows.index(5)
    assert rows[i - 1] is None and rows[i + 1] is None            # 0 … ⋮ 1 ⋮ … 0
    assert rows[0] == 0 and rows[-1] == n - 1
    hot[1] = 1.0                                                   # two non-zero entries: not one-hot
    assert shown_rows(n, hot) == plain
    head = np.zeros(n)
    head[2] = 1.0                                                  # already in view: the usual rows
    assert shown_rows(n, head) == plain


def test_a_one_hot_input_keeps_its_1_and_says_where(make_window, wait_for_new_tape):
    w = make_window(task="custom", cell="rnn_tanh", hidden_size=3, steps=3, input_size=12, output_size=1)
    s = w.session
    steps = []
    for k in (5, 0, 10):
        row = ["0"] * 12
        row[k] = "1"
        steps.append(" ".join(row))
    old = s.tape
    s.set_probe(", ".join(steps), "0, 1, 0")
    wait_for_new_tape(s, old)
    s.seek(s.tape.find("forward", 0, 0, 0))
    x = next(g for g in glyphs(w) if g.name == "x(1)")
    np.testing.assert_array_equal(x.value.reshape(-1), s.current.quantities["x(1)"])
    assert x.rows is not None and 5 in x.rows
    r = x.rows.index(5)
    assert x.cells[r] == ["1"] and x.index_labels == {r: "[5]"}
    assert x.cells[r - 1] == ["⋮"] and x.cells[r + 1] == ["⋮"]
    shown = [float(c[0]) for c, i in zip(x.cells, x.rows) if i is not None]
    np.testing.assert_array_equal(shown, x.value.reshape(-1)[[i for i in x.rows if i is not None]])
    s.seek(s.tape.find("forward", 0, 0, 2))                       # the 1 at index 10 is in the tail: as usual
    x = next(g for g in glyphs(w) if g.name == "x(3)")
    assert x.index_labels == {} and 10 in x.rows


def test_the_loss_event_shows_numbers_not_the_formula_again(make_window):
    w = make_window(task="temporal-xor", cell="rnn_tanh", hidden_size=4, steps=6)
    s = w.session
    s.run_to("loss")
    q = s.current.quantities
    blocks = w.equations.blocks
    by_result = {b.formula.result: b for b in blocks}
    total = by_result["sum"]
    assert total.numeric == []                                   # nothing to substitute: no repeated line
    assert [g.text for g in total.result if g.value is None] == ["sum ="]
    assert float(total.result[1].cells[0][0]) == float(f"{float(q['sum']):.3g}")
    mean = by_result["L"]
    numbers = [g for g in mean.numeric if g.value is not None]
    assert [g.name for g in numbers] == ["sum", "count"]
    assert float(mean.result[-1].cells[0][0]) == float(f"{float(q['L']):.3g}")
    texts = [g.text for g in mean.numeric + mean.result if g.value is None]
    assert texts == ["=", "/", "="]                              # = sum / count = L, in numbers
    assert not any("Σ" in (g.text or "") for b in blocks for g in b.numeric)


def test_the_panel_fits_one_forward_event_and_scrolls_for_more(make_window, qtbot):
    from PySide6.QtCore import Qt

    from ui.views.equation import FIT_SHARE
    from ui.views.inspector import EMPTY_MAX_H, ROOM_H
    w = make_window(task="temporal-xor", cell="rnn_tanh", hidden_size=2, steps=6)
    w.resize(1600, 1000)
    w.reset_layout()                                                     # the first layout, at this size
    QApplication.processEvents()
    s, eq = w.session, w.equations
    cap = int(FIT_SHARE * eq.screen().availableGeometry().height())
    assert 100 < eq._need and eq.sizeHint().height() < cap               # it asks for one forward event's height
    assert w.inspector.height() <= EMPTY_MAX_H                           # the empty inspector leaves it the room
    # given the height it asks for (the window's layout decides; see initial_sizes), the event fits
    w.resizeDocks([w.docks["equations"]], [eq.sizeHint().height() + 30], Qt.Orientation.Vertical)
    s.seek(s.tape.find("forward", 0, 0, 2))
    eq.canvas.complete()
    QApplication.processEvents()
    assert eq.scroll.verticalScrollBar().maximum() == 0                  # the whole event in view
    assert eq.canvas.height() <= eq.scroll.viewport().height()
    s.seek(s.tape.find("backward", 0, 0, 2))                             # fifteen formulas: they scroll
    eq.canvas.complete()
    QApplication.processEvents()
    assert eq.scroll.verticalScrollBar().maximum() > 0
    w.inspect_node(("h", 0, 0, 2))                                       # something to inspect: room for it
    assert w.inspector.entries and w.inspector.maximumHeight() > ROOM_H
    qtbot.waitUntil(lambda: w.inspector.height() >= EMPTY_MAX_H + 60, timeout=2000)
