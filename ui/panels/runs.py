"""The run list: the kept training runs, to compare side by side on the dashboard's plots (and the paths
on the cost surface).

One row per kept run: a checkbox (shown on the plots or not) beside the run's colour, its name (double
click to rename; empty goes back to the label), its label — what differs from the other visible runs and
the settings in force — how it ended and its final loss. Buttons: *Keep current run*, *Delete*, *Clear
all* and *Export CSV…* (every kept run in one long table, written on a worker thread, atomically: a failed
export leaves the old file as it was and says why in a dialog).

    panel = RunsPanel(controller)      # follows controller.runsChanged; acts through the controller
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QBrush, QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMessageBox,
                               QProgressDialog, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from rnnsim import runs as run_records

from .. import theme
from ..plots.style import exact, run_color
from ..workers import Runner

COLUMNS = ("Show", "Name", "Label", "Outcome", "Final loss")
SHOW, NAME, LABEL, OUTCOME, LOSS = range(len(COLUMNS))
PROGRESS_AFTER_MS = 200                     # an export that takes longer shows a progress dialog


def confirm_clear(parent, count: int) -> bool:
    """Ask before every kept run is deleted (a module function, so that tests can answer it)."""
    answer = QMessageBox.question(parent, "Clear all runs", f"Delete all {count} kept runs? This cannot be undone.",
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class RunsPanel(QWidget):
    """The kept runs of ``controller`` (a TrainingController). Signals: ``exported(str)`` the CSV written;
    ``exportFailed(str)`` why an export failed (also shown in a dialog unless ``show_errors`` is False)."""

    exported = Signal(str)
    exportFailed = Signal(str)

    def __init__(self, controller, parent=None, show_errors: bool = True):
        super().__init__(parent)
        self.controller = controller
        self.show_errors = show_errors
        self._ids: list[int] = []
        self._progress = None
        self.runner = Runner("export runs", self)
        self.runner.done.connect(self._export_done)
        self.runner.failed.connect(self._export_failed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        self.hint = QLabel("Finished runs are kept here when you Reset, change the network or the data — "
                           "or press Keep current run. Ticked runs are drawn on the training plots.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {theme.MUTED.name()};")
        lay.addWidget(self.hint)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.table.horizontalHeader()
        for column, mode in ((SHOW, QHeaderView.ResizeMode.ResizeToContents),
                             (NAME, QHeaderView.ResizeMode.Interactive), (LABEL, QHeaderView.ResizeMode.Stretch),
                             (OUTCOME, QHeaderView.ResizeMode.ResizeToContents),
                             (LOSS, QHeaderView.ResizeMode.ResizeToContents)):
            header.setSectionResizeMode(column, mode)
        self.table.setColumnWidth(NAME, 140)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.keep_button = QPushButton("Keep current run")
        self.keep_button.setToolTip("Keep the run in progress as it is now, to compare later runs with it")
        self.keep_button.clicked.connect(lambda: self.controller.keep_run())
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected runs")
        self.delete_button.clicked.connect(self.delete_selected)
        self.clear_button = QPushButton("Clear all")
        self.clear_button.setToolTip("Delete every kept run")
        self.clear_button.clicked.connect(self.clear_all)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save every kept run in one table: run, step, loss, gradient norms, "
                                      "accuracy per epoch and the watched weights' path")
        self.export_button.clicked.connect(self._ask_export)
        for button in (self.keep_button, self.delete_button, self.clear_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.export_button)
        lay.addLayout(row)
        controller.runsChanged.connect(self.refresh)
        controller.configChanged.connect(self.refresh)         # labels compare with the settings in force
        controller.historyReset.connect(self.refresh)
        controller.stateChanged.connect(self._update_buttons)
        self.refresh()

    # ---- the table ----------------------------------------------------------------------------
    def refresh(self, *_):
        """Rebuild the rows from the controller's runs (at most rnnsim.runs.MAX_RUNS)."""
        c = self.controller
        selected = set(self.selected_ids())
        names = c.run_labels()
        with QSignalBlocker(self.table):
            self.table.setRowCount(len(c.runs))
            self._ids = [run.id for run in c.runs]
            for i, (run, label) in enumerate(zip(c.runs, names)):
                show = QTableWidgetItem()
                show.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                show.setCheckState(Qt.CheckState.Checked if run.visible else Qt.CheckState.Unchecked)
                show.setIcon(self._swatch(run.id))
                show.setToolTip("Draw this run on the training plots")
                name = QTableWidgetItem(run.name or "")
                name.setToolTip("Double-click to name this run (empty: its label)")
                cells = [show, name, QTableWidgetItem(label), QTableWidgetItem(run.outcome_text),
                         QTableWidgetItem(exact(run.final_loss))]
                for column, item in enumerate(cells):
                    if column not in (SHOW, NAME):
                        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                    if column == OUTCOME and run.outcome == "diverged":
                        item.setForeground(QBrush(theme.BREAKPOINT))
                    self.table.setItem(i, column, item)
                self.table.item(i, LOSS).setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for i, run_id in enumerate(self._ids):
                if run_id in selected:
                    self.table.selectRow(i)
        self.hint.setVisible(not c.runs)
        self._update_buttons()

    @staticmethod
    def _swatch(run_id: int) -> QIcon:
        pixmap = QPixmap(12, 12)
        pixmap.fill(run_color(run_id))
        return QIcon(pixmap)

    def _item_changed(self, item: QTableWidgetItem):
        run_id = self._ids[item.row()]
        if item.column() == SHOW:
            self.controller.set_run_visible(run_id, item.checkState() == Qt.CheckState.Checked)
        elif item.column() == NAME:
            self.controller.rename_run(run_id, item.text())
            self.refresh()                                   # the name as kept (trimmed), labels again

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self._ids[r] for r in rows if r < len(self._ids)]

    def _update_buttons(self, *_):
        c = self.controller
        self.keep_button.setEnabled(not c.running and len(c.history) > 0)
        self.delete_button.setEnabled(bool(self.selected_ids()))
        self.clear_button.setEnabled(bool(c.runs))
        self.export_button.setEnabled(bool(c.runs) and not self.runner.busy)

    # ---- actions ------------------------------------------------------------------------------
    def delete_selected(self) -> None:
        for run_id in self.selected_ids():
            self.controller.remove_run(run_id)

    def clear_all(self) -> None:
        if self.controller.runs and confirm_clear(self, len(self.controller.runs)):
            self.controller.clear_runs()

    def _ask_export(self):
        path, _ = QFileDialog.getSaveFileName(self, "Export the kept runs as CSV", "runs.csv", "CSV table (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> None:
        """Write every kept run to ``path`` (rnnsim.runs.to_csv) on a worker thread; ``exported`` or
        ``exportFailed`` says how it went. The runs are copied first: later changes do not reach the file."""
        runs = list(self.controller.runs)
        self.export_button.setEnabled(False)
        self.runner.submit(lambda job: (run_records.to_csv(runs, path), path)[1])
        self._progress = QProgressDialog(f"Writing {len(runs)} runs to {path}…", "", 0, 0, self)
        self._progress.setCancelButton(None)                 # an atomic write: nothing to stop half-way
        self._progress.setMinimumDuration(PROGRESS_AFTER_MS)
        self._progress.setWindowModality(Qt.WindowModality.WindowModal)

    def _close_progress(self):
        if self._progress is not None:
            self._progress.reset()
            self._progress.deleteLater()
            self._progress = None
        self._update_buttons()

    def _export_done(self, path):
        self._close_progress()
        self.exported.emit(str(path))

    def _export_failed(self, exc):
        self._close_progress()
        text = str(exc) if not isinstance(exc, OSError) else f"{exc.filename or ''}: {exc.strerror or exc}"
        self.exportFailed.emit(text)
        if self.show_errors:
            box = QMessageBox(QMessageBox.Icon.Warning, "Cannot export the runs", text, QMessageBox.StandardButton.Ok,
                              self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
