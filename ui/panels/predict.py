"""Predict: type an input sequence, see what the trained network answers, open it in the debugger.

The input is typed as the command line takes it (commas between time steps, spaces between the
features of one step: ``0,1,1,0`` or ``0.5 1, 0 -1``); for a text data set, as plain text; for a CSV
series, in the file's own units (the panel scales them as the data set was scaled). The answer is
shown in the data's terms: a count rounded, class probabilities, the next characters, a forecast in
the file's units. The network runs on a worker (``model.predict`` of a copy of the newest weights),
so predicting also works while training runs and never waits for numba on the GUI thread.

An encoder–decoder has no decoder input for a typed sequence: it runs on its own outputs
(``rnnsim.seq2seq.decode``, greedy) from the data's start symbol, as many steps as the data's decoder takes
per input step.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from rnnsim.data.loaders import decode, encode, normalise_inputs, one_hot
from rnnsim.errors import RnnsimError
from rnnsim.evaluate import start_symbol
from rnnsim.seq2seq import decode as decode_free
from rnnsim.inputs import as_batch, parse_inline
from rnnsim.interpret import describe_output

from .. import theme
from ..probe import values_text
from ..workers import Runner

MAX_ROWS = 12                  # per-step answers shown (the rest summarised)


class PredictPanel(QWidget):
    """``attach(controller)``; ``openInDebugger(x)`` carries the typed sequence as the model reads it,
    an array (1, T, input_size) — the main window hands it to the step-through debugger."""

    openInDebugger = Signal(object)
    predicted = Signal(object)                 # the raw output array (for tests and other views)

    def __init__(self, controller=None, parent=None):
        super().__init__(parent)
        self.controller = None
        self.x = None
        self.output = None
        self.answer_text = ""
        self.runner = Runner("predict", self)
        self.runner.done.connect(self._show)
        self.runner.failed.connect(lambda exc: self._error(str(exc)))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        box = QGroupBox("Ask the network")
        form = QFormLayout(box)
        self.input = QLineEdit()
        self.input.returnPressed.connect(self.predict)
        form.addRow("Input", self.input)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {theme.MUTED.name()};")
        form.addRow(self.hint)
        row = QHBoxLayout()
        self.index = QSpinBox()
        self.index.setRange(1, 1)
        self.index.setPrefix("sequence #")
        self.index.setToolTip("A sequence of the data set to start from")
        row.addWidget(self.index)
        use = QPushButton("Use it")
        use.setToolTip("Put this sequence of the data set into the input field")
        use.clicked.connect(lambda: self.fill_from_data(self.index.value() - 1))
        row.addWidget(use)
        row.addStretch(1)
        form.addRow("From the data", row)
        buttons = QHBoxLayout()
        self.predict_button = QPushButton("Predict")
        self.predict_button.setToolTip("Run the network (its newest weights) on this input")
        self.predict_button.clicked.connect(self.predict)
        buttons.addWidget(self.predict_button)
        self.debug_button = QPushButton("Open in step-through debugger")
        self.debug_button.setToolTip("Watch this sequence go forward and the gradient come back, one event at a time")
        self.debug_button.clicked.connect(self._open_debugger)
        buttons.addWidget(self.debug_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        lay.addWidget(box)
        box = QGroupBox("Answer")
        bl = QVBoxLayout(box)
        self.answer = QLabel("—")
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.RichText)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answer.setFont(theme.ui_font(10))
        bl.addWidget(self.answer)
        lay.addWidget(box)
        lay.addStretch(1)
        if controller is not None:
            self.attach(controller)

    def attach(self, controller) -> None:
        self.controller = controller
        controller.dataChanged.connect(lambda *_: self._data_changed())
        self._data_changed()

    # ---- input ----------------------------------------------------------------------------------
    def _kind(self) -> str:
        meta = self.controller.dataset.meta
        if "vocab" in meta:
            return "text"
        if "mean" in meta and "inputs" in meta:
            return "series"
        return "values"

    def _data_changed(self):
        d = self.controller.dataset
        self.index.setRange(1, d.size)
        kind = self._kind()
        if kind == "text":
            self.hint.setText("Type text; the network predicts the next character after each one.")
        elif kind == "series":
            cols = ", ".join(d.meta["inputs"])
            self.hint.setText(f"Values in the file's own units, one time step after another (commas); each step "
                              f"holds {d.input_size} value(s): {cols}.")
        else:
            self.hint.setText(f"Commas separate time steps, spaces the {d.input_size} value(s) of one step "
                              f"(e.g. {'0,1,1,0' if d.input_size == 1 else '0 1, 1 0'}).")
        self.fill_from_data(0)
        self.answer.setText("—")

    def fill_from_data(self, index: int) -> None:
        d = self.controller.dataset
        x = d.x[min(max(index, 0), d.size - 1)]
        kind = self._kind()
        if kind == "text":
            self.input.setText(decode(d.meta["vocab"], x.argmax(axis=-1)))
        elif kind == "series":
            mean = np.array([d.meta["mean"][c] for c in d.meta["inputs"]])
            std = np.array([d.meta["std"][c] for c in d.meta["inputs"]])
            self.input.setText(", ".join(" ".join(f"{v:.4g}" for v in row) for row in x * std + mean))
        else:
            self.input.setText(values_text(x))

    def model_input(self) -> np.ndarray:
        """The typed text as the model reads it: (1, T, input_size); raises InputError/DataError."""
        d = self.controller.dataset
        text = self.input.text()
        kind = self._kind()
        if kind == "text":
            if not text:
                raise RnnsimError("type at least one character")
            return one_hot(encode(d.meta["vocab"], text), d.input_size)[None]
        arr = as_batch(parse_inline(text), d.input_size)
        if kind == "series":
            arr = normalise_inputs(d.meta, arr)
        return np.ascontiguousarray(arr, dtype=np.float64)

    # ---- predict --------------------------------------------------------------------------------
    def predict(self) -> None:
        try:
            x = self.model_input()
        except RnnsimError as exc:
            self._error(str(exc))
            return
        self.x = x
        model = self.controller.current_model()
        if model.spec.is_seq2seq:
            d = self.controller.dataset
            start = start_symbol(model, d)
            if start is None:
                self._error("this encoder–decoder's data name no start symbol to begin decoding from")
                return
            steps = max(1, round(x.shape[1] * d.target_steps / d.steps))
            self.predict_button.setEnabled(False)
            self.runner.submit(lambda job: (x, decode_free(model, x, start, steps).outputs))
            return
        self.predict_button.setEnabled(False)
        self.runner.submit(lambda job: (x, model.predict(x)))

    def _show(self, result):
        self.predict_button.setEnabled(True)
        x, out = result
        self.output = out
        self.answer_text = self.describe(out)
        self.answer.setText(self.answer_text)
        self.predicted.emit(out)

    def _error(self, text):
        self.predict_button.setEnabled(True)
        self.answer_text = ""
        self.answer.setText(f"<span style='color:{theme.BAD.name()}'>⚠ {text}</span>")

    def describe(self, out: np.ndarray) -> str:
        """Rich text: the answer in the data's terms (what it means: rnnsim.interpret.describe_output)."""
        d = self.controller.dataset
        meaning = describe_output(self.controller.model.spec, np.asarray(out)[0], d.meta, d.accuracy)
        kind = meaning["kind"]
        if self.controller.model.spec.is_seq2seq and kind == "classes":
            chosen = " ".join(str(c) for c in meaning["classes"])
            return (f"The decoder, reading back its own choices from the start symbol: <b>{chosen}</b><br>"
                    + self._rows([f"class <b>{c}</b> (probability {q:.2f})"
                                  for c, q in zip(meaning["classes"], meaning["confidence"])], None))
        if kind == "next_char":
            alts = ", ".join(f"“{_escape(e['char'])}” {e['probability']:.0%}" for e in meaning["top"])
            return (f"Next character after each step: <b><tt>{_escape(meaning['chars'])}</tt></b><br>"
                    f"after the last one: {alts}")
        if kind == "classes" and meaning["probabilities"] is not None:
            rows = [f"class <b>{c}</b> (probability {q:.2f})" for c, q in zip(meaning["classes"], meaning["confidence"])]
            return f"After the last step: {rows[0]}" if not meaning["per_step"] else self._rows(rows, None)
        if kind == "values":
            rows = [", ".join(f"{n} = <b>{v:.4g}</b>" for n, v in zip(meaning["names"], row))
                    for row in meaning["values"]]
            return "Forecast: " + self._rows(rows, "")
        rows = []
        for i, row in enumerate(meaning["output"]):
            vals = " ".join(theme.fmt(v, 4) for v in row)
            if kind == "count":
                rows.append(f"<b>{vals}</b> ≈ {' '.join(str(v) for v in meaning['counts'][i])}")
            elif kind == "classes":
                rows.append(f"{vals} → class <b>{meaning['classes'][i]}</b>")
            elif kind == "bits":
                rows.append(f"{vals} → <b>{' '.join(str(v) for v in meaning['bits'][i])}</b>")
            else:
                rows.append(f"<b>{vals}</b>")
        return self._rows(rows, None)

    @staticmethod
    def _rows(rows: list[str], single_label) -> str:
        if len(rows) == 1:
            return rows[0]
        shown = [f"t = {t + 1}: {r}" for t, r in enumerate(rows[:MAX_ROWS])]
        if len(rows) > MAX_ROWS:
            shown.append(f"… and {len(rows) - MAX_ROWS} more steps; the last: {rows[-1]}")
        return "<br>".join(shown)

    def _open_debugger(self):
        try:
            x = self.model_input()
        except RnnsimError as exc:
            self._error(str(exc))
            return
        self.openInDebugger.emit(x)


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "↵")
            .replace(" ", "␣"))
