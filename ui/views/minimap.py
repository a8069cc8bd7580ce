"""Below the unrolled graph: the minimap (the whole sequence at a glance) and the colour legend."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from .. import theme
from ..tapeindex import NEVER, norm
from .graph_build import has_input, input_mode
from .graph_layout import PX
from .graphics import strength


BACKGROUND = theme.SOFT                 # the minimap's background, also where the graph has no node


def _mean(v) -> float:
    """The mean of a node's values for its minimap pixel (NaN/inf: 0, drawn white — as the node's grid)."""
    a = np.asarray(v, dtype=np.float64).ravel()
    a = a[np.isfinite(a)]
    return float(a.mean()) if a.size else 0.0


class Minimap(QWidget):
    """The whole sequence at a glance: one pixel column per timestep, one band per row; blue–red
    for values known so far, purple for gradients known so far; the box is what the view shows."""

    def __init__(self, view, parent=None):
        super().__init__(parent)
        self.view = view
        self.setMinimumHeight(34)
        self.setMaximumHeight(44)
        self.setMinimumWidth(120)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Overview of the whole sequence: click or drag to scroll the graph there.\n"
                        "Colours: node values known so far (blue–red), gradients (purple) once BPTT reached them.")
        self.val_rgb = self.grad_rgb = None
        self.kv = self.kg = self.absent = None
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
        absent = np.zeros((R, T), dtype=bool)             # no node there (one-to-many: no input after x(1))
        mode = input_mode(self.view.session, idx)
        for r, (kind, layer, d) in enumerate(rows):
            for t in range(T):
                if kind == "x" and not has_input(mode, t):
                    absent[r, t] = True
                elif kind == "x":
                    val[r, t], kv[r, t] = _mean(idx.x[t]), -1
                elif kind == "h":
                    key = ("h", layer, d, t)
                    v = idx.value(key)
                    if v is not None:
                        val[r, t], kv[r, t] = _mean(v), idx.known_at(key)
                    g = idx.value(("dh", layer, d, t))
                    if g is not None:
                        gnorm[r, t], kg[r, t] = norm(g), idx.known_at(("dh", layer, d, t))
                elif kind in ("o", "L"):
                    v = idx.value((kind, t))
                    if v is not None:
                        val[r, t], kv[r, t] = _mean(v), idx.known_at((kind, t))
        self.val_rgb = np.zeros((R, T, 3), dtype=np.uint8)
        for r in range(R):
            self.val_rgb[r] = theme.colours(val[r], float(np.max(np.abs(val[r]))) or 1.0)
        finite = gnorm[np.isfinite(gnorm)]
        s = strength(gnorm, float(finite.max()) if finite.size else 0.0)
        purple = np.array([theme.PHASE["backward"].red(), theme.PHASE["backward"].green(),
                           theme.PHASE["backward"].blue()], dtype=np.float64)
        self.grad_rgb = (255 - (255 - purple)[None, None, :] * s[..., None]).astype(np.uint8)
        self.kv, self.kg, self.absent = kv, kg, absent
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
        rgb[self.absent] = BACKGROUND.getRgb()[:3]
        self._img = theme.rgb_image(rgb)
        self.update()

    def _scene_to_x(self, sx):
        return sx / self.view.layout_.width * self.width()

    def paintEvent(self, _):
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self._img is None or self.view.layout_ is None or self.view.session.index is None:
            return
        L = self.view.layout_
        left = self._scene_to_x(L.col_x(0) - PX / 2)
        right = self._scene_to_x(L.col_x(L.T - 1) + PX / 2)
        p.drawImage(QRectF(left, 3, right - left, self.height() - 6), self._img)
        vis = self.view.free_rect()
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
