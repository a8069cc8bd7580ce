"""Hyperparameters of the training dashboard: optimizer (with its own settings — Adam's betas, Rprop's
step factors, ... — shown only while it is chosen), learning rate and schedule, batches and length,
gradient clipping, truncated BPTT, L2, validation and early stopping, and the seed. (The network is set
in the Model and probe panel: ui/panels/network.py.)

Every value is checked as it is typed: a refused one turns red and the panel says why (in the engine's
own words where the engine refuses it). Training settings apply when the edit is finished (Enter or
leaving the field) — also while training runs, from the next step. The debugger's Tape shows the
update these settings make.
"""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rnnsim import optim
from rnnsim.errors import RnnsimError
from rnnsim.train import TrainConfig

from .. import theme
from .fields import FIELD_WIDTH, NumberField, block_inputs

OPTIMIZERS = [
    ("sgd", "SGD", "Plain gradient descent: w ← w − lr·∂L/∂w (with momentum: a running average of the steps)"),
    ("rprop", "Rprop", "Resilient backprop (lesson 003): each weight moves by its own step size, which grows "
                       "while the gradient keeps its sign and shrinks when it flips — only the sign is used"),
    ("adam", "Adam", "Adaptive moments: each weight's step is scaled by running averages of its gradient "
                     "and squared gradient — a robust default"),
    ("rmsprop", "RMSprop", "Divides each step by a running average of the squared gradient"),
    ("adagrad", "Adagrad", "Divides each step by the square root of all squared gradients so far: "
                           "steps shrink over time"),
]
SCHEDULE_NAMES = [("constant", "constant"), ("step", "step decay"), ("exponential", "exponential decay")]



class HyperparametersPanel(QWidget):
    """``attach(controller)``; edits call ``controller.set_config`` and the panel redraws itself from
    ``configChanged`` with its own signals blocked (no echo)."""

    refused = Signal(str)            # the reason a value was refused ('' when all are fine)

    def __init__(self, controller=None, parent=None):
        super().__init__(parent)
        self.controller = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 4, 6, 6)
        self.reason = QLabel("")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet(f"color: {theme.BAD.name()}; font-weight: bold;")
        self.reason.hide()
        lay.addWidget(self.reason)
        self.fields: dict[str, NumberField] = {}
        lay.addWidget(self._optimizer_group())
        lay.addWidget(self._length_group())
        lay.addWidget(self._gradient_group())
        lay.addWidget(self._validation_group())
        lay.addWidget(self._seed_group())
        row = QHBoxLayout()
        self.defaults_button = QPushButton("Restore the task's settings")
        self.defaults_button.setToolTip("Put back the data, network and training settings this task suggests "
                                        "(new weights)")
        self.defaults_button.clicked.connect(self._restore_defaults)
        row.addWidget(self.defaults_button)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(1)
        for f in self.fields.values():
            f.textEdited.connect(self._typed)
            f.editingFinished.connect(self._apply_config)
        for w in body.findChildren(QSpinBox) + body.findChildren(QDoubleSpinBox):
            w.setMaximumWidth(FIELD_WIDTH)
        if controller is not None:
            self.attach(controller)

    # ---- construction -----------------------------------------------------------------------
    def _field(self, key, *args, **kwargs) -> NumberField:
        f = NumberField(*args, **kwargs)
        self.fields[key] = f
        return f

    @staticmethod
    def _label(text, tip):
        label = QLabel(text)
        label.setToolTip(tip)
        return label

    def _combo(self, items, tip):
        box = QComboBox()
        for value, text, *more in items:
            box.addItem(text, value)
            if more:
                box.setItemData(box.count() - 1, more[0], Qt.ItemDataRole.ToolTipRole)
        box.setToolTip(tip)
        box.currentIndexChanged.connect(self._apply_config)
        return box

    def _optimizer_group(self):
        g = QGroupBox("Optimizer")
        form = QFormLayout(g)
        self.optimizer = self._combo(OPTIMIZERS, "How the gradient turns into a change of the weights")
        form.addRow(self._label("Optimizer", self.optimizer.toolTip()), self.optimizer)
        self.lr_label = self._label("Learning rate", "")
        self.lr = self._field("lr", "Learning rate", 0.0, open_low=True,
                              tip="The size of each step against the gradient. Too large: the loss jumps or "
                                  "becomes NaN (lesson 002); too small: learning crawls.")
        form.addRow(self.lr_label, self.lr)
        self._optimizer_settings(form)
        self.schedule = self._combo(SCHEDULE_NAMES, "How the learning rate changes from epoch to epoch")
        form.addRow(self._label("LR schedule", self.schedule.toolTip()), self.schedule)
        self.gamma = self._field("gamma", "Decay factor γ", 0.0, 1.0, open_low=True,
                                 tip="Step decay: multiply the learning rate by γ every 'step size' epochs; "
                                     "exponential: by γ every epoch")
        form.addRow(self._label("Decay factor γ", self.gamma.toolTip()), self.gamma)
        self.step_size = self._field("step_size", "Step size", 1, integer=True,
                                     tip="Step decay: epochs between two decays")
        form.addRow(self._label("Step size (epochs)", self.step_size.toolTip()), self.step_size)
        return g

    def _optimizer_settings(self, form):
        """The rows of the optimizers' own settings (``optim.SETTINGS``); each shows only for its optimizers."""
        self.optimizer_form = form
        self.setting_rows: dict[str, tuple[QWidget, tuple]] = {}
        self.momentum = self._field("momentum", "Momentum", 0.0, 1.0, open_high=True,
                                    tip="How much of the previous step is kept and added to the next one (0 = none); "
                                        "smooths a zig-zagging descent. SGD and RMSprop only.")
        self._setting_row("momentum", "Momentum", self.momentum)
        self.nesterov = QCheckBox("Nesterov momentum")
        self.nesterov.setToolTip("Look ahead: take the gradient where the momentum is about to carry the weights (SGD)")
        self.nesterov.toggled.connect(self._apply_config)
        self._setting_row("nesterov", "", self.nesterov)
        self.dampening = self._field("dampening", "Dampening", 0.0, 1.0,
                                     tip="SGD with momentum: how much of each new gradient is left out of the "
                                         "running average of steps (0 = all of it counts, the usual choice)")
        self._setting_row("dampening", "Dampening", self.dampening)
        self.beta1 = self._field("beta1", "Adam β1", 0.0, 1.0, open_high=True,
                                 tip="β1: how much of the previous gradient average Adam keeps each step (0.9: 90 % "
                                     "old average, 10 % new gradient). Higher = smoother, but slower to turn.")
        self.beta2 = self._field("beta2", "Adam β2", 0.0, 1.0, open_high=True,
                                 tip="β2: how much of the previous average of squared gradients Adam keeps each step. "
                                     "Close to 1 (0.999) = a long memory of how large the gradients have been.")
        self._setting_row("betas", "Betas β1, β2", self.beta1, self.beta2)
        self.alpha = self._field("alpha", "RMSprop α", 0.0, 1.0,
                                 tip="α: how much of the previous average of squared gradients RMSprop keeps each "
                                     "step (0.99 = a long memory)")
        self._setting_row("alpha", "Smoothing α", self.alpha)
        self.eps = self._field("eps", "ε", 0.0, open_low=True, optional=True,
                               tip="ε: a tiny number added before dividing by the gradient's size, so that a step "
                                   "never divides by zero. Empty: the optimizer's default (Adam and RMSprop 1e-8, "
                                   "Adagrad 1e-10).")
        self._setting_row("eps", "Epsilon ε", self.eps)
        self.eta_minus = self._field("eta_minus", "Rprop η−", 0.0, 1.0, open_low=True, open_high=True,
                                     tip="η−: when a weight's gradient flips sign, the weight has jumped over a "
                                         "minimum: Rprop multiplies its step by η− (< 1) to take smaller steps")
        self.eta_plus = self._field("eta_plus", "Rprop η+", 1.0, open_low=True,
                                    tip="η+: while a weight's gradient keeps its sign, Rprop multiplies its step by "
                                        "η+ (> 1) to speed up")
        self._setting_row("etas", "Step factors η−, η+", self.eta_minus, self.eta_plus)
        self.step_min = self._field("step_min", "Smallest step", 0.0, open_low=True,
                                    tip="Rprop: the smallest step a weight's step size may shrink to")
        self.step_max = self._field("step_max", "Largest step", 0.0, open_low=True,
                                    tip="Rprop: the largest step a weight's step size may grow to")
        self._setting_row("step_sizes", "Step min, max", self.step_min, self.step_max)
        self.lr_decay = self._field("lr_decay", "Learning-rate decay", 0.0,
                                    tip="Adagrad: divide the learning rate by 1 + (step − 1)·decay, so that steps "
                                        "shrink a little more with every update (0 = off)")
        self._setting_row("lr_decay", "LR decay", self.lr_decay)
        self.initial_accumulator = self._field("initial_accumulator_value", "Initial sum", 0.0,
                                               tip="Adagrad: the sum of squared gradients every weight starts with; "
                                                   "larger = smaller first steps")
        self._setting_row("initial_accumulator_value", "Initial sum", self.initial_accumulator)

    def _setting_row(self, key, label, *widgets):
        """A form row for the optimizer setting ``key``: one field, a pair of fields, or a check box."""
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in widgets:
            if len(widgets) == 2:
                w.setMaximumWidth((FIELD_WIDTH - lay.spacing()) // 2)
            lay.addWidget(w)
        lay.addStretch(1)
        tip = "\n".join(w.toolTip() for w in widgets)
        self.optimizer_form.addRow(self._label(label, tip) if label else QLabel(""), row)
        self.setting_rows[key] = (row, widgets)

    def _setting_value(self, key):
        """The value the row of optimizer setting ``key`` shows (a pair as a tuple)."""
        values = [w.isChecked() if isinstance(w, QCheckBox) else w.value() for w in self.setting_rows[key][1]]
        return tuple(values) if len(values) == 2 else values[0]

    def _show_setting(self, key, value):
        """Put ``value`` (a pair for a two-field row) into the row of optimizer setting ``key``."""
        widgets = self.setting_rows[key][1]
        for w, v in zip(widgets, value if len(widgets) == 2 else (value,)):
            if isinstance(w, QCheckBox):
                w.setChecked(v)
            else:
                w.set_value(v)

    def _length_group(self):
        g = QGroupBox("Batches and length")
        form = QFormLayout(g)
        self.batch = QSpinBox()
        self.batch.setRange(0, 1_000_000)
        self.batch.setSpecialValueText("full batch")
        self.batch.setToolTip("Sequences per update. Full batch: every training sequence in every step (smooth, "
                              "slow); small batches: noisy but many more steps; bigger mini-batches reduce the "
                              "variance of each step (lesson 002).")
        self.batch.editingFinished.connect(self._apply_config)
        form.addRow(self._label("Batch size", self.batch.toolTip()), self.batch)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10_000_000)
        self.epochs.setToolTip("How many passes over the training sequences one run makes")
        self.epochs.editingFinished.connect(self._apply_config)
        form.addRow(self._label("Epochs", self.epochs.toolTip()), self.epochs)
        self.max_steps = QSpinBox()
        self.max_steps.setRange(0, 100_000_000)
        self.max_steps.setSpecialValueText("no limit")
        self.max_steps.setToolTip("Stop a run after this many updates even if epochs remain (0 = no limit)")
        self.max_steps.editingFinished.connect(self._apply_config)
        form.addRow(self._label("Max steps", self.max_steps.toolTip()), self.max_steps)
        return g

    def _gradient_group(self):
        g = QGroupBox("Gradients")
        form = QFormLayout(g)
        row = QHBoxLayout()
        self.clip_on = QCheckBox("clip at")
        self.clip_on.setToolTip("Gradient clipping: the cure for exploding gradients (lesson 000's 'cliffs')")
        self.clip_on.toggled.connect(self._clip_toggled)
        row.addWidget(self.clip_on)
        self.clip = self._field("clip", "Clipping threshold", 0.0, open_low=True,
                                tip="Norm: if the length of the whole gradient exceeds this, scale it down to "
                                    "this length (its direction is kept). Value: cut every component to ±this.")
        row.addWidget(self.clip)
        self.clip_mode = self._combo([("norm", "global norm"), ("value", "each value")],
                                     "Scale the whole gradient (norm) or cut each component (value)")
        row.addWidget(self.clip_mode)
        row.addStretch(1)
        form.addRow(self._label("Clipping", self.clip_on.toolTip()), row)
        self.truncate = QSpinBox()
        self.truncate.setRange(0, 100_000)
        self.truncate.setSpecialValueText("full BPTT")
        self.truncate.setSuffix(" steps")
        self.truncate.setToolTip("Truncated backpropagation through time: the gradient flows back at most this "
                                 "many steps (cheaper, but long memories cannot be learned)")
        self.truncate.editingFinished.connect(self._apply_config)
        form.addRow(self._label("BPTT window", self.truncate.toolTip()), self.truncate)
        self.l2 = self._field("weight_decay", "L2 weight decay λ", 0.0,
                              tip="Adds λ/2·Σw² over the weight matrices to the loss (lesson 002's ridge term): "
                                  "keeps weights small and the decision boundary smooth")
        form.addRow(self._label("L2 (weight decay)", self.l2.toolTip()), self.l2)
        return g

    def _validation_group(self):
        g = QGroupBox("Validation and early stopping")
        form = QFormLayout(g)
        self.split = QDoubleSpinBox()
        self.split.setRange(0.0, 90.0)
        self.split.setSingleStep(5.0)
        self.split.setDecimals(0)
        self.split.setSuffix(" %")
        self.split.setSpecialValueText("none")
        self.split.setToolTip("The share of sequences held out: the network never trains on them, so their loss "
                              "shows how well it generalises")
        self.split.editingFinished.connect(self._apply_config)
        form.addRow(self._label("Validation split", self.split.toolTip()), self.split)
        self.patience = QSpinBox()
        self.patience.setRange(0, 100_000)
        self.patience.setSpecialValueText("off")
        self.patience.setSuffix(" epochs")
        self.patience.setToolTip("Early stopping: stop when the validation loss (or the training loss, without "
                                 "validation) has not improved for this many epochs")
        self.patience.editingFinished.connect(self._apply_config)
        form.addRow(self._label("Early stopping", self.patience.toolTip()), self.patience)
        self.min_delta = self._field("min_delta", "Minimum improvement", 0.0,
                                     tip="An epoch counts as an improvement only if the loss falls by more than this")
        form.addRow(self._label("Min. improvement", self.min_delta.toolTip()), self.min_delta)
        return g

    def _seed_group(self):
        g = QGroupBox("Randomness")
        form = QFormLayout(g)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_000_000_000)
        self.seed.setToolTip("The same seed gives the same initial weights, shuffling and validation split — the "
                             "same run, bit for bit (also on the command line)")
        self.seed.editingFinished.connect(self._apply_config)
        form.addRow(self._label("Seed", self.seed.toolTip()), self.seed)
        return g

    # ---- controller ----------------------------------------------------------------------------
    def attach(self, controller) -> None:
        self.controller = controller
        controller.configChanged.connect(self.show_config)
        controller.dataChanged.connect(lambda *_: self._data_changed())
        self.show_config(controller.config)
        self._data_changed()

    def _data_changed(self):
        c = self.controller
        if c is None:
            return
        self.batch.setToolTip(self.batch.toolTip().split("\n")[0] + f"\n{c.dataset.size} sequences in the data set")
        self.defaults_button.setEnabled(c.task is not None)

    def show_config(self, cfg: TrainConfig) -> None:
        blockers = block_inputs(self)
        try:
            self._select(self.optimizer, cfg.optimizer)
            self.lr.set_value(cfg.lr)
            for key in self.setting_rows:
                self._show_setting(key, getattr(cfg, key))
            self._select(self.schedule, cfg.schedule)
            self.gamma.set_value(cfg.gamma)
            self.step_size.set_value(cfg.step_size)
            self.batch.setValue(cfg.batch_size or 0)
            self.epochs.setValue(cfg.epochs)
            self.max_steps.setValue(cfg.max_steps or 0)
            self.clip_on.setChecked(cfg.clip is not None)
            self.clip.set_value(cfg.clip if cfg.clip is not None else 1.0)
            self._select(self.clip_mode, cfg.clip_mode)
            self.truncate.setValue(cfg.truncate or 0)
            self.l2.set_value(cfg.weight_decay)
            self.split.setValue(100.0 * cfg.validation_split)
            self.patience.setValue(cfg.patience or 0)
            self.min_delta.set_value(cfg.min_delta)
            self.seed.setValue(cfg.seed)
        finally:
            del blockers
        self._update_enabled()
        self._show_reason("")

    @staticmethod
    def _select(box: QComboBox, value):
        i = box.findData(value)
        if i >= 0:
            box.setCurrentIndex(i)

    # ---- edits ---------------------------------------------------------------------------------
    def _update_enabled(self):
        opt = self.optimizer.currentData()
        for key, (row, widgets) in self.setting_rows.items():
            applies = opt in optim.SETTINGS[key]
            self.optimizer_form.setRowVisible(row, applies)
            for w in widgets:
                w.setEnabled(applies)
        default_eps = optim.SETTINGS["eps"].get(opt)
        self.eps.setPlaceholderText(f"default {default_eps:g}" if default_eps is not None else "")
        self.lr_label.setText("Initial step Δ0" if opt == "rprop" else "Learning rate")
        self.lr_label.setToolTip("Rprop: the step every weight starts with; each then adapts its own"
                                 if opt == "rprop" else self.lr.base_tip)
        sched = self.schedule.currentData()
        self.gamma.setEnabled(sched != "constant")
        self.step_size.setEnabled(sched == "step")
        self.clip.setEnabled(self.clip_on.isChecked())
        self.clip_mode.setEnabled(self.clip_on.isChecked())

    def _clip_toggled(self, _on):
        self._update_enabled()
        self._apply_config()

    def _typed(self, *_):
        fields = list(self.fields.values())
        reasons = [f.reason for f in fields if f.isEnabled() and not f.check()]
        self._show_reason(reasons[0] if reasons else "")

    def _show_reason(self, reason: str):
        self.reason.setText(f"⚠ {reason}" if reason else "")
        self.reason.setVisible(bool(reason))
        self.refused.emit(reason)

    def config(self) -> TrainConfig | None:
        """The TrainConfig the fields describe, or None (and the reason shown) when one is refused."""
        base = self.controller.config if self.controller is not None else TrainConfig()
        for f in self.fields.values():
            if f.isEnabled() and not f.check():
                self._show_reason(f.reason)
                return None
        opt = self.optimizer.currentData()
        batch = self.batch.value() or None
        defaults = TrainConfig()
        settings = {key: self._setting_value(key) if opt in optim.SETTINGS[key] else getattr(defaults, key)
                    for key in self.setting_rows}
        cfg = dataclasses.replace(
            base, optimizer=opt, lr=self.lr.value(), **settings,
            schedule=self.schedule.currentData(), gamma=self.gamma.value(), step_size=self.step_size.value(),
            epochs=self.epochs.value(), max_steps=self.max_steps.value() or None, batch_size=batch,
            clip=self.clip.value() if self.clip_on.isChecked() else None, clip_mode=self.clip_mode.currentData(),
            truncate=self.truncate.value() or None, weight_decay=self.l2.value(),
            seed=self.seed.value(), validation_split=round(self.split.value() / 100.0, 4),
            patience=self.patience.value() or None, min_delta=self.min_delta.value())
        try:
            cfg.check()
        except RnnsimError as exc:
            self._show_reason(str(exc)[0].upper() + str(exc)[1:])
            return None
        reason = self._fits_data(cfg)
        if reason:
            self._show_reason(reason)
            return None
        self._show_reason("")
        return cfg

    def _fits_data(self, cfg: TrainConfig) -> str:
        """Checks that need the data: a validation split must leave sequences on both sides."""
        if self.controller is None or not cfg.validation_split:
            return ""
        n = self.controller.dataset.size
        n_val = int(round(n * cfg.validation_split))
        if n_val < 1 or n_val >= n:
            return (f"Validation split: {cfg.validation_split:.0%} of {n} sequences leaves "
                    f"{'no' if n_val < 1 else 'no training'} sequence; choose another share or none")
        return ""

    def _apply_config(self, *_):
        self._update_enabled()
        if self.controller is None:
            return
        cfg = self.config()
        if cfg is not None and cfg != self.controller.config:
            self.controller.set_config(cfg)

    def _restore_defaults(self):
        c = self.controller
        if c is not None and c.task is not None:
            c.set_task(c.task.name, c.source.get("seed", 0), c.source.get("options") or {})
