"""Weights the learner sets by hand — a cell of a weight matrix typed in the inspector, a point chosen on the
cost surface — as undoable edits of the session's model.

Each edit keeps the weights before and after it; undo puts the "before" weights back, redo the "after"
ones, through :meth:`TrainingController.set_params` like every other change of the weights (so the
debugger records a new Tape and the views follow). An edit the controller refuses (training is running,
a value that is not a finite number) is not recorded.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack


class _WeightsEdit(QUndoCommand):
    def __init__(self, edits: "WeightEdits", before: dict, after: dict, text: str, new_run: bool):
        super().__init__(text)
        self.edits, self.before, self.after, self.new_run = edits, before, after, new_run
        self.first = True                      # the edit is already applied when it is pushed

    def redo(self):
        if self.first:
            self.first = False
            return
        self.edits._apply(self.after, f"Redo: {self.text()}", self.new_run)

    def undo(self):
        self.edits._apply(self.before, f"Undo: {self.text()}", self.new_run)


class WeightEdits(QObject):
    """The undo stack of hand-set weights for one TrainingController (``stack``: a QUndoStack the window's
    Edit menu offers)."""

    def __init__(self, controller, parent: QObject | None = None):
        super().__init__(parent)
        self.controller = controller
        self.stack = QUndoStack(self)
        controller.dataChanged.connect(self._forget_if_new_data)
        self._dataset = controller.dataset
        self._spec = controller.spec

    def put(self, params: dict, text: str, new_run: bool = False) -> bool:
        """Set every weight to ``params`` (as TrainingController.set_params) as one undoable edit named ``text``."""
        before = self.controller.current_model().state_dict()
        if not self._apply(params, text, new_run):
            return False
        self.stack.push(_WeightsEdit(self, before, {k: v.copy() for k, v in params.items()}, text, new_run))
        return True

    def set_value(self, name: str, index: tuple, value: float) -> bool:
        """One number of one weight, e.g. W[0, 1] = 0.5 typed in the inspector."""
        if not math.isfinite(value):
            self.controller.error.emit("Cannot set the weight", f"{value!r} is not a finite number")
            return False
        params = self.controller.current_model().state_dict()
        if name not in params:
            return False
        old = float(params[name][index])
        if old == value:
            return True
        params[name][index] = value
        where = ",".join(str(i) for i in index)
        return self.put(params, f"{name}[{where}] = {value:g} (was {old:.6g})")

    def _apply(self, params: dict, text: str, new_run: bool) -> bool:
        if new_run:
            return self.controller.set_params(params, text, new_run=True)
        return self.controller.set_params(params, text)

    def _forget_if_new_data(self, dataset):
        """Edits of another model cannot be undone on this one: a new data set or network clears the stack."""
        if dataset is not self._dataset or self.controller.spec != self._spec:
            self.stack.clear()
        self._dataset, self._spec = dataset, self.controller.spec
