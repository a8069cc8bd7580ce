"""The training dashboard's live text sample: what a text model writes now, every few seconds.

While a text model trains, :class:`TextSampleView` takes the newest detailed snapshot's weights at most
once every ``interval`` seconds and, on a worker, draws ``length`` characters from them with
:func:`rnnsim.generate.generate` (fixed temperature and seed, so the changes come from the weights
alone): the learner watches it go from noise to words. Hidden for data that is not a text.
"""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from rnnsim.errors import RnnsimError
from rnnsim.generate import generate, text_vocabulary
from rnnsim.model import Model

from .. import theme
from ..workers import Runner

SAMPLE_CHARS = 80
SAMPLE_TEMPERATURE = 0.8
SAMPLE_SEED = 0
SAMPLE_INTERVAL = 3.0          # seconds between samples while training


class TextSampleView(QWidget):
    """``offer(spec, params, step)`` with the newest weights; a sample is computed when ``interval``
    seconds passed since the last one (``force``: now). ``used``: (step, params) of the sample shown.

    Signal ``sampled(int, object)``: the step whose weights were used, the :class:`Generation`."""

    sampled = Signal(int, object)

    def __init__(self, parent=None, interval: float = SAMPLE_INTERVAL):
        super().__init__(parent)
        self.interval = interval
        self.used = None
        self.active = False                   # the model is a text model
        self._last_submit = -float("inf")
        self.runner = Runner("text sample", self)
        self.runner.done.connect(self._show)
        self.runner.failed.connect(lambda exc: self.caption.setText(f"Sample not computed: {exc}"))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        lay.setSpacing(0)
        self.caption = QLabel()
        self.caption.setStyleSheet(f"color: {theme.MUTED.name()};")
        self.text = QLabel("")
        self.text.setFont(theme.mono_font(10))
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.caption)
        lay.addWidget(self.text)
        self.setVisible(False)

    def set_model(self, model) -> bool:
        """Show the view only for a text model (rnnsim.generate.text_vocabulary accepts it); → shown."""
        try:
            text_vocabulary(model)
        except RnnsimError:
            self.active = False
            self.setVisible(False)
            return False
        self.active = True
        self.used = None
        self._last_submit = -float("inf")
        self.caption.setText(f"A sample of {SAMPLE_CHARS} characters (temperature {SAMPLE_TEMPERATURE}, "
                             f"seed {SAMPLE_SEED}) appears here every few seconds while training runs")
        self.text.setText("")
        self.setVisible(True)
        return True

    def offer(self, spec, params: dict, step: int, force: bool = False) -> bool:
        """Sample from these weights if the last sample is ``interval`` s old (or ``force``); → submitted."""
        if not self.active:
            return False
        now = time.monotonic()
        if not force and (now - self._last_submit < self.interval or self.runner.busy):
            return False
        self._last_submit = now
        model = Model(spec, params)
        self.runner.submit(lambda job: (int(step), params,
                                        generate(model, None, SAMPLE_CHARS, SAMPLE_TEMPERATURE, SAMPLE_SEED)))
        return True

    def _show(self, result):
        step, params, generation = result
        self.used = (step, params)
        self.caption.setText(f"What the network writes after step {step} ({SAMPLE_CHARS} characters, "
                             f"temperature {SAMPLE_TEMPERATURE}, seed {SAMPLE_SEED}):")
        self.text.setText(generation.continuation.replace("\n", "⏎").replace("\t", "→"))
        self.sampled.emit(step, generation)
