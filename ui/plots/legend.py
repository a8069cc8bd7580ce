"""A plot's legend in its own row under the x axis, so it never covers a curve: as many entries side by
side as the plot's width allows, then more rows."""
from __future__ import annotations

import pyqtgraph as pg

from .style import CACHED

ROW = 4               # the row of PlotItem's layout below the bottom axis (0 title, 1–3 axes and view)
ENTRY_GAP = 14        # pixels between two entries side by side


class OutsideLegend(pg.LegendItem):
    """``OutsideLegend(plot_item)``: becomes ``plot_item.legend`` (curves plotted with a name join it)."""

    def __init__(self, plot_item: pg.PlotItem, **options):
        super().__init__(offset=None, horSpacing=6, verSpacing=0, **options)
        self.plot_item = plot_item
        self._columns_for = None
        plot_item.layout.addItem(self, ROW, 1)
        plot_item.layout.setRowStretchFactor(ROW, 0)
        plot_item.legend = self
        plot_item.vb.sigResized.connect(self.fit_columns)
        self.setCacheMode(CACHED)

    # ---- columns: as many as the width holds -----------------------------------------------------
    def _entry_widths(self) -> list:
        return [sample.boundingRect().width() + label.preferredWidth() + ENTRY_GAP for sample, label in self.items]

    def fit_columns(self, *_):
        width = self.plot_item.vb.width()
        widths = self._entry_widths()
        if not widths or width <= 0:
            return
        cols = len(widths)
        while cols > 1:
            rows = [widths[i:i + cols] for i in range(0, len(widths), cols)]
            column_w = [max(r[c] for r in rows if c < len(r)) for c in range(cols)]
            if sum(column_w) <= width:
                break
            cols -= 1
        if cols != self.columnCount:
            self.setColumnCount(cols)
        self.updateSize()

    def addItem(self, item, name):
        super().addItem(item, name)
        self.fit_columns()

    def removeItem(self, item):
        super().removeItem(item)
        self.fit_columns()

    def updateSize(self):
        """Ask the plot's layout for the rows' height (the base class would set its own geometry)."""
        rows = max(-(-len(self.items) // max(self.columnCount, 1)), 0)
        line = max((max(label.item.boundingRect().height(), sample.boundingRect().height())
                    for sample, label in self.items), default=0.0)
        height = rows * line + 4 if self.items else 0.0
        if height != self.maximumHeight() or height != self.minimumHeight():
            self.setMinimumHeight(height)
            self.setMaximumHeight(height)
            self.setPreferredHeight(height)
            self.updateGeometry()

    # the legend stays where the layout puts it
    def hoverEvent(self, ev):
        pass

    def mouseDragEvent(self, ev):
        ev.ignore()
