"""The folded graph: the recurrence as a cycle — x → h ⟲ W → o → L — the same cell
and the same U, W, V that the unrolled view repeats once per timestep. Its nodes show the values
at the current event's timestep."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsView

from .. import theme
from .graphics import arrow_path, center_text, setup_canvas, text_item

NW, NH = 70, 56


class FoldedView(QGraphicsView):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.graph = setup_canvas(self, session)
        self.pix: dict = {}
        self.caption = None
        self.note = None
        self._diagram = QRectF()
        self.t = None
        self._stale = False                        # a cursor move arrived while hidden: refresh on show
        session.tapeChanged.connect(lambda _: self.rebuild())
        session.cursorChanged.connect(lambda _: self._on_cursor())

    def _on_cursor(self):
        if self.isVisibleTo(self.window()):       # (not isVisible(): the window may not be shown yet)
            self.refresh()
        else:
            self._stale = True                     # the page behind the unrolled view: nothing to draw

    def rebuild(self):
        idx = self.session.index
        if idx is None:
            return
        self.graph.clear()
        self.pix.clear()
        self.caption = self.note = None
        if idx.encoder_rows:                       # two cycles handed over once: the unrolled graph shows it
            note = text_item("An encoder–decoder has two cycles: the encoder's, run over x(1) … x(N), then the\n"
                             "decoder's, started from the encoder's final state (the context) and run over d(t).\n"
                             "The unrolled graph draws both rows and the context arrow between them.",
                             None, 14, theme.LABEL)
            self.graph.addItem(note)
            self.graph.setSceneRect(self.graph.itemsBoundingRect().adjusted(-30, -20, 30, 20))
            return
        spec = idx.spec
        dirs = spec.directions
        x0 = 300
        rows = [("L", None, None), ("o", None, None)]
        for layer in range(spec.num_layers - 1, -1, -1):
            rows.append(("h", layer, None))
        rows.append(("x", None, None))
        pitch = 120
        ys = {r: 70 + i * pitch for i, r in enumerate(rows)}
        centers = {}
        for row, y in ys.items():
            kind, layer, _ = row
            if kind == "h":
                for d in range(dirs):
                    cx = x0 + (0 if dirs == 1 else (-90 if d == 0 else 90))
                    centers[("h", layer, d)] = QPointF(cx, y)
            else:
                centers[(kind,)] = QPointF(x0, y)
        for key, c in centers.items():
            self._node(key, c)
        pen = QPen(theme.LABEL, 1.8)

        def arrow(a, b, label=None, side=1):
            item = self.graph.addPath(arrow_path([a, b], 8), pen)
            if label:
                t = text_item(label, None, 16, theme.HEADING, italic=True, serif=True)
                self.graph.addItem(t)
                center_text(t, (a.x() + b.x()) / 2 + 14 * side, (a.y() + b.y()) / 2)
            return item

        def top(c):
            return QPointF(c.x(), c.y() - NH / 2)

        def bottom(c):
            return QPointF(c.x(), c.y() + NH / 2)

        for layer in range(spec.num_layers):
            for d in range(dirs):
                c = centers[("h", layer, d)]
                srcs = [centers[("x",)]] if layer == 0 else [centers[("h", layer - 1, sd)] for sd in range(dirs)]
                for s in srcs:
                    sym = idx.weight_symbol("U", layer, d)
                    arrow(top(s), bottom(c), sym if s is srcs[-1] else None, side=-1 if d == 0 else 1)
                # the cycle: h feeds itself one step later (the black square is the one-step delay)
                sign = -1 if d == 0 else 1
                path = QPainterPath()
                start = QPointF(c.x() + sign * NW / 2, c.y() - 12)
                end = QPointF(c.x() + sign * NW / 2, c.y() + 12)
                far = c.x() + sign * (NW / 2 + 58)
                path.moveTo(start)
                path.cubicTo(QPointF(far, c.y() - 50), QPointF(far, c.y() + 50), end)
                loop = self.graph.addPath(path, QPen(theme.PHASE["forward"], 2.0))
                head = arrow_path([QPointF(end.x() + sign * 10, end.y() + 5), end], 8)
                self.graph.addPath(head, QPen(theme.PHASE["forward"], 2.0))
                delay = self.graph.addRect(QRectF(far - sign * 14 - 5, c.y() - 5, 10, 10), QPen(Qt.PenStyle.NoPen),
                                           QBrush(theme.INK))
                delay.setToolTip("One-step delay: h(t−1) is fed back as the memory of step t")
                lab = text_item(idx.weight_symbol("W", layer, d), None, 16, theme.PHASE["forward"], italic=True,
                                serif=True)
                self.graph.addItem(lab)
                center_text(lab, far + sign * 14, c.y())
                loop.setToolTip("The recurrence: the same W carries the state from each step to the next")
        top_layer = spec.num_layers - 1
        for d in range(dirs):
            arrow(top(centers[("h", top_layer, d)]), bottom(centers[("o",)]),
                  "V" if (spec.output_size is not None and d == dirs - 1) else None, side=1)
        arrow(top(centers[("o",)]), bottom(centers[("L",)]))
        self._diagram = self.graph.itemsBoundingRect()
        self.note = text_item("Folded: one cell, used at every step.\nThe same U, W, V at every t — unrolling this\n"
                              f"cycle over T = {idx.T} steps gives the unrolled graph.", None, 12, theme.LABEL)
        self.graph.addItem(self.note)
        self.caption = text_item("", None, 15, theme.INK, bold=True)
        self.graph.addItem(self.caption)
        self._place_notes()
        self.refresh()

    def _place_notes(self):
        """The note and the "showing t" caption beside the diagram in a wide view, below it in a narrow one
        (the folded cycle beside the unrolled graph gets a third of the width), then fit the scene."""
        if self.caption is None or self.note is None:
            return
        d = self._diagram
        if self.width() < 1.1 * self.height():
            self.note.setPos(d.left(), d.bottom() + 16)
            self.caption.setPos(d.left(), d.bottom() + 24 + self.note.boundingRect().height())
        else:
            self.note.setPos(d.right() + 40, d.top() + 10)
            self.caption.setPos(d.right() + 40, d.top() + 80)
        self.graph.setSceneRect(self.graph.itemsBoundingRect().adjusted(-30, -20, 30, 20))
        self.fitInView(self.graph.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def _node(self, key, c):
        kind = key[0]
        rect = QRectF(c.x() - NW / 2, c.y() - NH / 2, NW, NH)
        box = self.graph.addRect(rect, QPen(theme.LABEL, 1.4), QBrush(theme.PAPER))
        box.setZValue(1)
        name = {"x": "x(t)", "o": "o(t)", "L": "L(t)"}.get(kind)
        if kind == "h":
            name = f"h{self.session.tape.naming.tag(key[1], key[2])}(t)"
        lab = text_item(name, None, 15, theme.INK, italic=True, serif=True)
        self.graph.addItem(lab)
        center_text(lab, c.x(), rect.top() - 11)
        pm = QGraphicsPixmapItem()
        pm.setTransformationMode(Qt.TransformationMode.FastTransformation)
        pm.setZValue(2)
        self.graph.addItem(pm)
        self.pix[key] = (pm, rect.adjusted(5, 5, -5, -5))

    def _set(self, key, values, scale):
        pm, rect = self.pix[key]
        if values is None:
            pm.setVisible(False)
            return
        p = theme.vector_pixmap(np.atleast_1d(np.asarray(values, dtype=np.float64)), scale)
        pm.setPixmap(p)
        unit = min(rect.width() / p.width(), rect.height() / p.height(), 14.0)
        pm.setScale(unit)
        pm.setPos(rect.center().x() - p.width() * unit / 2, rect.center().y() - p.height() * unit / 2)
        pm.setVisible(True)

    def refresh(self):
        self._stale = False
        s = self.session
        idx = s.index
        if idx is None or not self.pix:
            return
        e = s.current
        t = e.t if e is not None and e.t is not None else (self.t if self.t is not None else 0)
        self.t = t
        cursor = s.cursor
        state = lambda key: idx.value(key) if idx.known_at(key) <= cursor else None  # noqa: E731
        for key in self.pix:
            if key[0] == "x":
                self._set(key, idx.x[t], idx.scale["x"])
            elif key[0] == "h":
                self._set(key, state(("h", key[1], key[2], t)), idx.scale["h"])
            elif key[0] == "o":
                self._set(key, state(("o", t)), idx.scale["o"])
            elif key[0] == "L":
                v = state(("L", t))
                self._set(key, None if v is None else [v], idx.scale["L"])
        if self.caption is not None:
            self.caption.setText(f"showing t = {t + 1}")

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self._place_notes()
        self.fitInView(self.graph.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def showEvent(self, ev):
        super().showEvent(ev)
        if self._stale:
            self.refresh()
        self.fitInView(self.graph.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
