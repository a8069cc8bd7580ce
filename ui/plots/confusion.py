"""The confusion matrix of a classification model: how often each true class (row) is predicted as each
class (column), the count written in its cell.

The counts come from :func:`rnnsim.metrics.confusion_matrix`; this panel only draws them, in the app's
value colours (white 0, red many; the readout line states the scale), class names on both axes (a text's
characters, a digit's value), and the exact count with its share of the row on hover.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from .. import theme
from .heatmaps import HeatmapPanel


class ConfusionPlot(HeatmapPanel):
    """``show_counts(counts (C, C), names [C], caption)``: rows = true class, columns = predicted class."""

    #: counts are written in the cells up to this many classes (beyond, hover reads them)
    MAX_WRITTEN = 20
    NAMED_ROWS = NAMED_COLS = 40

    def __init__(self, parent=None):
        super().__init__(
            "Confusion matrix", x_label="predicted class", y_label="true class", bar_labels=False, parent=parent,
            help_text="Row = the true class, column = the class the model predicts (as the accuracy reads "
                      "it). The diagonal holds the right answers; a count off the diagonal says which class "
                      "is taken for which. The matrix is recomputed at each epoch's end from the weights "
                      "the training last sent.")
        self._labels: list[pg.TextItem] = []
        self.counts = None
        # counts are never negative: the white-to-red half of the value map, from 0 up
        half = theme.VALUE_LUT[len(theme.VALUE_LUT) // 2:]
        self.bar.setColorMap(pg.ColorMap(np.linspace(0.0, 1.0, len(half)), half))

    def show_counts(self, counts, names, caption: str = "") -> None:
        counts = np.asarray(counts, dtype=np.int64)
        self.counts = counts
        self.show_matrix(counts, row_names=names, col_names=names, x0=0, y0=0)
        self.bar.setLevels((0.0, self.level))
        self.image.setLevels((0.0, self.level))
        idle = f"white 0 → red {self.level:g} · hover a cell for its count and share of the row"
        if self.readout.text() in ("", self.idle_text):
            self.readout.setText(idle)
        self.idle_text = idle
        self.set_title(f"Confusion matrix · {caption}" if caption else "Confusion matrix")
        self._write_counts(counts)

    def _write_counts(self, counts) -> None:
        classes = counts.shape[0]
        wanted = classes * classes if classes <= self.MAX_WRITTEN else 0
        while len(self._labels) < wanted:
            label = pg.TextItem("", anchor=(0.5, 0.5))
            label.setFont(theme.ui_font(8 if classes <= 12 else 7))
            self.item.addItem(label, ignoreBounds=True)
            self._labels.append(label)
        dark = 0.55 * (self.level or 1.0)            # white text on the darker red cells
        for k, label in enumerate(self._labels):
            if k >= wanted:
                label.setVisible(False)
                continue
            i, j = divmod(k, classes)
            value = int(counts[i, j])
            label.setText(str(value))
            label.setColor(theme.PAPER if value > dark else (theme.INK if value else theme.FAINT))
            label.setPos(j, i)
            label.setVisible(True)

    def clear_matrix(self, note: str = "") -> None:
        self.counts = None
        for label in getattr(self, "_labels", ()):
            label.setVisible(False)
        super().clear_matrix(note)

    def readout_at(self, x, y=None):
        m = self.counts
        if m is None or y is None:
            return "", None
        j, i = int(round(x)), int(round(y))
        if not (0 <= i < m.shape[0] and 0 <= j < m.shape[1]):
            return "", None
        row = int(m[i].sum())
        share = f" ({100.0 * m[i, j] / row:.1f}% of true {self.row_names[i]})" if row else ""
        return f"true {self.row_names[i]}, predicted {self.col_names[j]}:  {int(m[i, j])}{share}", None

    def csv_table(self):
        if self.counts is None:
            return ["true \\ predicted"], []
        header = ["true \\ predicted"] + self.col_names
        return header, [[self.row_names[i]] + [str(int(v)) for v in self.counts[i]]
                        for i in range(self.counts.shape[0])]
