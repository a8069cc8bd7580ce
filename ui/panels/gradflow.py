"""The gradient over time at many weight points: the current weights' curve (live while a weight is
dragged), pinned curves to compare with, and the counting-ones tutorial's six points in one click.

Curves come from :mod:`rnnsim.gradflow` on the same training sequences as the cost surface, computed on
a worker thread where the newest request wins: a drag is followed as fast as the engine computes the
curve (about 1 ms for the counter), and a large model never stalls the window. Nothing is computed
while the panel is hidden; it catches up when shown.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from rnnsim import landmarks
from rnnsim.errors import RnnsimError
from rnnsim.gradflow import curves_at_points, describe, gradient_over_time
from rnnsim.model import Model

from ..plots.gradflow import GradientFlowPlot
from ..workers import Runner
from .landscape import training_sequences

SLIDER_STEPS = 600          # slider positions across the surface's vertical range


class GradientFlowPanel(QWidget):
    """``set_plane(plane)`` (the cost surface's), ``preview(a, b)`` (a point being dragged)."""

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.plane = None
        self.preview_point = None
        self.pinned: dict[str, tuple] = {}
        self.drawn = 0                                   # curves drawn for the live view (tests, bench)
        self.current = None
        self._pending = False
        self._build()
        self.runner = Runner("gradient-over-time", self)
        self.runner.done.connect(self._show_current)
        self.runner.failed.connect(lambda exc: self.words.setText(str(exc)))
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._update_current)
        controller.modelChanged.connect(self._model_changed)
        self._dataset = controller.dataset
        controller.dataChanged.connect(self._data_changed)
        controller.snapshots.connect(lambda *_: self.request())
        self.request()

    def _build(self):
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.lesson_points = QPushButton("The six points")
        self.lesson_points.setToolTip("The counting-ones tutorial's six (w_x, w_rec): constant, exploding, "
                                      "alternating, dying at once, vanishing")
        self.lesson_points.clicked.connect(self.show_lesson_points)
        self.pin = QPushButton("Pin current")
        self.pin.setToolTip("Keep the current curve, to compare the next weights with it")
        self.pin.clicked.connect(self.pin_current)
        self.clear = QPushButton("Clear pinned")
        self.clear.clicked.connect(self.clear_pinned)
        for w in (self.lesson_points, self.pin, self.clear):
            row.addWidget(w)
        row.addStretch(1)
        lay.addLayout(row)
        self.plot = GradientFlowPlot()
        lay.addWidget(self.plot, 1)
        drag = QHBoxLayout()
        self.slider_name = QLabel("w_rec")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setToolTip("Drag to see the curve change with this weight; release to put the weights there")
        self.slider.valueChanged.connect(self._slid)
        self.slider.sliderReleased.connect(self._slider_released)
        self.slider_value = QLabel("")
        self.slider_value.setMinimumWidth(70)
        drag.addWidget(self.slider_name)
        drag.addWidget(self.slider, 1)
        drag.addWidget(self.slider_value)
        lay.addLayout(drag)
        self.words = QLabel("")
        self.words.setWordWrap(True)
        lay.addWidget(self.words)
        self._slider_range = (-3.0, 3.0)
        self._setting_slider = False
        self._enable()

    def _enable(self):
        on = self.plane is not None and self.plane.kind == "parameters"
        self.slider.setEnabled(on)
        marks = on and bool(landmarks.marked_points(self.plane.spec, *self.plane.parameters))
        self.lesson_points.setVisible(marks)
        if not on:
            self.slider_name.setText("compute a surface of two weights to drag one")

    # ---- inputs ------------------------------------------------------------------------------
    def set_plane(self, plane, y_range=None):
        """The cost surface's plane (None: none shown); the slider moves its second weight over ``y_range``."""
        self.plane = plane
        self.preview_point = None
        if plane is not None and plane.kind == "parameters":
            self.slider_name.setText(landmarks.axis_name(plane.spec, plane.parameters[1]))
            if y_range is not None:
                self._slider_range = (float(y_range[0]), float(y_range[-1]))
            self._place_slider()
        self._enable()
        self.request()

    def preview(self, a: float, b: float):
        """Show the curve at plane point (a, b) without changing the model (a drag in progress)."""
        self.preview_point = (a, b)
        self.request()

    def request(self):
        if not self.isVisible():
            self._pending = True
            return
        if not self._timer.isActive():
            self._timer.start()

    def showEvent(self, ev):
        super().showEvent(ev)
        if self._pending:
            self._pending = False
            self.request()

    def _slid(self, position):
        if self._setting_slider or self.plane is None:
            return
        lo, hi = self._slider_range
        b = lo + (hi - lo) * position / SLIDER_STEPS
        a, _ = self.plane.coordinates(self.controller.current_model().params)
        self.slider_value.setText(f"{b:.3f}")
        self.preview(a, b)

    def _slider_released(self):
        if self.preview_point is not None and self.plane is not None:
            a, b = self.preview_point
            surface = self.parent_surface()
            if surface is not None:
                surface.put_weights(a, b)
        self.preview_point = None

    def parent_surface(self):
        """The surface panel beside this one (its put_weights), found through the container."""
        return getattr(self, "surface_panel", None)

    def _place_slider(self):
        if self.plane is None or self.plane.kind != "parameters":
            return
        _, b = self.plane.coordinates(self.controller.current_model().params)
        lo, hi = self._slider_range
        self._setting_slider = True
        self.slider.setValue(round((min(max(b, lo), hi) - lo) / (hi - lo) * SLIDER_STEPS))
        self._setting_slider = False
        self.slider_value.setText(f"{b:.3f}")

    def _model_changed(self, *_):
        self.preview_point = None
        self._place_slider()
        self.request()

    def _data_changed(self, dataset=None):
        if dataset is getattr(self, "_dataset", None):
            return                                  # the same data (e.g. new weights put in)
        self._dataset = dataset
        self.pinned.clear()
        self.plane = None
        self._enable()
        self.request()

    # ---- curves --------------------------------------------------------------------------------
    def current_job(self):
        """A job computing the curve at the preview point, or at the current weights (captured now)."""
        c = self.controller
        model = c.current_model()
        x, y, _ = training_sequences(c)
        if self.preview_point is not None and self.plane is not None:
            a, b = self.preview_point
            model = Model(model.spec, self.plane.put(model.params, a, b))
            label = f"({a:.3g}, {b:.3g})"
        elif self.plane is not None and self.plane.kind == "parameters":
            a, b = self.plane.coordinates(model.params)
            label = f"current ({a:.3g}, {b:.3g})"
        else:
            label = "current weights"
        truncate = c.config.truncate
        return lambda job: gradient_over_time(model, x, y, truncate, label=label)

    def _update_current(self):
        try:
            self.runner.submit(self.current_job())
        except RnnsimError as exc:
            self.words.setText(str(exc))

    def _show_current(self, curve):
        self.drawn += 1
        self.current = curve
        curves = {"current": (curve.label, curve)}
        curves.update(self.pinned)
        self.plot.show_curves(curves, current="current")
        words = describe(curve)
        self.words.setText(f"{curve.label}: {words}")

    def pin_current(self):
        curve = self.current
        if curve is None:
            return
        label = curve.label.replace("current ", "")
        key = f"pin-{len(self.pinned)}-{label}"
        self.pinned[key] = (label, curve)
        self.request()

    def clear_pinned(self):
        self.pinned.clear()
        self.request()

    def show_lesson_points(self):
        """Pin the six curves of the counting-ones tutorial (replacing other pinned curves)."""
        if self.plane is None:
            return
        marks = landmarks.marked_points(self.plane.spec, *self.plane.parameters)
        c = self.controller
        x, y, _ = training_sequences(c)
        curves = curves_at_points(c.current_model(), x, y, self.plane, [(a, b) for _, a, b in marks],
                                  c.config.truncate, labels=[label for label, _, _ in marks])
        self.pinned = {f"lesson-{i}": (f"{cv.label} {describe(cv).split(' (')[0]}", cv) for i, cv in enumerate(curves)}
        self.request()
