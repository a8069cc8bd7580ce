"""The cost surface beside the gradient over time (above it in a tall dock), wired together: the gradient view follows the surface's
plane and the point being dragged on it, and its slider puts the weights through the surface panel."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter

from .gradflow import GradientFlowPanel
from .landscape import SurfacePanel


class CostSurfaceView(QSplitter):
    """``surface`` (SurfacePanel) over ``gradients`` (GradientFlowPanel), both views of ``controller``."""

    def __init__(self, controller, edits=None, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.surface = SurfacePanel(controller, edits)
        self.gradients = GradientFlowPanel(controller)
        self.gradients.surface_panel = self.surface
        self.addWidget(self.surface)
        self.addWidget(self.gradients)
        self.setStretchFactor(0, 1)
        self.setStretchFactor(1, 1)
        self.setChildrenCollapsible(False)
        self.surface.planeChanged.connect(self._plane)
        self.surface.pointPreviewed.connect(self.gradients.preview)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        tall = self.height() > 1.2 * self.width()          # e.g. floated, or docked in a side column
        wanted = Qt.Orientation.Vertical if tall else Qt.Orientation.Horizontal
        if self.orientation() != wanted:
            self.setOrientation(wanted)

    def _plane(self, plane):
        surface = self.surface.surface
        self.gradients.set_plane(plane, surface.b if surface is not None else None)

    def shutdown(self, msecs: int = 30000) -> bool:
        """Stop both views' workers and wait for them (the main window's closeEvent)."""
        return all([self.surface.runner.stop(msecs), self.gradients.runner.stop(msecs)])
