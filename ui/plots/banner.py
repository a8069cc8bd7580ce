"""The training dashboard's divergence banner: shown when training diverged (the plots mark the step in
red), with what happened, why, and the ways out — roll back (with a smaller learning rate or clipping)
or start again."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from .. import theme


class DivergenceBanner(QFrame):
    """Shown when training diverged: what happened, why, and the ways out."""

    rollbackRequested = Signal(object)        # {"lr": ..., "clip": ...} changes to apply, possibly empty
    resetRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("divergenceBanner")
        self.setStyleSheet("#divergenceBanner { background: #fff5f5; border: 1px solid #feb2b2; border-radius: 6px; }"
                           "#divergenceBanner QLabel { color: #742a2a; }")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 11pt;")
        lay.addWidget(self.title)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.text)
        row = QHBoxLayout()
        self.rollback_button = QPushButton("Roll back")
        self.rollback_button.setToolTip("Go back to the last good weights and stay paused; change the settings, then Train")
        self.rollback_button.clicked.connect(lambda: self.rollbackRequested.emit({}))
        self.smaller_button = QPushButton("Roll back, learning rate ÷ 10")
        self.smaller_button.clicked.connect(lambda: self.rollbackRequested.emit({"lr": self._lr / 10}))
        self.clip_button = QPushButton("Roll back, clip gradients at 1")
        self.clip_button.setToolTip("Scale every update down so that the gradient's norm is at most 1")
        self.clip_button.clicked.connect(lambda: self.rollbackRequested.emit({"clip": 1.0}))
        self.reset_button = QPushButton("Reset (new weights)")
        self.reset_button.setToolTip("Start again from new initial weights (the history is cleared)")
        self.reset_button.clicked.connect(self.resetRequested.emit)
        for b in (self.rollback_button, self.smaller_button, self.clip_button, self.reset_button):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self._lr = 0.01
        self.hide()

    def show_divergence(self, step: int, text: str, rollback_step: int | None, lr: float, clipping: bool):
        self._lr = lr
        self.title.setText(f"⚠ Training diverged at step {step}: the numbers became NaN or infinite")
        self.text.setText(text)
        target = rollback_step if rollback_step is not None else step - 1
        self.rollback_button.setText(f"Roll back to step {target}")
        self.smaller_button.setText(f"Roll back, learning rate {theme.fmt(lr)} → {theme.fmt(lr / 10)}")
        self.clip_button.setVisible(not clipping)
        self.show()
