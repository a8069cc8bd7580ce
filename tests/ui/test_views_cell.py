"""The cell view's labels: not struck through by the lines, never on top of each other (also with the
longer captions of BPTT), readable (≥ 9 px on screen in the usual window, enough contrast) — and the
strips still show the Tape's numbers."""
import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QGraphicsSimpleTextItem

from ui import theme
from ui.views.cell_scene import CAPTION_PX, Flow, UnitStrip


def scene_texts(scene):
    return [t for t in scene.items() if isinstance(t, QGraphicsSimpleTextItem) and t.isVisible() and t.text()]


def owner(item):
    """The strip, box or operation circle a text belongs to (its top-level item).

    Not a walk up ``parentItem()``: PySide6 hands the item parentItem() returns to Python's ownership, and the
    boxes and circles made by QGraphicsScene.addRect/addEllipse have no wrapper that notices when the scene
    deletes them — their Python wrappers, collected later by gc, deleted them a second time (a segfault in
    the garbage collector during a later test)."""
    return item.topLevelItem()


def shrink(r: QRectF, d=1.0) -> QRectF:
    return r.adjusted(d, d, -d, -d)


def check_layout(cell_view):
    scene = cell_view.cell_scene
    texts = scene_texts(scene)
    strips = [s for s in scene.items() if isinstance(s, UnitStrip)]
    flows = [f for f in scene.items() if isinstance(f, Flow)]
    boxes = [t.sceneBoundingRect() for t in texts]
    # no two labels overlap
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not shrink(a.sceneBoundingRect()).intersects(shrink(b.sceneBoundingRect())), (a.text(), b.text())
    # no line runs through a label or a strip
    for f in flows:
        stroke = f.shape()
        for t, r in zip(texts, boxes):
            if owner(t) is t or isinstance(owner(t), UnitStrip):      # free labels and captions
                assert not stroke.intersects(shrink(r)), (t.text(), f.path().elementAt(0))
        for s in strips:
            assert not stroke.intersects(shrink(s.sceneBoundingRect(), 3)), s.name
    # strips and labels do not overlap each other
    for i, a in enumerate(strips):
        r = shrink(a.sceneBoundingRect(), 3)
        for b in strips[i + 1:]:
            assert not r.intersects(b.sceneBoundingRect()), (a.name, b.name)
        for t in texts:
            if owner(t) is not a:
                assert not r.intersects(shrink(t.sceneBoundingRect())), (a.name, t.text())
    # readable: at least CAPTION_PX at 100 %, ≥ 9 px as the window shows it, dark enough on white
    scale = cell_view.view.transform().m11()
    for t in texts:
        px = t.font().pixelSize()
        assert px >= CAPTION_PX - 2, t.text()
        assert px * scale >= 9, (t.text(), px, scale)
        assert theme.contrast(t.brush().color(), QColor("#ffffff")) >= 4.5, t.text()
    return len(texts)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh", "rnn_softplus", "rnn_hard_sigmoid"])
def test_cell_labels_are_apart_clear_of_lines_and_readable(make_window, qtbot, cell):
    w = make_window(task="custom", cell=cell, hidden_size=12, steps=5, input_size=2, output_size=2)
    w.resize(1600, 1000)
    QApplication.processEvents()
    s = w.session
    for event in ("forward", "backward"):
        s.seek(s.tape.find(event, 0, 0, 2))
        QApplication.processEvents()
        assert check_layout(w.cell) >= 4
        q = s.current.quantities
        shown = w.cell.displayed()
        if event == "backward":
            np.testing.assert_array_equal(shown["h"][0], q["∂L/∂h(t)"])
            caption = w.cell.cell_scene.slots["h"].cap.text()
            assert caption.startswith("∂L/∂h(t)\n‖·‖ ") and theme.fmt(np.linalg.norm(q["∂L/∂h(t)"]), 2) in caption
        else:
            np.testing.assert_array_equal(shown["h"][0], q["h(t)"])


def test_gate_captions_say_their_mean_on_a_second_line(make_window):
    w = make_window(task="custom", cell="lstm", hidden_size=4, steps=3)
    s = w.session
    s.seek(s.tape.find("forward", 0, 0, 1))
    f = w.cell.cell_scene.slots["f"]
    assert f.cap.text() == f"f\nmean {theme.fmt(np.mean(s.current.quantities['f']), 2)}"
    s.seek(-1)
    assert w.cell.cell_scene.slots["f"].new is None          # before the first step: nothing shown
