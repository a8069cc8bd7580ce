"""The unrolled network: one column per timestep — x(t) → cell → h(t) → o(t) → L(t) — with the
recurrent arrows h(t−1) → h(t) and the shared weights U, W, V labelled on every copy; stacked
layers as rows; a bidirectional layer's reverse direction as a row whose arrows point left.

Each node is a small grid of its units: the left half its value (blue–white–red), the right half
its gradient ∂L/∂· once backpropagation has reached it (green–white–purple). During BPTT a purple
arrow beside each forward arrow carries the gradient's size (width and opacity, log scale, so a
vanishing gradient visibly fades); red dashed marks are truncated BPTT's cuts.

Everything is built once per Tape; moving the cursor only toggles the few items whose state
changes (bisect over the precomputed "known at" indices), moves the highlight and scrolls.
"""
from __future__ import annotations

import bisect
import math
import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QGraphicsItem, QGraphicsPathItem, QGraphicsPixmapItem,
                               QGraphicsRectItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView, QHBoxLayout,
                               QLabel, QSizePolicy, QStackedWidget, QToolButton, QVBoxLayout, QWidget)

from .. import theme
from ..tapeindex import NEVER

PX = 124              # column pitch
PY = 104              # row pitch
NODE_W, NODE_H = 56, 44
HALF_W = NODE_W // 2
HEADER_H = 40
LEFT = 96             # room for the row labels before the initial-state column
OFFSET = 18           # bidirectional: horizontal shift of the two direction rows
LABEL_LOD = 0.55      # below this zoom, per-copy labels are hidden
CHUNK = 12            # timesteps built per slice of the event loop
BUILD_FIRST_S = 0.05  # a new Tape's first slice (what is in view at once) ...
BUILD_SLICE_S = 0.03  # ... then slices this long, so the window stays responsive


# ---- small graphics helpers ----------------------------------------------------------------------
def arrow_path(points, head=7.0) -> QPainterPath:
    """A polyline through ``points`` with an arrowhead at the last point."""
    path = QPainterPath(points[0])
    for p in points[1:]:
        path.lineTo(p)
    a, b = points[-2], points[-1]
    ang = math.atan2(b.y() - a.y(), b.x() - a.x())
    for side in (+1, -1):
        path.moveTo(b)
        path.lineTo(QPointF(b.x() - head * math.cos(ang + side * 0.42), b.y() - head * math.sin(ang + side * 0.42)))
    return path


def text_item(text, parent, size=9, color=theme.MUTED, italic=False, bold=False, serif=False) -> QGraphicsSimpleTextItem:
    item = QGraphicsSimpleTextItem(text, parent)
    f = theme.math_font(size, italic) if serif else theme.ui_font(size, bold)
    if bold:
        f.setBold(True)
    item.setFont(f)
    item.setBrush(QBrush(color))
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)   # glyphs rasterised once, then blitted
    return item


def center_text(item: QGraphicsSimpleTextItem, x, y):
    r = item.boundingRect()
    item.setPos(x - r.width() / 2, y - r.height() / 2)


# ---- items ------------------------------------------------------------------------------------------
class Node(QGraphicsPathItem):
    """A vector node: value grid (left) and gradient grid (right, once known). Drawn by Qt (C++):
    a rounded box (a circle for the scalar loss nodes) whose pen says known / not yet known."""

    KNOWN_PEN = QPen(QColor("#4a5568"), 1.2)
    UNKNOWN_PEN = QPen(theme.FAINT, 1.2, Qt.PenStyle.DashLine)

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
            self.v_item = _grid_item(self, value, vscale, False, vrect)
        if grad is not None:
            grect = QRectF(inner.center().x() + 1, inner.top(), inner.width() / 2 - 1, inner.height())
            self.g_item = _grid_item(self, grad, gscale, True, grect)
            self.divider = QGraphicsPathItem(self)
            dp = QPainterPath(QPointF(rect.center().x(), rect.top() + 3))
            dp.lineTo(QPointF(rect.center().x(), rect.bottom() - 3))
            self.divider.setPath(dp)
            self.divider.setPen(QPen(QColor("#e2e8f0"), 1))
            self.divider.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        if circle and value is not None:
            self.fill = theme.qcolor(float(np.ravel(value)[0]), vscale)
            self.v_text = text_item(theme.fmt(float(np.ravel(value)[0]), 2), self, 7, theme.text_on(self.fill))
            center_text(self.v_text, rect.center().x(), rect.center().y())
        else:
            self.fill = theme.PAPER
            self.v_text = None
        self.label = text_item(label, self, 9, theme.INK, serif=True)
        if circle:
            center_text(self.label, rect.center().x(), rect.top() - 9)
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
            self.label.setBrush(QBrush(theme.INK if v else theme.MUTED))
            self.setPen(self.KNOWN_PEN if v else self.UNKNOWN_PEN)
            self.setBrush(QBrush((self.fill if self.circle else theme.PAPER) if v else QColor("#f7fafc")))
        if g != self.shown_g:
            self.shown_g = g
            if self.g_item is not None:
                self.g_item.setVisible(g)

    def hoverEnterEvent(self, ev):
        parts = [self.base_tip]
        if self.shown_v and self.value is not None:
            v = np.asarray(self.value, dtype=np.float64)
            parts.append(f"{theme.shape_text(v)} value(s), ‖·‖ = {theme.fmt(np.linalg.norm(v))}"
                         + (f": {', '.join(theme.fmt(a) for a in v.ravel()[:6])}{' …' if v.size > 6 else ''}"))
        elif self.value is not None:
            parts.append("not computed yet")
        if self.shown_g and self.grad is not None:
            parts.append(f"gradient ‖∂L/∂·‖ = {theme.fmt(np.linalg.norm(self.grad))} (right half, green–purple)")
        parts.append("Click to inspect")
        self.setToolTip("\n".join(parts))
        super().hoverEnterEvent(ev)

    def mousePressEvent(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.view.nodeClicked.emit(self.key)
        else:
            super().mousePressEvent(ev)


def _grid_item(parent, values, scale, gradient, rect: QRectF) -> QGraphicsPixmapItem:
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

    IDLE = QPen(QColor("#a0aec0"), 1.4)
    ACTIVE = QPen(theme.ACCENT, 3.0)

    def __init__(self, view, key, points, label=None, label_at=None, tip="", grad_points=None,
                 flow=None, flow_max=1.0, cut=False, max_width=5.5):
        super().__init__(arrow_path(points))
        self.view, self.key, self.base_tip = view, key, tip
        self.setPen(self.IDLE)
        self.setZValue(1)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.label = None
        if label:
            self.label = text_item(label, self, 10, QColor("#4a5568"), italic=True, serif=True)
            center_text(self.label, label_at.x(), label_at.y())
        self.grad = None
        self.known_g = NEVER
        self.flow = None
        if grad_points is not None and flow is not None and flow[0] > 0 and np.isfinite(flow[0]):
            norm, known = flow
            self.flow, self.known_g = norm, known
            self.grad = QGraphicsPathItem(arrow_path(grad_points, head=6.0), self)
            strength = _strength(norm, flow_max)
            col = QColor(theme.PHASE["backward"])
            col.setAlpha(int(50 + 205 * strength))
            pen = QPen(col, 1.0 + (max_width - 1.0) * strength)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            self.grad.setPen(pen)
            self.grad.setVisible(False)
            self.grad.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.shown_g = False

    def shape(self):
        from PySide6.QtGui import QPainterPathStroker
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
            self.label.setBrush(QBrush(theme.ACCENT.darker(140) if on else QColor("#4a5568")))

    def set_param_highlight(self, on: bool):
        if self.label is not None:
            f = self.label.font()
            f.setBold(on)
            self.label.setFont(f)
            self.label.setBrush(QBrush(theme.PHASE["update"] if on else QColor("#4a5568")))

    def hoverEnterEvent(self, ev):
        tip = self.base_tip
        if self.flow is not None and self.shown_g:
            tip += f"\nGradient flowing back along it: ‖·‖ = {theme.fmt(self.flow)}"
        self.setToolTip(tip + "\nClick to inspect the weight")
        super().hoverEnterEvent(ev)

    def mousePressEvent(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.view.arrowClicked.emit(self.key)
        else:
            super().mousePressEvent(ev)


def _strength(norm, top):
    """0..1 on a log scale over 4 decades below the largest flow (so vanishing shows as fading)."""
    if not (norm > 0 and np.isfinite(norm)):
        return 0.0
    return float(np.clip(1.0 + math.log10(norm / top) / 4.0, 0.0, 1.0))


class Header(QGraphicsRectItem):
    """A timestep header; click to toggle a breakpoint at that t."""

    def __init__(self, view, t, rect):
        super().__init__(rect)
        self.view, self.t = view, t
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.setBrush(QBrush(QColor(0, 0, 0, 0)))
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"t = {t + 1}. Click to set or clear a breakpoint: Continue (F5) and Play stop here.")
        self.text = text_item(f"t = {t + 1}", self, 9, theme.INK, bold=False)
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


# ---- the view ------------------------------------------------------------------------------------
class Layout:
    """Where everything goes, from the spec and T alone."""

    def __init__(self, spec, T):
        self.spec, self.T = spec, T
        self.dirs = spec.directions
        self.rows = []                                   # (kind, layer, direction), top to bottom
        self.rows.append(("L", None, None))
        self.rows.append(("o", None, None))
        for layer in range(spec.num_layers - 1, -1, -1):
            for d in range(self.dirs - 1, -1, -1):
                self.rows.append(("h", layer, d))
        self.rows.append(("x", None, None))
        self.row_y = {r: HEADER_H + 44 + i * PY for i, r in enumerate(self.rows)}
        self.width = LEFT + (T + 2) * PX + 140
        self.height = HEADER_H + 44 + (len(self.rows) - 1) * PY + 56

    def col_x(self, t):
        """Column centre of original time t (t = −1: initial states of the forward rows; t = T:
        of the reverse rows)."""
        return LEFT + (t + 1) * PX + PX / 2

    def node_x(self, kind, layer, direction, t):
        x = self.col_x(t)
        if kind == "h" and self.dirs == 2:
            x += OFFSET if direction == 1 else -OFFSET
        return x

    def y(self, kind, layer=None, direction=None):
        return self.row_y[(kind, layer, direction)]


class UnrolledView(QGraphicsView):
    nodeClicked = Signal(object)
    arrowClicked = Signal(object)
    zoomChanged = Signal(float)
    built = Signal()                 # the scene of a new Tape is complete

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.graph = QGraphicsScene(self)          # parented: the view must not outlive it (STACK-FACTS)
        self.setScene(self.graph)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setBackgroundBrush(QBrush(theme.CANVAS))
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setToolTip("")
        self.follow = True
        self.layout_ = None
        self.nodes: dict = {}
        self.arrows: dict = {}
        self.headers: dict = {}
        self.param_arrows: dict = {}
        self._toggles = []
        self._toggle_keys = []
        self._cursor = -1
        self._active = []
        self._active_header = None
        self._param_active = []
        self.ring = None
        self.labels_visible = True
        self.building = False
        self._generation = 0
        self._jobs = []
        session.tapeChanged.connect(lambda _: self.rebuild())
        session.cursorChanged.connect(self.on_cursor)
        session.breakpointsChanged.connect(self.on_breakpoints)

    # ---- building ----------------------------------------------------------------------------------
    def rebuild(self):
        """Build the scene for a new Tape: the frame at once, the columns a few at a time.

        A long, deep sequence has thousands of items (T = 200 with two bidirectional layers: ~14 000,
        ~1 s to create); they are built in chunks of CHUNK timesteps from the event loop, so the window
        never freezes; the columns appear left to right. ``building`` is True until the last chunk.
        """
        s = self.session
        idx = s.index
        if idx is None:
            return
        self._generation += 1
        self.graph.clear()
        self.nodes.clear()
        self.arrows.clear()
        self._arrow_index_n = None                   # the arrows' lookup is rebuilt on first use
        self.headers.clear()
        self.param_arrows = {}
        self._toggles, self._toggle_keys = [], []
        self._active, self._param_active, self._active_header = [], [], None
        spec, T = idx.spec, idx.T
        L = self.layout_ = Layout(spec, T)
        self.graph.setSceneRect(QRectF(0, 0, L.width, L.height))
        self._build_headers(L, T)
        ring = QGraphicsPathItem()
        ring.setPen(QPen(theme.ACCENT, 3.5))
        ring.setZValue(5)
        ring.setVisible(False)
        ring.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.graph.addItem(ring)
        self.ring = ring
        self._cursor = s.cursor
        self.on_breakpoints(s.breakpoints)
        chunks = [list(range(a, min(a + CHUNK, T))) for a in range(0, T, CHUNK)]
        jobs = [lambda ts=ts, k=k: self._build_nodes(idx, L, ts, extras=(k == 0)) for k, ts in enumerate(chunks)]
        jobs += [lambda ts=ts: self._build_arrows(idx, L, ts) for ts in chunks]
        jobs.append(lambda: self._build_cuts(idx, L))
        self._jobs = jobs
        self.building = True
        self._build_more(self._generation, first=True)

    def _build_more(self, generation, first=False):
        if generation != self._generation:
            return                                   # a newer Tape arrived: this build is abandoned
        t0 = time.perf_counter()
        budget = BUILD_FIRST_S if first else BUILD_SLICE_S
        while self._jobs and time.perf_counter() - t0 < budget:
            before_n, before_a = len(self.nodes), len(self.arrows)
            self._jobs.pop(0)()
            for item in list(self.nodes.values())[before_n:] + list(self.arrows.values())[before_a:]:
                item.apply(self._cursor)
        labels = self.transform().m11() >= LABEL_LOD
        if not labels:
            self._set_labels_visible(False)
        if self._jobs:
            QTimer.singleShot(0, lambda g=generation: self._build_more(g))
            self._highlight(self.session.current, scroll=first)
            return
        toggles = []
        for item in list(self.nodes.values()) + list(self.arrows.values()):
            for k in {getattr(item, "known_v", NEVER), item.known_g}:
                if k < NEVER:
                    toggles.append((k, id(item), item))
        toggles.sort(key=lambda x: (x[0], x[1]))
        self._toggles = toggles
        self._toggle_keys = [k for k, _, _ in toggles]
        self.building = False
        self._set_labels_visible(labels)
        self.on_cursor(self.session.cursor, scroll=first)
        self.built.emit()

    def _node(self, key, kind, x, y, label, tip, **kw):
        if kind == "L":
            rect = QRectF(x - 17, y - 17, 34, 34)
            kw["circle"] = True
        elif kind == "x":
            rect = QRectF(x - 16, y - NODE_H / 2, 32, NODE_H)
            kw["halves"] = False
        else:
            rect = QRectF(x - HALF_W, y - NODE_H / 2, NODE_W, NODE_H)
        n = Node(self, key, rect, label, tip, **kw)
        self.graph.addItem(n)
        self.nodes[key] = n
        return n

    def _build_nodes(self, idx, L: Layout, ts, extras=False):
        """The nodes of timesteps ``ts``; with ``extras`` also the initial states and the total loss."""
        spec, T = idx.spec, idx.T
        sc = idx.scale
        outputs = set(idx.tape.output_times)
        for t in ts:
            x = L.col_x(t)
            self._node(("x", t), "x", x, L.y("x"), f"x({t + 1})", f"x({t + 1}): the input at step {t + 1}",
                       value=idx.x[t], vscale=sc["x"], known_v=-1)
        for layer in range(spec.num_layers):
            for d in range(L.dirs):
                y = L.y("h", layer, d)
                where = f"layer {layer + 1}" + (", reverse direction" if d else "")
                for t in ts:
                    key = ("h", layer, d, t)
                    name = idx.state_name("h", layer, d, t)
                    self._node(key, "h", L.node_x("h", layer, d, t), y, name,
                               f"{name}: hidden state of {where} at t = {t + 1}",
                               value=idx.value(key), vscale=sc["h"], grad=idx.value(("dh", layer, d, t)),
                               gscale=sc["dh"], known_v=idx.known_at(key), known_g=idx.known_at(("dh", layer, d, t)))
                if extras:
                    t0 = -1 if d == 0 else T
                    h0 = np.zeros(spec.hidden_size)
                    name0 = f"h{idx.tape.naming.tag(layer, d)}({t0 + 1})"
                    self._node(("h0", layer, d), "h", L.node_x("h", layer, d, t0), y, name0,
                               f"{name0}: the initial state (zeros) the first step reads", value=h0, vscale=sc["h"],
                               known_v=-1)
        for t in ts:
            if t not in outputs:
                continue
            key = ("o", t)
            val = idx.value(key)
            self._node(key, "o", L.col_x(t), L.y("o"), f"o({t + 1})",
                       f"o({t + 1}): the output" + (" (logits; softmax gives ŷ)" if spec.loss == "cross_entropy" else ""),
                       value=val, vscale=sc["o"], grad=idx.do.get(t), gscale=sc["do"], known_v=idx.known_at(key),
                       known_g=idx.do_known.get(t, NEVER))
            lk = ("L", t)
            self._node(lk, "L", L.col_x(t), L.y("L"), f"L({t + 1})", f"L({t + 1}): this step's share of the loss",
                       value=np.array([idx.value(lk) if idx.value(lk) is not None else 0.0]), vscale=sc["L"],
                       known_v=idx.known_at(lk))
        if extras:
            loss = idx.value(("loss",))
            self._node(("loss",), "L", L.col_x(T) + 10, L.y("L"), "L = Σ L(t)",
                       "The loss: the sum of every step's L(t)", value=np.array([loss if loss is not None else 0.0]),
                       vscale=max(sc["L"], abs(loss or 0)), known_v=idx.known_at(("loss",)))

    def _edge(self, key, side):
        """A point on a node's edge: 'top', 'bottom', 'left', 'right' (optionally offset x)."""
        n = self.nodes[key]
        r = n.rect()
        return {"top": QPointF(r.center().x(), r.top()), "bottom": QPointF(r.center().x(), r.bottom()),
                "left": QPointF(r.left(), r.center().y()), "right": QPointF(r.right(), r.center().y())}[side]

    def _arrow(self, key, points, label, label_at, tip, grad_points=None, flow=None, param=None, max_width=5.5):
        a = Arrow(self, key, points, label, label_at, tip, grad_points, flow, self.session.index.flow_max,
                  max_width=max_width)
        self.graph.addItem(a)
        self.arrows[key] = a
        if param is not None:
            self.param_arrows.setdefault(param, []).append(a)
        return a

    def _vertical(self, src_key, dst_key, lane_dx, src_dx, dst_dx):
        """Points from the top of src to the bottom of dst, through a vertical lane at x + lane_dx."""
        s = self._edge(src_key, "top")
        d = self._edge(dst_key, "bottom")
        s = QPointF(s.x() + src_dx, s.y())
        d = QPointF(d.x() + dst_dx, d.y())
        if abs(s.x() - d.x()) < 1:
            return [s, d]
        lane = s.x() + lane_dx
        return [s, QPointF(lane, s.y() - 10), QPointF(lane, d.y() + 12), d]

    def _build_arrows(self, idx, L: Layout, ts):
        spec, T = idx.spec, idx.T
        outputs = [t for t in ts if t in set(idx.tape.output_times)]
        bi = L.dirs == 2
        for layer in range(spec.num_layers):
            for d in range(L.dirs):
                Usym = idx.weight_symbol("U", layer, d)
                Wsym = idx.weight_symbol("W", layer, d)
                pU = f"rnn.weight_ih_l{layer}" + ("_reverse" if d else "")
                pW = f"rnn.weight_hh_l{layer}" + ("_reverse" if d else "")
                for t in ts:
                    dst = ("h", layer, d, t)
                    # recurrent arrow from the previous step (processing order)
                    prev_t = t - 1 if d == 0 else t + 1
                    src = ("h", layer, d, prev_t) if 0 <= prev_t < T else ("h0", layer, d)
                    side_out, side_in = ("right", "left") if d == 0 else ("left", "right")
                    a, b = self._edge(src, side_out), self._edge(dst, side_in)
                    gpts = [QPointF(b.x(), b.y() + 8), QPointF(a.x(), a.y() + 8)]
                    flow = idx.flow_w.get((layer, d, prev_t)) if 0 <= prev_t < T else None
                    self._arrow(("W", layer, d, t), [a, b], Wsym, QPointF((a.x() + b.x()) / 2, a.y() - 10),
                                f"{Wsym}: hidden → hidden, the same matrix at every step "
                                f"({idx.state_name('h', layer, d, prev_t) if src[0] == 'h' else 'initial state'} → "
                                f"{idx.state_name('h', layer, d, t)})",
                                gpts, flow, param=pW)
                    # input arrows: from x (layer 0) or from each direction of the layer below
                    sources = [("x", t)] if layer == 0 else [("h", layer - 1, sd, t) for sd in range(L.dirs)]
                    for src_key in sources:
                        lane_dx, src_dx, dst_dx = 0.0, 0.0, 0.0
                        if bi:
                            # lanes left of the forward nodes / right of the reverse nodes avoid crossing nodes
                            if src_key[0] == "x":
                                src_dx = -OFFSET + 6 if d == 0 else OFFSET + 6
                                dst_dx = 0 if d == 0 else 14
                                lane_dx = 0.0 if d == 0 else 24
                            else:
                                sd = src_key[2]
                                src_dx = -12 if sd == 0 else 12
                                dst_dx = -12 if d == 0 else 12
                                lane_dx = -22 if sd == 0 else 22
                                if sd == 0 and d == 1:
                                    lane_dx = -22
                        pts = self._vertical(src_key, dst, lane_dx, src_dx, dst_dx)
                        if bi and len(pts) == 4 and src_key[0] == "h" and src_key[2] == 0 and d == 1:
                            # forward-below -> reverse-above: pass left of the reverse node below, then right
                            mid_y = (pts[1].y() + pts[2].y()) / 2
                            right = self.nodes[dst].rect().center().x() + HALF_W + 6
                            pts = [pts[0], pts[1], QPointF(pts[1].x(), mid_y + 8), QPointF(right, mid_y - 8),
                                   QPointF(right, pts[2].y()), pts[3]]
                        last_a, last_b = pts[-2], pts[-1]
                        lab_at = QPointF(last_b.x() - 9 if len(pts) == 2 else last_a.x() + (9 if last_a.x() > self.nodes[dst].rect().center().x() else -9),
                                         (last_a.y() + last_b.y()) / 2 + (0 if len(pts) > 2 else 4))
                        gflow = idx.flow_up.get(src_key[1:]) if src_key[0] == "h" else None
                        gpts = [QPointF(p.x() + 7, p.y()) for p in reversed(pts)] if gflow else None
                        src_name = f"x({t + 1})" if src_key[0] == "x" else idx.state_name("h", src_key[1], src_key[2], t)
                        self._arrow(("U", layer, d, t) + tuple(src_key), pts, Usym, lab_at,
                                    f"{Usym}: input → hidden, the same matrix at every step ({src_name} → "
                                    f"{idx.state_name('h', layer, d, t)})", gpts, gflow, param=pU,
                                    max_width=3.0 if bi else 5.5)
        # head: top layer -> o(t) -> L(t)
        top = spec.num_layers - 1
        vsym = "V" if spec.output_size is not None else "(no head: o = h)"
        for t in outputs:
            o = ("o", t)
            for d in range(L.dirs):
                src = ("h", top, d, t)
                if bi:
                    src_dx = -12 if d == 0 else 12
                    pts = self._vertical(src, o, -22 if d == 0 else 0, src_dx, -12 if d == 0 else 12)
                    if d == 1:
                        pts = [pts[0], pts[-1]] if len(pts) == 2 else pts
                else:
                    pts = self._vertical(src, o, 0, 0, 0)
                gflow = idx.flow_up.get((top, d, t))
                gpts = [QPointF(p.x() + 7, p.y()) for p in reversed(pts)] if gflow else None
                a, b = pts[-2], pts[-1]
                note = ""
                if spec.output == "last" and d == 1:
                    note = ("\nNote: with many-to-one output the reverse direction contributes its state after its "
                            "FIRST step (it has only read x(T)) — PyTorch's out[:, -1, :].")
                self._arrow(("V", d, t), pts, vsym if spec.output_size is not None else None,
                            QPointF(b.x() - 9, (a.y() + b.y()) / 2 + 4),
                            f"{vsym}: hidden → output, the same matrix at every step{note}", gpts, gflow,
                            param="fc.weight" if spec.output_size is not None else None)
            lk = ("L", t)
            a, b = self._edge(o, "top"), self._edge(lk, "bottom")
            flow = None
            if t in idx.do:
                flow = (float(np.linalg.norm(idx.do[t])), idx.do_known[t])
            gpts = [QPointF(b.x() + 7, b.y()), QPointF(a.x() + 7, a.y())] if flow else None
            self._arrow(("loss", t), [a, b], None, None,
                        "Loss of this step: compares o(t) with the target", gpts, flow)

    def _build_headers(self, L: Layout, T):
        band = QGraphicsRectItem(QRectF(0, 0, L.width, HEADER_H))
        band.setBrush(QBrush(QColor("#edf2f7")))
        band.setPen(QPen(Qt.PenStyle.NoPen))
        band.setZValue(-2)
        self.graph.addItem(band)
        for t in range(T):
            x = L.col_x(t)
            h = Header(self, t, QRectF(x - PX / 2 + 2, 4, PX - 4, HEADER_H - 8))
            self.graph.addItem(h)
            self.headers[t] = h
        # faint column guides
        for t in range(T + 1):
            x = L.col_x(t) - PX / 2
            line = self.graph.addLine(x, HEADER_H, x, L.height, QPen(QColor("#e2e8f0"), 1))
            line.setZValue(-1)

    def _build_cuts(self, idx, L: Layout):
        """Truncated BPTT: a red dashed mark across each cut recurrent arrow."""
        for layer, d, t, _ in idx.cuts:
            # the flow from step t into its previous step (processing order) is cut
            prev_t = t - 1 if d == 0 else t + 1
            if not (0 <= prev_t < idx.T):
                continue
            x = (L.node_x("h", layer, d, t) + L.node_x("h", layer, d, prev_t)) / 2
            y = L.y("h", layer, d)
            pen = QPen(theme.CUT, 2.2, Qt.PenStyle.DashLine)
            line = self.graph.addLine(x, y - 30, x, y + 30, pen)
            line.setZValue(4)
            line.setToolTip(f"Truncated BPTT (window {idx.tape.truncate}): the gradient stops here and does not "
                            f"flow from t = {t + 1} back to t = {prev_t + 1}. The forward pass still carries h across.")
            lab = text_item("✂ cut", None, 8, theme.CUT, bold=True)
            self.graph.addItem(lab)
            center_text(lab, x, y - 38)
            lab.setZValue(4)

    # ---- cursor ------------------------------------------------------------------------------------
    def on_cursor(self, cursor: int, scroll: bool = True):
        if self.layout_ is None or self.session.tape is None:
            return
        old = self._cursor
        if self.building:                             # no index yet: every item built so far
            for item in list(self.nodes.values()) + list(self.arrows.values()):
                item.apply(cursor)
        else:
            lo, hi = (old, cursor) if old < cursor else (cursor, old)
            i = bisect.bisect_right(self._toggle_keys, lo)
            j = bisect.bisect_right(self._toggle_keys, hi)
            for _, _, item in self._toggles[i:j]:
                item.apply(cursor)
        self._cursor = cursor
        self._highlight(self.session.current, scroll)

    def _arrow_index(self) -> dict:
        """("h", l, d, t) -> the W and U arrows into that cell; ("o", t) -> the V arrows and the loss arrow
        at t (in the arrows' order). Arrows are only ever added or all cleared: rebuilt when the count changes."""
        if getattr(self, "_arrow_index_n", None) != len(self.arrows) or self._arrow_index_of is not self.arrows:
            index: dict = {}
            for key, a in self.arrows.items():
                k0 = key[0]
                if (k0 == "W" and len(key) == 4) or (k0 == "U" and len(key) >= 4):
                    index.setdefault(("h",) + tuple(key[1:4]), []).append(a)
                elif (k0 == "V" and len(key) >= 3) or (k0 == "loss" and len(key) == 2):
                    index.setdefault(("o", key[2] if k0 == "V" else key[1]), []).append(a)
            self._arrow_index_cache, self._arrow_index_n, self._arrow_index_of = index, len(self.arrows), self.arrows
        return self._arrow_index_cache

    def _highlight(self, event, scroll):
        for a in self._active:
            a.set_active(False)
        self._active = []
        for a in self._param_active:
            a.set_param_highlight(False)
        self._param_active = []
        if self._active_header is not None:
            self._active_header.set_current(False)
            self._active_header = None
        focus = []
        if event is not None:
            k, l, d, t = event.kind, event.layer, event.direction, event.t
            if k in ("forward", "backward", "truncate"):
                focus = [("h", l, d, t)]
                self._active = list(self._arrow_index().get(("h", l, d, t), ()))
            elif k == "output":
                focus = [("o", t), ("L", t)]
                self._active = list(self._arrow_index().get(("o", t), ()))
            elif k in ("loss", "clip", "weight_decay"):
                focus = [("loss",)]
            elif k == "update" and event.param:
                self._param_active = list(self.param_arrows.get(event.param, []))
                for a in self._param_active:
                    a.set_param_highlight(True)
            for a in self._active:
                a.set_active(True)
            if t is not None and t in self.headers:
                self._active_header = self.headers[t]
                self._active_header.set_current(True)
        focus = [self.nodes[f] for f in focus if f in self.nodes]
        if focus:
            path = QPainterPath()
            rect = QRectF()
            for n in focus:
                r = n.rect().adjusted(-5, -5, 5, 5)
                if n.circle:
                    path.addEllipse(r)
                else:
                    path.addRoundedRect(r, 8, 8)
                rect = rect.united(r)
            self.ring.setPath(path)
            self.ring.setVisible(True)
            if scroll and self.follow:
                self._reveal(rect)
        else:
            self.ring.setVisible(False)

    def _reveal(self, rect: QRectF):
        """Keep the current node in the middle 70 % of the view (horizontally). When it leaves that band,
        scroll so that it sits a quarter in from the side it left by: the steps that follow in the same
        direction have most of the view ahead of them (a scroll repaints the whole view and its scroll bar)."""
        view = self.mapToScene(self.viewport().rect()).boundingRect()
        inner = view.adjusted(view.width() * 0.15, 0, -view.width() * 0.15, 0)
        x = rect.center().x()
        if x > inner.right():
            self.centerOn(x + view.width() * 0.25, view.center().y())
        elif x < inner.left():
            self.centerOn(x - view.width() * 0.25, view.center().y())
        if not (view.top() <= rect.top() and rect.bottom() <= view.bottom()):
            self.ensureVisible(rect, 0, 40)

    def on_breakpoints(self, bps):
        for t, h in self.headers.items():
            h.set_breakpoint(t in bps)

    # ---- zoom and pan --------------------------------------------------------------------------------
    def wheelEvent(self, ev):
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = 1.15 if ev.angleDelta().y() > 0 else 1 / 1.15
            self.zoom(factor)
            ev.accept()
            return
        if not ev.modifiers() & Qt.KeyboardModifier.ShiftModifier and self.verticalScrollBar().maximum() == 0:
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - ev.angleDelta().y())
            ev.accept()
            return
        super().wheelEvent(ev)

    def zoom(self, factor):
        m = self.transform().m11()
        new = max(0.15, min(3.0, m * factor))
        self.scale(new / m, new / m)
        self._set_labels_visible(new >= LABEL_LOD)
        self.zoomChanged.emit(new)

    def zoom_reset(self):
        self.resetTransform()
        self._set_labels_visible(True)
        self.zoomChanged.emit(1.0)
        if self.ring is not None and self.ring.isVisible():
            self.centerOn(self.ring.boundingRect().center())

    def fit_all(self):
        if self.layout_ is None:
            return
        self.fitInView(self.graph.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        m = self.transform().m11()
        if m > 1.0:
            self.resetTransform()
            m = 1.0
        self._set_labels_visible(m >= LABEL_LOD)
        self.zoomChanged.emit(m)

    def _set_labels_visible(self, on):
        if on == self.labels_visible and self.nodes:
            pass
        self.labels_visible = on
        for n in self.nodes.values():
            n.label.setVisible(on)
        for a in self.arrows.values():
            if a.label is not None:
                a.label.setVisible(on)

    def center_on_column(self, t):
        if self.layout_ is None:
            return
        x = self.layout_.col_x(t)
        c = self.mapToScene(self.viewport().rect().center())
        self.centerOn(x, c.y())

    # ---- row labels stay on screen: a frozen gutter at the left edge -------------------------------------
    GUTTER = 84

    def drawForeground(self, painter: QPainter, rect: QRectF):
        L = self.layout_
        if L is None:
            return
        if self.mapFromScene(rect).boundingRect().left() > self.GUTTER + 2:
            return                    # the exposed area lies right of the gutter: nothing of it to repaint
        painter.save()
        painter.resetTransform()
        vp = self.viewport().rect()
        painter.fillRect(QRectF(0, 0, self.GUTTER, vp.height()), QColor("#edf2f7"))
        painter.setPen(QPen(QColor("#cbd5e0"), 1))
        painter.drawLine(QPointF(self.GUTTER, 0), QPointF(self.GUTTER, vp.height()))
        painter.setFont(theme.ui_font(9, bold=True))
        for row in L.rows:
            kind, layer, d = row
            y = self.mapFromScene(QPointF(0, L.row_y[row])).y()
            if kind == "x":
                text, color = "input\nx(t)", theme.INK
            elif kind == "o":
                text, color = "output\no(t)", theme.INK
            elif kind == "L":
                text, color = "loss\nL(t)", theme.INK
            else:
                text = f"layer {layer + 1}" + ("\n← reverse" if d == 1 else ("\n→ forward" if L.dirs == 2 else "\nh(t)"))
                color = theme.PHASE["forward"]
            painter.setPen(color)
            painter.drawText(QRectF(4, y - 20, self.GUTTER - 8, 40), Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def scrollContentsBy(self, dx, dy):
        super().scrollContentsBy(dx, dy)
        if dx != 0 or dy != 0:
            self.viewport().update(0, 0, self.GUTTER + 2, self.viewport().height())


# ---- the panel around the view: toolbar, folded toggle, legend, minimap ----------------------------


class Minimap(QWidget):
    """The whole sequence at a glance: one pixel column per timestep, one band per row; blue–red
    for values known so far, purple for gradients known so far; the box is what the view shows."""

    def __init__(self, view: UnrolledView, parent=None):
        super().__init__(parent)
        self.view = view
        self.setMinimumHeight(34)
        self.setMaximumHeight(44)
        self.setMinimumWidth(120)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Overview of the whole sequence: click or drag to scroll the graph there.\n"
                        "Colours: node values known so far (blue–red), gradients (purple) once BPTT reached them.")
        self.val = self.grad = None
        self.kv = self.kg = None
        self._img = None
        self._cursor = None
        view.session.tapeChanged.connect(lambda _: self.rebuild())
        view.session.cursorChanged.connect(lambda _: self.refresh())
        view.horizontalScrollBar().valueChanged.connect(lambda _: self.update())
        view.zoomChanged.connect(lambda _: self.update())

    def rebuild(self):
        idx = self.view.session.index
        L = self.view.layout_
        if idx is None or L is None:
            return
        rows, T = L.rows, idx.T
        R = len(rows)
        val = np.zeros((R, T))
        gnorm = np.zeros((R, T))
        kv = np.full((R, T), NEVER, dtype=np.int64)
        kg = np.full((R, T), NEVER, dtype=np.int64)
        for r, (kind, layer, d) in enumerate(rows):
            for t in range(T):
                if kind == "x":
                    val[r, t], kv[r, t] = float(np.mean(idx.x[t])), -1
                elif kind == "h":
                    key = ("h", layer, d, t)
                    v = idx.value(key)
                    if v is not None:
                        val[r, t], kv[r, t] = float(np.mean(v)), idx.known_at(key)
                    g = idx.value(("dh", layer, d, t))
                    if g is not None:
                        gnorm[r, t], kg[r, t] = float(np.linalg.norm(g)), idx.known_at(("dh", layer, d, t))
                elif kind in ("o", "L"):
                    v = idx.value((kind, t))
                    if v is not None:
                        val[r, t], kv[r, t] = float(np.mean(v)), idx.known_at((kind, t))
        self.val_rgb = np.zeros((R, T, 3), dtype=np.uint8)
        for r in range(R):
            m = np.max(np.abs(val[r])) or 1.0
            self.val_rgb[r] = theme.colours(val[r], m)
        top = gnorm.max() or 1.0
        strength = np.clip(1 + np.log10(np.maximum(gnorm, 1e-300) / top) / 4, 0, 1)
        purple = np.array([theme.PHASE["backward"].red(), theme.PHASE["backward"].green(),
                           theme.PHASE["backward"].blue()], dtype=np.float64)
        self.grad_rgb = (255 - (255 - purple)[None, None, :] * strength[..., None]).astype(np.uint8)
        self.kv, self.kg = kv, kg
        self._cursor = None
        self.refresh()

    def refresh(self):
        if self.kv is None:
            return
        c = self.view.session.cursor
        if c == self._cursor:
            return
        self._cursor = c
        rgb = np.empty(self.val_rgb.shape, dtype=np.uint8)
        rgb[...] = theme.UNKNOWN_RGB
        kv, kg = self.kv <= c, self.kg <= c
        rgb[kv] = self.val_rgb[kv]
        rgb[kg] = self.grad_rgb[kg]
        self._img = theme.rgb_image(rgb)
        self.update()

    def _scene_to_x(self, sx):
        L = self.view.layout_
        return sx / L.width * self.width()

    def paintEvent(self, _):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#edf2f7"))
        if self._img is None or self.view.layout_ is None:
            return
        L = self.view.layout_
        left = self._scene_to_x(L.col_x(0) - PX / 2)
        right = self._scene_to_x(L.col_x(self.view.session.index.T - 1) + PX / 2)
        target = QRectF(left, 3, right - left, self.height() - 6)
        p.drawImage(target, self._img)
        vis = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        box = QRectF(self._scene_to_x(vis.left()), 1, self._scene_to_x(vis.right()) - self._scene_to_x(vis.left()),
                     self.height() - 2)
        p.setPen(QPen(theme.INK, 1.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(box)
        e = self.view.session.current
        if e is not None and e.t is not None:
            x = self._scene_to_x(L.col_x(e.t))
            p.setPen(QPen(theme.ACCENT, 2))
            p.drawLine(QPointF(x, 0), QPointF(x, self.height()))

    def _jump(self, x):
        L = self.view.layout_
        if L is None:
            return
        sx = x / max(self.width(), 1) * L.width
        c = self.view.mapToScene(self.view.viewport().rect().center())
        self.view.centerOn(sx, c.y())
        self.update()

    def mousePressEvent(self, ev):
        self._jump(ev.position().x())

    def mouseMoveEvent(self, ev):
        if ev.buttons() & Qt.MouseButton.LeftButton:
            self._jump(ev.position().x())


class Legend(QWidget):
    """The two colour maps with the current scales."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.v_lo, self.v_bar, self.v_hi = QLabel(), QLabel(), QLabel()
        self.g_lo, self.g_bar, self.g_hi = QLabel(), QLabel(), QLabel()
        self.v_bar.setPixmap(theme.legend_pixmap(72, 10, False))
        self.g_bar.setPixmap(theme.legend_pixmap(72, 10, True))
        t1, t2 = QLabel("value"), QLabel("gradient")
        for w in (t1, t2):
            w.setObjectName("hint")
        for w in (t1, self.v_lo, self.v_bar, self.v_hi):
            lay.addWidget(w)
        lay.addSpacing(8)
        for w in (t2, self.g_lo, self.g_bar, self.g_hi):
            lay.addWidget(w)
        lay.addSpacing(6)
        self.setMinimumWidth(self.sizeHint().width())
        self.setToolTip("Node colours. Left half of a node: its value (blue negative, white 0, red positive).\n"
                        "Right half: its gradient ∂L/∂· once BPTT has reached it (green negative, purple positive).\n"
                        "Scales are the largest magnitudes on this Tape, so colours compare across timesteps.")
        session.tapeChanged.connect(lambda _: self.refresh())

    def refresh(self):
        idx = self.session.index
        if idx is None:
            return
        v, g = idx.scale["h"], idx.scale["dh"]
        self.v_lo.setText(theme.fmt(-v, 2))
        self.v_hi.setText(theme.fmt(v, 2))
        self.g_lo.setText(theme.fmt(-g, 2))
        self.g_hi.setText(theme.fmt(g, 2))


class GraphPanel(QWidget):
    """Central widget: the unrolled graph (or the folded cycle), its toolbar, legend and minimap."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        from .folded import FoldedView
        self.session = session
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        self.unrolled_btn = QToolButton()
        self.unrolled_btn.setText("Unrolled in time")
        self.folded_btn = QToolButton()
        self.folded_btn.setText("Folded (the cycle)")
        for b in (self.unrolled_btn, self.folded_btn):
            b.setCheckable(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.unrolled_btn.setToolTip("The network unrolled: one copy of the cell per timestep, sharing U, W, V (Ctrl+1)")
        self.folded_btn.setToolTip("The same network folded: one cell with a loop W feeding h back one step "
                                   "later (LESSONS 000) (Ctrl+2)")
        self.unrolled_btn.setChecked(True)
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.unrolled_btn, 0)
        group.addButton(self.folded_btn, 1)
        group.idClicked.connect(self.show_page)
        bar.addWidget(self.unrolled_btn)
        bar.addWidget(self.folded_btn)
        bar.addSpacing(16)
        self.view = UnrolledView(session, self)
        self.folded = FoldedView(session, self)
        self.zoom_out_btn = self._tool("−", "Zoom out (Ctrl+−, or Ctrl+wheel)", lambda: self.view.zoom(1 / 1.25))
        self.zoom_in_btn = self._tool("+", "Zoom in (Ctrl++, or Ctrl+wheel)", lambda: self.view.zoom(1.25))
        self.zoom_reset_btn = self._tool("1:1", "Actual size (Ctrl+0)", self.view.zoom_reset)
        self.fit_btn = self._tool("Fit", "Fit the whole sequence into the window (Ctrl+9)", self.view.fit_all)
        for b in (self.zoom_out_btn, self.zoom_in_btn, self.zoom_reset_btn, self.fit_btn):
            bar.addWidget(b)
        self.zoom_label = QLabel("100%")
        self.zoom_label.setObjectName("hint")
        self.zoom_label.setMinimumWidth(44)
        bar.addWidget(self.zoom_label)
        self.follow = QCheckBox("Follow the cursor")
        self.follow.setChecked(True)
        self.follow.setToolTip("Scroll the graph so the current event stays in view while you step or play")
        self.follow.toggled.connect(lambda on: setattr(self.view, "follow", on))
        bar.addWidget(self.follow)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.folded)
        lay.addWidget(self.stack, 1)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(6, 0, 6, 2)
        self.legend = Legend(session, self)
        bottom.addWidget(self.legend)
        self.minimap = Minimap(self.view, self)
        bottom.addWidget(self.minimap, 1)
        self.legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        bottom.addStretch(0)
        lay.addLayout(bottom)
        self.view.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))

    def _tool(self, text, tip, slot):
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        b.setMinimumWidth(34 if len(text) < 3 else 56)
        return b

    def show_page(self, i):
        self.stack.setCurrentIndex(i)
        (self.unrolled_btn if i == 0 else self.folded_btn).setChecked(True)
        self.minimap.setVisible(i == 0)
        for b in (self.zoom_out_btn, self.zoom_in_btn, self.zoom_reset_btn, self.fit_btn, self.follow):
            b.setEnabled(i == 0)
