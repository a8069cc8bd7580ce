"""The cell diagrams of the "Inside the cell" view: LSTM, GRU and Elman / linear, drawn like the usual
pictures, with one strip of bars per quantity (``UnitStrip``) and lines whose strength follows the
gates (``Flow``).

Layout rules (checked by tests/ui/test_views_cell.py): no line runs through a caption or a strip, no two
labels overlap — also with the longer captions of BPTT ("∂L/∂f_pre", then "‖·‖ 0.0017" on a second
line) — and every label is at least CAPTION_PX pixels high at 100 %, which the view's usual fit (≈ 0.65)
keeps at 9 px or more. A gate's strip sits right below its σ / tanh box, beside the line that feeds it.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene

from .. import theme
from ..tapeindex import norm
from .graphics import arrow_path, center_text, scene_font, text_item

STRIP_W, STRIP_H = 100, 34
CAPTION_PX = 15       # strip captions and the diagram's words
W_SCENE = 920
H_SCENE = 360
RIGHT = W_SCENE - 70     # the centre of the strips of what leaves the cell (c(t), h(t))
_LINE = theme.LABEL
_H_BLUE = theme.PHASE["forward"]


class UnitStrip(QGraphicsItem):
    """One bar per unit, animated between its old and new values, with a caption of up to two lines
    (what it is; its mean or norm) below or above it."""

    def __init__(self, name: str, caption: str, mode: str, rect: QRectF, tip: str, side="below", parent=None):
        super().__init__(parent)
        self.name, self.caption, self.mode, self._rect, self.base_tip = name, caption, mode, rect, tip
        self.side = side
        self.old = self.new = None
        self.progress = 1.0
        self.gradient = False
        self.scale = 1.0
        self.setAcceptHoverEvents(True)
        self.setZValue(3)
        self._bars, self._bars_key = [], None
        self.cap = text_item(caption, self, CAPTION_PX, theme.INK)
        self._place_caption()

    def _place_caption(self):
        r, c = self._rect, self.cap.boundingRect()
        if self.side == "right":
            self.cap.setPos(r.right() + 6, r.center().y() - c.height() / 2)
            return
        y = r.bottom() + 2 + c.height() / 2 if self.side == "below" else r.top() - 2 - c.height() / 2
        center_text(self.cap, r.center().x(), y)

    def caption_rect(self) -> QRectF:
        return self.cap.sceneBoundingRect()

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
            self.scale = scale if scale else (m if m > 0 and np.isfinite(m) else 1.0)
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
        # everything here is axis-aligned (frame, bars, zero line): antialiasing only costs time; the view
        # restores the state
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(_FRAME_PEN)
        p.setBrush(_WHITE)
        p.drawRect(r)
        v = self.current()
        if v is None or v.size == 0:
            p.setPen(theme.LABEL)
            p.setFont(_NOT_YET_FONT)
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, "not yet")
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
                            f"mean {theme.fmt(np.mean(v))}, ‖·‖ = {theme.fmt(norm(v))}")
        super().hoverEnterEvent(ev)


_FRAME_PEN = theme.pen(theme.EDGE, 1)      # built once: UnitStrip.paint runs for every strip on every step
_AXIS_PEN = theme.pen(theme.LINE, 1)
_WHITE = theme.brush(theme.PAPER)
_NOT_YET_FONT = scene_font(CAPTION_PX - 1)


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

    def __init__(self, points, color=_LINE, width=2.4, head=True):
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


def P(x, y):
    return QPointF(x, y)


class CellScene(QGraphicsScene):
    """The diagram for one cell kind; ``slots`` are the strips, ``flows`` the gate-driven lines, ``texts``
    every label that is not a strip's caption."""

    def __init__(self, cell: str, parent):
        super().__init__(parent)
        self.cell = cell
        self.slots: dict[str, UnitStrip] = {}
        self.flows: dict[str, list] = {}
        self.texts: list = []
        self.shapes: list = []                       # the σ / tanh boxes and the ⊙ / + circles
        # ~60 items whose pens (and so bounding rects) change on every step: a BSP index would be re-built
        # for them each time; a linear search over so few items is cheaper
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setBackgroundBrush(QBrush(theme.CANVAS))
        body = self.addRect(QRectF(40, 20, W_SCENE - 150, 318), QPen(theme.EDGE, 1.5), QBrush(theme.PAPER))
        body.setZValue(0)
        if cell == "lstm":
            self._lstm()
        elif cell == "gru":
            self._gru()
        else:
            self._elman()
        self.setSceneRect(QRectF(-6, -4, W_SCENE + 26, H_SCENE + 4))

    # ---- pieces ---------------------------------------------------------------------------------
    def strip(self, key, caption, mode, x, y, tip, w=STRIP_W, h=STRIP_H, side="below"):
        s = UnitStrip(key, caption, mode, QRectF(x - w / 2, y - h / 2, w, h), tip, side)
        self.addItem(s)
        self.slots[key] = s
        return s

    def gate_strip(self, key, mode, x, y, tip):
        """A gate's strip right below its box, just right of the line that feeds the box."""
        return self.strip(key, key, mode, x + 12 + STRIP_W / 2, y, tip)

    def flow(self, key, points, color=_LINE, width=2.4, head=True):
        f = Flow(points, color, width, head)
        self.addItem(f)
        self.flows.setdefault(key, []).append(f)
        return f

    def label(self, text, x, y, px=CAPTION_PX, color=theme.INK, serif=True):
        t = text_item(text, None, px, color, italic=serif, serif=serif)
        self.addItem(t)
        center_text(t, x, y)
        t.setZValue(5)
        self.texts.append(t)
        return t

    def op(self, x, y, text, r=13, color=theme.HEADING):
        """A pointwise operation: a circle with ×, +, 1−."""
        item = self.addEllipse(QRectF(x - r, y - r, 2 * r, 2 * r), QPen(color, 1.6), QBrush(theme.OP_FILL))
        item.setZValue(4)
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        t = text_item(text, item, 18 if len(text) == 1 else 15, color, bold=True)
        center_text(t, x, y - 0.5)
        self.shapes.append(item)
        return item

    def box(self, x, y, text, color, w=56, h=30, px=16):
        """A layer box (σ, tanh) in the gate's colour."""
        light = QColor(color)
        light.setAlpha(50)
        item = self.addRect(QRectF(x - w / 2, y - h / 2, w, h), QPen(color, 1.8), QBrush(light))
        item.setZValue(4)
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        t = text_item(text, item, px, theme.INK, bold=True)
        center_text(t, x, y)
        self.shapes.append(item)
        return item

    # ---- LSTM ----------------------------------------------------------------------------------
    def _lstm(self):
        G = theme.GATE
        top, bus, gy, sy = 90, 310, 205, 248         # cell-state line, input bus, gate boxes, gate strips
        xf, xi, xg, xo, xt = 220, 360, 500, 640, 760
        xm, ym = (xi + xg) / 2, 150                  # the i ⊙ g product
        # the cell-state line along the top
        self.flow("c_in", [P(0, top), P(xf - 13, top)], G["c"], 3.2, head=False)
        self.flow("c_kept", [P(xf + 13, top), P(xg - 13, top)], G["c"], 3.2, head=False)
        self.flow("c_out", [P(xg + 13, top), P(W_SCENE, top)], G["c"], 3.2)
        self.op(xf, top, "×")
        self.op(xg, top, "+")
        # the input bus [h(t−1), x(t)] along the bottom
        self.flow("bus", [P(0, bus), P(xo + 30, bus)], _LINE, 2.2, head=False)
        self.flow("x_in", [P(150, H_SCENE), P(150, bus + 3)], _LINE, 2.2)
        for x, g, fn in ((xf, "f", "σ"), (xi, "i", "σ"), (xg, "g", "tanh"), (xo, "o", "σ")):
            self.flow(f"{g}_up", [P(x, bus), P(x, gy + 17)], G[g], 2.0)
            self.box(x, gy, fn, G[g])
            self.label(g, x - 44, gy, 20, theme.readable(G[g], theme.PAPER))
        self.flow("f", [P(xf, gy - 15), P(xf, top + 13)], G["f"], 2.4)
        self.op(xm, ym, "×")
        self.flow("i", [P(xi, gy - 15), P(xi, ym), P(xm - 13, ym)], G["i"], 2.4)
        self.flow("g", [P(xg, gy - 15), P(xg, ym), P(xm + 13, ym)], G["g"], 2.4)
        self.flow("ig", [P(xm, ym - 13), P(xg - 9, top + 9)], G["i"], 2.4)
        # h(t) = o ⊙ tanh(c(t)): the output gate feeds the product from the left
        self.flow("c_tanh", [P(xt, top), P(xt, 132)], G["c"], 2.0)
        self.box(xt, 146, "tanh", G["c"], 50, 28)
        self.flow("tanh_c", [P(xt, 160), P(xt, gy - 13)], G["c"], 2.0)
        self.op(xt, gy, "×")
        self.flow("o", [P(xo + 28, gy), P(xt - 13, gy)], G["o"], 2.4)
        self.flow("h_out", [P(xt + 13, gy), P(W_SCENE, gy)], _H_BLUE, 3.0)
        self.strip("c_prev", "c(t−1)", "signed", 90, 60, "the cell state arriving from the previous step", side="above")
        self.strip("c", "c(t)", "signed", RIGHT, 60, "the new cell state c(t) = f ⊙ c(t−1) + i ⊙ g", side="above")
        self.strip("h_prev", "h(t−1)", "signed", 75, bus - 36, "the hidden state arriving from the previous step",
                   side="above")
        self.strip("x", "x(t)", "signed", 150 + 12 + STRIP_W / 2, 340,
                   "this step's input (the layer below's h for stacked layers)", h=30, side="right")
        self.strip("h", "h(t)", "signed", RIGHT, sy, "the new hidden state h(t) = o ⊙ tanh(c(t)), to the next step and up")
        for x, g in ((xf, "f"), (xi, "i"), (xg, "g"), (xo, "o")):
            self.gate_strip(g, "signed" if g == "g" else "level", x, sy, theme.GATE_WORDS[g])

    # ---- GRU -----------------------------------------------------------------------------------
    def _gru(self):
        G = theme.GATE
        top, bus, gy, sy = 90, 310, 205, 248
        xr, xh, xn, xz, xmix = 160, 310, 450, 600, 730
        yr, ymix = 150, 158                          # r ⊙ (W·h + b); (1 − z) ⊙ n
        self.flow("h_line_in", [P(0, top), P(xz - 13, top)], _H_BLUE, 3.0, head=False)
        self.flow("h_kept", [P(xz + 13, top), P(xmix - 13, top)], _H_BLUE, 3.0, head=False)
        self.flow("h_out", [P(xmix + 13, top), P(W_SCENE, top)], _H_BLUE, 3.2)
        self.op(xz, top, "×")
        self.op(xmix, top, "+")
        self.flow("bus", [P(0, bus), P(xz + 30, bus)], _LINE, 2.2, head=False)
        self.flow("x_in", [P(110, H_SCENE), P(110, bus + 3)], _LINE, 2.2)
        for x, g, fn in ((xr, "r", "σ"), (xz, "z", "σ"), (xn, "n", "tanh")):
            self.flow(f"{g}_up", [P(x, bus), P(x, gy + 17)], G[g], 2.0)
            self.box(x, gy, fn, G[g])
            self.label(g, x - 44, gy, 20, theme.readable(G[g], theme.PAPER))
        # the reset gate scales W_n·h(t−1) + b_hn before it enters the candidate n
        self.op(xh, yr, "×")
        self.flow("r", [P(xr, gy - 15), P(xr, yr), P(xh - 13, yr)], G["r"], 2.4)
        self.flow("hn", [P(xh, bus), P(xh, yr + 13)], _LINE, 1.8)
        self.flow("rhn", [P(xh + 13, yr), P(xn, yr), P(xn, gy - 15)], G["r"], 2.2)
        # h(t) = (1 − z) ⊙ n + z ⊙ h(t−1)
        self.op(xmix, ymix, "×")
        self.flow("n", [P(xn + 28, gy), P(xn + 60, gy), P(xn + 60, ymix), P(xmix - 13, ymix)], G["n"], 2.4)
        self.op(xz + 60, 178, "1−", 14)
        self.flow("z", [P(xz, gy - 15), P(xz, top + 13)], G["z"], 2.4)
        self.flow("z1", [P(xz + 28, gy), P(xz + 60, gy), P(xz + 60, 192)], G["z"], 2.0, head=False)
        self.flow("one_minus_z", [P(xz + 71, 170), P(xmix - 11, ymix + 6)], G["z"], 2.2)
        self.flow("mix", [P(xmix, ymix - 13), P(xmix, top + 13)], G["n"], 2.4)
        self.strip("h_prev", "h(t−1)", "signed", 90, 60, "the hidden state arriving from the previous step",
                   side="above")
        self.strip("h", "h(t)", "signed", RIGHT, 60, "the new hidden state h(t) = (1 − z) ⊙ n + z ⊙ h(t−1)", side="above")
        self.strip("x", "x(t)", "signed", 110 + 12 + STRIP_W / 2, 340,
                   "this step's input (the layer below's h for stacked layers)", h=30, side="right")
        self.gate_strip("r", "level", xr, sy, theme.GATE_WORDS["r"])
        self.gate_strip("z", "level", xz, sy, theme.GATE_WORDS["z"])
        self.gate_strip("n", "signed", xn, sy, theme.GATE_WORDS["n"])
        self.strip("hn", "W·h(t−1) + b", "signed", xh + 12 + STRIP_W / 2, sy,
                   "the memory part of the candidate, before r scales it")

    # ---- Elman / linear ------------------------------------------------------------------------
    def _elman(self):
        fn = {"linear": "identity", "rnn_tanh": "tanh", "rnn_relu": "relu", "rnn_sigmoid": "σ", "rnn_softplus": "softplus",
              "rnn_hard_sigmoid": "hard σ"}.get(self.cell, "tanh")
        top, bus, y = 80, 300, 200
        self.flow("h_in", [P(0, bus), P(330, bus), P(330, y + 23)], _LINE, 2.2)
        self.flow("x_in", [P(430, H_SCENE), P(430, y + 23)], _LINE, 2.2)
        self.box(380, y, "U·x(t) + W·h(t−1) + b", _LINE, 240, 44, px=15)
        self.flow("pre", [P(500, y), P(608, y)], _LINE, 2.6)
        self.box(660, y, fn, theme.GATE["h"], 100, 44)
        self.flow("h_out", [P(710, y), P(755, y), P(755, top), P(W_SCENE, top)], _H_BLUE, 3.0)
        big = dict(w=150, h=48)             # four strips only: draw them larger
        self.strip("h_prev", "h(t−1)", "signed", 150, bus - 38, "the hidden state arriving from the previous step",
                   side="above", **big)
        self.strip("x", "x(t)", "signed", 550, 300, "this step's input (the layer below's h for stacked layers)",
                   **big)
        self.strip("h_pre", "h_pre", "signed", 550, 138, "the weighted sum before squashing", side="above", **big)
        self.strip("h", "h(t)", "signed", RIGHT - 5, 130, "the new hidden state, to the next step and upwards", **big)
        words = {"linear": "no squashing: h(t) is the weighted sum itself",
                 "rnn_tanh": "tanh squashes the sum into (−1, 1)", "rnn_relu": "relu cuts negative sums to 0",
                 "rnn_sigmoid": "σ squashes the sum into (0, 1)",
                 "rnn_softplus": "softplus log(1 + eˣ): a smooth relu, always > 0",
                 "rnn_hard_sigmoid": "PyTorch's hard σ: x/6 + 1/2 clipped to [0, 1]"}.get(self.cell, "")
        self.label(words, 660, y + 40, CAPTION_PX, theme.LABEL, serif=False)


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
GATE_KEYS = ("i", "f", "g", "o", "r", "z", "n")


def caption_for(key: str) -> str:
    """A strip's name: c(t−1), h(t), x(t), W·h(t−1) + b, or the gate's letter."""
    return {"c_prev": "c(t−1)", "c": "c(t)", "h_prev": "h(t−1)", "h": "h(t)", "x": "x(t)", "h_pre": "h_pre",
            "hn": "W·h(t−1) + b"}.get(key, key)


def gradient_caption(key: str, v) -> str:
    """Two lines during BPTT: what the bars are the gradient of, and its norm."""
    name = f"∂L/∂{key}_pre" if key in GATE_KEYS else ("∂L/∂(W·h+b)" if key == "hn" else f"∂L/∂{caption_for(key)}")
    return f"{name}\n‖·‖ {theme.fmt(norm(v), 2)}"
