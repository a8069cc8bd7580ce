"""The centre of the window: the unrolled graph (or the folded cycle) with its toolbar, legend and minimap.

The pieces live in their own modules — the view (graph_view), its items (graph_items), where they go
(graph_layout), how a Tape becomes a scene (graph_build), the minimap and legend (minimap) — and are
importable from here too.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QStackedWidget, QToolButton,
                               QVBoxLayout, QWidget)

from .folded import FoldedView
from .graph_items import Arrow, Header, HeaderBand, Node, RowGutter  # noqa: F401  (re-exported)
from .graph_layout import GUTTER, HEADER_H, PX, PY, Layout  # noqa: F401
from .graph_view import FIT_MIN, LABEL_LOD, UnrolledView  # noqa: F401
from .graphics import arrow_path, center_text, strength, text_item  # noqa: F401
from .minimap import Legend, Minimap


class GraphPanel(QWidget):
    """Central widget: the unrolled graph (or the folded cycle), its toolbar, legend and minimap."""

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
        for b in (self.unrolled_btn, self.folded_btn):
            b.setCheckable(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.unrolled_btn.setToolTip("The network unrolled: one copy of the cell per timestep, sharing U, W, V (Ctrl+1)")
        self.folded_btn.setToolTip("The same network folded: one cell with a loop W feeding h back one step "
                                   "later (Ctrl+2)")
        self.unrolled_btn.setChecked(True)
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.unrolled_btn, 0)
        group.addButton(self.folded_btn, 1)
        group.idClicked.connect(self.show_page)
        bar.addWidget(self.unrolled_btn)
        bar.addWidget(self.folded_btn)
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
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.folded)
        lay.addWidget(self.stack, 1)
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
        self.stack.setCurrentIndex(i)
        (self.unrolled_btn if i == 0 else self.folded_btn).setChecked(True)
        self.minimap.setVisible(i == 0)
        for b in (self.zoom_out_btn, self.zoom_in_btn, self.zoom_reset_btn, self.fit_btn, self.follow):
            b.setEnabled(i == 0)
