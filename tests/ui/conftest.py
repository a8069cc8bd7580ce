"""Fixtures for the app's tests: a main window whose first Tape has been recorded."""
import gc

import pytest

import ui  # noqa: F401  (first: guards None's reference count against the PySide6 6.12 drain)
from ui.app import collect_due, make_app

RECORD_TIMEOUT = 30000


@pytest.fixture(autouse=True)
def collect_between_tests():
    """As in the app (ui.app.GuiThreadCollector): no automatic garbage collection, which could run inside a
    Qt call or on a worker thread and delete a QObject there; what is due is collected between tests."""
    gc.disable()
    yield
    collect_due()


@pytest.fixture
def settings_dir(tmp_path):
    """QSettings read and write under tmp_path: no test touches the user's real settings."""
    from PySide6.QtCore import QSettings, QStandardPaths

    folder = str(tmp_path / "config")
    formats = (QSettings.Format.NativeFormat, QSettings.Format.IniFormat)
    for f in formats:
        QSettings.setPath(f, QSettings.Scope.UserScope, folder)
    yield folder
    home = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    for f in formats:
        QSettings.setPath(f, QSettings.Scope.UserScope, home)


@pytest.fixture
def make_window(qtbot, monkeypatch):
    """make_window(**setup) -> a shown MainWindow with its first Tape recorded; ``setup`` by flat names
    (Session.configure: task, steps, cell, hidden_size, optimizer, lr, probe_text, ...). With
    ``remember_layout=True`` it is the window as ``rnnsim`` opens it: it keeps the learner's preferences
    (use it with ``settings_dir``)."""
    from PySide6.QtWidgets import QMessageBox

    from ui.main_window import MainWindow

    # a modal question would hang offscreen: unsaved work at close (e.g. after Apply update) is discarded
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    windows = []

    def make(warm=False, remember_layout=False, **setup):
        make_app()
        w = MainWindow(setup=setup or None, remember_layout=remember_layout)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        w.cell.set_animated(False)
        w.session.start(warm=warm)
        qtbot.waitUntil(lambda: w.ready, timeout=RECORD_TIMEOUT)
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.close()


@pytest.fixture
def wait_for_new_tape(qtbot):
    """wait_for_new_tape(session, old_tape): until a newer Tape has arrived and nothing is pending."""
    def wait(session, old_tape):
        window = session.parent()
        qtbot.waitUntil(lambda: session.tape is not old_tape and window.ready, timeout=RECORD_TIMEOUT)
    return wait
