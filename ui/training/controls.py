"""The training dashboard's controls: Train / Pause / Stop / Reset, Train N steps with its step count, the
run's state as a badge, the epochs done as a bar and the live figures (step, loss, steps per second)."""
from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QFontMetrics, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QSpinBox, QStyle, QToolButton

from .. import theme
from ..livetext import LiveText
from .controller import DIVERGED, FINISHED, PAUSED, READY, RUNNING, STOPPED

BADGE_PAD = 8
STATE_WORDS = {READY: ("Ready", "#4a5568"), RUNNING: ("Training", "#2f855a"), PAUSED: ("Paused", "#b7791f"),
               STOPPED: ("Stopped", "#4a5568"), FINISHED: ("Finished", "#2b6cb0"), DIVERGED: ("Diverged", "#c53030")}


class TrainingControls(QFrame):
    """The bar of buttons and figures above the plots. ``actions``: {"train", "pause", "stop", "reset",
    "train_steps"} QActions (F5, F6, Shift+F5), which the main window also puts in its menus."""

    def __init__(self, command, train_steps, parent=None):
        """``command(name)``: Train, Pause, Stop and Reset pressed; ``train_steps()``: Train N steps pressed."""
        super().__init__(parent)
        self.setObjectName("trainingControls")
        self.setStyleSheet(f"#trainingControls {{ background: {theme.PAPER.name()}; border: 1px solid {theme.LINE.name()};"
                          " border-radius: 6px; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)

        def action(key, text, tip, shortcut=None, icon=None):
            act = QAction(text, self)
            if icon is not None:
                act.setIcon(self.style().standardIcon(icon))
            act.setToolTip(tip)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            button = QToolButton()
            button.setDefaultAction(act)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setMinimumWidth(64)
            row.addWidget(button)
            self.actions[key] = act
            self.buttons[key] = button
            return act

        self.actions, self.buttons = {}, {}
        sp = QStyle.StandardPixmap
        action("train", "Train", "Train in the background (the window stays responsive); "
                                 "after a pause this resumes the same run", "F5", sp.SP_MediaPlay
               ).triggered.connect(partial(command, "train"))
        action("pause", "Pause", "Stop after the current step; Train resumes exactly where it paused",
               "F6", sp.SP_MediaPause).triggered.connect(partial(command, "pause"))
        action("stop", "Stop", "End this run after the current step; the weights stay, and Train starts a "
                               "new run of the set number of epochs from them", "Shift+F5", sp.SP_MediaStop
               ).triggered.connect(partial(command, "stop"))
        action("reset", "Reset", "New initial weights (the seed and network settings in force); clears the plots",
               None, sp.SP_BrowserReload).triggered.connect(partial(command, "reset"))
        sep = QFrame()
        sep.setFrameShape(QFrame.Shape.VLine)
        sep.setStyleSheet(f"color: {theme.LINE.name()};")
        row.addWidget(sep)
        self.steps_box = QSpinBox()
        self.steps_box.setRange(1, 1_000_000)
        self.steps_box.setValue(100)
        self.steps_box.setSuffix(" steps")
        self.steps_box.setToolTip("How many updates (mini-batches) “Train N steps” runs before it pauses")
        act = action("train_steps", "Train", "Run exactly this many updates, then pause: watch a few steps at a time",
                     None, sp.SP_MediaSeekForward)
        act.triggered.connect(lambda *_: train_steps())
        row.addWidget(self.steps_box)
        row.addSpacing(12)
        self.state_label = QLabel("Ready")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # a badge as wide as its longest word (bold, padded): it never runs into the epoch counter beside it
        font = theme.ui_font(9, bold=True)
        self.state_label.setFont(font)
        fm = QFontMetrics(font)
        self.state_label.setFixedSize(max(fm.horizontalAdvance(w) for w, _ in STATE_WORDS.values()) + 2 * BADGE_PAD + 4,
                                      fm.height() + 8)
        row.addWidget(self.state_label)
        row.addSpacing(6)
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(QFontMetrics(self.progress.font()).horizontalAdvance("epoch 99999/99999") + 16)
        self.progress.setMaximumWidth(180)
        self.progress.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.progress.setTextVisible(True)
        self.progress.setToolTip("Epochs done in this run, out of the number set in Hyperparameters")
        self.progress.setStyleSheet(f"QProgressBar {{ border: 1px solid {theme.FAINT.name()}; border-radius: 4px;"
                                    f" background: {theme.PAPER.name()}; text-align: center;"
                                    f" color: {theme.INK.name()}; min-height: 16px; }}"
                                    f"QProgressBar::chunk {{ background: rgba({theme.PHASE['forward'].red()}, {theme.PHASE['forward'].green()},"
                                    f" {theme.PHASE['forward'].blue()}, 70);"
                                    " border-radius: 3px; }")
        row.addWidget(self.progress)
        self.stats = LiveText("figures", width=240)     # changes 10× a second: no re-layout (see LiveText)
        row.addWidget(self.stats, 1, Qt.AlignmentFlag.AlignVCenter)

    def show_state(self, state: str) -> None:
        """The badge, the buttons' enabled state and Train's text for the run's ``state``."""
        text, color = STATE_WORDS.get(state, (state, "#4a5568"))
        self.state_label.setText(text)
        background = theme.readable(QColor(color), theme.PAPER)          # white text on it: ≥ 4.5:1
        self.state_label.setStyleSheet(f"color: white; background: {background.name()}; border-radius: 9px; "
                                       f"padding: 0 {BADGE_PAD}px;")
        running = state == RUNNING
        self.actions["train"].setEnabled(not running)
        self.actions["train_steps"].setEnabled(not running)
        self.actions["pause"].setEnabled(running)
        self.actions["stop"].setEnabled(running or state == PAUSED)
        self.actions["train"].setText({PAUSED: "Resume", FINISHED: "Train more", STOPPED: "Train again",
                                       DIVERGED: "Roll back && train"}.get(state, "Train"))

    def show_figures(self, epochs_done: int, epochs: int, step: int, loss: float | None,
                     steps_per_second: float | None) -> None:
        """The epochs bar ("epoch 3/60") and the live figures beside it."""
        done = min(epochs_done, epochs)
        self.progress.setRange(0, max(epochs, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"epoch {done}/{epochs}")
        parts = [f"step {step}"]
        if loss is not None:
            parts.append(f"loss {theme.fmt(loss, 4)}")
        if steps_per_second is not None:
            parts.append(f"{steps_per_second:,.0f} steps/s")
        self.stats.setText("  ·  ".join(parts))
