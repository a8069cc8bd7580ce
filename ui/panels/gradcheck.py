"""Gradient check: the session's model, on its own data, BPTT against central differences.

As P. Roelants' counting-ones tutorial checks its network — every gradient of backpropagation through
time against (L(θ + ε) − L(θ − ε)) / 2ε, ε = 1e-7, "No gradient errors found" — for whatever network and
data the session holds. The numbers come from :func:`rnnsim.gradcheck.check_gradients`, run on a worker
thread with progress and Cancel; the loss checked is the training loss in force (its truncation and L2
term). The newest weights are checked, also while training runs (``current_model()``). When the weights,
the data or those settings change afterwards, the result stays on screen marked stale.
"""
from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QProgressBar, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from rnnsim import gradcheck
from rnnsim.errors import RnnsimError

from .. import theme
from ..workers import Runner
from .fields import NumberField
from .load_data import show_error

DEFAULT_SEQUENCES = 20         # the counting-ones tutorial's 20 sequences; enough to exercise every weight
DEFAULT_SAMPLE = 100           # elements per parameter (a seeded sample beyond this; 0 = all)
PROGRESS_INTERVAL = 0.05       # seconds between progress reports from the worker
COLUMNS = ("parameter", "shape", "checked", "relative error", "analytic", "numeric", "worst element", "")
TIPS = ("The parameter, by its PyTorch name",
        "Its shape",
        "Elements checked / elements in the parameter (two forward passes each)",
        ("‖a − n‖ / (‖a‖ + ‖n‖) over the checked elements (a: BPTT, n: central differences); "
         "above the tolerance the parameter fails"),
        "∂L/∂θ by backpropagation through time, at the worst element",
        "(L(θ + ε) − L(θ − ε)) / 2ε at the worst element",
        "The element where BPTT and central differences differ most",
        "✓ within the tolerance, ✗ not")


def _left(widget: QWidget) -> QWidget:
    """``widget`` in a row of its own, at its size hint on the left (a form row would stretch it)."""
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(widget)
    row.addStretch(1)
    return holder


class _Relay(QObject):
    """Carries progress from the worker thread to the panel (a queued connection): (run, done, total)."""
    progress = Signal(int, int, int)


class GradcheckPanel(QWidget):
    """``GradcheckPanel(controller)``: controller is the session's TrainingController.

    Signals: ``started()``; ``progressed(done, total)`` elements checked; ``finished(report)`` a
    :class:`rnnsim.gradcheck.GradientReport`; ``cancelled()``; ``failed(message)`` the engine refused;
    ``staleChanged(bool)``.
    """

    started = Signal()
    progressed = Signal(int, int)
    finished = Signal(object)
    cancelled = Signal()
    failed = Signal(str)
    staleChanged = Signal(bool)

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.report = None
        self.stale = False
        self.stale_reason = ""
        self.last_error = None
        self.last_error_text = ""
        self._checked = None          # what the shown report was computed on (see _fingerprint)
        self._pending = None          # the same for the check running now
        self._run = 0
        self._stop = threading.Event()
        self.runner = Runner("gradient-check", self)
        self.runner.done.connect(self._on_done)
        self.runner.failed.connect(self._on_failed)
        self._relay = _Relay(self)
        self._relay.progress.connect(self._on_progress)
        self._build()
        for signal in (controller.modelChanged, controller.dataChanged, controller.configChanged,
                       controller.stateChanged, controller.snapshots):
            signal.connect(self._refresh_stale)
        controller.dataChanged.connect(self._data_changed)
        controller.configChanged.connect(self._show_settings)
        self._data_changed()
        self._show_settings()

    # ---- layout ---------------------------------------------------------------------------------
    def _build(self):
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        box = QGroupBox("Check the gradients")
        form = QFormLayout(box)
        intro = QLabel("Backpropagation through time against central differences, element by element: "
                       "∂L/∂θ ≈ (L(θ + ε) − L(θ − ε)) / 2ε, on the training data with the newest weights — "
                       "as the counting-ones tutorial checks its network (ε = 1e-7).")
        intro.setWordWrap(True)
        form.addRow(intro)
        self.eps = NumberField("eps", 0.0, 1.0, open_low=True, tip="ε, the step of the central difference")
        self.eps.set_value(gradcheck.LESSON_EPS)
        self.tolerance = NumberField("tolerance", 0.0, 1.0, open_low=True,
                                     tip="A parameter fails when its relative error is above this")
        self.tolerance.set_value(gradcheck.TOLERANCE)
        numbers = QHBoxLayout()
        numbers.addWidget(QLabel("ε"))
        numbers.addWidget(self.eps)
        numbers.addSpacing(12)
        numbers.addWidget(QLabel("tolerance"))
        numbers.addWidget(self.tolerance)
        numbers.addStretch(1)
        form.addRow("Step", numbers)
        self.sequences = QSpinBox()
        self.sequences.setToolTip("The check uses the first sequences of the data set; each element costs two "
                                  "forward passes over all of them")
        self.sequences.setMinimumWidth(200)
        form.addRow("Sequences", _left(self.sequences))
        self.sample = QSpinBox()
        self.sample.setRange(0, 1_000_000)
        self.sample.setSpecialValueText("all")
        self.sample.setValue(DEFAULT_SAMPLE)
        self.sample.setSuffix(" per parameter")
        self.sample.setToolTip("Check at most this many elements of each parameter, a sample drawn with seed 0 "
                               "(the same each time); 'all' checks every element")
        self.sample.setMinimumWidth(200)
        form.addRow("Elements", _left(self.sample))
        self.settings = QLabel()
        self.settings.setStyleSheet(f"color: {theme.MUTED.name()};")
        form.addRow("Loss", self.settings)
        row = QHBoxLayout()
        self.check_button = QPushButton("Check gradients")
        self.check_button.setToolTip("Run the check on a worker thread (the window stays responsive)")
        self.check_button.clicked.connect(self.check)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m elements")
        self.progress.setVisible(False)
        row.addWidget(self.check_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress, 1)
        row.addStretch(0)                       # takes the room of the progress bar while it is hidden
        form.addRow(row)
        for field in (self.eps, self.tolerance):
            field.textChanged.connect(self._fields_changed)
        lay.addWidget(box)

        self.verdict = QLabel("No check yet")
        self.verdict.setFont(theme.ui_font(15, bold=True))
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.verdict)
        self.stale_label = QLabel()
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet(f"color: {theme.CAUTION.name()}; background: {theme.CAUTION_BG.name()}; padding: 3px;")
        self.stale_label.setVisible(False)
        lay.addWidget(self.stale_label)
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.advice.setVisible(False)
        lay.addWidget(self.advice)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(f"color: {theme.MUTED.name()};")
        lay.addWidget(self.summary)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for column, tip in enumerate(TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        lay.addWidget(self.table, 1)

    # ---- what the check runs on -----------------------------------------------------------------
    def _data_changed(self, *_):
        size = self.controller.dataset.size
        self.sequences.setRange(1, size)
        self.sequences.setValue(min(DEFAULT_SEQUENCES, size))
        self.sequences.setSuffix(f" of {size} (the first)")

    def _show_settings(self, *_):
        config = self.controller.config
        window = f"truncated BPTT every {config.truncate} steps" if config.truncate else "full BPTT"
        decay = f", L2 term {config.weight_decay:g}/2·Σw²" if config.weight_decay else ", no L2 term"
        self.settings.setText(f"the training loss, {window}{decay} (from the training settings)")

    def _fields_changed(self):
        valid = self.eps.check() & self.tolerance.check()
        self.check_button.setEnabled(valid and not self.runner.busy)

    def _fingerprint(self, model):
        config = self.controller.config
        return {"params": model.state_dict(), "dataset": self.controller.dataset,
                "truncate": config.truncate or None, "l2": config.weight_decay}

    # ---- running ---------------------------------------------------------------------------------
    def check(self) -> None:
        """Check the newest weights on the first sequences of the data, off the GUI thread."""
        if not self._inputs_valid():
            return
        model = self.controller.current_model()
        data = self.controller.dataset
        count = self.sequences.value()
        x, y = data.x[:count].copy(), data.y[:count].copy()
        fingerprint = self._fingerprint(model)
        options = {"truncate": fingerprint["truncate"], "l2": fingerprint["l2"], "eps": self.eps.value(),
                   "decoder_input": None if data.decoder_x is None else data.decoder_x[:count].copy(),
                   "tolerance": self.tolerance.value(), "max_elements": self.sample.value() or None, "seed": 0}
        self._stop = stop = threading.Event()
        self._run += 1
        run, relay = self._run, self._relay
        last = [0.0]

        def report_progress(done, total):
            now = time.monotonic()
            if done == total or done == 1 or now - last[0] >= PROGRESS_INTERVAL:
                last[0] = now
                relay.progress.emit(run, done, total)
            return not stop.is_set()

        def job(handle):
            def progress(done, total):
                return report_progress(done, total) and not handle.cancelled
            try:
                return gradcheck.check_gradients(model, x, y, progress=progress, **options)
            except gradcheck.GradcheckCancelled as exc:
                return exc

        self._pending = fingerprint
        total = gradcheck.elements_to_check(model, options["max_elements"])
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.check_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.summary.setText(f"Checking {total} elements on {count} sequences…")
        self.runner.submit(job)
        self.started.emit()

    def _inputs_valid(self) -> bool:
        if self.eps.check() & self.tolerance.check():
            return True
        show_error(self, "Cannot check the gradients", self.eps.reason or self.tolerance.reason)
        return False

    def cancel(self) -> None:
        """Stop the running check after its current element; the previous result stays."""
        if self.runner.busy:
            self._stop.set()
            self.cancel_button.setEnabled(False)
            self.summary.setText("Cancelling…")

    def shutdown(self, msecs: int = 30000) -> bool:
        """Stop the check and wait for its thread (from the main window's closeEvent)."""
        self._stop.set()
        return self.runner.stop(msecs)

    def _on_progress(self, run, done, total):
        if run != self._run:
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progressed.emit(done, total)

    def _idle(self):
        self.progress.setVisible(False)
        self.cancel_button.setEnabled(False)
        self._fields_changed()

    def _on_done(self, result):
        self._idle()
        if isinstance(result, gradcheck.GradcheckCancelled):
            self._pending = None
            self.summary.setText(f"Cancelled after {result.done} of {result.total} elements"
                                 + ("; the result below is from the previous check" if self.report else ""))
            self.cancelled.emit()
            return
        self.report, self._checked, self._pending = result, self._pending, None
        self._show_report(result)
        self._refresh_stale()
        self.finished.emit(result)

    def _on_failed(self, exc):
        self._idle()
        self._pending = None
        text = str(exc) if isinstance(exc, RnnsimError) else f"unexpected error {type(exc).__name__}: {exc}"
        self.summary.setText("The check was refused" + ("; the result below is from the previous check"
                                                        if self.report else ""))
        show_error(self, "Cannot check the gradients", text)
        self.failed.emit(text)

    # ---- showing the report ------------------------------------------------------------------------
    def _show_report(self, report):
        colour = (theme.GOOD if report.passed else theme.BAD).name()
        self.verdict.setText(("✓ " if report.passed else "✗ ") + report.verdict)
        self.verdict.setStyleSheet(f"color: {colour};")
        self.advice.setText(report.advice)
        self.advice.setVisible(bool(report.advice))
        self.summary.setText(f"Checked {report.summary}; loss {theme.fmt(report.loss, 6)}; tolerance "
                             f"{theme.fmt(report.tolerance)}")
        self.table.setRowCount(len(report.parameters))
        for row, p in enumerate(report.parameters):
            cells = (p.name, " × ".join(str(n) for n in p.shape), f"{p.checked} / {p.size}",
                     theme.fmt(p.rel_error, 2), theme.fmt(p.analytic, 10), theme.fmt(p.numeric, 10),
                     "[" + ", ".join(str(i) for i in p.worst_index) + "]", "✓" if p.passed else "✗")
            values = (None, None, p.checked, p.rel_error, p.analytic, p.numeric, None, p.passed)
            for column, (text, value) in enumerate(zip(cells, values)):
                item = QTableWidgetItem(text)
                if value is not None:
                    item.setData(Qt.ItemDataRole.UserRole, value)
                if column >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == len(COLUMNS) - 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    item.setFont(theme.ui_font(12, bold=True))
                    item.setForeground(QBrush(QColor(theme.GOOD if p.passed else theme.BAD)))
                self.table.setItem(row, column, item)
        self._paint_stale()

    def _refresh_stale(self, *_):
        """Compare what the shown report was computed on with the session now; mark it stale (or not)."""
        if self._checked is None:
            return
        reason = self._what_changed(self._checked)
        stale = bool(reason)
        if (stale, reason) == (self.stale, self.stale_reason):
            return
        self.stale, self.stale_reason = stale, reason
        self._paint_stale()
        self.staleChanged.emit(stale)

    def _what_changed(self, checked) -> str:
        c = self.controller
        if c.dataset is not checked["dataset"]:
            return "the data changed"
        if (c.config.truncate or None, c.config.weight_decay) != (checked["truncate"], checked["l2"]):
            return "the truncation or L2 term changed"
        params = c.current_model().params
        if params.keys() != checked["params"].keys() or not all(
                np.array_equal(params[k], checked["params"][k]) for k in params):
            return "the weights changed" + (" (training is running)" if c.running else "")
        return ""

    def _paint_stale(self):
        self.stale_label.setVisible(self.stale)
        self.stale_label.setText(f"⚠ Stale: {self.stale_reason} since this check. Check gradients again to "
                                 "check what the session holds now." if self.stale else "")
        ink = theme.MUTED if self.stale else theme.INK
        for row in range(self.table.rowCount()):
            for column in range(len(COLUMNS) - 1):
                item = self.table.item(row, column)
                if item is not None:
                    item.setForeground(QBrush(ink))
        if self.report is not None:
            colour = theme.MUTED.name() if self.stale else (theme.GOOD if self.report.passed else theme.BAD).name()
            self.verdict.setStyleSheet(f"color: {colour};")
