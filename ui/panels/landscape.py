"""The cost surface panel: choose the plane (two weights, or two random directions), its range and grid,
compute it off the GUI thread with progress, see the optimizer's paths on it, and put the weights at a
point by clicking, dragging or typing.

Everything drawn comes from the engine: the grid from :func:`rnnsim.landscape.loss_surface` on the
session's training sequences (with the L2 term of the training settings), the paths from the
controller's history (the watched weights after every step), the marked points from
:mod:`rnnsim.landmarks`.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel,
                               QProgressBar, QPushButton, QRadioButton, QSpinBox, QVBoxLayout, QWidget)

from rnnsim import landmarks
from rnnsim.errors import ConfigError, RnnsimError
from rnnsim.landscape import check_scalar, direction_plane, grid_axis, loss_surface, parameter_plane

from .. import theme
from ..plots.surface import SurfacePlot
from ..workers import Runner
from .fields import NumberField
from .landscape_paths import run_paths

CONTROLS_WIDTH = 270
#: the surface is computed on at most this many training sequences (the first ones)
MAX_SEQUENCES = 512
DIRECTION_RANGE = (-1.0, 1.0)


def training_sequences(controller):
    """(x, y, note): the sequences the surface's loss is computed on — the training split, at most
    MAX_SEQUENCES of it — and a note saying so when it is not all."""
    train = controller.trainer.train_set
    n = min(train.size, MAX_SEQUENCES)
    note = "" if n == train.size else f"loss on the first {n} of {train.size} training sequences"
    return train.x[:n], train.y[:n], note


class SurfacePanel(QWidget):
    """Signals: ``planeChanged(object)`` the Plane of the surface shown (for the gradient-over-time view),
    ``pointPreviewed(float, float)`` while the learner drags the current point."""

    planeChanged = Signal(object)
    pointPreviewed = Signal(float, float)

    def __init__(self, controller, edits=None, parent=None):
        """``edits``: the session's WeightEdits — points put on the surface become undoable edits."""
        super().__init__(parent)
        self.controller = controller
        self.edits = edits
        self.plane = None                           # the plane of the surface shown (None: none)
        self.surface = None
        self._shown_for = None                      # (spec, data) the panel is set up for
        self.runner = Runner("cost-surface", self)
        self.runner.done.connect(self._computed)
        self.runner.failed.connect(self._failed)
        self.runner.progress.connect(self._progress)
        self.runner.busyChanged.connect(self._busy)
        self._build()
        c = controller
        c.modelChanged.connect(self._on_model)
        c.dataChanged.connect(self._on_data)
        c.networkChanged.connect(self._on_data)
        c.snapshots.connect(self._on_snapshots)
        c.stateChanged.connect(self._on_state)
        c.historyReset.connect(self._refresh_paths)
        if hasattr(c, "runsChanged"):
            c.runsChanged.connect(self._refresh_paths)
        self._paths_timer = QTimer(self, singleShot=True, interval=100)
        self._paths_timer.timeout.connect(self._refresh_paths)
        self._on_data()

    # ---- widgets ------------------------------------------------------------------------------
    def _build(self):
        """The controls in a column on the left (so the window keeps its width), the plot beside them."""
        outer = QHBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        column = QWidget()
        column.setMaximumWidth(CONTROLS_WIDTH)
        lay = QVBoxLayout(column)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.by_weights = QRadioButton("Two weights")
        self.by_directions = QRadioButton("Random directions")
        self.by_directions.setToolTip("A slice through all weights at once: the current weights plus a·d₁ + b·d₂ "
                                      "for two random directions, each unit's row scaled to its weights' norm "
                                      "(filter-normalised, Li et al. 2018).")
        group = QButtonGroup(self)
        group.addButton(self.by_weights)
        group.addButton(self.by_directions)
        self.by_weights.setChecked(True)
        self.pickers = [ParameterPicker("x"), ParameterPicker("y")]
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setPrefix("seed ")
        lay.addWidget(self.by_weights)
        for axis, picker in zip("xy", self.pickers):
            line = QHBoxLayout()
            line.addWidget(QLabel(axis))
            line.addWidget(picker, 1)
            lay.addLayout(line)
        line = QHBoxLayout()
        line.addWidget(self.by_directions)
        line.addWidget(self.seed)
        lay.addLayout(line)

        grid = QGridLayout()
        self.range_fields = [NumberField(name) for name in ("x from", "x to", "y from", "y to")]
        for k, (field, value) in enumerate(zip(self.range_fields, (-3.0, 3.0, -3.0, 3.0))):
            field.set_value(value)
            field.textChanged.connect(field.check)
            grid.addWidget(QLabel(("x from", "to", "y from", "to")[k]), k // 2, 2 * (k % 2))
            grid.addWidget(field, k // 2, 2 * (k % 2) + 1)
        lay.addLayout(grid)
        line = QHBoxLayout()
        self.overview = QPushButton("[−3, 3]²")
        self.zoom = QPushButton("[0, 2]²")
        self.zoom.setToolTip("The tutorial's zoom onto the optimum (1, 1)")
        self.around = QPushButton("Around")
        self.around.setToolTip("A range around the current weights")
        self.overview.clicked.connect(lambda: self._set_range((-3, 3), (-3, 3)))
        self.zoom.clicked.connect(lambda: self._set_range((0, 2), (0, 2)))
        self.around.clicked.connect(self._range_around)
        for w in (self.overview, self.zoom, self.around):
            line.addWidget(w)
        lay.addLayout(line)
        line = QHBoxLayout()
        self.points = QSpinBox()
        self.points.setRange(10, 400)
        self.points.setValue(100)
        self.points.setSuffix(" points")
        self.points.setToolTip("Grid points along each axis")
        self.compute = QPushButton("Compute")
        self.compute.setDefault(True)
        self.compute.clicked.connect(self.start)
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(lambda: self.runner.stop(0))
        for w in (self.points, self.compute, self.cancel):
            line.addWidget(w)
        lay.addLayout(line)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        lay.addWidget(self.progress)

        lay.addWidget(QLabel("<b>Put the weights at</b>"))
        grid = QGridLayout()
        self.put_fields = [NumberField("x"), NumberField("y")]
        self.put_names = [QLabel("x"), QLabel("y")]
        for k, (name, field) in enumerate(zip(self.put_names, self.put_fields)):
            field.set_value(0.0)
            field.textChanged.connect(field.check)
            grid.addWidget(name, 0, 2 * k)
            grid.addWidget(field, 0, 2 * k + 1)
        self.put_button = QPushButton("Set")
        self.put_button.clicked.connect(self._put_typed)
        grid.addWidget(self.put_button, 0, 4)
        lay.addLayout(grid)
        self.click_sets = QCheckBox("a click on the surface sets them")
        self.click_sets.setChecked(True)
        self.click_sets.toggled.connect(lambda on: setattr(self.plot, "clickable", on))
        lay.addWidget(self.click_sets)
        self.clear_paths = QPushButton("Clear the kept runs' paths")
        self.clear_paths.setToolTip("Forget the kept runs' paths on this surface (the runs stay in the run list)")
        self.clear_paths.clicked.connect(self._clear_paths)
        lay.addWidget(self.clear_paths)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {theme.LABEL.name()};")
        lay.addWidget(self.status)
        lay.addStretch(1)
        outer.addWidget(column)

        self.plot = SurfacePlot()
        self.plot.setMinimumSize(240, 200)
        self.plot.pointChosen.connect(self.put_weights)
        self.plot.pointDragged.connect(self.pointPreviewed)
        outer.addWidget(self.plot, 1)
        self.hidden_paths: set = set()

    # ---- the plane -------------------------------------------------------------------------------
    def _set_range(self, xr, yr):
        for field, v in zip(self.range_fields, (*xr, *yr)):
            field.set_value(float(v))

    def _range_around(self):
        spec = self.controller.spec
        try:
            if self.by_directions.isChecked():
                self._set_range(DIRECTION_RANGE, DIRECTION_RANGE)
                return
            values = [self.controller.current_model().params[p.name][p.index]
                      for p in (check_scalar(spec, k.chosen()) for k in self.pickers)]
        except RnnsimError as exc:
            self.status.setText(str(exc))
            return
        spans = [max(1.0, 2 * abs(v)) for v in values]
        self._set_range((values[0] - spans[0], values[0] + spans[0]), (values[1] - spans[1], values[1] + spans[1]))

    def make_plane(self):
        """The plane the controls describe, through the current weights (RnnsimError when refused)."""
        model = self.controller.current_model()
        if self.by_directions.isChecked():
            return direction_plane(model, self.seed.value())
        return parameter_plane(model, self.pickers[0].chosen(), self.pickers[1].chosen())

    def start(self):
        """Compute the surface the controls describe, on a worker thread."""
        c = self.controller
        try:
            plane = self.make_plane()
            lo_x, hi_x, lo_y, hi_y = _numbers(self.range_fields)
            a = grid_axis(lo_x, hi_x, self.points.value(), "x")
            b = grid_axis(lo_y, hi_y, self.points.value(), "y")
        except RnnsimError as exc:
            self.status.setText(f"Cannot compute: {exc}")
            return
        model = c.current_model()
        x, y, note = training_sequences(c)
        l2 = c.config.weight_decay
        note += f"{'; ' if note else ''}loss includes the L2 term λ/2·Σw², λ = {l2:g}" if l2 else ""
        shown_for = self._shown_for

        def job(j):
            def report(done, total):
                j.progress(f"{done}/{total}")
                return not j.cancelled
            return shown_for, note, loss_surface(model, x, y, plane, a, b, l2=l2, progress=report)

        self.runner.submit(job)

    def _busy(self, busy):
        self.progress.setVisible(busy)
        self.cancel.setEnabled(busy)
        if busy:
            self.progress.setValue(0)
            self.status.setText("Computing the surface…")

    def _progress(self, text):
        done, total = (int(v) for v in text.split("/"))
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def _failed(self, exc):
        self.status.setText(f"Cannot compute: {exc}")

    def _computed(self, result):
        shown_for, note, surface = result
        if shown_for != self._shown_for:
            return                                  # computed for the data or network before the last change
        self.surface, self.plane = surface, surface.plane
        self.plot.show_surface(surface)
        spec = surface.plane.spec
        if surface.plane.kind == "parameters":
            names = [landmarks.axis_name(spec, p) for p in surface.plane.parameters]
            self.plot.set_marks(landmarks.marked_points(spec, *surface.plane.parameters))
        else:
            names = [f"direction {i} (seed {surface.plane.seed})" for i in (1, 2)]
            self.plot.set_marks([("the weights", 0.0, 0.0)])
        self.plot.x_label, self.plot.y_label = names
        self.plot.item.setLabel("bottom", names[0])
        self.plot.item.setLabel("left", names[1])
        for label, name in zip(self.put_names, names):
            label.setText(name.split(" = ")[0])
        low = _lowest_text(surface)
        self.status.setText(f"{low}; {note}" if note else low)
        self._show_current()
        self._refresh_paths()
        self.planeChanged.emit(surface.plane)
        if surface.plane.kind == "parameters":                  # its path is recorded from the next step on
            self.controller.set_watch([(p.name, p.index) for p in surface.plane.parameters])

    # ---- the current weights and putting them somewhere -----------------------------------------
    def _show_current(self):
        if self.plane is None:
            return
        a, b = self.plane.coordinates(self.controller.current_model().params)
        self.plot.set_current(a, b)
        for field, v in zip(self.put_fields, (a, b)):
            field.set_value(v)

    def weights_at(self, a: float, b: float) -> dict:
        """Every parameter with the point (a, b) of the plane: for two weights, the current weights with those
        two changed; for directions, θ₀ + a·d₁ + b·d₂."""
        return self.plane.put(self.controller.current_model().params, a, b)

    def _put_typed(self):
        try:
            a, b = _numbers(self.put_fields)
        except RnnsimError as exc:
            self.status.setText(str(exc))
            return
        self.put_weights(a, b)

    def put_weights(self, a: float, b: float):
        """Set the model's weights to the plane point (a, b): a new run starts there (the current one is kept)."""
        if self.plane is None or not (math.isfinite(a) and math.isfinite(b)):
            return
        c = self.controller
        if c.running:
            self.status.setText("Training is running: pause it to put the weights somewhere else.")
            self._show_current()
            return
        why = f"Weights put at ({a:.4g}, {b:.4g}) on the cost surface"
        if self.edits is not None:
            ok = self.edits.put(self.weights_at(a, b), why, new_run=True)
        else:
            ok = c.set_params(self.weights_at(a, b), why, new_run=True)
        if not ok:
            self._show_current()

    # ---- following the session ---------------------------------------------------------------------
    def _on_data(self, *_):
        spec = self.controller.spec
        shown_for = (spec, id(self.controller.dataset))
        if shown_for == getattr(self, "_shown_for", None):
            return                                  # the same data and network (e.g. new weights put in)
        self._shown_for = shown_for
        self.runner.stop(0)
        for picker in self.pickers:
            picker.set_spec(spec)
        if landmarks.is_counter(spec):
            self.pickers[0].choose(landmarks.W_X)
            self.pickers[1].choose(landmarks.W_REC)
            self._set_range(*landmarks.COUNTER_RANGES["overview"])
        else:
            first = next(iter(spec.param_shapes())).split(".")[0]       # "rnn" (an encoder–decoder: "encoder")
            hh = [p for p in ((f"{first}.weight_hh_l0", (0, 0)), (f"{first}.weight_hh_l0", (0, 1)),
                              (f"{first}.weight_ih_l0", (0, 0))) if _exists(spec, p)]
            self.pickers[0].choose(hh[0])
            self.pickers[1].choose(hh[1] if len(hh) > 1 else hh[0])
        counter = landmarks.is_counter(spec)
        self.zoom.setVisible(counter)
        self.overview.setVisible(counter)
        self.plane = self.surface = None
        self.plot.clear_surface("Choose two weights (or directions) and press Compute" if not spec.is_seq2seq else
                                "Not for an encoder–decoder: the surface is drawn for one recurrent stack")
        self.plot.set_marks([])
        self.plot.set_current(None)
        self.planeChanged.emit(None)
        if counter and self.isVisible():
            self.start()

    def _on_model(self, *_):
        if self.surface is None:
            return
        self._show_current()
        if self._off_plane():
            self.status.setText("The weights moved off this surface's plane (other weights changed): press "
                                "Compute to see the surface through the current weights.")

    def _off_plane(self) -> bool:
        """The current weights are not on the plane: weights other than the two axes differ from its origin."""
        now = self.controller.current_model().state_dict()
        if self.plane.kind == "parameters":
            for p in self.plane.parameters:
                now[p.name][p.index] = 0.0
        return any(not np.array_equal(self.plane.origin[k], now[k]) for k in now)

    def _on_snapshots(self, *_):
        if not self._paths_timer.isActive():
            self._paths_timer.start()
        if self.surface is not None and self.controller.history.latest is not None:
            latest = self.controller.history.latest
            if latest.params is not None:
                self.plot.set_current(*self.plane.coordinates(latest.params))

    def _on_state(self, state):
        self.plot.target.movable = state != "running"     # (TargetItem has no setter)
        self._refresh_paths()

    def _clear_paths(self):
        self.hidden_paths = {key for key in self.plot.path_items if key != "current"}
        self._refresh_paths()

    def _refresh_paths(self, *_):
        if self.plane is None or self.plane.kind != "parameters":
            self.plot.set_paths({})
            return
        self.plot.set_paths(run_paths(self.controller, self.plane, hidden=self.hidden_paths))

    def showEvent(self, ev):
        super().showEvent(ev)
        if self.surface is None and landmarks.is_counter(self.controller.spec) and not self.runner.busy:
            self.start()

    def closeEvent(self, ev):
        self.runner.stop()
        super().closeEvent(ev)


def _lowest_text(surface) -> str:
    """"lowest loss on the grid 0 at (1, 1)"."""
    loss = np.where(np.isfinite(surface.loss), surface.loss, np.inf)
    j, i = np.unravel_index(np.argmin(loss), loss.shape)
    if not np.isfinite(loss[j, i]):
        return "no finite loss on this grid"
    return f"lowest loss on the grid: {loss[j, i]:.4g} at ({surface.a[i]:.4g}, {surface.b[j]:.4g})"


def _numbers(fields) -> list[float]:
    """The fields' numbers; RnnsimError naming the first field that holds none."""
    for field in fields:
        if not field.check():
            raise ConfigError(field.reason)
    return [field.value() for field in fields]


def _exists(spec, p) -> bool:
    try:
        check_scalar(spec, p)
        return True
    except RnnsimError:
        return False


class ParameterPicker(QWidget):
    """A parameter name and its row/column: one scalar of the model."""

    changed = Signal()

    def __init__(self, axis: str, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.name = QComboBox()
        self.name.setToolTip(f"The weight on the {axis} axis")
        self.row, self.col = QSpinBox(), QSpinBox()
        self.row.setToolTip("Row of the weight matrix (for a gate layer, gate blocks are stacked in rows)")
        self.col.setToolTip("Column of the weight matrix")
        for w in (self.name, self.row, self.col):
            lay.addWidget(w)
        self.name.currentIndexChanged.connect(self._name_changed)
        self.shapes: dict = {}

    def set_spec(self, spec):
        self.shapes = dict(spec.param_shapes())
        self.name.blockSignals(True)
        self.name.clear()
        for name in self.shapes:                       # shown without the "rnn." every recurrent weight has
            self.name.addItem(name.removeprefix("rnn."), name)
        self.name.blockSignals(False)
        self._name_changed()

    def _name_changed(self, *_):
        shape = self.shapes.get(self.name.currentData(), (1,))
        self.row.setMaximum(shape[0] - 1)
        self.col.setVisible(len(shape) > 1)
        if len(shape) > 1:
            self.col.setMaximum(shape[1] - 1)
        self.changed.emit()

    def choose(self, p):
        name, index = (p.name, p.index) if hasattr(p, "name") else p
        self.name.setCurrentIndex(self.name.findData(name))
        self.row.setValue(index[0])
        if len(index) > 1:
            self.col.setValue(index[1])

    def chosen(self) -> tuple[str, tuple]:
        name = self.name.currentData()
        shape = self.shapes.get(name, (1,))
        index = (self.row.value(), self.col.value()) if len(shape) > 1 else (self.row.value(),)
        return name, index
