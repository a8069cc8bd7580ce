"""The model & probe panel: task, cell, sizes, layers, bidirectional, output mode, seed, the probe
sequence (typed), truncation, clipping and the optimizer whose update the Tape shows.

Every edit calls one of the Session's model-changing methods; the panel redraws itself from
``Session.settingsChanged`` with its own signals blocked (no echo), so after a refusal it shows
the settings still in force.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox, QToolButton,
                               QVBoxLayout, QWidget)

from ..session import CUSTOM, STEP_OPTIONS, T_MAX, Session, Settings

CELLS = [
    ("linear", "Linear RNN", "h(t) = U·x(t) + W·h(t−1) + b — no squashing: the bit counter of lesson 003"),
    ("rnn_tanh", "Elman RNN (tanh)", "h(t) = tanh(U·x(t) + W·h(t−1) + b) — the classic recurrent cell"),
    ("rnn_relu", "Elman RNN (ReLU)", "h(t) = relu(U·x(t) + W·h(t−1) + b)"),
    ("rnn_sigmoid", "Elman RNN (sigmoid)", "h(t) = σ(U·x(t) + W·h(t−1) + b) — the 2-3-2 network of lesson 002"),
    ("lstm", "LSTM", "Long short-term memory: a cell state c(t) guarded by input, forget and output gates"),
    ("gru", "GRU", "Gated recurrent unit: reset and update gates blend the old state with a candidate"),
]
OPTIMIZERS = [("sgd", "SGD"), ("rprop", "Rprop"), ("adam", "Adam"), ("rmsprop", "RMSprop"), ("adagrad", "Adagrad")]
INITS = [("pytorch", "PyTorch default (uniform ±1/√hidden)"), ("xavier", "Xavier (Glorot)"),
         ("orthogonal", "Orthogonal W"), ("zeros", "All zeros (watch the symmetry)")]


class ModelPanel(QWidget):
    """Left dock: what network, on what sequence."""

    probeEdited = Signal()

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.setAutoFillBackground(True)
        self.session = session
        self._syncing = False
        self.setMinimumWidth(320)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 4, 6, 6)
        lay.addWidget(self._task_group())
        lay.addWidget(self._model_group())
        lay.addWidget(self._train_group())
        lay.addStretch(1)
        for combo in self.findChildren(QComboBox):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        for edit in (self.probe, self.target):
            edit.setMinimumWidth(60)
        session.settingsChanged.connect(self.show_settings)
        session.tapeChanged.connect(self._on_tape)
        session.busyChanged.connect(self._on_busy)
        self.show_settings(session.requested)

    # ---- construction -----------------------------------------------------------------------
    def _task_group(self):
        from rnnsim.data.tasks import TASKS

        box = QGroupBox("Task and probe sequence")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.task = QComboBox()
        for name, task in TASKS.items():
            self.task.addItem(task.title, name)
            self.task.setItemData(self.task.count() - 1, _wrap(task.description), Qt.ItemDataRole.ToolTipRole)
        self.task.addItem("Your own sequence", CUSTOM)
        self.task.setItemData(self.task.count() - 1, "Type any input and target; choose every size yourself.",
                              Qt.ItemDataRole.ToolTipRole)
        self.task.setToolTip("The experiment: which data the network reads and what it should answer.\n"
                             "Choosing a task also picks the model and settings its lesson suggests.")
        self.task.activated.connect(lambda i: self.session.choose_task(self.task.itemData(i)))
        form.addRow("Task", self.task)
        self.task_text = QLabel()
        self.task_text.setWordWrap(True)
        self.task_text.setObjectName("hint")
        form.addRow(self.task_text)
        self.seed = _spin(0, 99999, "Seed for the data and the initial weights: the same seed gives the same run.")
        self.seed.valueChanged.connect(lambda v: self._set(seed=v))
        form.addRow("Seed", self.seed)
        self.steps = _spin(1, T_MAX, "Sequence length T: how many timesteps the network is unrolled over.")
        self.steps.valueChanged.connect(lambda v: self._set(steps=v))
        form.addRow("Length T", self.steps)
        self.probe_index = _spin(1, 99999, "Which sequence of the task's data to step through.")
        self.probe_index.valueChanged.connect(lambda v: self._set(probe_index=v - 1))
        form.addRow("Sequence #", self.probe_index)
        self.probe = QLineEdit()
        self.probe.setToolTip("The probe's input, editable: commas separate timesteps, spaces separate the "
                              "values of one step (e.g. 0,1,1,0 or 0.5 1, 0 -1).\nPress Enter to record a new Tape.")
        self.probe.editingFinished.connect(self._probe_edited)
        reset = QToolButton()
        reset.setText("↺")
        reset.setToolTip("Back to the task's own sequence (drops what you typed).")
        reset.clicked.connect(lambda: self.session.set_probe(None, None))
        self.probe_reset = reset
        row = QHBoxLayout()
        row.addWidget(self.probe, 1)
        row.addWidget(reset)
        form.addRow("Input x", row)
        self.target = QLineEdit()
        self.target.setToolTip("What the network should answer: class numbers for cross-entropy, values for "
                               "mean squared error.\nFor 'many-to-one' outputs one answer, for 'many-to-many' one "
                               "per timestep. Press Enter to apply.")
        self.target.editingFinished.connect(self._target_edited)
        form.addRow("Target", self.target)
        return box

    def _model_group(self):
        box = QGroupBox("Network")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.cell = QComboBox()
        for value, label, tip in CELLS:
            self.cell.addItem(label, value)
            self.cell.setItemData(self.cell.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.cell.setToolTip("The recurrent cell: what one copy in the unrolled graph computes.")
        self.cell.activated.connect(lambda i: self._set(cell=self.cell.itemData(i)))
        form.addRow("Cell", self.cell)
        self.hidden = _spin(1, 128, "Hidden units: the length of the memory vector h(t).")
        self.hidden.valueChanged.connect(lambda v: self._set(hidden_size=v))
        form.addRow("Hidden size", self.hidden)
        self.layers = _spin(1, 4, "Stacked layers: layer k+1 reads the hidden states of layer k (drawn as rows).")
        self.layers.valueChanged.connect(lambda v: self._set(num_layers=v))
        form.addRow("Layers", self.layers)
        self.bidirectional = QCheckBox("Bidirectional")
        self.bidirectional.setToolTip("A second copy of each layer reads the sequence backwards, from x(T) to "
                                      "x(1);\nits row in the graph has its arrows reversed.")
        self.bidirectional.toggled.connect(lambda v: self._set(bidirectional=v))
        self.bias = QCheckBox("Biases b")
        self.bias.setToolTip("Give the recurrent layers bias vectors (the head always has one).")
        self.bias.toggled.connect(lambda v: self._set(bias=v))
        row = QHBoxLayout()
        row.addWidget(self.bidirectional)
        row.addWidget(self.bias)
        row.addStretch(1)
        form.addRow(row)
        self.input_size = _spin(1, 64, "Values per timestep in x(t). Fixed by the task's data; free for your "
                                       "own sequence.")
        self.input_size.valueChanged.connect(lambda v: self._set(input_size=v))
        form.addRow("Input size", self.input_size)
        self.output_size = _spin(1, 64, "Length of o(t), the output the head V computes (classes for "
                                        "cross-entropy). Fixed by the task's data; free for your own sequence.")
        self.output_size.valueChanged.connect(lambda v: self._set(output_size=v))
        self.head = QCheckBox("Head V")
        self.head.setToolTip("A linear read-out o(t) = V·h(t) + c. Without it the output is h(t) itself "
                             "(as the bit counter of lesson 003).")
        self.head.toggled.connect(lambda v: self._set(output_size=self.output_size.value() if v else None))
        row = QHBoxLayout()
        row.addWidget(self.output_size, 1)
        row.addWidget(self.head)
        form.addRow("Output size", row)
        self.output = QComboBox()
        self.output.addItem("Many-to-many (every step)", "sequence")
        self.output.addItem("Many-to-one (last step)", "last")
        self.output.setToolTip("Where the loss looks: an output at every timestep, or only after the last.")
        self.output.activated.connect(lambda i: self._set(output=self.output.itemData(i)))
        form.addRow("Output", self.output)
        self.loss = QComboBox()
        self.loss.addItem("Mean squared error", "mse")
        self.loss.addItem("Cross-entropy (softmax)", "cross_entropy")
        self.loss.setToolTip("How wrong an answer is: squared distance to the target, or the negative "
                             "log-probability softmax gives the right class.")
        self.loss.activated.connect(lambda i: self._set(loss=self.loss.itemData(i)))
        form.addRow("Loss", self.loss)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("hint")
        form.addRow(self.summary)
        return box

    def _train_group(self):
        box = QGroupBox("Backpropagation and update")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.truncate = _spin(0, T_MAX, "Truncated BPTT: the gradient travels back at most this many steps "
                                        "(the cuts are drawn in red).\n'full' lets it travel all the way to t = 1.")
        self.truncate.setSpecialValueText("full")
        self.truncate.valueChanged.connect(lambda v: self._set(truncate=v or None))
        form.addRow("Truncate BPTT", self.truncate)
        self.clip = QDoubleSpinBox()
        self.clip.setRange(0.0, 1000.0)
        self.clip.setDecimals(2)
        self.clip.setSingleStep(0.5)
        self.clip.setSpecialValueText("off")
        self.clip.setToolTip("Gradient clipping: if the gradient's total length is above this threshold, "
                             "scale it down to it — the cure for exploding gradients ('cliffs').")
        self.clip.valueChanged.connect(lambda v: self._set(clip=v or None))
        form.addRow("Clip norm", self.clip)
        self.optimizer = QComboBox()
        for value, label in OPTIMIZERS:
            self.optimizer.addItem(label, value)
        self.optimizer.setToolTip("The rule that turns the gradient into a change of the weights "
                                  "(the Tape's update events).")
        self.optimizer.activated.connect(self._optimizer_chosen)
        form.addRow("Optimizer", self.optimizer)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(4)
        self.lr.setRange(0.0001, 10.0)
        self.lr.setSingleStep(0.01)
        self.lr.setToolTip("Learning rate: how big a step the update takes (Rprop: its first step size).")
        self.lr.valueChanged.connect(lambda v: self._set(lr=v))
        form.addRow("Learning rate", self.lr)
        self.momentum = QDoubleSpinBox()
        self.momentum.setDecimals(2)
        self.momentum.setRange(0.0, 0.99)
        self.momentum.setSingleStep(0.1)
        self.momentum.setToolTip("Momentum (SGD, RMSprop): keep moving in the direction of earlier steps.")
        self.momentum.valueChanged.connect(lambda v: self._set(momentum=v))
        form.addRow("Momentum", self.momentum)
        self.init = QComboBox()
        for value, label in INITS:
            self.init.addItem(label, value)
        self.init.setToolTip("How the weights start.")
        self.init.activated.connect(lambda i: self._set(init=self.init.itemData(i)))
        form.addRow("Initial weights", self.init)
        self.reinit = QPushButton("Reinitialise weights")
        self.reinit.setToolTip("Start again from fresh weights (from the seed), dropping applied updates.")
        self.reinit.clicked.connect(self.session.reinitialise)
        form.addRow(self.reinit)
        return box

    # ---- edits -> session ------------------------------------------------------------------------
    def _set(self, **changes):
        if self._syncing:
            return
        self.session.configure(**changes)

    def _optimizer_chosen(self, i):
        name = self.optimizer.itemData(i)
        changes = {"optimizer": name}
        if name not in ("sgd", "rmsprop"):
            changes["momentum"] = 0.0
        self._set(**changes)

    def _probe_edited(self):
        if self._syncing or not self.probe.isModified():
            return
        self.probe.setModified(False)
        text = self.probe.text().strip()
        current = self.session.built.probe_text if self.session.built else None
        if text == current:
            return
        self.probeEdited.emit()
        # a new input keeps a typed target only if the user typed one
        target = self.session.requested.target_text
        self.session.set_probe(text or None, target)

    def _target_edited(self):
        if self._syncing or not self.target.isModified():
            return
        self.target.setModified(False)
        text = self.target.text().strip()
        current = self.session.built.target_text if self.session.built else None
        if text == current:
            return
        probe = self.session.requested.probe_text or (self.session.built.probe_text if self.session.built else None)
        self.session.set_probe(probe, text or None)

    # ---- session -> widgets ----------------------------------------------------------------------
    def show_settings(self, s: Settings):
        self._syncing = True
        try:
            _select(self.task, s.task)
            self.seed.setValue(s.seed)
            self.steps.setValue(s.steps)
            self.probe_index.setValue(s.probe_index + 1)
            _select(self.cell, s.cell)
            self.hidden.setValue(s.hidden_size)
            self.layers.setValue(s.num_layers)
            self.bidirectional.setChecked(s.bidirectional)
            self.bias.setChecked(s.bias)
            self.truncate.setValue(s.truncate or 0)
            self.clip.setValue(s.clip or 0.0)
            _select(self.optimizer, s.optimizer)
            self.lr.setValue(s.lr)
            self.momentum.setValue(s.momentum)
            self.momentum.setEnabled(s.optimizer in ("sgd", "rmsprop"))
            _select(self.init, s.init)
            custom = s.task == CUSTOM
            self.steps.setEnabled(custom or s.task in STEP_OPTIONS)
            self.steps.setToolTip("Sequence length T: how many timesteps the network is unrolled over." +
                                  ("" if self.steps.isEnabled() else "\nThis task's sequences have a fixed length."))
            self.input_size.setEnabled(custom)
            self.output_size.setEnabled(custom)
            self.head.setEnabled(custom)
            self.loss.setEnabled(custom)
            self.output.setEnabled(custom or s.task == "temporal-xor")
            if custom:
                self.input_size.setValue(s.input_size)
                self.head.setChecked(s.output_size is not None)
                self.output_size.setValue(s.output_size or 1)
                self.output_size.setEnabled(s.output_size is not None)
                _select(self.output, s.output)
                _select(self.loss, s.loss)
            b = self.session.built
            if b is not None and b.settings == s:
                self._show_built(b)
            self._show_task_text(s)
        finally:
            self._syncing = False

    def _show_task_text(self, s):
        if s.task == CUSTOM:
            self.task_text.setText("Your own sequence: type the input and the target below; every size is free.")
        else:
            from rnnsim.data.tasks import get_task
            t = get_task(s.task)
            first = t.description.split(". ")[0].rstrip(".") + "."
            self.task_text.setText(first if first.startswith("LESSONS") else f"LESSONS {t.lesson}: {first}")
            self.task_text.setToolTip(_wrap(t.description))

    def _show_built(self, b):
        spec = b.model.spec
        self.input_size.setValue(spec.input_size)
        self.head.setChecked(spec.output_size is not None)
        self.output_size.setValue(spec.output_size or spec.out_features)
        _select(self.output, spec.output)
        _select(self.loss, spec.loss)
        self.probe_index.setMaximum(max(1, b.dataset.size))
        self.probe.setText(b.probe_text)
        self.probe.setCursorPosition(0)
        self.target.setText(b.target_text)
        self.target.setCursorPosition(0)
        for w in (self.probe, self.target):
            w.setProperty("invalid", False)
            w.style().unpolish(w)
            w.style().polish(w)
        shapes = spec.param_shapes()
        count = sum(int(_prod(s)) for s in shapes.values())
        parts = []
        for name, label in (("rnn.weight_ih_l0", "U"), ("rnn.weight_hh_l0", "W"), ("fc.weight", "V")):
            if name in shapes:
                parts.append(f"{label} {shapes[name][0]}×{shapes[name][1]}")
        extra = f" · {spec.num_layers} layers" if spec.num_layers > 1 else ""
        self.summary.setText(f"{' · '.join(parts)}{extra} · {count} parameters, shared by every timestep")

    def _on_tape(self, session):
        self.show_settings(session.settings)

    def _on_busy(self, busy):
        self.reinit.setEnabled(not busy)

    def mark_invalid(self):
        """After a refused probe: outline the probe fields in red until the next good Tape."""
        for w in (self.probe, self.target):
            w.setProperty("invalid", True)
            w.style().unpolish(w)
            w.style().polish(w)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _spin(lo, hi, tip):
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setToolTip(tip)
    s.setKeyboardTracking(False)
    return s


def _select(combo: QComboBox, value):
    i = combo.findData(value)
    if i >= 0:
        combo.setCurrentIndex(i)


def _wrap(text, width=70):
    import textwrap
    return "\n".join(textwrap.wrap(text, width))
