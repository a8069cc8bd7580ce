"""The unrolled graph's items: nodes, arrows, the timestep headers, and the two frozen parts — the
band of "t = …" headers along the top and the gutter of row labels at the left.

The frozen parts are scene items that the view moves to its top and left edge whenever it scrolls or
zooms (``UnrolledView.place_frozen``). Being items, Qt repaints both where they were and where they are
(a scroll blits the viewport's pixels: anything painted over the scene by other means would leave its
old copy behind, shifted by the scroll).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsPixmapItem, QGraphicsRectItem

from .. import theme
from ..tapeindex import NEVER, norm
from .graph_layout import GUTTER, HEADER_H
from .graphics import arrow_path, center_text, scene_font, strength, text_item

FROZEN_FILL = theme.SOFT
FROZEN_EDGE = theme.FAINT
ARROW_INK = theme.LABEL


class Node(QGraphicsPathItem):
    """A vector node: value grid (left) and gradient grid (right, once known). Drawn by Qt (C++):
    a rounded box (a circle for the scalar loss nodes) whose pen says known / not yet known."""

    KNOWN_PEN = theme.pen(theme.LABEL, 1.2)
    UNKNOWN_PEN = theme.pen(theme.EDGE, 1.2, Qt.PenStyle.DashLine)

    def __init__(self, view, key, rect: QRectF, label: str, tip: str, value=None, vscale=1.0, grad=None,
                 gscale=1.0, known_v=-1, known_g=NEVER, halves=True, circle=False):
        super().__init__()
        path = QPainterPath()
        if circle:
            path.addEllipse(rect)
        else:
            path.addRoundedRect(rect, 6, 6)
        self.setPath(path)
        self._rect = rect
        self.view, self.key, self.label_text, self.base_tip = view, key, label, tip
        self.value, self.grad = value, grad
        self.known_v, self.known_g = known_v, known_g
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(2)
        self.circle = circle
        self.shown_v = self.shown_g = None
        inner = rect.adjusted(3, 3, -3, -3)
        self.v_item = self.g_item = self.divider = None
        if value is not None and not circle:
            vrect = QRectF(inner.left(), inner.top(), inner.width() / 2 - 1, inner.height()) if halves else inner
            self.v_item = grid_item(self, value, vscale, False, vrect)
        if grad is not None:
            grect = QRectF(inner.center().x() + 1, inner.top(), inner.width() / 2 - 1, inner.height())
            self.g_item = grid_item(self, grad, gscale, True, grect)
            self.divider = QGraphicsPathItem(self)
            dp = QPainterPath(QPointF(rect.center().x(), rect.top() + 3))
            dp.lineTo(QPointF(rect.center().x(), rect.bottom() - 3))
            self.divider.setPath(dp)
            self.divider.setPen(QPen(theme.LINE, 1))
            self.divider.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        if circle and value is not None:
            v = float(np.ravel(value)[0])
            self.fill = theme.qcolor(v, vscale)
            self.v_text = text_item(theme.fmt(v, 2), self, 11, theme.text_on(self.fill))
            center_text(self.v_text, rect.center().x(), rect.center().y())
        else:
            self.fill = theme.PAPER
            self.v_text = None
        self.label = text_item(label, self, 12, theme.INK, serif=True)
        if circle:
            center_text(self.label, rect.center().x(), rect.top() - 10)
        else:   # top-left, clear of the arrows that leave the node's top centre
            lr = self.label.boundingRect()
            self.label.setPos(rect.center().x() - 6 - lr.width(), rect.top() - lr.height() - 1)
        self.apply(-1)

    def rect(self) -> QRectF:
        return self._rect

    def apply(self, cursor: int):
        v = self.known_v <= cursor
        g = self.known_g <= cursor
        if v != self.shown_v:
            self.shown_v = v
            if self.v_item is not None:
                self.v_item.setVisible(v)
            if self.v_text is not None:
                self.v_text.setVisible(v)
            if self.divider is not None:
                self.divider.setVisible(v)
            self.label.setBrush(QBrush(theme.INK if v else theme.LABEL))
            self.setPen(self.KNOWN_PEN if v else self.UNKNOWN_PEN)
            self.setBrush(QBrush((self.fill if self.circle else theme.PAPER) if v else theme.CANVAS))
        if g != self.shown_g:
            self.shown_g = g
            if self.g_item is not None:
                self.g_item.setVisible(g)

    def hoverEnterEvent(self, ev):
        parts = [self.base_tip]
        if self.shown_v and self.value is not None:
            v = np.asarray(self.value, dtype=np.float64)
            parts.append(f"{theme.shape_text(v)} value(s), ‖·‖ = {theme.fmt(norm(v))}"
                         + (f": {', '.join(theme.fmt(a) for a in v.ravel()[:6])}{' …' if v.size > 6 else ''}"))
        elif self.value is not None:
            parts.append("not computed yet")
        if self.shown_g and self.grad is not None:
            parts.append(f"gradient ‖∂L/∂·‖ = {theme.fmt(norm(self.grad))} (right half, green–purple)")
        parts.append("Click to inspect")
        self.setToolTip("\n".join(parts))
        super().hoverEnterEvent(ev)

    def mousePressEvent(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.view.nodeClicked.emit(self.key)
        else:
            super().mousePressEvent(ev)


def grid_item(parent, values, scale, gradient, rect: QRectF) -> QGraphicsPixmapItem:
    """A node's units as a grid of coloured cells (hidden until the cursor reaches its event)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    pm = theme.vector_pixmap(values, scale, gradient)
    item = QGraphicsPixmapItem(pm, parent)
    item.setTransformationMode(Qt.TransformationMode.FastTransformation)
    # a node's numbers never change once computed: scale the tiny image up once, then blit it (drawn scaled
    # at every repaint it was ~16 % of a debugger step's time)
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    unit = min(rect.width() / pm.width(), rect.height() / pm.height(), 12.0)
    item.setScale(unit)
    w, h = pm.width() * unit, pm.height() * unit
    item.setPos(rect.center().x() - w / 2, rect.center().y() - h / 2)
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    item.setVisible(False)
    return item


class Arrow(QGraphicsPathItem):
    """A forward arrow (grey) with its gradient twin (purple, reversed) shown during BPTT."""

    IDLE = theme.pen(theme.EDGE, 1.4)
    ACTIVE = QPen(theme.ACCENT, 3.0)

    def __init__(self, view, key, points, label=None, label_at=None, tip="", grad_points=None,
                 flow=None, flow_max=1.0, cut=False, max_width=5.5):
        super().__init__(arrow_path(points))
        self.view, self.key, self.base_tip = view, key, tip
        self.param = None                    # the weight matrix it stands for (set by the builder), e.g. "rnn.weight_hh_l0"
        self.setPen(self.IDLE)
        self.setZValue(1)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.label = None
        if label:
            self.label = text_item(label, self, 13, ARROW_INK, italic=True, serif=True)
            center_text(self.label, label_at.x(), label_at.y())
        self.grad = None
        self.known_g = NEVER
        self.flow = None
        if grad_points is not None and flow is not None and flow[0] > 0 and np.isfinite(flow[0]):
            norm, known = flow
            self.flow, self.known_g = norm, known
            self.grad = QGraphicsPathItem(arrow_path(grad_points, head=6.0), self)
            s = strength(norm, flow_max)
            col = QColor(theme.PHASE["backward"])
            col.setAlpha(int(50 + 205 * s))
            pen = QPen(col, 1.0 + (max_width - 1.0) * s)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            self.grad.setPen(pen)
            self.grad.setVisible(False)
            self.grad.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.shown_g = False

    def shape(self):
        s = QPainterPathStroker()
        s.setWidth(10)
        return s.createStroke(self.path())

    def apply(self, cursor):
        g = self.known_g <= cursor
        if g != self.shown_g and self.grad is not None:
            self.shown_g = g
            self.grad.setVisible(g)

    def set_active(self, on: bool):
        self.setPen(self.ACTIVE if on else self.IDLE)
        if self.label is not None:
            self.label.setBrush(QBrush(theme.ACCENT.darker(160) if on else ARROW_INK))

    def set_param_highlight(self, on: bool):
        if self.label is not None:
            f = self.label.font()
            f.setBold(on)
            self.label.setFont(f)
            self.label.setBrush(QBrush(theme.PHASE["update"] if on else ARROW_INK))

    def hoverEnterEvent(self, ev):
        tip = self.base_tip
        if self.flow is not None and self.shown_g:
            tip += f"\nGradient flowing back along it: ‖·‖ = {theme.fmt(self.flow)}"
        shared = "\nEvery copy of this matrix is marked while the pointer is here" if self.param else ""
        self.setToolTip(tip + shared + "\nClick to inspect the weight")
        self.view.mark_shared(self.param)
        super().hoverEnterEvent(ev)

    def hoverLeaveEvent(self, ev):
        self.view.mark_shared(None)
        super().hoverLeaveEvent(ev)

    def mousePressEvent(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.view.arrowClicked.emit(self.key)
        else:
            super().mousePressEvent(ev)


# ---- the frozen parts ------------------------------------------------------------------------------
class HeaderBand(QGraphicsRectItem):
    """The band of timestep headers: kept at the top of the view (``setPos(0, top)``) above everything."""

    def __init__(self, width: float):
        super().__init__(QRectF(0, 0, width, HEADER_H))
        self.setBrush(QBrush(FROZEN_FILL))
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.setZValue(20)
        edge = QGraphicsPathItem(self)
        p = QPainterPath(QPointF(0, HEADER_H - 0.5))
        p.lineTo(QPointF(width, HEADER_H - 0.5))
        edge.setPath(p)
        edge.setPen(QPen(FROZEN_EDGE, 1))

    def mousePressEvent(self, ev):
        ev.accept()           # a click between headers must not reach the nodes scrolled beneath the band


class Header(QGraphicsRectItem):
    """A timestep header; click to toggle a breakpoint at that t."""

    def __init__(self, view, t, rect, parent=None):
        super().__init__(rect, parent)
        self.view, self.t = view, t
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.setBrush(QBrush(QColor(0, 0, 0, 0)))
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"t = {t + 1}. Click to set or clear a breakpoint: Continue (F5) and Play stop here.")
        self.text = text_item(f"t = {t + 1}", self, 12, theme.INK)
        center_text(self.text, rect.center().x(), rect.center().y())
        self.dot = QGraphicsPathItem(self)
        p = QPainterPath()
        p.addEllipse(QPointF(rect.center().x() - self.text.boundingRect().width() / 2 - 10, rect.center().y()), 5, 5)
        self.dot.setPath(p)
        self.dot.setBrush(QBrush(theme.BREAKPOINT))
        self.dot.setPen(QPen(Qt.PenStyle.NoPen))
        self.dot.setVisible(False)
        self.current = False
        self.hover = False

    def set_breakpoint(self, on):
        self.dot.setVisible(on)

    def set_current(self, on):
        self.current = on
        f = self.text.font()
        f.setBold(on)
        self.text.setFont(f)
        self.setBrush(QBrush(QColor(214, 158, 46, 60) if on else QColor(0, 0, 0, 0)))

    def hoverEnterEvent(self, ev):
        if not self.current:
            self.setBrush(QBrush(QColor(0, 0, 0, 18)))
        super().hoverEnterEvent(ev)

    def hoverLeaveEvent(self, ev):
        self.set_current(self.current)
        super().hoverLeaveEvent(ev)

    def mousePressEvent(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.view.session.toggle_breakpoint(self.t)


class RowGutter(QGraphicsItem):
    """The row labels (input, layer 1, …, output, loss) in a column GUTTER pixels wide at the view's left
    edge, at every zoom; the rows' labels follow the rows when the view scrolls up and down."""

    def __init__(self, view):
        super().__init__()
        self.view = view
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setZValue(30)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setToolTip("The rows: the input x(t) at the bottom, each recurrent layer's hidden state h(t) "
                        "(a bidirectional layer's reverse direction above its forward one), the output o(t) "
                        "and each step's loss L(t) at the top")
        self._height = 0.0
        self.rows: list = []          # (y in pixels from the view's top, text, colour)
        self.band_px = HEADER_H
        self.font = scene_font(12, bold=True)

    def sync(self, layout, top_scene: float, zoom: float, height: float):
        """Lay the labels out for the view's current scroll position and zoom."""
        if height != self._height:
            self.prepareGeometryChange()
            self._height = height
        self.band_px = HEADER_H * zoom
        self.rows = []
        if layout is not None:
            for row in layout.rows:
                text, kind = layout.row_label(row)
                color = theme.PHASE["forward"] if kind == "h" else theme.INK
                self.rows.append(((layout.row_y[row] - top_scene) * zoom, text, color))
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, GUTTER + 1, self._height)

    def paint(self, p: QPainter, option, widget=None):
        h = self._height
        p.fillRect(QRectF(0, 0, GUTTER, h), FROZEN_FILL)
        p.setPen(QPen(FROZEN_EDGE, 1))
        p.drawLine(QPointF(GUTTER + 0.5, 0), QPointF(GUTTER + 0.5, h))
        p.drawLine(QPointF(0, self.band_px - 0.5), QPointF(GUTTER, self.band_px - 0.5))
        p.save()
        p.setClipRect(QRectF(0, self.band_px, GUTTER, max(h - self.band_px, 0)))
        p.setFont(self.font)
        for y, text, color in self.rows:
            if -30 < y < h + 30:
                p.setPen(color)
                p.drawText(QRectF(4, y - 20, GUTTER - 8, 40), Qt.AlignmentFlag.AlignCenter, text)
        p.restore()

    def mousePressEvent(self, ev):
        ev.accept()           # the nodes scrolled beneath the gutter are out of sight: not clickable
