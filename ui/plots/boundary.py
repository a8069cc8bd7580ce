"""The decision boundary: what a two-input classifier answers over the input plane, live while it trains.

For the XOR network of the "Like Lego" article (and any model whose sequences are one point (x₁, x₂):
2 inputs in 1 step, or 1 input in each of 2 steps) the view shows

- the plane as an image, one pixel per grid point of :func:`rnnsim.boundary.decision_grid`: the colour of
  the class the model answers, full where it is sure (probability 1) and pale where it is undecided
  (probability 1/C, e.g. 50 % for two classes) — so the boundary is the pale band between the colours;
- the training points on top, filled with the colour of their label, a black × on those the model gets
  wrong; a line with the step and how many points are right;
- a legend of the class colours and their shades, the exact class and probability under the mouse.

The numbers come from the engine: the grid and the points' classes are computed by
:mod:`rnnsim.boundary` on a worker thread (``ui.workers.Runner``), at most ``rate_hz`` times a second
while training runs and only when the weights changed. A model that does not qualify gets a sentence
saying why instead of an empty plot.

    view = BoundaryView(controller)       # ui.training.controller.TrainingController
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer, Signal
from PySide6.QtGui import QColor, QLinearGradient, QPen
from pyqtgraph.graphicsItems.ScatterPlotItem import drawSymbol

from rnnsim import boundary
from rnnsim.errors import RnnsimError
from rnnsim.model import Model

from .. import theme
from ..livetext import LiveText
from ..workers import Runner
from .base import PARAM_COLORS, PlotPanel, exact
from .legend import OutsideLegend

#: class colours: Tableau 10 as the other plots, blue and orange first (XOR's 0 and 1)
CLASS_COLORS = PARAM_COLORS[:boundary.MAX_CLASSES]
NEUTRAL = np.array([238.0, 238.0, 238.0])   # undecided (probability 1/C): the same light grey for every class
SURE_FADE = 0.3              # even where the model is sure, the class colour is mixed 30 % with NEUTRAL, so
                             # that a training point (the full colour, outlined) stands out on its region
LUT_STEPS = 256              # colour-table entries per class
MAX_POINTS = 2000            # training points drawn (and checked) at most
WRONG = QColor("#1a202c")
HELP = ("The colour at each place of the plane is the class the network answers for the input (x₁, x₂); "
        "full colour where it is sure, pale where it hesitates between classes, so the boundary between the "
        "colours is where the answer changes. The dots are the training points in the colour of their "
        "label; a black × marks a point the network currently gets wrong. While training runs, the "
        "picture follows the newest weights a few times a second.")


def class_table(classes: int) -> np.ndarray:
    """(classes × LUT_STEPS, 3) uint8: entry k·LUT_STEPS + j is class k at doubt u = j / LUT_STEPS, where
    doubt = 1 − probability runs from 0 (sure: the class colour, SURE_FADE towards NEUTRAL) to 1 − 1/C
    (undecided: NEUTRAL, whichever class)."""
    u = np.arange(LUT_STEPS) / LUT_STEPS
    fade = SURE_FADE + (1.0 - SURE_FADE) * np.minimum(u / (1.0 - 1.0 / classes), 1.0)[:, None]
    rows = [shade(CLASS_COLORS[k], fade) for k in range(classes)]
    return np.concatenate(rows).round().astype(np.uint8)


def shade(color: QColor, fade) -> np.ndarray:
    """(…, 3) float RGB: ``color`` mixed with NEUTRAL by ``fade`` (0 the colour, 1 NEUTRAL)."""
    rgb = np.array([color.red(), color.green(), color.blue()], dtype=np.float64)
    return rgb * (1.0 - np.asarray(fade)) + NEUTRAL * np.asarray(fade)


def image_values(grid: boundary.DecisionGrid) -> np.ndarray:
    """The numbers given to the image (ny, nx), with ``class_table`` as its colour table over levels
    (0, C): class + (1 − probability of that class). A non-finite probability shows as undecided."""
    chance = 1.0 / grid.reading.classes
    doubt = 1.0 - np.where(np.isfinite(grid.probability), grid.probability, chance)
    return grid.classes + doubt


def _same(a: dict, b: dict) -> bool:
    """The same weights: the same snapshot's arrays, or equal copies of them."""
    return a is b or (a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a))


class _Sample(pg.ItemSample):
    """A legend entry that is not a curve: clicking it hides nothing."""

    def mouseClickEvent(self, event):
        event.accept()


class ShadeSample(_Sample):
    """A class's colour ramp in the legend: pale (undecided) on the left, full (sure) on the right."""

    WIDTH, HEIGHT = 44, 12

    def __init__(self, color: QColor):
        super().__init__(None)
        self.color = QColor(color)
        self.setFixedWidth(self.WIDTH)
        self.setFixedHeight(self.HEIGHT + 6)

    def boundingRect(self):
        return QRectF(0, 0, self.WIDTH, self.HEIGHT + 6)

    def paint(self, p, *args):
        ramp = QLinearGradient(0, 0, self.WIDTH, 0)
        for at, fade in ((0.0, 1.0), (1.0, SURE_FADE)):
            ramp.setColorAt(at, QColor(*(int(round(v)) for v in shade(self.color, fade))))
        p.setPen(QPen(theme.FAINT))
        p.setBrush(ramp)
        p.drawRect(QRectF(0.5, 3.5, self.WIDTH - 1, self.HEIGHT - 1))


class MarkSample(_Sample):
    """The misclassified mark (×) in the legend."""

    def __init__(self, scatter):
        super().__init__(scatter)

    def paint(self, p, *args):
        p.setRenderHint(p.RenderHint.Antialiasing)
        p.translate(10, 10)
        drawSymbol(p, "x", 10, pg.mkPen(None), pg.mkBrush(WRONG))


class BoundaryView(PlotPanel):
    """The decision boundary of ``controller``'s model on its data (a :class:`TrainingController`).

    Signals: ``drawn()`` after every redraw (the image, points and text show ``decision``).
    Attributes for readers and tests: ``decision`` (the DecisionGrid shown, or None), ``shown_params`` (the
    weights it was computed from), ``shown_step``, ``point_classes`` (the class the model gives each
    shown training point), ``message`` (why nothing is drawn, or ""), ``redraws``.
    """

    drawn = Signal()

    def __init__(self, controller, parent=None, rate_hz: float = 10.0, max_resolution: int = 160):
        super().__init__("Decision boundary", help_text=HELP, x_label="x₁", y_label="x₂", parent=parent)
        self.controller = controller
        self.rate_hz = float(rate_hz)
        self.max_resolution = int(max_resolution)
        self.decision = None
        self.shown_params = None
        self.shown_step = None
        self.point_classes = None
        self.message = ""
        self.redraws = 0
        self.reading = None
        self.window = None
        self.resolution = None
        self._points = self._labels = self._x = None
        self._dirty = False
        self._generation = 0                      # bumped by new data: results computed before are dropped
        self._drawn_key = None                    # (generation, weights) last drawn
        self._last_submit = -1e9
        self._build_items()
        self.info = LiveText("figures", width=320)
        self.layout().insertWidget(0, self.info)
        self.runner = Runner("boundary", self)
        self.runner.done.connect(self._on_done)
        self.runner.failed.connect(self._on_failed)
        self.item.vb.setAspectLocked(True)        # x₁ and x₂ on one scale: the input square looks square
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._submit)
        self.slow = QTimer(self)                  # "Computing…" once a grid takes longer than 0.2 s
        self.slow.setSingleShot(True)
        self.slow.setInterval(200)
        self.slow.timeout.connect(lambda: self.info.setText("Computing the decision boundary…"))
        for signal, slot in ((controller.dataChanged, self._on_data), (controller.modelChanged, self._changed),
                             (controller.historyReset, self._changed), (controller.stateChanged, self._changed),
                             (controller.snapshots, self._on_snapshots)):
            signal.connect(slot)
        self._on_data()

    # ---- items --------------------------------------------------------------------------------
    def _build_items(self):
        self.grid.setVisible(False)                   # the PlotPanel's tick grid would cover the image
        self.image = pg.ImageItem(axisOrder="row-major")
        self.item.addItem(self.image)
        self.points = pg.ScatterPlotItem(size=13, pen=pg.mkPen(theme.INK, width=1.5), symbol="o")
        self.points.setZValue(5)
        self.wrong = pg.ScatterPlotItem(size=10, pen=pg.mkPen(None), brush=pg.mkBrush(WRONG), symbol="x")
        self.wrong.setZValue(6)
        for item in (self.points, self.wrong):
            self.item.addItem(item)
        self.legend = OutsideLegend(self.item, labelTextSize="8pt", labelTextColor=theme.INK)
        self._legend_classes = None

    def _set_legend(self, classes: int):
        if classes == self._legend_classes:
            return
        self.legend.clear()
        for k in range(classes):
            self.legend.addItem(ShadeSample(CLASS_COLORS[k]), f"class {k}")
        self.legend.addItem(MarkSample(self.wrong), "misclassified")
        self._legend_classes = classes
        chance = f"{1 / classes:.0%}".replace("%", " %")
        self.idle_text = f"grey: undecided ({chance}) · full colour: sure (100 %)"
        self.readout.setText(self.idle_text)

    # ---- what changed -------------------------------------------------------------------------
    def _on_data(self, *_):
        """New data (or a new controller state): qualify it, place the window, take the points."""
        c = self.controller
        self.decision = self.shown_params = self.shown_step = self.point_classes = None
        self.reading = None
        self._generation += 1
        self._drawn_key = None
        reason = boundary.why_not_drawable(c.model.spec, c.dataset.steps, c.dataset.accuracy)
        if reason is None:
            try:
                self.reading = boundary.boundary_reading(c.model.spec, c.dataset.steps, c.dataset.accuracy)
                self.window = boundary.input_window(c.dataset.x)
                shown = min(c.dataset.size, MAX_POINTS)
                self._x = c.dataset.x[:shown]
                self._points = boundary.as_points(self._x, self.reading.layout)
                self._labels = boundary.point_labels(c.dataset)[:shown]
            except RnnsimError as exc:
                reason = str(exc)
        self._show_message(reason or "")
        if reason is None:
            (x0, x1), (y0, y1) = self.window
            self.item.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)
            self._set_legend(self.reading.classes)
            self.points.setData(self._points[:, 0], self._points[:, 1],
                                brush=[pg.mkBrush(CLASS_COLORS[k]) for k in self._labels])
            self.wrong.setData([], [])
        self._changed()

    def _show_message(self, text: str):
        self.message = text
        for item in (self.image, self.points, self.wrong):
            item.setVisible(not text)
        self.legend.setVisible(not text)
        if text:
            self.info.setText("")
            self._note.setTextWidth(max(self.item.vb.width() - 20, 200))
        self.set_note(text)

    def _on_snapshots(self, items):
        latest = self.controller.history.latest
        if latest is not None and latest.params is not None and latest.params is not self.shown_params:
            self._changed()

    def _changed(self, *_):
        """The weights (or what they are drawn on) may have changed: redraw, at most ``rate_hz`` a second."""
        self._dirty = True
        self._schedule()

    def _schedule(self):
        if not self._dirty or self.message or self.runner.busy or self.timer.isActive() or not self.isVisible():
            return
        wait = self._last_submit + 1.0 / self.rate_hz - time.monotonic()
        self.timer.start(max(0, int(wait * 1000)))

    def showEvent(self, event):
        super().showEvent(event)
        self._schedule()                          # a hidden view catches up when shown

    # ---- computing ----------------------------------------------------------------------------
    def _weights(self):
        """(params, step): the newest weights — the latest detailed snapshot's while a run is on."""
        c = self.controller
        latest = c.history.latest
        if c.running and latest is not None and latest.params is not None:
            return latest.params, int(latest.step)
        return c.current_model().params, c.step_count

    def _submit(self):
        if not self._dirty or self.message:
            return
        c = self.controller
        spec = c.model.spec
        self._dirty = False
        params, step = self._weights()
        if self._drawn_key is not None and self._drawn_key[0] == self._generation and self.shown_step == step \
                and _same(self._drawn_key[1], params):
            return                                # nothing changed since the last picture
        model = Model(spec, params)
        window, x, accuracy, generation = self.window, self._x, c.dataset.accuracy, self._generation
        resolution = boundary.affordable_resolution(spec, self.max_resolution)

        def job(_job):
            # on one thread (serial_block): the training process keeps the other core
            grid = boundary.decision_grid(model, window[0], window[1], resolution, accuracy=accuracy,
                                          block=boundary.serial_block(spec))
            classes, _ = boundary.classify(model, x, accuracy)
            return generation, grid, classes, params, step

        self._last_submit = time.monotonic()
        self.slow.start()
        self.runner.submit(job)

    def _on_failed(self, exc):
        self.slow.stop()
        self._show_message(str(exc) if isinstance(exc, RnnsimError) else f"Cannot draw the boundary: {exc}")

    def _on_done(self, result):
        self.slow.stop()
        generation, grid, classes, params, step = result
        if self.message or generation != self._generation:
            self._schedule()
            return
        self.decision, self.point_classes, self.shown_params, self.shown_step = grid, classes, params, step
        self._drawn_key = (generation, params)
        self.resolution = grid.xs.size
        self._draw()
        self.redraws += 1
        self.drawn.emit()
        self._schedule()

    # ---- drawing ------------------------------------------------------------------------------
    def _draw(self):
        grid = self.decision
        classes = grid.reading.classes
        self.image.setImage(image_values(grid), autoLevels=False, levels=(0.0, float(classes)),
                            lut=class_table(classes))
        dx = (grid.xs[-1] - grid.xs[0]) / (grid.xs.size - 1)
        dy = (grid.ys[-1] - grid.ys[0]) / (grid.ys.size - 1)
        self.image.setRect(QRectF(grid.xs[0] - dx / 2, grid.ys[0] - dy / 2, dx * grid.xs.size, dy * grid.ys.size))
        wrong = self.point_classes != self._labels
        self.wrong.setData(self._points[wrong, 0], self._points[wrong, 1])
        right, total = int((~wrong).sum()), wrong.size
        size = self.controller.dataset.size
        of = f" (the first {total} of {size})" if size > total else ""
        self.info.setText(f"step {self.shown_step}  ·  {right} of {total} training points right{of}  ·  "
                          f"accuracy {right / total:.0%}")

    # ---- hover and export ---------------------------------------------------------------------
    def readout_at(self, x: float, y: float | None = None):
        grid = self.decision
        if grid is None or y is None:
            return "", None
        j = int(np.abs(grid.xs - x).argmin())
        i = int(np.abs(grid.ys - y).argmin())
        return (f"x₁ {exact(grid.xs[j])}  x₂ {exact(grid.ys[i])}:  class {int(grid.classes[i, j])}, "
                f"probability {exact(grid.probability[i, j])}"), None

    def csv_table(self):
        """Every grid point: x₁, x₂, the class shown and its probability (the engine's numbers)."""
        header = ["x₁", "x₂", "class", "probability"]
        if self.decision is None:
            return header, []
        g = self.decision
        return header, [[exact(x), exact(y), int(g.classes[i, j]), exact(g.probability[i, j])]
                        for i, y in enumerate(g.ys) for j, x in enumerate(g.xs)]

    def fit(self) -> None:
        if self.window is not None and not self.message:
            (x0, x1), (y0, y1) = self.window
            self.item.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)

    def closeEvent(self, event):
        self.timer.stop()
        self.runner.stop()
        super().closeEvent(event)
