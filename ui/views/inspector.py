"""The inspector: one vector or matrix in full — name, shape, norm, range, a heatmap (pyqtgraph
ImageItem on the app's diverging colour map, with a colour bar) and every value in a table.

What to show arrives as a list of entries (name, array, is_gradient[, parameter name]) — e.g. a node's
value and its gradient, or a weight matrix and its gradient sum so far — picked with the combo box. An
entry that names a parameter of the model is editable: double-click a cell of its table and type a
number; the session's undoable weight edits (ui/weight_edits.py, Edit ▸ Undo) put it into the model.

The values belong to one Tape: when the session records a new one (``tapeChanged``) the inspector asks
its ``refresh`` callback for the same target on the new Tape (new weights of the same network, e.g. a
value typed in), or clears when there is none or the network changed. It follows
the session it is given, or else the one of the window it is placed in.

While it shows nothing it keeps small (the equations above it get the room); the first value it shows
asks its dock for room again.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QSignalBlocker, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QComboBox, QDockWidget, QHBoxLayout, QHeaderView, QLabel, QMainWindow, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from .. import theme
from ..tapeindex import norm

TABLE_MAX = 64
EMPTY_MAX_H = 130         # the inspector's height while it shows nothing
ROOM_H = 300              # the height it asks its dock for when it has something to show
UNLIMITED = 16777215      # QWIDGETSIZE_MAX
PLACEHOLDER = ("Click any node or arrow in the graph, or any number block in the equations, to see it here in "
               "full: its shape, norm, a heatmap and every value.")


class Inspector(QWidget):
    def __init__(self, parent=None, session=None):
        super().__init__(parent)
        self.session = None
        self.setAutoFillBackground(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        self.title = QLabel("Nothing inspected yet")
        self.title.setStyleSheet("font-weight: bold; font-size: 10pt;")
        self.title.setWordWrap(True)
        top.addWidget(self.title, 1)
        self.choice = QComboBox()
        self.choice.setToolTip("Related values: the node's value and its gradient, or a weight and its gradient")
        self.choice.currentIndexChanged.connect(self._show_entry)
        top.addWidget(self.choice)
        lay.addLayout(top)
        self.info = QLabel()
        self.info.setObjectName("hint")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.info)
        split = QSplitter(Qt.Orientation.Vertical)
        self.plot = self.image = self.bar = None       # the heatmap: made by the first inspect (pyqtgraph loads then)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemChanged.connect(self._edited)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.setFont(theme.mono_font(9))
        split.addWidget(self.table)
        split.setSizes([220, 160])
        lay.addWidget(split, 1)
        self.split = split
        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setWordWrap(True)
        self.placeholder.setObjectName("hint")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.placeholder, 1)
        split.hide()
        self.choice.hide()
        self.entries: list = []
        self.array = None
        self.param = None                     # the parameter name of the entry shown, when it is editable
        self.refresh = None
        self.setMaximumHeight(EMPTY_MAX_H)
        if session is not None:
            self.attach(session)

    # ---- the session whose Tape the values come from ------------------------------------------------
    def attach(self, session) -> None:
        """Clear whenever ``session`` records a new Tape (the values shown belong to the old one)."""
        if self.session is session:
            return
        if self.session is not None:
            self.session.tapeChanged.disconnect(self._tape_changed)
        self.session = session
        session.tapeChanged.connect(self._tape_changed)

    def event(self, ev):
        if ev.type() == QEvent.Type.ParentChange and self.session is None:
            w = self.parentWidget()
            while w is not None and not hasattr(getattr(w, "session", None), "tapeChanged"):
                w = w.parentWidget()
            if w is not None:
                self.attach(w.session)
        return super().event(ev)

    def _tape_changed(self, *_):
        if not self.entries and self.title.text() == "Nothing inspected yet":
            return
        if self.refresh is not None and self.session.spec == self._spec:     # same network: the same target exists
            title, entries = self.refresh()
            if title is not None and entries:
                chosen = self.choice.currentIndex()
                self.inspect(title, entries, self.refresh)
                if 0 < chosen < len(self.entries):
                    self.choice.setCurrentIndex(chosen)
                return
        self.clear("A new Tape was recorded — click a node, an arrow or a number block to inspect its values on it.")

    def clear(self, note: str = PLACEHOLDER) -> None:
        self.entries = []
        self.refresh = None
        self.title.setText("Nothing inspected yet")
        with QSignalBlocker(self.choice):
            self.choice.clear()
        self.choice.hide()
        self.split.hide()
        self.placeholder.setText(note)
        self.placeholder.show()
        self._show_entry(-1)
        self.setMaximumHeight(EMPTY_MAX_H)

    def inspect(self, title: str, entries: list, refresh=None):
        """Show ``entries`` [(name, array, gradient[, parameter name])], the first one selected; ``refresh()`` →
        (title, entries): the same target on a new Tape."""
        self.refresh = refresh
        self._spec = self.session.spec if self.session is not None else None
        self.entries = [(e[0], np.asarray(e[1], dtype=np.float64), bool(e[2]), e[3] if len(e) > 3 else None)
                        for e in entries if e[1] is not None]
        self.title.setText(title)
        with QSignalBlocker(self.choice):
            self.choice.clear()
            for name, *_ in self.entries:
                self.choice.addItem(name)
        self.choice.setVisible(len(self.entries) > 1)
        self.placeholder.setVisible(not self.entries)
        self.split.setVisible(bool(self.entries))
        if not self.entries:
            self.placeholder.setText("Not computed yet at this point of the Tape: step on until it is.")
        else:
            self._make_room()
        self._show_entry(0)

    def _make_heatmap(self) -> None:
        """The heatmap with its colour bar, above the table."""
        pg = theme.pyqtgraph()
        self.plot = pg.PlotWidget(background=theme.PAPER)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.plot.setAspectLocked(False)
        for ax in ("left", "bottom"):
            self.plot.getAxis(ax).setPen(pg.mkPen(theme.EDGE))
            self.plot.getAxis(ax).setTextPen(pg.mkPen(theme.LABEL))
        self.plot.setLabel("left", "row")
        self.plot.setLabel("bottom", "column")
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(values=(-1, 1), colorMap=_colormap(False), interactive=False, width=12)
        self.bar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        self.image.hoverEvent = self._hover
        self.split.insertWidget(0, self.plot)
        self.split.setSizes([220, 160])

    def _make_room(self):
        """Lift the empty inspector's height limit and ask the window to give its dock ROOM_H."""
        if self.maximumHeight() >= UNLIMITED:
            return
        self.setMaximumHeight(UNLIMITED)
        dock, win = self.parentWidget(), self.window()
        if isinstance(dock, QDockWidget) and isinstance(win, QMainWindow) and not dock.isFloating():
            if dock.height() < ROOM_H:
                win.resizeDocks([dock], [ROOM_H], Qt.Orientation.Vertical)

    def _show_entry(self, i):
        if not (0 <= i < len(self.entries)):
            if self.image is not None:
                self.image.clear()
            self.table.clear()
            self.info.setText("")
            self.array = None
            self.param = None
            return
        name, a, gradient, param = self.entries[i]
        if self.plot is None:
            self._make_heatmap()
        self.array = a
        editable = param is not None and getattr(self.session, "edits", None) is not None and a.ndim == 2
        self.param = param if editable else None
        triggers = QTableWidget.EditTrigger
        self.table.setEditTriggers(triggers.DoubleClicked | triggers.EditKeyPressed | triggers.AnyKeyPressed
                                   if editable else triggers.NoEditTriggers)
        m = a.reshape(1, 1) if a.ndim == 0 else (a[:, None] if a.ndim == 1 else a)
        finite = m[np.isfinite(m)]
        size = norm(finite) if finite.size else float("nan")
        lo = float(finite.min()) if finite.size else float("nan")
        hi = float(finite.max()) if finite.size else float("nan")
        mean = float(finite.mean()) if finite.size else float("nan")
        kind = "gradient" if gradient else "value"
        self.info.setText(f"<b>{name}</b> · shape {theme.shape_text(a)} · ‖·‖₂ = {theme.fmt(size)} · "
                          f"min {theme.fmt(lo)} · max {theme.fmt(hi)} · mean {theme.fmt(mean)} · "
                          f"{'green–purple: gradient' if kind == 'gradient' else 'blue–red: value'}"
                          + (" · double-click a value to change it (Edit ▸ Undo takes it back)" if editable else ""))
        scale = max(abs(lo), abs(hi)) if finite.size else 1.0
        scale = scale if scale > 0 and np.isfinite(scale) else 1.0
        self.image.setImage(np.nan_to_num(m.T), autoLevels=False)   # ImageItem is column-major: (cols, rows)
        self.bar.setColorMap(_colormap(gradient))
        self.bar.setLevels((-scale, scale))
        self.plot.getPlotItem().setRange(xRange=(0, m.shape[1]), yRange=(0, m.shape[0]), padding=0.02)
        self._fill_table(m, scale, gradient)

    def _fill_table(self, m, scale, gradient):
        blocker = QSignalBlocker(self.table)      # filling is not editing
        rows, cols = min(m.shape[0], TABLE_MAX), min(m.shape[1], TABLE_MAX)
        self.table.clear()
        self.table.setRowCount(rows)
        self.table.setColumnCount(cols)
        self.table.setHorizontalHeaderLabels([str(j) for j in range(cols)])
        self.table.setVerticalHeaderLabels([str(i) for i in range(rows)])
        for i in range(rows):
            for j in range(cols):
                v = m[i, j]
                item = QTableWidgetItem(theme.fmt(v, 4))
                c = theme.qcolor(v, scale, gradient)
                item.setBackground(_on_paper(c))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(repr(float(v)))
                self.table.setItem(i, j, item)
        del blocker

    def _edited(self, item):
        """A table cell of an editable weight was changed: the number goes to the session's weight edits."""
        if self.param is None or self.array is None:
            return
        i, j = item.row(), item.column()
        text = item.text().strip().replace("−", "-").replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value):
            typed = item.text()
            with QSignalBlocker(self.table):
                item.setText(theme.fmt(self.array[i, j], 4))
            self.info.setText(f"'{typed}' is not a finite number: {self.param}[{i},{j}] stays {self.array[i, j]:.6g}")
            return
        if not self.session.edits.set_value(self.param, (i, j), value):
            with QSignalBlocker(self.table):
                item.setText(theme.fmt(self.array[i, j], 4))

    def _hover(self, ev):
        if self.array is None or ev.isExit():
            self.plot.setToolTip("")
            return
        m = self.array.reshape(1, 1) if self.array.ndim == 0 else (
            self.array[:, None] if self.array.ndim == 1 else self.array)
        pos = ev.pos()
        j, i = int(pos.x()), int(pos.y())
        if 0 <= i < m.shape[0] and 0 <= j < m.shape[1]:
            self.plot.setToolTip(f"row {i}, column {j}: {m[i, j]:.6g}")


def _colormap(gradient: bool):
    """The values' (or the gradients') diverging map as a pyqtgraph ColorMap."""
    pg = theme.pyqtgraph()
    lut = theme.GRAD_LUT if gradient else theme.VALUE_LUT
    return pg.ColorMap(np.linspace(0.0, 1.0, len(lut)), lut)


def _on_paper(c: QColor) -> QColor:
    """A value's colour mixed into the page so the table's text reads on it: half white, a quarter on a dark page."""
    paper, share = theme.PAPER, (3 if theme.is_dark() else 1)
    return QColor(*((v + share * q) // (share + 1) for v, q in zip(c.getRgb()[:3], paper.getRgb()[:3])))
