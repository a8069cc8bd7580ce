"""Export of a plot: the picture as PNG, the raw values (every curve merged on x) as CSV."""
from __future__ import annotations

import csv

import numpy as np
from PySide6.QtWidgets import QFileDialog, QMessageBox

from .style import csv_number


class ExportMixin:
    """For PlotPanel: ``csv_table``, ``export_csv``, ``export_png`` and the Export menu's file dialogs."""

    def csv_table(self) -> tuple[list[str], list[list]]:
        """(header, rows): every curve's raw values merged on x (empty where a curve has no point)."""
        keys = [k for k, (xs, _) in self._raw.items()]
        xs_all = [self._raw[k][0] for k in keys]
        union = np.unique(np.concatenate(xs_all)) if xs_all else np.empty(0)
        columns = []
        for k in keys:
            xs, ys = self._raw[k]
            col = np.full(union.size, np.nan)
            if xs.size:
                col[np.searchsorted(union, xs)] = ys
            columns.append(col)
        header = [self.x_label] + [self.labels[k] for k in keys]
        rows = [[csv_number(x)] + [csv_number(c[i]) for c in columns] for i, x in enumerate(union)]
        return header, rows

    def export_csv(self, path) -> None:
        header, rows = self.csv_table()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        self.exported.emit(str(path))

    def export_png(self, path) -> None:
        if not self.plot.grab().save(str(path), "PNG"):
            raise OSError(f"{path}: cannot write the PNG")
        self.exported.emit(str(path))

    def _safe_name(self) -> str:
        return "".join(c if c.isalnum() else "_" for c in self.title.lower()).strip("_")[:40] or "plot"

    def _ask_png(self):
        path, _ = QFileDialog.getSaveFileName(self, "Save plot as PNG", f"{self._safe_name()}.png", "PNG image (*.png)")
        if path:
            self._export(self.export_png, path)

    def _ask_csv(self):
        path, _ = QFileDialog.getSaveFileName(self, "Save plot data as CSV", f"{self._safe_name()}.csv",
                                              "CSV table (*.csv)")
        if path:
            self._export(self.export_csv, path)

    def _export(self, fn, path):
        try:
            fn(path)
        except OSError as exc:
            QMessageBox.warning(self, "Cannot export", f"{path}: {exc.strerror or exc}")
