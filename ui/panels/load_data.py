"""Load data…: the dialog that reads the learner's own file — ``.npz`` arrays, a ``.csv`` time series
(preview table, input and target columns, window, horizon) or a text file (window) — and the warning box
that names what the engine refused (the engine's own message: file, line, column, what was expected).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rnnsim.data import load_data
from rnnsim.data.loaders import SUFFIXES, _parse_float, read_csv_table
from rnnsim.errors import RnnsimError

from .. import theme
from ..workers import Runner

PREVIEW_ROWS = 200
PREVIEW_CHARS = 3000
OUTPUT_WORDS = {"sequence": "an answer at every step (many-to-many)", "last": "one answer after the last step (many-to-one)"}
LOSS_WORDS = {"mse": "mean squared error", "mae": "mean absolute error", "cross_entropy": "cross-entropy over classes"}
FILE_FILTER = "Data files (*.npz *.csv *.txt *.text *.md);;NumPy arrays (*.npz);;CSV time series (*.csv);;Text (*.txt *.text *.md)"


def show_error(parent: QWidget, title: str, text: str) -> QMessageBox:
    """A warning box that names the problem. Window-modal but not blocking (``open()``), so the event
    loop — and training — keep running; the box is kept on ``parent.last_error`` (tests read it)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    parent.last_error = box
    parent.last_error_text = text
    box.open()
    return box


class LoadDataDialog(QDialog):
    """Pick a file, see what is in it, choose how to read it; ``dataset`` and ``source`` after accept()."""

    def __init__(self, parent=None, path: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("Load data")
        self.resize(760, 560)
        self.dataset = None
        self.source = None
        self.last_error_text = ""
        self._cancelled = False
        self._reading = False
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText("a .npz, .csv or .txt file")
        self.path.setToolTip(".npz: arrays x (N, T, features) and y (targets)\n"
                             ".csv: a time series, one row per time step, a header row of column names\n"
                             ".txt: a text to learn character by character")
        self.path.editingFinished.connect(lambda: self.set_path(self.path.text()))
        row.addWidget(QLabel("File:"))
        row.addWidget(self.path, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(browse)
        lay.addLayout(row)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {theme.BAD.name()};")
        self.problem.hide()
        lay.addWidget(self.problem)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._empty_page())
        self.pages.addWidget(self._csv_page())
        self.pages.addWidget(self._text_page())
        self.pages.addWidget(self._npz_page())
        lay.addWidget(self.pages, 1)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(f"color: {theme.MUTED.name()};")
        lay.addWidget(self.summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self._load_text = "Load"
        self.load_button = self.buttons.addButton(self._load_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.load_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.kind = None
        if path:
            self.set_path(path)

    # ---- pages --------------------------------------------------------------------------------
    def _empty_page(self):
        w = QLabel("Choose a file: NumPy arrays (.npz), a CSV time series (.csv) or a text (.txt).")
        w.setAlignment(Qt.AlignmentFlag.AlignCenter)
        w.setStyleSheet(f"color: {theme.MUTED.name()};")
        return w

    def _csv_page(self):
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.setAlternatingRowColors(True)
        self.table.setToolTip(f"The first {PREVIEW_ROWS} rows of the file")
        lay.addWidget(self.table, 3)
        row = QHBoxLayout()
        box = QGroupBox("Inputs x(t)")
        bl = QVBoxLayout(box)
        self.inputs = QListWidget()
        self.inputs.setMaximumHeight(120)
        self.inputs.setToolTip("The columns the network reads at each time step (numbers only)")
        self.inputs.itemChanged.connect(self._csv_changed)
        bl.addWidget(self.inputs)
        row.addWidget(box)
        box = QGroupBox("Targets (forecast)")
        bl = QVBoxLayout(box)
        self.targets = QListWidget()
        self.targets.setMaximumHeight(120)
        self.targets.setToolTip("The columns to forecast, 'horizon' rows after the window's last row")
        self.targets.itemChanged.connect(self._csv_changed)
        bl.addWidget(self.targets)
        row.addWidget(box)
        form = QFormLayout()
        self.window = QSpinBox()
        self.window.setRange(1, 100_000)
        self.window.setValue(20)
        self.window.setToolTip("How many rows (time steps) each training sequence holds")
        self.window.valueChanged.connect(self._csv_changed)
        form.addRow("Window (steps)", self.window)
        self.horizon = QSpinBox()
        self.horizon.setRange(1, 100_000)
        self.horizon.setValue(1)
        self.horizon.setToolTip("How many rows after the window's last row the target lies (1 = the next row)")
        self.horizon.valueChanged.connect(self._csv_changed)
        form.addRow("Horizon (rows ahead)", self.horizon)
        row.addLayout(form)
        lay.addLayout(row)
        return w

    def _text_page(self):
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        self.text_preview = QPlainTextEdit()
        self.text_preview.setReadOnly(True)
        self.text_preview.setFont(theme.mono_font(9))
        lay.addWidget(self.text_preview, 1)
        form = QFormLayout()
        self.text_window = QSpinBox()
        self.text_window.setRange(1, 10_000)
        self.text_window.setValue(32)
        self.text_window.setToolTip("Characters per training sequence; the target at each step is the next character")
        self.text_window.valueChanged.connect(self._text_changed)
        form.addRow("Window (characters)", self.text_window)
        self.max_chars = QSpinBox()
        self.max_chars.setRange(0, 100_000_000)
        self.max_chars.setSpecialValueText("the whole text")
        self.max_chars.setToolTip("Use only the first this-many characters (0 = all)")
        self.max_chars.valueChanged.connect(self._text_changed)
        form.addRow("Use at most", self.max_chars)
        lay.addLayout(form)
        return w

    def _npz_page(self):
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        self.arrays = QTableWidget(0, 3)
        self.arrays.setHorizontalHeaderLabels(["array", "shape", "type"])
        self.arrays.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.arrays.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        lay.addWidget(self.arrays, 1)
        form = QFormLayout()
        self.npz_output = QComboBox()
        for value, text in ((None, "from y's shape"), ("sequence", OUTPUT_WORDS["sequence"]), ("last", OUTPUT_WORDS["last"])):
            self.npz_output.addItem(text, value)
        self.npz_output.setToolTip("Where the targets are: at every step, or only after the last one")
        form.addRow("Answer", self.npz_output)
        self.npz_loss = QComboBox()
        for value, text in ((None, "from y's type (integers: classes)"), ("mse", LOSS_WORDS["mse"]),
                            ("mae", LOSS_WORDS["mae"]), ("cross_entropy", LOSS_WORDS["cross_entropy"])):
            self.npz_loss.addItem(text, value)
        self.npz_loss.setToolTip("Integer targets are class numbers (cross-entropy); real numbers are "
                                 "approximated (mean squared error, or mean absolute error if chosen)")
        form.addRow("Loss", self.npz_loss)
        lay.addLayout(form)
        return w

    # ---- reading ------------------------------------------------------------------------------
    def _browse(self):
        path, _ = QFileDialog.getOpenFileName(self, "Load data", os.path.dirname(self.path.text()), FILE_FILTER)
        if path:
            self.set_path(path)

    def set_path(self, path: str) -> None:
        """Show what ``path`` holds and the options for reading it."""
        path = path.strip()
        self.path.setText(path)
        self._problem("")
        self.kind = SUFFIXES.get(Path(path).suffix.lower()) if path else None
        self.load_button.setEnabled(False)
        if not path:
            self.pages.setCurrentIndex(0)
            return
        if self.kind is None:
            self.pages.setCurrentIndex(0)
            self._problem(f"{Path(path).name}: unsupported file type '{Path(path).suffix or '(none)'}'; "
                          f"supported: {', '.join(SUFFIXES)}")
            return
        try:
            {"csv": self._preview_csv, "text": self._preview_text, "npz": self._preview_npz}[self.kind](path)
        except RnnsimError as exc:
            self._problem(str(exc))
        except OSError as exc:
            self._problem(f"{path}: cannot be read ({exc.strerror or exc})")
        self.load_button.setEnabled(True)

    def _problem(self, text):
        self.problem.setText(f"⚠ {text}" if text else "")
        self.problem.setVisible(bool(text))

    def _preview_csv(self, path):
        self.pages.setCurrentIndex(1)
        header, cells, lines = read_csv_table(path)
        rows = min(len(lines), PREVIEW_ROWS)
        self.table.clear()
        self.table.setColumnCount(len(header))
        self.table.setRowCount(rows)
        self.table.setHorizontalHeaderLabels(header)
        self.table.setVerticalHeaderLabels([str(n) for n in lines[:rows]])
        for j, c in enumerate(header):
            for i in range(rows):
                self.table.setItem(i, j, QTableWidgetItem(cells[c][i]))
        self.table.resizeColumnsToContents()
        numeric = [c for c in header if _parse_float(cells[c][0]) is not None]
        self._rows = len(lines)
        for widget, chosen in ((self.inputs, set(numeric)), (self.targets, {header[-1]})):
            widget.blockSignals(True)
            widget.clear()
            for c in header:
                item = QListWidgetItem(c + ("" if c in numeric else "   (not numbers)"))
                item.setData(Qt.ItemDataRole.UserRole, c)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if c in chosen else Qt.CheckState.Unchecked)
                widget.addItem(item)
            widget.blockSignals(False)
        self.window.setMaximum(max(1, self._rows - 1))
        self.window.setValue(min(20, max(1, self._rows // 4)))
        self._csv_changed()

    def _checked(self, widget) -> list[str]:
        return [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())
                if widget.item(i).checkState() == Qt.CheckState.Checked]

    def _csv_changed(self, *_):
        if self.kind != "csv":
            return
        inputs, targets = self._checked(self.inputs), self._checked(self.targets)
        n = self._rows - self.window.value() - self.horizon.value() + 1
        if not inputs or not targets:
            self.summary.setText("Choose at least one input column and one target column.")
        elif n < 1:
            self.summary.setText(f"Window {self.window.value()} + horizon {self.horizon.value()} need more than "
                                 f"the file's {self._rows} rows.")
        else:
            self.summary.setText(
                f"→ {n} sequences of {self.window.value()} steps with {len(inputs)} input(s) each; the network "
                f"forecasts {', '.join(targets)} {self.horizon.value()} row(s) after each window (one answer per "
                f"sequence, mean squared error). Every column is scaled to mean 0, spread 1.")

    def _preview_text(self, path):
        self.pages.setCurrentIndex(2)
        with open(path, "rb") as fh:
            raw = fh.read(PREVIEW_CHARS * 4)
        self.text_preview.setPlainText(raw.decode("utf-8", errors="replace")[:PREVIEW_CHARS])
        self._text_size = os.path.getsize(path)
        self._text_changed()

    def _text_changed(self, *_):
        if self.kind == "text":
            self.summary.setText(f"→ windows of {self.text_window.value()} characters; at each step the network "
                                 "predicts the next character (cross-entropy over the text's characters).")

    def _preview_npz(self, path):
        self.pages.setCurrentIndex(3)
        self.arrays.setRowCount(0)
        self.summary.setText("")
        import zipfile
        try:
            with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as archive:
                names = list(archive.files)
                for name in names:
                    try:
                        a = archive[name]
                        shape, dtype = " × ".join(map(str, a.shape)) or "scalar", str(a.dtype)
                    except (ValueError, OSError, zipfile.BadZipFile) as exc:
                        shape, dtype = "unreadable", str(exc).splitlines()[0][:60]
                    r = self.arrays.rowCount()
                    self.arrays.insertRow(r)
                    for j, v in enumerate((name, shape, dtype)):
                        self.arrays.setItem(r, j, QTableWidgetItem(v))
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, AttributeError, TypeError):
            self._problem(f"{Path(path).name}: not an .npz archive (expected arrays saved with numpy.savez)")
            return
        missing = [k for k in ("x", "y") if k not in names]
        self.summary.setText(f"Missing array(s) {', '.join(missing)}: expected x (N, T, features) and y (targets)."
                             if missing else "x: the input sequences (N, T, features); y: the targets.")

    # ---- loading ------------------------------------------------------------------------------
    def options(self) -> dict:
        if self.kind == "csv":
            return {"inputs": self._checked(self.inputs), "targets": self._checked(self.targets),
                    "window": self.window.value(), "horizon": self.horizon.value()}
        if self.kind == "text":
            opts = {"window": self.text_window.value()}
            if self.max_chars.value():
                opts["max_chars"] = self.max_chars.value()
            return opts
        if self.kind == "npz":
            return {k: v for k, v in (("output", self.npz_output.currentData()), ("loss", self.npz_loss.currentData()))
                    if v is not None}
        return {}

    @property
    def reading(self) -> bool:
        return self._reading

    def accept(self):
        """Read the file completely on a worker (Load waits, greyed, meanwhile); on a refusal say why and
        stay open (nothing else changes)."""
        path = self.path.text().strip()
        options = self.options()
        self._cancelled = False
        self.load_button.setEnabled(False)
        self.load_button.setText("Reading…")
        self._reading = True
        _READER_OWNER[:] = [self]                # the newest read wins (the reader delivers only its result)
        _reader().submit(lambda job: (path, options, load_data(path, **options)))

    def _read(self, result):
        path, options, dataset = result
        self._ready()
        if self._cancelled:                     # cancelled while it was being read: nothing changes
            return
        self.dataset = dataset
        self.source = {"kind": "file", "path": os.path.abspath(path), "options": options}
        super().accept()

    def _refused(self, exc):
        self._ready()
        if self._cancelled:
            return
        path = self.path.text().strip()
        if isinstance(exc, RnnsimError):
            self.last_error_text = str(exc)
        elif isinstance(exc, OSError):
            self.last_error_text = f"{path}: cannot be read ({exc.strerror or exc})"
        else:                                   # a bug of ours: said here, never a traceback on stderr
            self.last_error_text = f"{path}: unexpected error {type(exc).__name__}: {exc}"
        show_error(self, "This data cannot be used", self.last_error_text)

    def reject(self):
        self._cancelled = True                  # a read still going is dropped when it ends
        super().reject()

    def _ready(self):
        self._reading = False
        self.load_button.setText(self._load_text)
        self.load_button.setEnabled(True)


_READER: list = []
_READER_OWNER: list = []                         # the dialog waiting for the reader's result


def _reader() -> Runner:
    """One reader for every Load data dialog, owned by the application: a dialog (often unparented) is
    garbage-collected at any time, and a thread pool destroyed with it crashed the process."""
    if not _READER:
        runner = Runner("load-data", QApplication.instance())
        runner.done.connect(lambda result: _READER_OWNER.pop()._read(result) if _READER_OWNER else None)
        runner.failed.connect(lambda exc: _READER_OWNER.pop()._refused(exc) if _READER_OWNER else None)
        _READER.append(runner)
    return _READER[0]
