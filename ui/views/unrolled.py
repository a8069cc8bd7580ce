"""The centre of the window: the unrolled graph, the folded cycle, or both side by side, with a toolbar,
legend and minimap.

The pieces live in their own modules — the view (graph_view), its items (graph_items), where they go
(graph_layout), how a Tape becomes a scene (graph_build), the minimap and legend (minimap) — and are
importable from here too.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QSplitter, QToolButton,
                               QVBoxLayout, QWidget)

from .folded import FoldedView
from .graph_items import Arrow, Header, HeaderBand, Node, RowGutter  # noqa: F401  (re-exported)
from .graph_layout import GUTTER, HEADER_H, PX, PY, Layout  # noqa: F401
from .graph_view import FIT_MIN, LABEL_LOD, UnrolledView  # noqa: F401
from .graphics import arrow_path, center_text, strength, text_item  # noqa: F401
from .minimap import Legend, Minimap


#: the pages of the centre: which of (folded, unrolled) each shows
UNROLLED, FOLDED, SIDE_BY_SIDE = 0, 1, 2


class GraphPanel(QWidget):
    """Central widget: the unrolled graph, the folded cycle or both side by side; its toolbar, legend and
    minimap. ``page`` is UNROLLED, FOLDED or SIDE_BY_SIDE."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        self.unrolled_btn = QToolButton()
        self.unrolled_btn.setText("Unrolled in time")
        self.folded_btn = QToolButton()
        self.folded_btn.setText("Folded (the cycle)")
        self.both_btn = QToolButton()
        self.both_btn.setText("Side by side")
        for b in (self.unrolled_btn, self.folded_btn, self.both_btn):
            b.setCheckable(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.unrolled_btn.setToolTip("The network unrolled: one copy of the cell per timestep, sharing U, W, V (Ctrl+1)")
        self.folded_btn.setToolTip("The same network folded: one cell with a loop W feeding h back one step "
                                   "later (Ctrl+2)")
        self.both_btn.setToolTip("The folded cycle beside the unrolled graph: the one cell and its copies, "
                                 "one per timestep (Ctrl+3)")
        self.unrolled_btn.setChecked(True)
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.unrolled_btn, 0)
        group.addButton(self.folded_btn, 1)
        group.addButton(self.both_btn, 2)
        group.idClicked.connect(self.show_page)
        for b in (self.unrolled_btn, self.folded_btn, self.both_btn):
            bar.addWidget(b)
        bar.addSpacing(16)
        self.view = UnrolledView(session, self)
        self.folded = FoldedView(session, self)
        self.zoom_out_btn = self._tool("−", "Zoom out (Ctrl+−, or Ctrl+wheel)", lambda: self.view.zoom(1 / 1.25))
        self.zoom_in_btn = self._tool("+", "Zoom in (Ctrl++, or Ctrl+wheel)", lambda: self.view.zoom(1.25))
        self.zoom_reset_btn = self._tool("1:1", "Actual size (Ctrl+0)", self.view.zoom_reset)
        self.fit_btn = self._tool("Fit", "Fit the whole sequence into the window (Ctrl+9)", self.view.fit_all)
        for b in (self.zoom_out_btn, self.zoom_in_btn, self.zoom_reset_btn, self.fit_btn):
            bar.addWidget(b)
        self.zoom_label = QLabel("100%")
        self.zoom_label.setObjectName("hint")
        self.zoom_label.setMinimumWidth(44)
        bar.addWidget(self.zoom_label)
        self.follow = QCheckBox("Follow the cursor")
        self.follow.setChecked(True)
        self.follow.setToolTip("Scroll the graph so the current event stays in view while you step or play")
        self.follow.toggled.connect(lambda on: setattr(self.view, "follow", on))
        bar.addWidget(self.follow)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.page = UNROLLED
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(self.folded)
        self.split.addWidget(self.view)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 2)
        self.folded.hide()
        lay.addWidget(self.split, 1)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(6, 0, 6, 2)
        self.legend = Legend(session, self)
        bottom.addWidget(self.legend)
        self.minimap = Minimap(self.view, self)
        bottom.addWidget(self.minimap, 1)
        self.legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        bottom.addStretch(0)
        lay.addLayout(bottom)
        self.view.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))

    def _tool(self, text, tip, slot):
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        b.setMinimumWidth(34 if len(text) < 3 else 56)
        return b

    def show_page(self, i):
        """UNROLLED, FOLDED or SIDE_BY_SIDE (the folded cycle on the left, a third of the width)."""
        self.page = i
        (self.unrolled_btn, self.folded_btn, self.both_btn)[i].setChecked(True)
        self.view.setVisible(i != FOLDED)
        self.folded.setVisible(i != UNROLLED)
        if i == SIDE_BY_SIDE:
            width = max(self.split.width(), 3)
            self.split.setSizes([width // 3, width - width // 3])
        self.minimap.setVisible(i != FOLDED)
        for b in (self.zoom_out_btn, self.zoom_in_btn, self.zoom_reset_btn, self.fit_btn, self.follow):
            b.setEnabled(i != FOLDED)
