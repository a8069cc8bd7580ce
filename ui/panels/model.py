"""The model & probe panel: what the session trains on (with a way to the data picker), which sequence
the debugger steps through (typed or picked), the network (ui/panels/network.py) and the training
settings whose update the Tape shows (with a way to the Hyperparameters panel).

Edits call the Session (probe) or its controller (network); the panel redraws itself from their
signals with its own signals blocked (no echo), so after a refusal it shows the state still in force.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea,
                               QSpinBox, QToolButton, QVBoxLayout, QWidget)

from ..session import Session
from .network import NetworkEditor, ask_to_replace


class ModelPanel(QWidget):
    """Left dock: on what data, which probe sequence, what network, which update."""

    probeEdited = Signal()
    showPanel = Signal(str)            # "data" / "hyper": bring that dock to the front

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.setAutoFillBackground(True)
        self.session = session
        self.controller = session.training
        self.setMinimumWidth(300)
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
        lay.addWidget(self._probe_group())
        self.network = NetworkEditor(self.controller)
        lay.addWidget(self.network)
        lay.addWidget(self._update_group())
        lay.addStretch(1)
        for combo in self.findChildren(QComboBox):       # long item texts must not widen the dock
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        for edit in (self.probe, self.target):
            edit.setMinimumWidth(60)
        session.probeChanged.connect(lambda _: self.show_probe())
        session.tapeChanged.connect(lambda _: self.show_probe())
        session.busyChanged.connect(lambda busy: self.reinit.setEnabled(not busy))
        self.controller.dataChanged.connect(lambda _: self.show_data())
        self.controller.configChanged.connect(lambda _: self.show_update())
        self.show_data()
        self.show_update()

    # ---- construction -----------------------------------------------------------------------
    def _probe_group(self):
        box = QGroupBox("Data and probe sequence")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.data_text = QLabel()
        self.data_text.setWordWrap(True)
        self.data_text.setObjectName("hint")
        form.addRow(self.data_text)
        choose = QPushButton("Choose data…")
        choose.setToolTip("The built-in tasks and your own files (the Training data panel): the debugger, "
                          "training and Predict all use the data chosen there.")
        choose.clicked.connect(lambda: self.showPanel.emit("data"))
        self.choose_data = choose
        form.addRow(choose)
        self.probe_index = QSpinBox()
        self.probe_index.setRange(1, 1)
        self.probe_index.setKeyboardTracking(False)
        self.probe_index.setToolTip("Which sequence of the data the debugger steps through.")
        self.probe_index.valueChanged.connect(
            lambda v: self.session.set_probe_settings(self.session.probe.changed(probe_index=v - 1, probe_text=None,
                                                                                 target_text=None)))
        form.addRow("Sequence #", self.probe_index)
        self.probe = QLineEdit()
        self.probe.setToolTip("The probe's input, editable: commas separate timesteps, spaces separate the "
                              "values of one step (e.g. 0,1,1,0 or 0.5 1, 0 -1).\nPress Enter to record a new Tape.")
        self.probe.editingFinished.connect(self._probe_edited)
        reset = QToolButton()
        reset.setText("↺")
        reset.setToolTip("Back to the data's own sequence (drops what you typed).")
        reset.clicked.connect(lambda: self.session.set_probe(None, None))
        self.probe_reset = reset
        row = QHBoxLayout()
        row.addWidget(self.probe, 1)
        row.addWidget(reset)
        form.addRow("Input x", row)
        self.target = QLineEdit()
        self.target.setToolTip("What the network should answer: class numbers for cross-entropy, values for "
                               "squared error.\nMany-to-one: one answer; many-to-many: one per timestep. "
                               "Press Enter to apply.")
        self.target.editingFinished.connect(self._target_edited)
        form.addRow("Target", self.target)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.hide()
        form.addRow(self.preview)
        return box

    def _update_group(self):
        box = QGroupBox("The update at the end of the Tape")
        form = QFormLayout(box)
        self.update_text = QLabel()
        self.update_text.setWordWrap(True)
        self.update_text.setObjectName("hint")
        form.addRow(self.update_text)
        row = QHBoxLayout()
        settings = QPushButton("Training settings…")
        settings.setToolTip("Optimizer, learning rate, clipping, truncated BPTT (the Hyperparameters panel): "
                            "training and the Tape's update use the same settings.")
        settings.clicked.connect(lambda: self.showPanel.emit("hyper"))
        row.addWidget(settings)
        self.reinit = QPushButton("New weights")
        self.reinit.setToolTip("Start again from fresh weights (from the seed): drops training and applied updates.")
        self.reinit.clicked.connect(self._reinitialise)
        row.addWidget(self.reinit)
        form.addRow(row)
        return box

    # ---- edits -> session ------------------------------------------------------------------------
    def _probe_edited(self):
        if not self.probe.isModified():
            return
        self.probe.setModified(False)
        text = self.probe.text().strip()
        built = self.session.built
        if built is not None and text == built.probe_text:
            return
        self.probeEdited.emit()
        self.session.set_probe(text or None, self.session.probe.target_text)   # a typed target stays

    def _target_edited(self):
        if not self.target.isModified():
            return
        self.target.setModified(False)
        text = self.target.text().strip()
        built = self.session.built
        if built is not None and text == built.target_text:
            return
        probe = self.session.probe.probe_text or (built.probe_text if built is not None else None)
        self.session.set_probe(probe, text or None)

    def _reinitialise(self):
        c = self.controller
        if c.trained and not ask_to_replace(self, f"Start from new weights? The trained weights (step "
                                                  f"{c.step_count}) would be lost."):
            return
        self.session.reinitialise()

    # ---- session -> widgets ----------------------------------------------------------------------
    def show_data(self):
        c = self.controller
        d = c.dataset
        src = c.source
        where = (f"task “{c.task.title}”" if c.task is not None else f"file {src.get('path', d.name)}")
        self.data_text.setText(f"Data: {where} — {d.size} sequences of {d.steps} steps")
        blocker = QSignalBlocker(self.probe_index)
        self.probe_index.setMaximum(max(1, d.size))
        del blocker

    def show_update(self):
        cfg = self.controller.config
        parts = [f"{cfg.optimizer} lr {cfg.lr:g}" if cfg.optimizer != "rprop" else f"Rprop Δ0 {cfg.lr:g}",
                 f"clip {cfg.clip_mode} at {cfg.clip:g}" if cfg.clip else "no clipping",
                 f"BPTT truncated to {cfg.truncate} steps" if cfg.truncate else "full BPTT"]
        if cfg.weight_decay:
            parts.append(f"L2 λ = {cfg.weight_decay:g}")
        self.update_text.setText("Apply update (Ctrl+U) takes one step of " + ", ".join(parts) + " on this sequence.")

    def show_probe(self):
        s, b = self.session, self.session.built
        blockers = [QSignalBlocker(w) for w in (self.probe_index, self.probe, self.target)]
        self.probe_index.setValue(s.probe.probe_index + 1)
        if b is not None and b.settings == s.probe:
            self.probe.setText(b.probe_text)
            self.probe.setCursorPosition(0)
            self.target.setText(b.target_text)
            self.target.setCursorPosition(0)
            for w in (self.probe, self.target):
                _set_invalid(w, False)
            self._show_preview(b)
        del blockers

    def _show_preview(self, b):
        if b.input_labels:
            self.preview.setText("Reads: <b>" + "".join(b.input_labels).replace("<", "&lt;") + "</b>")
            self.preview.show()
        elif b.image is not None:
            img = np.ascontiguousarray((255 * (1.0 - b.image)).astype(np.uint8))
            h, w = img.shape
            qimg = QImage(img.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
            self.preview.setPixmap(QPixmap.fromImage(qimg).scaled(w * 8, h * 8))
            self.preview.setToolTip("The probe as an image: row t is x(t)")
            self.preview.show()
        else:
            self.preview.hide()

    def mark_invalid(self):
        """After a refused probe: outline the probe fields in red until the next good Tape."""
        for w in (self.probe, self.target):
            _set_invalid(w, True)


def _set_invalid(widget, invalid: bool):
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
