"""The window's icon and desktop-entry name; Help → About shows the version, the engine's and Qt's versions and where settings, compiled kernels
and autosaves live; the text is selectable and Copy puts it on the clipboard."""
import importlib.metadata
import tomllib
from pathlib import Path

import numba
import numpy
import PySide6
from PySide6.QtCore import QSettings, Qt, qVersion
from PySide6.QtWidgets import QApplication, QDialog

from ui import dialogs

ROOT = Path(__file__).resolve().parents[2]


def _expected_version():
    try:
        return importlib.metadata.version("rnnsim")
    except importlib.metadata.PackageNotFoundError:
        return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_version_falls_back_to_pyproject(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert dialogs.app_version() == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_kernel_cache_folder_follows_numba_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert dialogs.kernel_cache_folder() == tmp_path
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert dialogs.kernel_cache_folder() in (ROOT / "rnnsim" / "cells" / "__pycache__",
                                             Path.home() / ".cache" / "numba")


def test_about_shows_versions_and_folders(make_window, qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("RNNSIM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "kernels"))
    w = make_window()
    w.show_about()
    qtbot.waitUntil(lambda: any(isinstance(d, QDialog) and d.isVisible() for d in w._dialogs))
    about = next(d for d in w._dialogs if isinstance(d, QDialog) and d.isVisible())
    shown = about.text_label.text()
    version = _expected_version()
    assert f"rnnsim {version}" in shown
    for expected in (numpy.__version__, numba.__version__, PySide6.__version__, qVersion(),
                     QSettings("rnnsim", "rnnsim").fileName(), str(tmp_path / "kernels"), str(tmp_path / "data")):
        assert expected in shown, expected
    assert about.text_label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    QApplication.clipboard().clear()
    qtbot.mouseClick(about.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert f"rnnsim: {version}\n" in copied
    assert f"Autosaves: {tmp_path / 'data'}\n" in copied and f"Compiled kernels: {tmp_path / 'kernels'}\n" in copied
    about.reject()
    qtbot.waitUntil(lambda: about not in w._dialogs)


def test_app_has_the_icon_and_the_menu_entry_name():
    from ui.app import ICON_SIZES, make_app

    app = make_app()
    assert app.desktopFileName() == "rnnsim"
    icon = app.windowIcon()
    assert not icon.isNull()
    assert sorted(size.width() for size in icon.availableSizes()) == sorted(ICON_SIZES)
