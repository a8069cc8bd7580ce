"""The Help menu's dialogs: every keyboard shortcut (in a scroll area that fits the screen) and About
(the versions of the app, its engine and Qt, and the folders where settings, caches and autosaves live)."""
from __future__ import annotations

import html
import os
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QPushButton, QScrollArea, QVBoxLayout)

from rnnsim.paths import numba_cache_dir

from . import theme
from .autosave import data_folder

#: the project's pyproject.toml, read for the version when rnnsim runs from a checkout that is not installed
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
ABOUT_TEXT = ("rnnsim makes recurrent networks visible: the network unrolled in time, forward propagation "
              "and backpropagation through time stepped like a debugger, every number of every equation on "
              "screen. The numbers come from an exact engine (numpy + numba) that matches PyTorch.")


def shortcut_rows(actions) -> list[str]:
    """One HTML table row per action that has a shortcut: keys, name, what it does."""
    rows = []
    for a in actions:
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts())
        if keys:
            rows.append(f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(a.text().replace('&', ''))}</td>"
                        f"<td style='color:{theme.MUTED.name()}'>{html.escape(a.toolTip().split('  (')[0])}</td></tr>")
    rows.append(f"<tr><td><b>Ctrl+wheel, drag</b></td><td>Zoom, pan</td><td style='color:{theme.MUTED.name()}'>in the graph; "
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


def app_version() -> str:
    """The installed distribution's version; from a checkout that is not installed, pyproject.toml's."""
    import importlib.metadata         # here, not at the top: ~15 ms of every start for the About box
    import tomllib
    try:
        return importlib.metadata.version("rnnsim")
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        with open(PYPROJECT, "rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def kernel_cache_folder() -> Path:
    """Where numba keeps the compiled kernels: ``NUMBA_CACHE_DIR`` when set (:func:`rnnsim.paths.numba_cache_dir`;
    the bundle sets it to the user's cache folder), else numba's default: ``__pycache__`` beside the
    kernels' sources (rnnsim/cells) when that folder is writable, else numba's folder in the user's cache."""
    chosen = numba_cache_dir()
    if chosen is not None:
        return chosen
    import rnnsim.cells
    sources = Path(rnnsim.cells.__file__).resolve().parent
    if os.access(sources, os.W_OK):
        return sources / "__pycache__"
    from numba.misc.appdirs import AppDirs
    return Path(AppDirs("numba", appauthor=False).user_cache_dir)


def about_facts() -> list[tuple[str, str]]:
    """(name, value) rows About shows: versions, then folders."""
    import numba
    import numpy
    import PySide6
    from PySide6.QtCore import qVersion

    return [("rnnsim", app_version()),
            ("Python", sys.version.split()[0]),
            ("numpy", numpy.__version__),
            ("numba", numba.__version__),
            ("PySide6 / Qt", f"{PySide6.__version__} / {qVersion()}"),
            ("Settings", QSettings("rnnsim", "rnnsim").fileName()),
            ("Compiled kernels", str(kernel_cache_folder())),
            ("Autosaves", str(data_folder()))]


def about_text(facts) -> str:
    """About as plain text (the Copy button's): one "name: value" line per fact."""
    return "rnnsim — recurrent networks, step by step\n" + "".join(f"{name}: {value}\n" for name, value in facts)


def about_box(parent) -> QDialog:
    """Help → About: what rnnsim is, its version and its engine's and Qt's, and where settings, compiled
    kernels and autosaves live — selectable, and Copy puts it all on the clipboard (for a bug report)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("About rnnsim")
    facts = about_facts()
    lay = QVBoxLayout(dialog)
    rows = "".join(f"<tr><td><b>{html.escape(name)}</b></td><td>{html.escape(value)}</td></tr>"
                   for name, value in facts)
    label = QLabel(f"<h3>rnnsim {html.escape(facts[0][1])}</h3><p>{html.escape(ABOUT_TEXT)}</p>"
                   f"<table cellpadding=3>{rows}</table>")
    label.setObjectName("aboutText")
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setMinimumWidth(560)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    lay.addWidget(label)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    copy = QPushButton("Copy")
    copy.setObjectName("aboutCopy")
    copy.setToolTip("Copy the versions and folders to the clipboard (for a bug report)")
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(about_text(facts)))
    buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
    buttons.rejected.connect(dialog.reject)
    lay.addWidget(buttons)
    dialog.copy_button, dialog.text_label, dialog.facts = copy, label, facts
    return dialog
