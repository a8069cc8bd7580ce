"""The Help menu's dialogs: every keyboard shortcut (in a scroll area that fits the screen) and About."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QScrollArea, QVBoxLayout


def shortcut_rows(actions) -> list[str]:
    """One HTML table row per action that has a shortcut: keys, name, what it does."""
    rows = []
    for a in actions:
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts())
        if keys:
            rows.append(f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(a.text().replace('&', ''))}</td>"
                        f"<td style='color:#718096'>{html.escape(a.toolTip().split('  (')[0])}</td></tr>")
    rows.append("<tr><td><b>Ctrl+wheel, drag</b></td><td>Zoom, pan</td><td style='color:#718096'>in the graph; "
                "the wheel scrolls along time</td></tr>")
    return rows


def shortcuts_dialog(parent, actions) -> QDialog:
    """F1: the shortcuts table, scrolling inside a dialog no taller than 85 % of the screen."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Keyboard shortcuts")
    lay = QVBoxLayout(dialog)
    label = QLabel("<table cellpadding=4>" + "".join(shortcut_rows(actions)) + "</table>")
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setContentsMargins(8, 8, 8, 8)
    scroll = QScrollArea()
    scroll.setWidget(label)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    lay.addWidget(scroll)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    lay.addWidget(buttons)
    screen = (parent.screen() if parent is not None else None)
    avail = screen.availableGeometry() if screen is not None else None
    width = min(900, int(avail.width() * 0.9)) if avail is not None else 900
    label.setFixedWidth(width - 40)
    height = label.heightForWidth(width - 40) + 80
    if avail is not None:
        height = min(height, int(avail.height() * 0.85))
    dialog.resize(width, height)
    return dialog


def about_box(parent) -> QMessageBox:
    return QMessageBox(QMessageBox.Icon.Information, "About rnnsim",
                       "<b>rnnsim</b> makes recurrent networks visible: the network unrolled in time, "
                       "forward propagation and backpropagation through time stepped like a debugger, "
                       "every number of every equation on screen.<br><br>The numbers come from an exact "
                       "engine (numpy + numba) that matches PyTorch.", QMessageBox.StandardButton.Close, parent)
