"""The cost surface above the gradient over time, wired together: the gradient view follows the surface's
plane and the point being dragged on it, and its slider puts the weights through the surface panel."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter

from .gradflow import GradientFlowPanel
from .landscape import SurfacePanel


class CostSurfaceView(QSplitter):
    """``surface`` (SurfacePanel) over ``gradients`` (GradientFlowPanel), both views of ``controller``."""

    def __init__(self, controller, edits=None, parent=None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self.surface = SurfacePanel(controller, edits)
        self.gradients = GradientFlowPanel(controller)
        self.gradients.surface_panel = self.surface
        self.addWidget(self.surface)
        self.addWidget(self.gradients)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.surface.planeChanged.connect(self._plane)
        self.surface.pointPreviewed.connect(self.gradients.preview)

    def _plane(self, plane):
        surface = self.surface.surface
        self.gradients.set_plane(plane, surface.b if surface is not None else None)

    def shutdown(self, msecs: int = 30000) -> bool:
        """Stop both views' workers and wait for them (the main window's closeEvent)."""
        return all([self.surface.runner.stop(msecs), self.gradients.runner.stop(msecs)])
