"""The shared base of every training plot: a titled pyqtgraph plot with exact values on hover,
export to PNG and CSV (``export``), an optional log-y toggle, marks at the steps where training diverged,
and a legend under the x axis (``legend``: it never covers a curve). Colours and number formats:
``style``; the symlog axis: ``symlog`` (all importable from here too).

Plots take plain arrays (``set_curve(key, x, y)``) and do no math beyond display transforms (log
axes, the symlog of the gradient-over-time view, percent). Kept runs are overlaid behind the current
run's curves (``set_overlays``): each in its run's colour (``run_color``) with its label in the legend,
set once when the runs change — they are static. The raw values are kept for the hover
readout and the CSV, so what a learner reads and exports is the Trainer's number, not a transformed one.
"""
from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QMenu, QSizePolicy, QToolButton, QVBoxLayout

from .. import theme
from .export import ExportMixin
from .grid import TickGrid
from .legend import OutsideLegend
from .style import (AXIS_PEN, CACHED, DOWNSAMPLE_ABOVE, PARAM_COLORS, RANGE_SETTLE, SERIES, TEXT,  # noqa: F401
                    RUN_COLORS, THIN_ABOVE, csv_number, exact, nearest, nice_ceiling, param_label, run_color)
from .symlog import SymlogAxis, symlog, symlog_inverse, symlog_threshold  # noqa: F401  (re-exported)

pg = theme.pyqtgraph()       # the theme's colours as its defaults before any plot is made

OVERLAY_Z = -10              # behind the current run's curves (z 0), above the grid (z −1000)
OVERLAY_WIDTH = 1.4


def _same(a, b) -> bool:
    return a is b or np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


class PlotPanel(ExportMixin, QFrame):
    """A plot with a title (inside the picture, so it is in the PNG), a readout line under it that
    shows the exact values under the mouse, a "?" with the learner's explanation, an optional
    log-scale toggle, and Export (PNG / CSV)."""

    exported = Signal(str)                  # the path written

    def __init__(self, title: str, help_text: str = "", x_label: str = "step", y_label: str = "",
                 log_y: bool | None = None, axis_items: dict | None = None, parent=None):
        super().__init__(parent)
        self.title = title
        self.x_label, self.y_label = x_label, y_label
        self.setObjectName("plotPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"#plotPanel {{ background: {theme.PAPER.name()}; border: 1px solid {theme.LINE.name()};"
                           " border-radius: 4px; }")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(0)
        # enableMenu=False: the view box never builds its context menu (the app shows none; building and
        # dropping it cost ~3 ms a plot, 0.05 s of the training dashboard's construction at start-up)
        self.plot = pg.PlotWidget(background=theme.PAPER, axisItems=axis_items, enableMenu=False)
        self.plot.setMinimumSize(200, 150)
        self.item = self.plot.getPlotItem()
        self.item.setTitle(f"<span style='color:{TEXT.name()}; font-weight:600'>{title}</span>", size=f"{theme.pt(10):g}pt")
        for name in ("left", "bottom"):
            ax = self.item.getAxis(name)
            ax.setPen(AXIS_PEN)
            ax.setTextPen(theme.INK)
            ax.setStyle(tickFont=theme.ui_font(8))
            ax.enableAutoSIPrefix(False)
            # the space for tick labels only grows: a narrower label ("0.1" after "0.05") would
            # otherwise re-lay out the plot and re-render both axes (measured: most axis renders)
            ax.setStyle(autoReduceTextSpace=False)
            # at most half the axis covered by tick text: in a short plot (a 768-px screen) the labels
            # would otherwise run into each other
            ax.setStyle(textFillLimits=[(0, 0.5), (2, 0.35), (4, 0.2), (6, 0.1)])
        self.item.setLabel("bottom", x_label, color=theme.MUTED.name(), **{"font-size": "9pt"})
        if y_label:
            self.item.setLabel("left", y_label, color=theme.MUTED.name(), **{"font-size": "9pt"})
        self.grid = TickGrid(self.item)
        self.item.addItem(self.grid, ignoreBounds=True)
        self.item.setMenuEnabled(False)
        self.item.hideButtons()
        # Painting speed while training (bench/bench_app_training.py): axes and legends are drawn from a
        # pixmap cache (Qt blits it without calling Python), the grid is a separate light item (see
        # TickGrid), and the view range is "sticky" (see fit): axes re-render only when it really moves.
        for name in ("left", "bottom", "top", "right"):
            self.item.getAxis(name).setCacheMode(CACHED)
        self.item.vb.disableAutoRange()
        self.item.vb.sigRangeChangedManually.connect(self._user_moved)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.user_range = False
        lay.addWidget(self.plot, 1)

        bar = QHBoxLayout()
        bar.setContentsMargins(6, 0, 4, 2)
        self.idle_text = "Hover over the plot to read exact values"
        self.readout = QLabel(self.idle_text)
        self.readout.setFont(theme.mono_font(8))
        self.readout.setStyleSheet(f"color: {theme.MUTED.name()};")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar.addWidget(self.readout, 1)
        if help_text:
            helper = QLabel("?")
            helper.setObjectName("plotHelp")
            helper.setToolTip(help_text)
            helper.setStyleSheet(f"#plotHelp {{ color: {theme.PHASE['forward'].name()}; font-weight: bold;"
                                 f" border: 1px solid {theme.STEP_LOSS.name()};"
                                 " border-radius: 7px; padding: 0 4px; }")
            bar.addWidget(helper)
            self.help_text = help_text
        self.log_box = None
        if log_y is not None:
            self.log_box = QCheckBox("log scale")
            self.log_box.setToolTip("Show the y axis on a logarithmic scale: equal steps are equal factors, "
                                    "so a loss going from 1 to 0.01 to 0.0001 falls in even steps.")
            self.log_box.setChecked(log_y)
            self.log_box.toggled.connect(self.set_log_y)
            bar.addWidget(self.log_box)
        export = QToolButton()
        export.setText("Export")
        export.setToolTip("Save this plot as a picture (PNG) or its numbers as a table (CSV)")
        export.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(export)
        menu.addAction("Save as PNG…", self._ask_png)
        menu.addAction("Save data as CSV…", self._ask_csv)
        export.setMenu(menu)
        bar.addWidget(export)
        lay.addLayout(bar)

        self.curves: dict[str, pg.PlotDataItem] = {}
        self._widths: dict[str, float] = {}
        self._thin: dict[str, bool] = {}
        self.labels: dict[str, str] = {}
        self.legend_names: dict[str, str] = {}
        self._raw: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.marks: list[pg.InfiniteLine] = []
        self.overlays: dict[str, tuple] = {}       # key -> (label, colour name, x, y) of a kept run's curve
        self.legend = None
        self._note = pg.TextItem("", color=theme.MUTED, anchor=(0.5, 0.5))
        self._note.setZValue(20)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(theme.MUTED, style=Qt.PenStyle.DotLine))
        self.cursor.setVisible(False)
        self.item.addItem(self.cursor, ignoreBounds=True)
        self._proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved)
        if log_y:
            self.set_log_y(True)

    def set_title(self, title: str) -> None:
        """Change the title (in the picture, so in the PNG too); unchanged: nothing is re-rendered."""
        if title != self.title:
            self.title = title
            self.item.setTitle(f"<span style='color:{TEXT.name()}; font-weight:600'>{title}</span>", size=f"{theme.pt(10):g}pt")

    # ---- curves -----------------------------------------------------------------------------
    def add_legend(self):
        """A legend in a row under the x axis (as many entries side by side as fit): it covers no curve."""
        self.legend = OutsideLegend(self.item, labelTextSize="8pt", labelTextColor=theme.INK)
        return self.legend

    def add_curve(self, key: str, label: str, color: QColor, width: float = 1.6, style=Qt.PenStyle.SolidLine,
                  symbol: str | None = None, symbol_size: int = 5, legend: str | None = None) -> pg.PlotDataItem:
        """A curve named ``label`` (readout, CSV) and ``legend`` in the legend (default: ``label``)."""
        pen = pg.mkPen(color, width=width, style=style)
        kwargs = {}
        if symbol:
            kwargs = dict(symbol=symbol, symbolSize=symbol_size, symbolBrush=color, symbolPen=pg.mkPen(color))
        curve = self.item.plot([], [], pen=pen, name=legend or label, **kwargs)
        self.curves[key] = curve
        self._widths[key] = width
        self._thin[key] = False
        self.labels[key] = label
        self.legend_names[key] = legend or label
        self._raw[key] = (np.empty(0), np.empty(0))
        return curve

    def show_curve(self, key: str, on: bool) -> None:
        """Show or hide a curve and its legend entry (a hidden curve would leave a ⊘ in the legend)."""
        curve = self.curves[key]
        if curve.isVisible() == on:
            return
        curve.setVisible(on)
        if self.legend is not None:
            if on:
                self.legend.addItem(curve, self.legend_names[key])
            else:
                self.legend.removeItem(curve)

    def remove_curve(self, key: str) -> None:
        self._widths.pop(key, None)
        self._thin.pop(key, None)
        curve = self.curves.pop(key, None)
        if curve is not None:
            if self.legend is not None:
                self.legend.removeItem(curve)
            self.item.removeItem(curve)
        self.labels.pop(key, None)
        self.legend_names.pop(key, None)
        self._raw.pop(key, None)

    def set_overlays(self, entries) -> None:
        """Kept runs' curves behind the current run: ``entries`` [(key, label, QColor, x, y)] (raw values, as
        ``set_curve``). Curves whose label, colour and arrays are the ones drawn already are left alone;
        overlays not named any more are removed."""
        wanted = {key: (label, color.name(), x, y) for key, label, color, x, y in entries}
        for key in [k for k in self.overlays if k not in wanted]:
            self.remove_curve(key)
            del self.overlays[key]
        for key, (label, color, x, y) in wanted.items():
            old = self.overlays.get(key)
            if old is not None and old[:2] == (label, color) and _same(old[2], x) and _same(old[3], y):
                continue
            if old is not None:
                self.remove_curve(key)
            curve = self.add_curve(key, label, QColor(color), width=OVERLAY_WIDTH)
            curve.setZValue(OVERLAY_Z)
            self.overlays[key] = (label, color, x, y)
            self.set_curve(key, x, y)
            if len(x) > THIN_ABOVE:           # static: its peak-downsampled points are kept until the range moves
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
        self.fit()

    def refresh_overlays(self) -> None:
        """Draw every overlay again from its raw values (after the display transform changed)."""
        for key, (_, _, x, y) in self.overlays.items():
            self._raw[key] = (np.empty(0), np.empty(0))
            self.set_curve(key, x, y)

    def transform_y(self, y: np.ndarray) -> np.ndarray:
        """Display transform of the y values (identity; percent, symlog in subclasses)."""
        return y

    def set_curve(self, key: str, x, y) -> None:
        """Draw ``y`` over ``x`` (raw values; kept for hover and CSV). Unchanged data is not redrawn."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        old_x, old_y = self._raw.get(key, (None, None))
        if (old_x is not None and old_x.size == x.size and old_y.size == y.size and x.size
                and old_x[-1] == x[-1] and old_y[-1] == y[-1] and old_x[0] == x[0]
                and np.array_equal(old_y, y, equal_nan=True)):
            return                                             # e.g. epoch curves between epoch ends
        self._raw[key] = (x, y)
        shown = self.transform_y(y)
        if self.log_box is not None and self.log_box.isChecked():
            shown = np.where(shown > 0, shown, np.nan)       # log of ≤ 0 is undefined: leave a gap
        if not np.isfinite(shown).any():                     # nothing to draw (pyqtgraph warns on all-NaN)
            x = shown = np.empty(0)
        curve = self.curves[key]
        # Measured (6 curves, offscreen raster): 1-px cosmetic pens draw 2000 points in 7.7 ms, wider
        # pens take 17 ms, 8000 points 36–50 ms; peak downsampling only pays beyond ~20 000 points.
        # So a curve with many points is drawn 1 px wide, and downsampled when very long.
        thin = x.size > THIN_ABOVE
        if thin != self._thin[key] and self._widths[key] > 1:
            pen = curve.opts["pen"]
            curve.setPen(pg.mkPen(pen.color(), width=1 if thin else self._widths[key], style=pen.style()))
            self._thin[key] = thin
        many = x.size > DOWNSAMPLE_ABOVE
        if many != bool(curve.opts.get("autoDownsample")):
            curve.setDownsampling(auto=many, method="peak")
            curve.setClipToView(many)
        curve.setData(x, shown, connect="finite")

    def data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The raw (x, y) last given to ``set_curve`` for ``key``."""
        return self._raw[key]

    def redraw(self) -> None:
        """Re-apply the display transform to every curve (after a scale change)."""
        for key, (x, y) in list(self._raw.items()):
            if key in self.curves:
                self.set_curve(key, x, y)

    def set_log_y(self, on: bool) -> None:
        self.item.setLogMode(y=bool(on))
        # a log axis labels the decades only (pyqtgraph labels 2..9 within each decade too, crowded)
        self.item.getAxis("left").setStyle(maxTextLevel=0 if on else 2)
        self._range = None
        self.redraw()
        self.fit()

    # ---- view range -------------------------------------------------------------------------
    fixed_y: tuple[float, float] | None = None        # a fixed y range (accuracy %, gate activations)
    fixed_x: tuple[float, float] | None = None        # a fixed x range (the probe's time steps 1..T)
    decades = False                                    # y is in decades (log, symlog): snap to whole ones
    x_hint: float | None = None                        # where the x axis should end (the run's last step)
    live = False                                       # training runs: ranges change at most every RANGE_SETTLE
    _range = None
    _range_time = 0.0

    def set_x_hint(self, end: float | None) -> None:
        """Let the x axis span the whole planned run (the curve grows across a fixed axis)."""
        if end != self.x_hint:
            self.x_hint = end
            self._range = None

    def forget_view(self) -> None:
        """Fit the next data afresh (a new model or data set): no sticky range, no user zoom, no planned end."""
        self._range = None
        self.user_range = False
        self.x_hint = None

    def _user_moved(self, *_):
        self.user_range = True

    def _clicked(self, ev):
        if ev.double():                                 # double click: back to following the data
            self.user_range = False
            self._range = None
            self.fit()

    def fit(self) -> None:
        """Follow the data with a sticky range: grow to a nice bound when the data leaves the view,
        shrink only when the data fills less than a quarter of it. (Autorange on every frame would
        regenerate and repaint the axes ~15 times a second.) A range the user zoomed or panned to is
        kept until a double click."""
        if self.user_range:
            return
        xs, ys = [], []
        log = self.log_box is not None and self.log_box.isChecked()
        for key, (x, y) in self._raw.items():
            if not x.size or key not in self.curves or not self.curves[key].isVisible():
                continue
            shown = self.transform_y(y)
            with np.errstate(all="ignore"):
                shown = np.log10(np.where(shown > 0, shown, np.nan)) if log else shown
            ok = np.isfinite(shown)
            if ok.any():
                ys.append((float(shown[ok].min()), float(shown[ok].max())))
                xs.append((float(x[0]), float(x[-1])))
        if not xs:
            return
        x0, x1 = min(a for a, _ in xs), max(b for _, b in xs)
        y0, y1 = min(a for a, _ in ys), max(b for _, b in ys)
        old = self._range
        if old is not None:
            (ox0, ox1), (oy0, oy1) = old
            inside = ox0 <= x0 and x1 <= ox1 and oy0 <= y0 and y1 <= oy1
            if self.fixed_x is not None and (ox0, ox1) != self.fixed_x:
                inside = False
            filled = ((x1 - x0) >= 0.25 * (ox1 - ox0) or ox1 == self.x_hint or self.fixed_x is not None) and (
                (y1 - y0) >= 0.25 * (oy1 - oy0) or self.fixed_y is not None
                or ((log or self.decades) and (oy1 - oy0) - (y1 - y0) <= 2.5))
            if inside and filled:
                return
            # While training, a falling loss would move a log axis at every new decade, and each move
            # re-renders the axis (~5 ms of text): change at most every RANGE_SETTLE seconds — the curve
            # may run past the edge for a moment — unless the data has left the view entirely.
            visible = x0 <= ox1 and x1 >= ox0 and y0 <= oy1 and y1 >= oy0
            if self.live and visible and time.monotonic() - self._range_time < RANGE_SETTLE:
                return
        span = max(x1 - x0, 1.0)
        nx0 = min(x0, 0.0) if x0 >= 0 else x0
        nx1 = x0 + nice_ceiling(1.15 * span) if x1 > x0 else x1 + 1.0
        hint = self.x_hint
        if hint is not None and x1 <= hint and hint - nx0 <= max(20 * (x1 - nx0), 5000.0):
            nx1 = hint                       # the planned end of the run, unless it would squeeze the curve
        if self.fixed_x is not None:
            nx0, nx1 = self.fixed_x
        if self.fixed_y is not None:
            ny0, ny1 = self.fixed_y
        elif log or self.decades:
            ny0, ny1 = math.floor(y0 - 0.05), math.ceil(y1 + 0.05)
            if old is not None:          # growing: decades to spare, so a falling loss does not
                if ny0 < old[1][0]:      # re-render the axis at every new decade
                    ny0 -= 2
                if ny1 > old[1][1]:
                    ny1 += 1
        else:
            pad = 0.08 * (y1 - y0) if y1 > y0 else (abs(y1) * 0.5 or 1.0)
            ny0, ny1 = y0 - pad, y1 + pad
            if y0 >= 0 and ny0 < 0:
                ny0 = 0.0
        self._range = ((nx0, nx1), (ny0, ny1))
        self._range_time = time.monotonic()
        self.item.vb.setRange(xRange=(nx0, nx1), yRange=(ny0, ny1), padding=0.02, update=True,
                              disableAutoRange=True)

    def clear_data(self) -> None:
        for key in self.curves:
            self.set_curve(key, [], [])
        self._range = None
        self.clear_marks()
        self.readout.setText(self.idle_text)

    # ---- notes and marks --------------------------------------------------------------------
    def set_note(self, text: str) -> None:
        """A grey message in the middle of the plot (e.g. why it is empty); '' removes it."""
        if text:
            self._note.setText(text)
            if self._note.scene() is None:
                self.plot.scene().addItem(self._note)
            self._place_note()
        elif self._note.scene() is not None:
            self.plot.scene().removeItem(self._note)

    def _place_note(self):
        """The note centred on the plot area, wrapped to 90 % of its width: never over the axes' labels."""
        rect = self.item.vb.sceneBoundingRect()
        self._note.setTextWidth(-1)                                       # its width on one line
        one_line = self._note.textItem.boundingRect().width()
        self._note.setTextWidth(min(one_line, max(80.0, 0.9 * rect.width())))
        self._note.setPos(rect.center())

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        if self._note.scene() is not None:
            self._place_note()

    def mark_step(self, step: float, text: str = "NaN/inf") -> None:
        """A red dashed line at ``step`` (a divergence), labelled."""
        line = pg.InfiniteLine(pos=step, angle=90, pen=pg.mkPen(SERIES["diverged"], width=1.5,
                                                                 style=Qt.PenStyle.DashLine),
                               label=f"{text} at step {int(step)}",
                               labelOpts={"position": 0.06, "color": SERIES["diverged"],
                                          "fill": pg.mkBrush(255, 255, 255, 230), "anchors": [(1, 1), (1, 1)]})
        self.item.addItem(line, ignoreBounds=False)
        self.marks.append(line)

    def set_marks(self, steps_and_texts) -> None:
        wanted = [(float(s), t) for s, t in steps_and_texts]
        if [m.value() for m in self.marks] == [s for s, _ in wanted]:
            return
        self.clear_marks()
        for step, text in wanted:
            self.mark_step(step, text)

    def clear_marks(self) -> None:
        for line in self.marks:
            self.item.removeItem(line)
        self.marks = []

    # ---- hover ------------------------------------------------------------------------------
    def _mouse_moved(self, event):
        pos = event[0]
        if not self.item.vb.sceneBoundingRect().contains(pos):
            self.cursor.setVisible(False)
            return
        point = self.item.vb.mapSceneToView(pos)
        text, snapped = self.readout_at(point.x(), point.y())
        if snapped is not None:
            self.cursor.setPos(snapped)
            self.cursor.setVisible(True)
        if text:
            self.readout.setText(text)
            self.readout.setStyleSheet(f"color: {theme.INK.name()};")

    def readout_at(self, x: float, y: float | None = None) -> tuple[str, float | None]:
        """The readout line for view position ``x``: each curve's exact value at the nearest x."""
        best = None
        for key, (xs, _) in self._raw.items():
            if xs.size:
                i = nearest(xs, x)
                if best is None or abs(xs[i] - x) < abs(best - x):
                    best = float(xs[i])
        if best is None:
            return "", None
        parts = []
        for key, (xs, ys) in self._raw.items():
            if not xs.size or key not in self.curves or not self.curves[key].isVisible():
                continue
            i = nearest(xs, best)
            if xs[i] == best:
                parts.append(f"{self.labels[key]} {exact(ys[i])}")
        return f"{self.x_label} {exact(best)}:  " + "   ".join(parts), best
