"""Heatmaps: the probe's hidden states (units × time) and the weight matrices U, W, V with their gradients.

Values use the app's blue–white–red map (blue negative, white 0, red positive) and gradients the
green–white–purple map, as everywhere in the app; the colour scale is symmetric around 0 and the
colour bar shows its range. Hovering a cell shows its row, column and exact value.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSignalBlocker
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .. import theme
from .base import PlotPanel, exact, nice_ceiling

GATE_NAMES = {"lstm": "ifgo", "gru": "rzn"}


def _compact(v: float) -> str:
    """A colour-bar label: 0.5, 2, 2.5e−5 (the levels are round numbers)."""
    a = abs(v)
    if a == 0 or 1e-2 <= a < 1e4:
        return f"{v:g}".replace("-", "−")
    mant, exp = f"{v:.1e}".split("e")
    mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}".replace("-", "−")


def _cmap(gradient: bool) -> pg.ColorMap:
    lut = theme.GRAD_LUT if gradient else theme.VALUE_LUT
    return pg.ColorMap(np.linspace(0.0, 1.0, len(lut)), lut)


class HeatmapPanel(PlotPanel):
    """A matrix as a coloured grid, row 1 at the top; ``show_matrix`` takes the plain array."""

    def __init__(self, title: str, help_text: str = "", x_label: str = "column", y_label: str = "row",
                 gradient: bool = False, bar_labels: bool = True, parent=None):
        super().__init__(title, help_text=help_text, x_label=x_label, y_label=y_label, log_y=None, parent=parent)
        self.gradient = gradient
        self.image = pg.ImageItem(axisOrder="row-major")
        self.item.addItem(self.image)
        self.item.invertY(True)
        self.grid.setVisible(False)
        self.bar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=_cmap(gradient), interactive=False, width=10,
                                   pen=pg.mkPen(theme.FAINT), colorMapMenu=False)
        self.bar.setImageItem(self.image, insert_in=self.item)
        self.bar.axis.setStyle(autoReduceTextSpace=False)      # see PlotPanel: no re-layout per new scale
        self.bar.axis.setStyle(tickFont=theme.ui_font(7))
        self.bar.axis.setTextPen(theme.INK)
        self.bar_labels = bar_labels
        if bar_labels:
            self.bar.axis.setWidth(46)
            self.item.layout.setContentsMargins(2, 2, 14, 2)     # room for the colour bar's labels
        else:                               # small panels: an unlabelled strip; the readout states the scale
            self.bar.axis.setStyle(showValues=False)
            self.bar.axis.setWidth(4)
        self.matrix = None
        self.row_names: list[str] = []
        self.col_names: list[str] = []
        self.x0 = self.y0 = 1
        self._separators: list[pg.InfiniteLine] = []
        self.level = None
        self._shape = None
        self.row_label, self.col_label = y_label, x_label

    def show_matrix(self, matrix, row_names=None, col_names=None, x0: int = 1, y0: int = 1,
                    blocks: list[tuple[str, int]] | None = None, scale: float | None = None) -> None:
        """``matrix`` (rows, cols); rows are drawn at y = y0.., columns at x = x0..; ``blocks``: (name,
        rows) groups (e.g. the gates of an LSTM) separated by lines and named on the y axis."""
        m = np.asarray(matrix, dtype=np.float64)
        if m.ndim != 2 or 0 in m.shape:
            self.clear_matrix()
            return
        rows, cols = m.shape
        self.matrix = m
        self.x0, self.y0 = x0, y0
        self.row_names = list(row_names) if row_names is not None else [str(y0 + i) for i in range(rows)]
        self.col_names = list(col_names) if col_names is not None else [str(x0 + j) for j in range(cols)]
        finite = np.abs(m[np.isfinite(m)])
        top = scale if scale else (float(finite.max()) if finite.size else 1.0)
        top = top if top > 0 and math.isfinite(top) else 1.0
        # a sticky, round colour scale: the colours of one value do not flicker from frame to frame
        s = self.level
        if s is None or top > s or top < 0.2 * s:
            s = self.level = nice_ceiling(top)
            self.bar.setLevels((-s, s))
            # labels at ±s/2 and 0 (pyqtgraph drops labels that would stick out at the bar's ends);
            # the full range is in the readout line
            if self.bar_labels:
                self.bar.axis.setTicks([[(-s / 2, _compact(-s / 2)), (0.0, "0"), (s / 2, _compact(s / 2))], []])
            self.idle_text = f"colour scale ±{_compact(s)} · hover for exact values"
            if not self.readout.text() or self.readout.text().startswith(("colour", "Hover")):
                self.readout.setText(self.idle_text)
        self.image.setImage(np.nan_to_num(m), autoLevels=False, levels=(-s, s))
        shape = (rows, cols, x0, y0, tuple(b for b in (blocks or ())))
        if shape != self._shape:
            self._shape = shape
            self.image.setRect(QRectF(x0 - 0.5, y0 - 0.5, cols, rows))
            self._set_blocks(blocks, rows, cols, x0, y0)
            self.item.vb.setRange(QRectF(x0 - 0.5, y0 - 0.5, cols, rows), padding=0.02)
        self.set_note("")

    NAMED_ROWS, NAMED_COLS = 16, 8     # up to this many rows/columns are labelled by name

    def _set_blocks(self, blocks, rows, cols, x0, y0):
        for line in self._separators:
            self.item.removeItem(line)
        self._separators = []
        left, bottom = self.item.getAxis("left"), self.item.getAxis("bottom")
        bottom.setTicks([[(x0 + j, n) for j, n in enumerate(self.col_names)], []]
                        if 0 < cols <= self.NAMED_COLS else None)
        if not blocks:
            left.setTicks([[(y0 + i, n) for i, n in enumerate(self.row_names)], []]
                          if 0 < rows <= self.NAMED_ROWS else None)
            return
        ticks, start = [], 0
        for name, count in blocks:
            ticks.append((y0 + start + (count - 1) / 2.0, name))
            if start:
                line = pg.InfiniteLine(pos=y0 + start - 0.5, angle=0, pen=pg.mkPen(theme.INK, width=1))
                self.item.addItem(line, ignoreBounds=True)
                self._separators.append(line)
            start += count
        left.setTicks([ticks, []])

    def forget_view(self) -> None:
        super().forget_view()
        self.level = None
        self._shape = None

    def clear_matrix(self, note: str = "") -> None:
        self.matrix = None
        self.level = None
        self._shape = None
        self.image.clear()
        self._set_blocks(None, 0, 0, 1, 1)
        self.set_note(note)

    def readout_at(self, x, y=None):
        m = self.matrix
        if m is None or y is None:
            return "", None
        j, i = int(round(x - self.x0)), int(round(y - self.y0))
        if not (0 <= i < m.shape[0] and 0 <= j < m.shape[1]):
            return "", None
        return (f"{self.row_label} {self.row_names[i]}, {self.col_label} {self.col_names[j]}:  "
                f"{exact(m[i, j])}"), None

    def csv_table(self):
        if self.matrix is None:
            return [self.row_label], []
        header = [f"{self.row_label} \\ {self.col_label}"] + self.col_names
        rows = [[self.row_names[i]] + [repr(float(v)) for v in self.matrix[i]] for i in range(self.matrix.shape[0])]
        return header, rows


class HiddenStatePlot(HeatmapPanel):
    def __init__(self, parent=None):
        super().__init__(
            "Hidden state h(t) of the probe sequence", x_label="time step t", y_label="unit",
            parent=parent,
            help_text="Each row is one hidden unit, each column one time step of the probe sequence: what "
                      "the network remembers at that moment. Red positive, blue negative, white near 0. "
                      "A row that stays one colour across time is a unit holding a memory (a latch); "
                      "a saturated tanh unit sits at ±1.")

    def show_data(self, hidden, label: str = "") -> None:
        """``hidden`` (T, H) → units × time."""
        h = np.asarray(hidden, dtype=np.float64)
        self.show_matrix(h.T, x0=1, y0=1)


class WeightsView(QWidget):
    """U, W, V of one layer (top row) and the gradients the last update used (bottom row)."""

    def __init__(self, parent=None, build_now: bool = True):
        """``build_now=False``: the six heatmaps are made by running :attr:`pieces` (a generator, one heatmap
        per step: ~35 ms each), e.g. spread over a start-up's idle moments."""
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.layer_label = QLabel("Layer:")
        top.addWidget(self.layer_label)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which recurrent layer (and direction) to show")
        self.layer_box.currentIndexChanged.connect(self._layer_chosen)
        top.addWidget(self.layer_box)
        self.caption = QLabel("")
        self.caption.setObjectName("hint")
        self.caption.setStyleSheet(f"color: {theme.MUTED.name()};")
        top.addWidget(self.caption, 1)
        lay.addLayout(top)
        self.grid = QGridLayout()
        self.grid.setSpacing(4)
        lay.addLayout(self.grid, 1)
        self.panels = {}
        self._params = self._grads = self._spec = None
        self.pieces = self._make_panels()
        if build_now:
            for _ in self.pieces:
                pass

    def _make_panels(self):
        words = {"U": "input → hidden (PyTorch weight_ih): row = a unit of a gate, column = an input feature",
                 "W": "hidden → hidden (weight_hh): how each unit's previous state h(t−1) feeds each unit",
                 "V": "hidden → output (fc.weight): how the outputs read the last layer's state"}
        axes = {"U": ("input", "unit"), "W": ("previous state h(t−1)", "unit"), "V": ("hidden unit", "output")}
        titles = {"U": "U  (input → hidden)", "W": "W  (hidden → hidden)", "V": "V  (hidden → output)"}
        for col, letter in enumerate("UWV"):
            x_label, y_label = axes[letter]
            self.panels[letter] = HeatmapPanel(titles[letter], help_text=f"{letter}: {words[letter]}",
                                               x_label=x_label, y_label=y_label, bar_labels=False)
            self.grid.addWidget(self.panels[letter], 0, col)
            yield
            self.panels["d" + letter] = HeatmapPanel(
                f"∂L/∂{letter}  (gradient)", gradient=True, x_label=x_label, y_label=y_label, bar_labels=False,
                help_text=f"The gradient of the loss for {letter} at the last detailed step, as the update used it "
                          f"(after clipping); the update moves {letter} against it. Green negative, purple positive.")
            self.grid.addWidget(self.panels["d" + letter], 1, col)
            yield

    def show_data(self, params: dict | None, grads: dict | None, spec, step: int | None = None,
                  grads_step: int | None = None, rows=("values", "grads")) -> None:
        """``params``/``grads``: {name: array}; ``step``: the weights' step; ``grads_step``: the update whose
        gradients ``grads`` are; ``rows``: redraw only the weights ("values") or their gradients ("grads")."""
        self._params, self._grads, self._spec = params, grads, spec
        self._steps = (step, grads_step)
        self._rows = (rows,) if isinstance(rows, str) else tuple(rows)
        entries = [((f"{stack} " if stack != "rnn" else "") + f"layer {layer + 1}" + (" ←" if d else ""),
                    (stack, layer), d)
                   for stack in spec.stacks for layer in range(spec.num_layers) for d in range(spec.directions)]
        if self.layer_box.count() != len(entries):
            with QSignalBlocker(self.layer_box):
                self.layer_box.clear()
                for text, layer, d in entries:
                    self.layer_box.addItem(text, (layer, d))
        self.layer_box.setVisible(len(entries) > 1)
        self.layer_label.setVisible(len(entries) > 1)
        self._redraw()

    def _layer_chosen(self, *_):
        self._rows = ("values", "grads")
        self._redraw()

    def _redraw(self, *_):
        spec, params, grads = self._spec, self._params, self._grads
        if spec is None or params is None:
            return
        (stack, layer), d = self.layer_box.currentData() or ((spec.stacks[0], 0), 0)
        suffix = f"_l{layer}" + ("_reverse" if d else "")
        gates = GATE_NAMES.get(spec.cell, "")
        h = spec.hidden_size
        blocks = [(g, h) for g in gates] if gates else None
        gate_rows = [f"{g}{u + 1}" for g in gates for u in range(h)] if gates else [str(u + 1) for u in range(h)]
        inputs = spec.layer_input_size(layer, stack)
        letter = "d" if stack == "decoder" else "x"
        in_names = ([f"{letter}{j + 1}" for j in range(inputs)] if layer == 0
                    else [f"h{j + 1}" for j in range(inputs)])
        hid_names = [f"h{j + 1}" for j in range(h)]
        what = {"U": (f"{stack}.weight_ih{suffix}", gate_rows, in_names, blocks),
                "W": (f"{stack}.weight_hh{suffix}", gate_rows, hid_names, blocks)}
        if "fc.weight" in params:
            out_rows = [f"o{i + 1}" for i in range(spec.output_size)]
            top = [f"h{j + 1}" + ("→" if spec.directions == 1 or j < h else "←") for j in range(h * spec.directions)]
            what["V"] = ("fc.weight", out_rows, top, None)
        which = getattr(self, "_rows", ("values", "grads"))
        for letter in "UWV":
            for key, source, gradient in ((letter, params, False), ("d" + letter, grads, True)):
                if ("grads" if gradient else "values") not in which:
                    continue
                panel = self.panels[key]
                if letter not in what:
                    panel.clear_matrix("No output layer: the output is h(t) itself" if key == "V" else "")
                    continue
                name, rows, cols, blk = what[letter]
                if source is None or name not in source:
                    panel.clear_matrix("Appears while training")
                    continue
                panel.show_matrix(source[name], row_names=rows, col_names=cols, blocks=blk)
        step, grads_step = getattr(self, "_steps", (None, None))
        when = ""
        if step is not None:
            when = f" · weights after step {step}"
            if grads is not None and grads_step is not None:
                when += f", gradients of update {grads_step}"
        self.caption.setText(f"{spec.cell.upper() if gates else spec.cell}: "
                             + (f"rows grouped by gate ({', '.join(gates)}), {h} units each" if gates
                                else f"{h} hidden units") + when)
