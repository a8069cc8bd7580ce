"""The cost surface as a picture: the loss over a grid of two weights (or two directions) on a log colour
scale with a colour bar and contour lines, marked points, optimizer paths, and the current weights as a
target the learner drags.

The plot shows what it is given (a :class:`rnnsim.landscape.Surface`, paths as arrays); it computes
nothing but the display transform log10(loss). Hovering reads the grid's exact value at the nearest
grid point; the CSV export writes the grid (a, b, loss).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor

from .. import theme
from .base import PlotPanel
from .style import PARAM_COLORS, csv_number, exact, nearest

#: at most this many decades on the colour scale below the largest finite loss
DECADES = 10
CONTOUR_PEN = pg.mkPen(QColor(255, 255, 255, 150), width=1)
MARK_COLOR = QColor("#1a202c")


def log_levels(loss: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(log10 of the loss for colouring, lowest, highest decade shown). 0 (an exact optimum) is drawn at the
    lowest colour, +inf/NaN (overflow on a cliff) at the highest."""
    finite = loss[np.isfinite(loss) & (loss > 0)]
    if not finite.size:
        return np.zeros_like(loss), 0.0, 1.0
    top = math.ceil(math.log10(finite.max()))
    low = max(math.floor(math.log10(finite.min())), top - DECADES)
    if low == top:
        low = top - 1
    with np.errstate(all="ignore"):
        z = np.log10(np.where(loss > 0, loss, 10.0 ** low))
    z = np.where(np.isfinite(z), z, top)
    return np.clip(z, low, top), float(low), float(top)


class SurfacePlot(PlotPanel):
    """``show_surface(surface)``; ``set_marks([(label, a, b)])``; ``set_paths({key: (a, b, label)})`` (the label in
    the legend, its part before ":" beside the path);
    ``set_current(a, b)``. Signals: ``pointChosen(a, b)`` (a click, or the end of a drag of the target),
    ``pointDragged(a, b)`` (while the target is dragged)."""

    pointChosen = Signal(float, float)
    pointDragged = Signal(float, float)

    def __init__(self, parent=None):
        super().__init__("Cost surface", x_label="w_x", y_label="w_rec", log_y=None, parent=parent, help_text=(
            "The loss for every pair of values of two weights (all other weights fixed), coloured on a "
            "logarithmic scale: each colour step is a factor of ten. White lines are contours, one per decade.\n"
            "Click to put the two weights there (the debugger, the gradients and training start from that "
            "point); drag the target to see the gradient over time change. Lines are optimizer paths, one "
            "per run."))
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.item.addItem(self.image)
        self.grid.setVisible(False)
        self.bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=pg.colormap.get("viridis"), interactive=False,
                                   width=12, pen=pg.mkPen(theme.FAINT), colorMapMenu=False)
        self.bar.setImageItem(self.image, insert_in=self.item)
        self.bar.axis.setStyle(tickFont=theme.ui_font(7), autoReduceTextSpace=False)
        self.bar.axis.setTextPen(theme.INK)
        self.bar.axis.setWidth(44)
        self.bar.axis.setLabel("loss", color=theme.MUTED.name())
        self.item.layout.setContentsMargins(2, 2, 14, 2)
        self.contours: list[pg.IsocurveItem] = []
        self.mark_items = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=1.2), brush=pg.mkBrush(MARK_COLOR),
                                             symbol="o")
        self.mark_items.setZValue(5)
        self.item.addItem(self.mark_items)
        self.mark_labels: list[pg.TextItem] = []
        self.path_items: dict[str, tuple[pg.PlotDataItem, pg.TextItem]] = {}
        self.path_texts: dict[str, str] = {}          # each path's whole label (the legend's)
        self.add_legend()                             # the paths' labels, under the plot: they cover nothing
        self.target = pg.TargetItem(pos=(0.0, 0.0), size=14, symbol="crosshair", movable=True,
                                    pen=pg.mkPen(theme.ACCENT, width=2.5), hoverPen=pg.mkPen("#ffffff", width=3))
        self.target.setZValue(20)
        self.target.setVisible(False)
        self.item.addItem(self.target)
        self.target.sigPositionChanged.connect(self._dragging)
        self.target.sigPositionChangeFinished.connect(self._dropped)
        self._placing = False
        self.clickable = True
        self.plot.scene().sigMouseClicked.connect(self._single_click)
        self.surface = None
        self.z = None
        self.levels = (0.0, 1.0)
        self.idle_text = "Hover for the loss at a grid point · click to put the weights there"
        self.readout.setText(self.idle_text)

    # ---- the surface -------------------------------------------------------------------------
    def show_surface(self, surface) -> None:
        """Draw ``surface`` (rnnsim.landscape.Surface): its grid, colours, contours and axis titles."""
        self.surface = surface
        a, b, loss = surface.a, surface.b, surface.loss
        z, low, top = log_levels(loss)
        self.z, self.levels = z, (low, top)
        self.image.setImage(z, autoLevels=False, levels=(low, top))
        da, db = (a[-1] - a[0]) / (a.size - 1), (b[-1] - b[0]) / (b.size - 1)
        self.image.setRect(QRectF(a[0] - da / 2, b[0] - db / 2, a[-1] - a[0] + da, b[-1] - b[0] + db))
        self.bar.setLevels((low, top))
        step = max(1, math.ceil((top - low) / 6))
        self.bar.axis.setTicks([[(k, _decade(k)) for k in range(int(low), int(top) + 1, step)], []])
        self._draw_contours(z, low, top, a, b)
        first, second = surface.plane.axes
        self.x_label, self.y_label = first, second
        self.item.setLabel("bottom", first, color=theme.MUTED.name(), **{"font-size": "9pt"})
        self.item.setLabel("left", second, color=theme.MUTED.name(), **{"font-size": "9pt"})
        self.item.vb.setRange(xRange=(a[0], a[-1]), yRange=(b[0], b[-1]), padding=0.0)
        done = "" if surface.complete else " (stopped: part of the grid is not computed)"
        self.set_title(f"Cost surface, {a.size} × {b.size} grid{done}")
        self.set_note("")

    def _draw_contours(self, z, low, top, a, b):
        for item in self.contours:
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.contours = []
        for level in range(int(low) + 1, int(top)):
            iso = pg.IsocurveItem(data=z, level=float(level), pen=CONTOUR_PEN, axisOrder="row-major")
            iso.setParentItem(self.image)
            iso.setPos(0.5, 0.5)          # the isocurve's coordinates are pixel centres, the image's pixel corners
            self.contours.append(iso)

    def clear_surface(self, note: str = "") -> None:
        self.surface = self.z = None
        self.image.clear()
        self._draw_contours(None, 0, 0, None, None)
        self.set_note(note)

    # ---- marks, paths, the current point -----------------------------------------------------------
    def set_marks(self, marks) -> None:
        """``marks``: [(label, a, b)] — e.g. the lesson's six points."""
        for label in self.mark_labels:
            self.item.removeItem(label)
        self.mark_labels = []
        self.mark_items.setData([m[1] for m in marks], [m[2] for m in marks])
        for text, a, b in marks:
            label = pg.TextItem(text, color=theme.PAPER, anchor=(-0.1, 1.1), fill=pg.mkBrush(26, 32, 44, 170))
            label.setPos(a, b)
            label.setZValue(6)
            self.item.addItem(label)
            self.mark_labels.append(label)

    def set_paths(self, paths: dict) -> None:
        """``paths``: {key: (a (n,), b (n,), label)}; keys not given are removed; a path keeps its colour."""
        for key in [k for k in self.path_items if k not in paths]:
            curve, label = self.path_items.pop(key)
            self.path_texts.pop(key, None)
            self.legend.removeItem(curve)
            self.item.removeItem(curve)
            self.item.removeItem(label)
        for i, (key, (a, b, text)) in enumerate(paths.items()):
            if key not in self.path_items:
                color = PARAM_COLORS[(len(self.path_items) + 1) % len(PARAM_COLORS)]
                curve = pg.PlotDataItem(pen=pg.mkPen(color, width=2), symbol="o", symbolSize=3,
                                        symbolBrush=color, symbolPen=None)
                curve.setZValue(10)
                label = pg.TextItem("", color=color, anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 210))
                label.setZValue(11)
                self.item.addItem(curve)
                self.item.addItem(label)
                self.path_items[key] = (curve, label)
            curve, label = self.path_items[key]
            a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            curve.setData(a, b)
            if self.path_texts.get(key) != text:
                self.path_texts[key] = text
                self.legend.removeItem(curve)
                self.legend.addItem(curve, text)
                label.setText(text.split(":")[0])          # on the plot the short name; the legend says the rest
            where = self._label_point(a, b)
            if where is not None:
                label.setPos(*where)
                right_half = self.surface is not None and where[0] > float(np.mean(self.surface.a))
                label.setAnchor((1, 0) if right_half else (0, 0))     # towards the middle: not cut at the edge
            label.setVisible(where is not None)

    def _label_point(self, a, b):
        """Where a path's label goes: its last point inside the surface's grid (a diverged path leaves it
        after a few steps), else its last finite point; None for an empty path."""
        finite = np.flatnonzero(np.isfinite(a) & np.isfinite(b))
        if not finite.size:
            return None
        s = self.surface
        if s is not None:
            inside = finite[(a[finite] >= s.a[0]) & (a[finite] <= s.a[-1]) & (b[finite] >= s.b[0])
                            & (b[finite] <= s.b[-1])]
            if inside.size:
                return float(a[inside[-1]]), float(b[inside[-1]])
        return float(a[finite[-1]]), float(b[finite[-1]])

    def path_data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        curve, _ = self.path_items[key]
        return curve.getData()

    def set_current(self, a: float | None, b: float | None = None) -> None:
        """The current weights' point (None hides it)."""
        if a is None:
            self.target.setVisible(False)
            return
        self._placing = True
        self.target.setPos(QPointF(a, b))
        self._placing = False
        self.target.setVisible(True)

    def current(self) -> tuple[float, float] | None:
        if not self.target.isVisible():
            return None
        p = self.target.pos()
        return float(p.x()), float(p.y())

    def _dragging(self, *_):
        if not self._placing:
            p = self.target.pos()
            self.pointDragged.emit(float(p.x()), float(p.y()))

    def _dropped(self, *_):
        if not self._placing:
            p = self.target.pos()
            self.pointChosen.emit(float(p.x()), float(p.y()))

    def _single_click(self, ev):
        if ev.double() or ev.button() != Qt.MouseButton.LeftButton or not self.clickable or self.surface is None:
            return
        if not self.item.vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = self.item.vb.mapSceneToView(ev.scenePos())
        self.pointChosen.emit(float(p.x()), float(p.y()))

    # ---- hover and export -------------------------------------------------------------------------
    def readout_at(self, x: float, y: float | None = None):
        s = self.surface
        if s is None or y is None:
            return "", None
        i, j = nearest(s.a, x), nearest(s.b, y)
        return (f"{self.x_label} {exact(s.a[i])}   {self.y_label} {exact(s.b[j])}   loss {exact(s.loss[j, i])}",
                None)

    def csv_table(self):
        s = self.surface
        if s is None:
            return [self.x_label, self.y_label, "loss"], []
        rows = [[csv_number(a), csv_number(b), csv_number(s.loss[j, i])]
                for j, b in enumerate(s.b) for i, a in enumerate(s.a)]
        return [self.x_label, self.y_label, "loss"], rows


def _decade(k: int) -> str:
    return {0: "1", 1: "10", -1: "0.1"}.get(k, f"1e{k}".replace("-", "−"))
