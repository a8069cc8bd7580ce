"""The data picker: a built-in task (with what it teaches and its options) or the learner's own file
(Load data…: ui/panels/load_data.py). The one place the session's data are chosen; the debugger, training
and Predict all use them. The data set in use stays loaded until a new one has been read completely.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rnnsim.data.tasks import TASKS

from .. import theme
from .fields import block_inputs
from .load_data import LOSS_WORDS, OUTPUT_WORDS, LoadDataDialog, show_error


class DataPanel(QWidget):
    """Built-in tasks and Load data…; ``attach(controller)``."""

    dataLoaded = Signal(str)            # the path of a file that was loaded (for recent files)

    def __init__(self, controller=None, parent=None):
        super().__init__(parent)
        self.controller = None
        self.last_error = None
        self.last_error_text = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        box = QGroupBox("Built-in task")
        form = QFormLayout(box)
        self.task = QComboBox()
        # sized by a short text, not by the longest title: the dock's width decides, and the texts below wrap in it
        self.task.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.task.setMinimumContentsLength(16)
        for name, task in TASKS.items():
            self.task.addItem(task.title, name)
            self.task.setItemData(self.task.count() - 1, task.description, Qt.ItemDataRole.ToolTipRole)
        self.task.setToolTip("The experiments of the lessons, ready to train. Choosing one also picks the network "
                             "and settings its lesson suggests (new weights).")
        self.task.activated.connect(self._task_chosen)
        form.addRow("Task", self.task)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet(f"color: {theme.INK.name()};")
        form.addRow(self.description)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_000_000_000)
        self.seed.setToolTip("The seed the task's data is drawn with: the same seed, the same sequences")
        self.seed.editingFinished.connect(self._task_chosen)
        form.addRow("Data seed", self.seed)
        self.options_box = QWidget()
        self.options_form = QFormLayout(self.options_box)
        self.options_form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.options_box)
        self.option_fields: dict[str, QLineEdit] = {}
        lay.addWidget(box)
        box = QGroupBox("Your own data")
        bl = QVBoxLayout(box)
        self.load_button = QPushButton("Load data…")
        self.load_button.setToolTip("A .npz of arrays x and y, a CSV time series, or a text file")
        self.load_button.clicked.connect(self.open_dialog)
        bl.addWidget(self.load_button)
        lay.addWidget(box)
        box = QGroupBox("In use")
        bl = QVBoxLayout(box)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bl.addWidget(self.summary)
        lay.addWidget(box)
        lay.addStretch(1)
        self.dialog = None
        if controller is not None:
            self.attach(controller)

    def attach(self, controller) -> None:
        self.controller = controller
        controller.dataChanged.connect(lambda *_: self.show_data())
        controller.networkChanged.connect(lambda *_: self.show_data())
        controller.configChanged.connect(lambda *_: self.show_data())
        self.show_data()

    # ---- tasks ----------------------------------------------------------------------------------
    def _build_options(self, task):
        for key in list(self.option_fields):
            field = self.option_fields.pop(key)
            self.options_form.removeRow(field)
        for key, default in task.options.items():
            field = QLineEdit("" if default is None else str(default))
            field.setPlaceholderText("all" if default is None else str(default))
            field.setToolTip(f"Task option '{key}' (default {default})")
            field.editingFinished.connect(self._task_chosen)
            self.option_fields[key] = field
            self.options_form.addRow(key.replace("_", " "), field)

    def task_options(self) -> dict:
        """The typed task options that differ from the defaults, as numbers where they are numbers."""
        task = TASKS[self.task.currentData()]
        out = {}
        for key, field in self.option_fields.items():
            text = field.text().strip()
            if not text:
                continue
            value: object = text
            for kind in (int, float):
                try:
                    value = kind(text)
                    break
                except ValueError:
                    continue
            if value != task.options.get(key):
                out[key] = value
        return out

    def _task_chosen(self, *_):
        if self.controller is None:
            return
        name = self.task.currentData()
        if name != (self.controller.task.name if self.controller.task else None):
            self._build_options(TASKS[name])
        options = self.task_options()
        src = self.controller.source
        if (src.get("kind") == "task" and src.get("name") == name and src.get("seed") == self.seed.value()
                and (src.get("options") or {}) == options):
            return
        refusals = []

        def refused(title, text):
            refusals.append((title, text))

        self.controller.error.connect(refused)
        try:
            ok = self.controller.set_task(name, self.seed.value(), options)
        finally:
            self.controller.error.disconnect(refused)
        if not ok:
            if refusals:
                show_error(self, *refusals[-1])
            self.show_data()                     # back to what is in force

    # ---- files ----------------------------------------------------------------------------------
    def open_dialog(self, path: str | None = None) -> LoadDataDialog:
        """Open the Load data dialog (not blocking); the data is used when the learner presses Load."""
        dialog = LoadDataDialog(self, path)
        dialog.accepted.connect(lambda: self.use_dialog_result(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def use_dialog_result(self, dialog: LoadDataDialog) -> bool:
        if dialog.dataset is None or self.controller is None:
            return False
        ok = self.controller.set_data(dialog.dataset, dialog.source, None)
        if ok:
            self.dataLoaded.emit(dialog.source["path"])
        return ok

    # ---- display --------------------------------------------------------------------------------
    def show_data(self) -> None:
        c = self.controller
        d, src = c.dataset, c.source
        if src.get("kind") == "task" and list(self.option_fields) != list(TASKS[src["name"]].options):
            self._build_options(TASKS[src["name"]])     # before blocking: it deletes the old fields
        blockers = block_inputs(self)
        try:
            if src.get("kind") == "task":
                i = self.task.findData(src["name"])
                if i >= 0:
                    self.task.setCurrentIndex(i)
                task = TASKS[src["name"]]
                for key, field in self.option_fields.items():
                    value = (src.get("options") or {}).get(key, task.options.get(key))
                    field.setText("" if value is None else str(value))
                self.seed.setValue(int(src.get("seed", 0)))
                self.description.setText(f"Lesson {task.lesson}: {task.description}" if task.lesson
                                         else task.description)
            else:
                self.description.setText(f"Not a built-in task: {Path(src.get('path', '')).name} is in use.")
        finally:
            del blockers
        features = f"{d.input_size} feature{'s' * (d.input_size != 1)}"
        if d.loss == "cross_entropy":
            target = f"{d.output_size} classes"
        else:
            target = f"{d.output_size} value{'s' * (d.output_size != 1)}"
        n_val = int(round(d.size * c.config.validation_split)) if c.config.validation_split else 0
        source = (f"task “{TASKS[src['name']].title}”, seed {src.get('seed', 0)}" if src.get("kind") == "task"
                  else f"file {src.get('path')}")
        self.summary.setText(
            f"<b>{d.name}</b> — {source}<br>Shape: {d.shape_name}<br>{d.size} sequences × {d.steps} steps × {features}; "
            f"{OUTPUT_WORDS[d.output]}: {target} ({LOSS_WORDS[d.loss]})<br>"
            f"{d.size - n_val} for training, {n_val} for validation<br>{c.describe_plan().split(' — ')[-1]}")
