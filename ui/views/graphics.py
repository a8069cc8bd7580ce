"""Small drawing helpers the graph views share (unrolled, folded, the cell's insides): arrows, scene
text, and the one rule that turns a gradient's size into a line's strength.

Scene text is sized in pixels (at 100 % zoom), not points, so a label is as large on every screen;
no label is smaller than ``MIN_TEXT_PX`` and none is paler than ``theme.LABEL`` on white.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QFont, QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsSimpleTextItem

from .. import theme

MIN_TEXT_PX = 11          # the smallest scene text, in pixels at 100 % zoom
STRENGTH_DECADES = 4.0    # a gradient this many decades below the largest one is drawn at strength 0


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


def scene_font(px: float, italic=False, bold=False, serif=False) -> QFont:
    """A font ``px`` pixels high (at least MIN_TEXT_PX): DejaVu Serif for symbols, DejaVu Sans for words."""
    f = QFont("DejaVu Serif" if serif else "DejaVu Sans")
    f.setPixelSize(int(round(max(px, MIN_TEXT_PX))))
    f.setItalic(italic)
    f.setBold(bold)
    return f


def text_item(text, parent, px=12, color=theme.LABEL, italic=False, bold=False, serif=False) -> QGraphicsSimpleTextItem:
    """Scene text ``px`` pixels high (at 100 % zoom), rasterised once and then blitted."""
    item = QGraphicsSimpleTextItem(text, parent)
    item.setFont(scene_font(px, italic, bold, serif))
    item.setBrush(QBrush(color))
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)   # glyphs rasterised once, then blitted
    return item


def center_text(item: QGraphicsSimpleTextItem, x, y):
    r = item.boundingRect()
    item.setPos(x - r.width() / 2, y - r.height() / 2)


def strength(norm, top):
    """How strongly to draw a gradient of size ``norm`` when the largest is ``top``: 0..1 on a log scale
    over STRENGTH_DECADES decades below ``top`` (a vanishing gradient visibly fades). NaN, ±inf, 0 and a
    non-finite ``top`` give 0. Scalars give a float, arrays an array."""
    a = np.asarray(norm, dtype=np.float64)
    top = float(top) if np.isfinite(top) and top > 0 else 0.0
    ok = np.isfinite(a) & (a > 0)
    out = np.zeros(a.shape)
    if top > 0 and ok.any():
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            out[ok] = np.clip(1.0 + np.log10(a[ok] / top) / STRENGTH_DECADES, 0.0, 1.0)
        out[~np.isfinite(out)] = 0.0
    return float(out) if out.ndim == 0 else out


def setup_canvas(view, session) -> QGraphicsScene:
    """A graph view's common set-up (unrolled and folded): its session, a scene parented to the view (the
    view does not own its scene: an unparented one is collected and the view renders blank), antialiased
    drawing on the canvas colour. Returns the scene."""
    view.session = session
    scene = QGraphicsScene(view)
    view.setScene(scene)
    view.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    view.setBackgroundBrush(QBrush(theme.CANVAS))
    return scene
