"""Files opened from the File menu are read off the GUI thread; a refusal is one dialog and nothing is
lost; a read can be cancelled."""
import os
import zipfile

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

TIMEOUT = 60000


def _dialog(w, qtbot):
    qtbot.waitUntil(lambda: any(isinstance(d, QMessageBox) and d.isVisible() for d in w._dialogs), timeout=TIMEOUT)
    return next(d for d in w._dialogs if isinstance(d, QMessageBox) and d.isVisible())


def _bad_files(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip at all")
    empty = tmp_path / "empty.npz"
    with zipfile.ZipFile(empty, "w"):
        pass
    folder = tmp_path / "folder.npz"
    folder.mkdir()
    fifo = tmp_path / "fifo.npz"
    os.mkfifo(fifo)
    return [garbage, empty, folder, fifo, tmp_path / "missing.npz"]


@pytest.mark.parametrize("kind", ["model", "session"])
def test_every_bad_file_is_one_dialog_and_nothing_changes(make_window, qtbot, tmp_path, kind):
    w = make_window(task="bitcount", steps=6)
    s, t = w.session, w.training
    before = {k: v.copy() for k, v in t.model.state_dict().items()}
    tape = s.tape
    for path in _bad_files(tmp_path):
        opener = w.open_model if kind == "model" else w.open_session
        assert opener(str(path))
        box = _dialog(w, qtbot)
        assert f"Cannot open the {kind}" in box.windowTitle()
        assert path.name in box.text() and "\n" not in box.text().strip() and len(box.text()) < 400
        box.done(0)
        qtbot.waitUntil(lambda: not w.loader.busy, timeout=TIMEOUT)
    assert s.tape is tape and t.task.name == "bitcount"
    for k, v in before.items():
        np.testing.assert_array_equal(t.model.params[k], v)


def test_a_cancelled_read_changes_nothing(make_window, qtbot, tmp_path):
    w = make_window(task="temporal-xor", hidden_size=3, steps=4)
    path = tmp_path / "other.npz"
    other = make_window(task="bitcount", steps=5)
    assert other.save_model(str(path))
    t = w.training
    before = {k: v.copy() for k, v in t.model.state_dict().items()}
    with qtbot.waitSignal(w.loader.finished, timeout=TIMEOUT) as done:
        assert w.open_model(str(path))
        w.loader.cancel()
    assert done.args == [False]
    qtbot.waitUntil(lambda: not w.loader.busy, timeout=TIMEOUT)
    assert t.task.name == "temporal-xor" and set(t.model.state_dict()) == set(before)
    for k, v in before.items():
        np.testing.assert_array_equal(t.model.params[k], v)
