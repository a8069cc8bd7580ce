"""Generate: the trained text model writes on from a prompt, one sampled character at a time.

The engine's :func:`rnnsim.generate.generate_chunks` draws each next character k with probability
softmax(z / temperature)_k and feeds it back; here it runs on a worker (``ui.workers.Runner``) and sends
the characters in pieces as they are drawn, so the text grows in the window and Stop ends it early.
Hovering a generated character shows the probability it had when it was drawn. The same seed gives the
same text. A model not trained on a text shows the engine's one-line reason instead.
"""
from __future__ import annotations

import html
import threading

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSlider,
                               QSpinBox, QTextEdit, QToolTip, QVBoxLayout, QWidget)

from rnnsim.errors import RnnsimError
from rnnsim.generate import generate_chunks, text_vocabulary
from rnnsim.limits import MAX_GENERATE_CHARS, MAX_SEED

from .. import theme
from ..workers import Runner

CHUNK = 16                     # characters per piece sent to the window
TEMPERATURE_STEPS = 100        # the slider's ticks per unit of temperature (0.01 resolution)


class GeneratedText(QTextEdit):
    """Read-only text whose generated characters show their probability on hover.

    ``prime_length``: characters at the start that were typed, not drawn; ``probabilities`` (n,) the
    probability of each drawn character, in order."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(theme.mono_font(10))
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.prime_length = 0
        self.probabilities = np.empty(0)

    def start(self, prime: str) -> None:
        """Show the prompt (bold: typed, not drawn) and forget the previous generation."""
        self.clear()
        prompt_format = QTextCharFormat()
        prompt_format.setFontWeight(QFont.Weight.Bold)
        self.textCursor().insertText(prime, prompt_format)
        self.prime_length = len(prime)
        self.probabilities = np.empty(0)

    def append_drawn(self, text: str, probabilities: np.ndarray) -> None:
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, QTextCharFormat())
        self.probabilities = np.concatenate([self.probabilities, probabilities])

    def tooltip_at(self, position: int) -> str:
        """The hover text for the character at document ``position`` ("" outside the drawn characters)."""
        i = position - self.prime_length
        if not 0 <= i < len(self.probabilities):
            return ""
        ch = self.toPlainText()[position]
        return f"{ch!r} drawn with probability {self.probabilities[i]:.3g} (character {i + 1} after the prompt)"

    def viewportEvent(self, event):        # tooltips are events of the viewport, not of the QTextEdit
        if event.type() == event.Type.ToolTip:
            cursor = self.cursorForPosition(event.pos())
            rect = self.cursorRect(cursor)
            # cursorForPosition gives the gap nearest the pointer: the character is the one the pointer is over
            position = cursor.position() - (1 if event.pos().x() < rect.x() else 0)
            text = self.tooltip_at(position)
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)


class GeneratePanel(QWidget):
    """Prompt, length, temperature, seed → text sampled from ``controller.current_model()``.

    Signals: ``generated(object)`` (text, probabilities (n,)) when a generation ends (also when stopped);
    ``piece(int)`` the number of characters drawn so far, after each piece is shown."""

    generated = Signal(object)
    piece = Signal(int)

    def __init__(self, controller=None, parent=None):
        super().__init__(parent)
        self.controller = None
        self.runner = Runner("generate", self)
        self.runner.progress.connect(self._take_piece)
        self._pieces_in_flight: list = []          # (text, probabilities) sent by the worker, not yet shown
        self._stop_asked = threading.Event()
        self.runner.done.connect(self._finished)
        self.runner.failed.connect(lambda exc: self._finished(None, str(exc)))
        self.reason = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        form = QFormLayout()
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("the text the network reads first (empty: a newline)")
        self.prompt.returnPressed.connect(self.generate)
        form.addRow("Prompt", self.prompt)
        self.length = QSpinBox()
        self.length.setRange(1, MAX_GENERATE_CHARS)
        self.length.setValue(400)
        self.length.setSuffix(" characters")
        form.addRow("Length", self.length)
        temp_row = QHBoxLayout()
        self.temperature = QSlider(Qt.Orientation.Horizontal)
        self.temperature.setRange(10, 200)
        self.temperature.setValue(80)
        self.temperature.setToolTip("Low: always the likeliest characters (repetitive); high: flatter, wilder")
        self.temperature_label = QLabel()
        self.temperature.valueChanged.connect(self._show_temperature)
        temp_row.addWidget(self.temperature, 1)
        temp_row.addWidget(self.temperature_label)
        form.addRow("Temperature", temp_row)
        self.seed = QSpinBox()
        self.seed.setRange(0, min(MAX_SEED, 2**31 - 1))
        self.seed.setToolTip("The same seed gives the same text")
        form.addRow("Seed", self.seed)
        lay.addLayout(form)
        buttons = QHBoxLayout()
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self.generate)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {theme.MUTED.name()};")
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.status, 1)
        lay.addLayout(buttons)
        self.output = GeneratedText()
        lay.addWidget(self.output, 1)
        self._show_temperature()
        if controller is not None:
            self.attach(controller)

    # ---- public -----------------------------------------------------------------------------
    @property
    def temperature_value(self) -> float:
        return self.temperature.value() / TEMPERATURE_STEPS

    @property
    def busy(self) -> bool:
        return self.runner.busy

    def attach(self, controller) -> None:
        if self.controller is not None:
            self.controller.modelChanged.disconnect(self._check_model)
            self.controller.dataChanged.disconnect(self._check_model)
        self.controller = controller
        controller.modelChanged.connect(self._check_model)
        controller.dataChanged.connect(self._check_model)
        self._check_model()

    def generate(self) -> None:
        """Sample from a copy of the newest weights on the worker; the pieces appear as they come."""
        model = self.controller.current_model()
        prime = self.prompt.text() or None
        try:
            prime, pieces = generate_chunks(model, prime, self.length.value(), self.temperature_value,
                                            self.seed.value(), CHUNK)
        except RnnsimError as exc:        # refused before anything is drawn: the prompt and the text shown stay
            self.status.setText(f"<span style='color:{theme.BAD.name()}'>⚠ {html.escape(str(exc))}</span>")
            return
        self.output.start(prime)
        self.status.setText(f"Sampling at temperature {self.temperature_value:.2f}, seed {self.seed.value()}…")
        self.generate_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        in_flight = self._pieces_in_flight = []     # a list per job: a superseded job's pieces are never shown
        stop_asked = self._stop_asked = threading.Event()

        def run(job):
            for text, probabilities in pieces:
                if job.cancelled or stop_asked.is_set():
                    return "stopped"
                in_flight.append((text, probabilities))
                job.progress(text)
            return "done"

        self.runner.submit(run)

    def stop(self) -> None:
        """Ask the worker to stop after its current piece; what was drawn stays."""
        self._stop_asked.set()

    # ---- internals --------------------------------------------------------------------------
    def closeEvent(self, event):
        self.runner.stop()
        super().closeEvent(event)

    def _show_temperature(self, *_):
        self.temperature_label.setText(f"{self.temperature_value:.2f}")

    def _check_model(self, *_):
        """Enable the controls for a text model; else show the engine's reason."""
        try:
            text_vocabulary(self.controller.current_model())
        except RnnsimError as exc:
            self.reason = str(exc)
        else:
            self.reason = ""
        self.generate_button.setEnabled(not self.reason and not self.busy)
        self.status.setText(self.reason)

    def _take_piece(self, _text):
        if self._pieces_in_flight:
            text, probabilities = self._pieces_in_flight.pop(0)
            self.output.append_drawn(text, probabilities)
            self.piece.emit(len(self.output.probabilities))

    def _finished(self, result, error: str = ""):
        while self._pieces_in_flight:
            self._take_piece("")
        self.generate_button.setEnabled(not self.reason)
        self.stop_button.setEnabled(False)
        drawn = len(self.output.probabilities)
        if error:
            self.status.setText(f"Stopped by an error after {drawn} characters: {error}")
        elif result == "stopped":
            self.status.setText(f"Stopped after {drawn} characters")
        else:
            self.status.setText(f"{drawn} characters at temperature {self.temperature_value:.2f}, "
                                f"seed {self.seed.value()} — hover a character for its probability")
        self.generated.emit((self.output.toPlainText(), self.output.probabilities.copy()))
