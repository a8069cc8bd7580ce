"""The cell's insides, drawn like the familiar diagrams, for the current event's layer and t.

LSTM: the cell-state line along the top (c(t−1) → × f → + i ⊙ g → c(t)), the forget, input,
candidate and output gates below it, h(t) leaving on the right. GRU: the state line h(t−1) → × z →
+ (1 − z) ⊙ n → h(t), with the reset gate feeding the candidate. Elman / linear: one path through
U·x + W·h + b and the squashing function (or none).

Every gate shows one bar per hidden unit — its fill level for the (0, 1) gates, a signed bar for
tanh values and states — and the flows' opacity follows the gates' mean opening. The bars glide to
their new values when the cursor moves (a QVariantAnimation drives the interpolation). During
BPTT the same diagram shows the gradients (green–purple) at the same places, flowing right to left.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QEasingCurve, QPointF, QRectF, Qt, QVariantAnimation
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsPathItem, QGraphicsScene, QGraphicsView, QLabel,
                               QVBoxLayout, QWidget)

from .. import theme
from ..livetext import LiveText
from .unrolled import arrow_path, center_text, text_item

STRIP_W, STRIP_H = 120, 34
GLIDE_MS = 260        # how long the bars glide to their new values
W_SCENE = 1000


class UnitStrip(QGraphicsItem):
    """One bar per unit, animated between its old and new values."""

    def __init__(self, name: str, caption: str, mode: str, rect: QRectF, tip: str, parent=None):
        super().__init__(parent)
        self.name, self.caption, self.mode, self._rect, self.base_tip = name, caption, mode, rect, tip
        self.old = self.new = None
        self.progress = 1.0
        self.gradient = False
        self.scale = 1.0
        self.setAcceptHoverEvents(True)
        self.setZValue(3)
        self._bars, self._bars_key = [], None
        self.cap = text_item(caption, self, 11, theme.INK)
        self._place_caption()

    def _place_caption(self):
        center_text(self.cap, self._rect.center().x(), self._rect.bottom() + 10)

    def boundingRect(self):
        return self._rect.adjusted(-2, -2, 2, 2)

    def set_values(self, values, gradient=False, scale=None, caption=None):
        """Start gliding from what is shown now to ``values`` (None: no value known)."""
        shown = self.current()
        self.old = shown
        self.new = None if values is None else np.asarray(values, dtype=np.float64).ravel()
        self.gradient = gradient
        if self.new is not None and self.new.size:
            m = float(np.nanmax(np.abs(self.new))) if np.any(np.isfinite(self.new)) else 1.0
            self.scale = scale if scale else (m if m > 0 else 1.0)
        if caption is not None and caption != self.cap.text():   # unchanged: no re-layout, no repaint
            self.cap.setText(caption)
            self._place_caption()
        self.progress = 0.0 if (self.old is not None and self.new is not None
                                and self.old.shape == self.new.shape) else 1.0
        if self.progress >= 1.0:
            self.update()            # gliding strips are repainted by the animation's frames

    def current(self):
        if self.new is None:
            return None
        if self.old is None or self.progress >= 1.0 or self.old.shape != self.new.shape:
            return self.new
        return self.old + (self.new - self.old) * self.progress

    def paint(self, p: QPainter, option, widget=None):
        r = self._rect
        # everything here is axis-aligned (frame, bars image, zero line): antialiasing only costs time (the
        # scaled, antialiased pixmap is the slow path of the raster engine); the view restores the state
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(_FRAME_PEN)
        p.setBrush(_WHITE)
        p.drawRect(r)
        v = self.current()
        if v is None or v.size == 0:
            p.setPen(theme.FAINT)
            p.setFont(theme.ui_font(9))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, "not computed yet")
            return
        level = self.mode == "level" and not self.gradient
        key = (id(self.new), id(self.old), self.progress, self.gradient, self.scale)
        if key != self._bars_key:
            self._bars = bar_rects(v, self.scale, level, self.gradient,
                                   theme.GATE.get(self.name, theme.GATE["h"]), r.adjusted(1, 1, -1, -1))
            self._bars_key = key
        for rect, colour in self._bars:
            p.fillRect(rect, colour)
        if not level:
            p.setPen(_AXIS_PEN)
            p.drawLine(QPointF(r.left() + 1, r.center().y()), QPointF(r.right() - 1, r.center().y()))

    def hoverEnterEvent(self, ev):
        v = self.new
        if v is None:
            self.setToolTip(self.base_tip + "\nnot computed yet")
        else:
            kind = "gradient" if self.gradient else "value"
            vals = ", ".join(theme.fmt(a) for a in v[:12]) + (" …" if v.size > 12 else "")
            self.setToolTip(f"{self.base_tip}\n{kind} per hidden unit ({v.size}): {vals}\n"
                            f"mean {theme.fmt(v.mean())}, ‖·‖ = {theme.fmt(np.linalg.norm(v))}")
        super().hoverEnterEvent(ev)


_FRAME_PEN = QPen(QColor("#cbd5e0"), 1)      # built once: UnitStrip.paint runs for every strip on every step
_AXIS_PEN = QPen(QColor("#e2e8f0"), 1)
_WHITE = QBrush(QColor("#ffffff"))


def bar_rects(v, scale, level, gradient, gate: QColor, area: QRectF) -> list:
    """[(QRectF, QColor)]: one bar per unit across ``area`` (¾ bar, ¼ gap). ``level``: (0, 1) values fill
    up from the bottom in the gate's colour; else signed bars from the middle line, coloured by value.
    Drawn as rectangles (not an image scaled into the strip): measured 3× cheaper per step."""
    v = np.where(np.isfinite(v), v, 0.0)
    n = v.size
    unit = area.width() / n
    left = area.left() + unit * np.arange(n)
    h, top0 = area.height(), area.top()
    if level:
        heights = np.rint(np.clip(v, 0.0, 1.0) * h)
        tops = top0 + h - heights
        colours = [gate] * n
    else:
        mid = h / 2
        frac = np.clip(v / (scale or 1.0), -1.0, 1.0)
        tops = top0 + np.floor(np.minimum(mid - frac * mid, mid))
        heights = np.maximum(np.ceil(np.abs(frac) * mid), 1.0)
        colours = [QColor(r, g, b) for r, g, b in theme.colours(v, scale or 1.0, gradient).tolist()]
    width = max(unit * 0.75, 1.0)
    return [(QRectF(x, y, width, hh), c) for x, y, hh, c in zip(left.tolist(), tops.tolist(), heights.tolist(), colours)
            if hh > 0]


class Flow(QGraphicsPathItem):
    """A line of the diagram whose opacity follows a gate's mean (animated)."""

    def __init__(self, points, color=QColor("#4a5568"), width=2.4, head=True):
        super().__init__(arrow_path(points, 7.0) if head else _poly(points))
        self.color = QColor(color)
        self.width = width
        self.old = self.new = 1.0
        self.progress = 1.0
        self.backward = False
        self.setZValue(1)
        self._apply()

    def set_strength(self, s, backward=False):
        self.old = self.current()
        self.new = float(np.clip(s, 0.0, 1.0)) if s is not None and np.isfinite(s) else 0.15
        self.backward = backward
        self.progress = 0.0
        self._apply()

    def current(self):
        return self.old + (self.new - self.old) * self.progress

    def _apply(self):
        s = self.current()
        key = (self.backward, round(s, 3))
        if key == getattr(self, "_pen_key", None):
            return                                   # unchanged: no repaint
        self._pen_key = key
        c = QColor(theme.PHASE["backward"]) if self.backward else QColor(self.color)
        c.setAlpha(int(40 + 215 * s))
        pen = QPen(c, self.width * (0.6 + 0.8 * s))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        self.setPen(pen)


def _poly(points):
    path = QPainterPath(points[0])
    for pt in points[1:]:
        path.lineTo(pt)
    return path


def _op(scene, x, y, text, r=13, color=QColor("#2d3748")):
    """A pointwise operation: a circle with ×, +, 1−."""
    item = scene.addEllipse(QRectF(x - r, y - r, 2 * r, 2 * r), QPen(color, 1.6), QBrush(QColor("#fffbea")))
    item.setZValue(4)
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    t = text_item(text, item, 13 if len(text) == 1 else 10, color, bold=True)
    center_text(t, x, y - 0.5)
    return item


def _box(scene, x, y, text, color, w=56, h=30):
    """A layer box (σ, tanh) in the gate's colour."""
    light = QColor(color)
    light.setAlpha(50)
    item = scene.addRect(QRectF(x - w / 2, y - h / 2, w, h), QPen(color, 1.8), QBrush(light))
    item.setZValue(4)
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    t = text_item(text, item, 12, theme.INK, bold=True)
    center_text(t, x, y)
    return item


def P(x, y):
    return QPointF(x, y)


class CellScene(QGraphicsScene):
    """The diagram for one cell kind; ``slots`` are the strips, ``flows`` the gate-driven lines."""

    def __init__(self, cell: str, parent):
        super().__init__(parent)
        self.cell = cell
        self.slots: dict[str, UnitStrip] = {}
        self.flows: dict[str, list] = {}
        self.lines: list = []
        # ~60 items whose pens (and so bounding rects) change on every step: a BSP index would be re-built
        # for them each time; a linear search over so few items is cheaper
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setBackgroundBrush(QBrush(theme.CANVAS))
        body = self.addRect(QRectF(40, 24, 850, 306), QPen(QColor("#a0aec0"), 1.5), QBrush(QColor("#ffffff")))
        body.setZValue(0)
        if cell == "lstm":
            self._lstm()
        elif cell == "gru":
            self._gru()
        else:
            self._elman()
        self.setSceneRect(QRectF(-6, -4, W_SCENE + 26, 384))

    def strip(self, key, caption, mode, x, y, tip, w=STRIP_W, h=STRIP_H):
        s = UnitStrip(key, caption, mode, QRectF(x - w / 2, y - h / 2, w, h), tip)
        self.addItem(s)
        self.slots[key] = s
        return s

    def flow(self, key, points, color=QColor("#4a5568"), width=2.4, head=True):
        f = Flow(points, color, width, head)
        self.addItem(f)
        self.flows.setdefault(key, []).append(f)
        return f

    def label(self, text, x, y, size=11, color=theme.INK, serif=True):
        t = text_item(text, None, size, color, italic=serif, serif=serif)
        self.addItem(t)
        center_text(t, x, y)
        t.setZValue(5)
        return t

    # ---- LSTM ----------------------------------------------------------------------------------
    def _lstm(self):
        G = theme.GATE
        top, bus, gy = 80, 300, 215
        xf, xi, xg, xo, xt = 240, 395, 555, 715, 830
        # the cell-state line along the top
        self.flow("c_in", [P(0, top), P(xf - 13, top)], G["c"], 3.2, head=False)
        self.flow("c_kept", [P(xf + 13, top), P(xg - 13, top)], G["c"], 3.2, head=False)
        self.flow("c_out", [P(xg + 13, top), P(W_SCENE, top)], G["c"], 3.2)
        _op(self, xf, top, "×")
        _op(self, xg, top, "+")
        # the input bus [h(t−1), x(t)] along the bottom
        self.flow("bus", [P(0, bus), P(xo + 30, bus)], QColor("#4a5568"), 2.2, head=False)
        self.flow("x_in", [P(150, 372), P(150, bus + 3)], QColor("#4a5568"), 2.2)
        for x, g, fn in ((xf, "f", "σ"), (xi, "i", "σ"), (xg, "g", "tanh"), (xo, "o", "σ")):
            self.flow(f"{g}_up", [P(x, bus), P(x, gy + 17)], G[g], 2.0)
            _box(self, x, gy, fn, G[g])
            self.label(g, x - 42, gy, 14, G[g])
        self.flow("f", [P(xf, gy - 15), P(xf, top + 13)], G["f"], 2.4)
        xm = (xi + xg) / 2
        _op(self, xm, 145, "×")
        self.flow("i", [P(xi, gy - 15), P(xi, 145), P(xm - 13, 145)], G["i"], 2.4)
        self.flow("g", [P(xg, gy - 15), P(xg, 145), P(xm + 13, 145)], G["g"], 2.4)
        self.flow("ig", [P(xm, 132), P(xg - 9, top + 9)], G["i"], 2.4)
        # h(t) = o ⊙ tanh(c(t))
        self.flow("c_tanh", [P(xt, top), P(xt, 140)], G["c"], 2.0)
        _box(self, xt, 155, "tanh", G["c"], 50, 28)
        self.flow("tanh_c", [P(xt, 169), P(xt, 245 - 13)], G["c"], 2.0)
        _op(self, xt, 245, "×")
        self.flow("o", [P(xo, gy - 15), P(xo, 245), P(xt - 13, 245)], G["o"], 2.4)
        self.flow("h_out", [P(xt + 13, 245), P(W_SCENE, 245)], QColor("#2b6cb0"), 3.0)
        self.strip("c_prev", "c(t−1)", "signed", 90, top - 42, "the cell state arriving from the previous step")
        self.strip("c", "c(t)", "signed", 930, top - 42, "the new cell state c(t) = f ⊙ c(t−1) + i ⊙ g")
        self.strip("h_prev", "h(t−1)", "signed", 80, bus + 40, "the hidden state arriving from the previous step")
        self.strip("x", "x(t)", "signed", 240, bus + 48, "this step's input (the layer below's h for stacked layers)")
        self.strip("h", "h(t)", "signed", 930, 288, "the new hidden state h(t) = o ⊙ tanh(c(t)), to the next step and up")
        for x, g in ((xf, "f"), (xi, "i"), (xg, "g"), (xo, "o")):
            self.strip(g, g, "signed" if g == "g" else "level", x + (10 if g == "o" else 0), 264, theme.GATE_WORDS[g])

    # ---- GRU -----------------------------------------------------------------------------------
    def _gru(self):
        G = theme.GATE
        top, bus, gy = 80, 300, 215
        xr, xh, xn, xz, xmix = 215, 345, 495, 665, 805
        self.flow("h_line_in", [P(0, top), P(xz - 13, top)], QColor("#2b6cb0"), 3.0, head=False)
        self.flow("h_kept", [P(xz + 13, top), P(xmix - 13, top)], QColor("#2b6cb0"), 3.0, head=False)
        self.flow("h_out", [P(xmix + 13, top), P(W_SCENE, top)], QColor("#2b6cb0"), 3.2)
        _op(self, xz, top, "×")
        _op(self, xmix, top, "+")
        self.flow("bus", [P(0, bus), P(xz + 30, bus)], QColor("#4a5568"), 2.2, head=False)
        self.flow("x_in", [P(150, 372), P(150, bus + 3)], QColor("#4a5568"), 2.2)
        for x, g, fn in ((xr, "r", "σ"), (xz, "z", "σ"), (xn, "n", "tanh")):
            self.flow(f"{g}_up", [P(x, bus), P(x, gy + 17)], G[g], 2.0)
            _box(self, x, gy, fn, G[g])
            self.label(g, x - 42, gy, 14, G[g])
        # the reset gate scales W_n·h(t−1) + b_hn before it enters the candidate n
        _op(self, xh, 150, "×")
        self.flow("r", [P(xr, gy - 15), P(xr, 150), P(xh - 13, 150)], G["r"], 2.4)
        self.flow("hn", [P(xh, bus), P(xh, 163)], QColor("#4a5568"), 1.8)
        self.flow("rhn", [P(xh + 13, 150), P(xn, 150), P(xn, gy - 15)], G["r"], 2.2)
        # h(t) = (1 − z) ⊙ n + z ⊙ h(t−1)
        _op(self, xmix, 160, "×")
        self.flow("n", [P(xn + 28, gy), P(xn + 60, gy), P(xn + 60, 160), P(xmix - 13, 160)], G["n"], 2.4)
        _op(self, xz + 60, 185, "1−", 14)
        self.flow("z", [P(xz, gy - 15), P(xz, top + 13)], G["z"], 2.4)
        self.flow("z1", [P(xz + 28, gy), P(xz + 60, gy), P(xz + 60, 199)], G["z"], 2.0, head=False)
        self.flow("one_minus_z", [P(xz + 71, 177), P(xmix - 10, 168)], G["z"], 2.2)
        self.flow("mix", [P(xmix, 147), P(xmix, top + 13)], G["n"], 2.4)
        self.strip("h_prev", "h(t−1)", "signed", 90, top - 42, "the hidden state arriving from the previous step")
        self.strip("h", "h(t)", "signed", 930, top - 42, "the new hidden state h(t) = (1 − z) ⊙ n + z ⊙ h(t−1)")
        self.strip("x", "x(t)", "signed", 240, bus + 48, "this step's input (the layer below's h for stacked layers)")
        self.strip("r", "r", "level", xr, 264, theme.GATE_WORDS["r"])
        self.strip("z", "z", "level", xz, 264, theme.GATE_WORDS["z"])
        self.strip("n", "n", "signed", xn, 264, theme.GATE_WORDS["n"])
        self.strip("hn", "W·h(t−1) + b", "signed", xh - 10, 105, "the memory part of the candidate, before r scales it")

    # ---- Elman / linear ------------------------------------------------------------------------
    def _elman(self):
        fn = {"linear": "identity", "rnn_tanh": "tanh", "rnn_relu": "relu", "rnn_sigmoid": "σ"}.get(self.cell, "tanh")
        top, bus, y = 80, 300, 200
        self.flow("h_in", [P(0, bus), P(330, bus), P(330, y + 23)], QColor("#4a5568"), 2.2)
        self.flow("x_in", [P(430, 372), P(430, y + 23)], QColor("#4a5568"), 2.2)
        _box(self, 380, y, "U·x(t) + W·h(t−1) + b", QColor("#4a5568"), 200, 44)
        self.flow("pre", [P(480, y), P(648, y)], QColor("#4a5568"), 2.6)
        _box(self, 700, y, fn, theme.GATE["h"], 100, 44)
        self.flow("h_out", [P(750, y), P(810, y), P(810, top), P(W_SCENE, top)], QColor("#2b6cb0"), 3.0)
        big = dict(w=170, h=48)             # four strips only: draw them larger
        self.strip("h_prev", "h(t−1)", "signed", 150, bus + 42, "the hidden state arriving from the previous step", **big)
        self.strip("x", "x(t)", "signed", 560, bus + 42, "this step's input (the layer below's h for stacked layers)",
                   **big)
        self.strip("h_pre", "h_pre", "signed", 565, y - 62, "the weighted sum before squashing", **big)
        self.strip("h", "h(t)", "signed", 905, top - 40, "the new hidden state, to the next step and upwards", **big)
        words = {"linear": "no squashing: h(t) is the weighted sum itself (LESSONS 003)",
                 "rnn_tanh": "tanh squashes the sum into (−1, 1)", "rnn_relu": "relu cuts negative sums to 0",
                 "rnn_sigmoid": "σ squashes the sum into (0, 1)"}.get(self.cell, "")
        self.label(words, 700, y + 42, 9, theme.MUTED, serif=False)


# slot -> (forward quantity, backward quantity) — generic names of docs/tape.md where they exist
SLOTS = {
    "lstm": {"c_prev": ("c(t-1)", "∂L/∂c(t-1) from t"), "c": ("c(t)", "∂L/∂c(t)"),
             "h_prev": ("h(t-1)", "∂L/∂h(t-1) from t"), "x": ("x(t)", None), "h": ("h(t)", "∂L/∂h(t)"),
             "i": ("i", "∂L/∂i_pre"), "f": ("f", "∂L/∂f_pre"), "g": ("g", "∂L/∂g_pre"), "o": ("o", "∂L/∂o_pre")},
    "gru": {"h_prev": ("h(t-1)", "∂L/∂h(t-1) from t"), "x": ("x(t)", None), "h": ("h(t)", "∂L/∂h(t)"),
            "r": ("r", "∂L/∂r_pre"), "z": ("z", "∂L/∂z_pre"), "n": ("n", "∂L/∂n_pre"), "hn": ("hn", "∂L/∂hn")},
    "elman": {"h_prev": ("h(t-1)", "∂L/∂h(t-1) from t"), "x": ("x(t)", None), "h_pre": ("h_pre", "∂L/∂h_pre"),
              "h": ("h(t)", "∂L/∂h(t)")},
}
# flows whose strength follows a gate's mean (forward)
FLOW_GATES = {
    "lstm": {"c_kept": "f", "f": "f", "i": "i", "ig": "i", "g": "i", "o": "o", "h_out": "o", "tanh_c": "o"},
    "gru": {"h_kept": "z", "z": "z", "z1": "z", "one_minus_z": "1-z", "n": "1-z", "mix": "1-z", "r": "r",
            "rhn": "r"},
    "elman": {},
}


class FitView(QGraphicsView):
    """A view that always shows its whole scene."""

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        if self.scene() is not None:
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def showEvent(self, ev):
        super().showEvent(ev)
        if self.scene() is not None:
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)


class CellView(QWidget):
    """Bottom dock: the cell's internals at the current event, animated."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setAutoFillBackground(True)          # opaque: its repaints stop here, not at the window
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        self.title = LiveText("title")             # changes at every step: no re-layout (see LiveText)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        lay.addWidget(self.title)
        lay.addWidget(self.hint)
        self.view = FitView(self)
        self.view.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.view.setBackgroundBrush(QBrush(theme.CANVAS))
        self.view.setFrameShape(QGraphicsView.Shape.NoFrame)
        # a step changes strips and flows all over the diagram: one rectangle to repaint (a simple clip) is
        # cheaper than the minimal region's many small rectangles (a complex clip for every antialiased path)
        self.view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        lay.addWidget(self.view, 1)
        self.cell_scene = None
        self.kind = None
        self.where = None                # (layer, direction, t) shown
        self.backward = False
        self.glide_ms = GLIDE_MS
        self._last_show = 0.0
        self.anim = QVariantAnimation(self)
        self.anim.setStartValue(0.0)
        self.anim.setEndValue(1.0)
        self.anim.setDuration(GLIDE_MS)
        self.anim.setEasingCurve(QEasingCurve.Type.OutCubic)
        self.anim.valueChanged.connect(self._frame)
        session.tapeChanged.connect(lambda _: self.rebuild())
        session.cursorChanged.connect(lambda _: self.show_event(session.current))

    def set_animated(self, on: bool):
        self.glide_ms = GLIDE_MS if on else 0

    def rebuild(self):
        spec = self.session.spec
        if spec is None:
            return
        kind = spec.cell if spec.cell in ("lstm", "gru") else "elman"
        if self.cell_scene is None or self.cell_scene.cell != spec.cell:
            old = self.cell_scene
            self.cell_scene = CellScene(spec.cell, self.view)     # parented to the view (STACK-FACTS)
            self.view.setScene(self.cell_scene)
            if old is not None:
                old.deleteLater()
        self.kind = kind
        self.where = None
        self.show_event(self.session.current, animate=False)
        self.fit()

    def fit(self):
        if self.cell_scene is not None:
            self.view.fitInView(self.cell_scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self.fit()

    def showEvent(self, ev):
        super().showEvent(ev)
        self.fit()

    def _where_for(self, event):
        """Which cell to show: the event's own; for output events the top layer at that t."""
        spec = self.session.spec
        if event is None:
            return (0, 0, 0), False
        if event.kind in ("forward", "backward", "truncate"):
            return (event.layer, event.direction, event.t), event.phase == "backward"
        if event.kind == "output":
            return (spec.num_layers - 1, 0, event.t), False
        if self.where is not None:
            return self.where, event.phase in ("backward", "update")
        return (spec.num_layers - 1, 0, self.session.tape.T - 1), event.phase in ("backward", "update")

    def show_event(self, event, animate=True):
        s = self.session
        if self.cell_scene is None or s.tape is None:
            return
        idx = s.index
        (layer, d, t), backward = self._where_for(event)
        self.where = (layer, d, t)
        self.backward = backward
        fwd_i = idx.event_of.get(("forward", layer, d, t))
        bwd_i = idx.event_of.get(("backward", layer, d, t))
        cursor = s.cursor
        fq = s.tape.events[fwd_i].quantities if fwd_i is not None and fwd_i <= cursor else None
        bq = s.tape.events[bwd_i].quantities if backward and bwd_i is not None and bwd_i <= cursor else None
        name = {"lstm": "LSTM", "gru": "GRU"}.get(s.spec.cell, {"linear": "Linear", "rnn_tanh": "Elman (tanh)",
                                                                 "rnn_relu": "Elman (ReLU)",
                                                                 "rnn_sigmoid": "Elman (σ)"}.get(s.spec.cell))
        where = f"layer {layer + 1}" + (" (reverse)" if d else "")
        mode = "gradients flowing back (∂L/∂·, green–purple)" if bq is not None else (
            "values" if fq is not None else "not computed yet")
        _set_text(self.title, f"{name} cell · {where} · t = {t + 1} · {mode}")
        if bq is not None:
            _set_text(self.hint, "During BPTT each bar is the gradient at that place: the gates show ∂L/∂(gate "
                              "pre-activation), the states ∂L/∂h and ∂L/∂c; the lines turn purple and the "
                              "gradient travels right to left.")
        elif self.kind == "lstm":
            _set_text(self.hint, "Bars: one per hidden unit. Gates σ fill from 0 (closed) to 1 (open); tanh values "
                              "and states go up (positive, red) or down (negative, blue). Lines fade as gates close.")
        elif self.kind == "gru":
            _set_text(self.hint, "Bars: one per hidden unit. r and z fill from 0 to 1; z = 1 keeps the old state, "
                              "z = 0 takes the candidate n. Lines fade as gates close.")
        else:
            _set_text(self.hint, "One path: the weighted sum of input and memory, squashed. Bars: one per hidden unit, "
                              "up for positive (red), down for negative (blue).")
        slots = SLOTS[self.kind]
        sc = self.cell_scene
        for key, strip in sc.slots.items():
            fname, bname = slots.get(key, (None, None))
            if bq is not None and bname is not None and bname in bq:
                v = np.asarray(bq[bname])
                strip.set_values(v, gradient=True, caption=f"∂L/∂{key + '_pre' if key in GATE_KEYS else _cap(key)}"
                                 f"  ‖·‖ {theme.fmt(np.linalg.norm(v), 2)}")
            elif fq is not None and fname is not None and fname in fq:
                v = np.asarray(fq[fname])
                scale = idx.scale["h"] if key in ("h", "h_prev") else (idx.scale["c"] if key.startswith("c") else None)
                cap = _cap(key)
                if strip.mode == "level":
                    cap += f"  mean {theme.fmt(v.mean(), 2)}"
                strip.set_values(v, gradient=False, scale=scale, caption=cap)
            elif bq is not None and key == "x" and fq is not None:
                strip.set_values(np.asarray(fq["x(t)"]), gradient=False, caption="x(t)")
            else:
                strip.set_values(None, caption=_cap(key))
        # flows follow the gates' mean opening (forward) or carry the gradient (backward)
        for key, flows in sc.flows.items():
            gate = FLOW_GATES[self.kind].get(key)
            strength = 1.0
            if fq is None:
                strength = 0.25
            elif gate is not None:
                g = "z" if gate == "1-z" else gate
                if g in fq:
                    m = float(np.mean(fq[g]))
                    strength = 1.0 - m if gate == "1-z" else m
            for f in flows:
                f.set_strength(strength, backward=bq is not None)
        now = time.perf_counter()
        gap_ms = (now - self._last_show) * 1000
        self._last_show = now
        # glide over most of the time until the next step (Play at speed): never lag behind the cursor
        duration = min(self.glide_ms, int(0.7 * gap_ms))
        if animate and self.glide_ms > 0 and duration >= 40:
            self.anim.stop()
            self.anim.setDuration(duration)
            self.anim.start()
        else:
            self.anim.stop()
            self._frame(1.0)

    def _frame(self, p):
        p = float(p)
        sc = self.cell_scene
        if sc is None or p <= 0.0:
            return                   # frame 0 looks like the previous state: nothing to repaint
        for strip in sc.slots.values():
            strip.progress = p
            strip.update()
        for flows in sc.flows.values():
            for f in flows:
                f.progress = p
                f._apply()
        # frames in motion are drafts (no antialiasing, half the paint time); the last one is exact
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing, p >= 1.0)

    def displayed(self) -> dict:
        """slot -> (values shown when the animation ends, gradient?) (for tests)."""
        if self.cell_scene is None:
            return {}
        return {k: (s.new, s.gradient) for k, s in self.cell_scene.slots.items()}


GATE_KEYS = ("i", "f", "g", "o", "r", "z", "n")


def _set_text(label, text):
    if label.text() != text:          # a word-wrapped label re-lays out its dock on every setText
        label.setText(text)


def _cap(key):
    return {"c_prev": "c(t−1)", "c": "c(t)", "h_prev": "h(t−1)", "h": "h(t)", "x": "x(t)", "h_pre": "h_pre",
            "hn": "W·h(t−1) + b"}.get(key, key)
