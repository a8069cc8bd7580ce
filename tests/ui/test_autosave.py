"""Autosave and recovery with a real kill: a child app trains, is autosaved, trains on (the reference),
and is killed with SIGKILL; the next start offers the autosaved session, and the restored session
trains on exactly as the killed one did."""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ui.training.controller import PAUSED

TIMEOUT = 120000

CHILD = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import numpy as np
    import ui
    from PySide6.QtCore import QTimer
    from ui.app import make_app
    from ui.main_window import MainWindow

    out = sys.argv[1]
    app = make_app()
    w = MainWindow(setup={"task": "bitcount"}, autosave=True)
    w.show()
    t = w.training
    phase = []

    def on_saved(path):
        if phase:
            return
        phase.append("autosaved")
        t.stateChanged.disconnect(w.autosave._on_state)      # the reference run must not be autosaved
        w.autosave.timer.stop()
        QTimer.singleShot(0, lambda: t.train_steps(5))       # as a click would: after this signal

    def on_state(state):
        if state == "paused" and phase == ["autosaved"] and t.step_count == 10:
            phase.append("reference")
            np.savez(os.path.join(out, "reference.npz"), **t.model.state_dict())
            open(os.path.join(out, "ready"), "w").close()

    w.autosave.saved.connect(on_saved)
    t.stateChanged.connect(on_state)
    t.train_steps(5)
    app.exec()
""")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    # a modal question would hang offscreen: unsaved work at close is discarded
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    folder = tmp_path / "data"
    monkeypatch.setenv("RNNSIM_DATA_DIR", str(folder))
    return folder


def test_a_killed_session_is_offered_back_and_trains_on_exactly(qtbot, tmp_path, data_dir):
    from ui.app import make_app
    from ui.autosave import FILE_NAME
    from ui.main_window import MainWindow

    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "RNNSIM_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen([sys.executable, str(script), str(tmp_path)], env=env, cwd=os.getcwd(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        qtbot.waitUntil(lambda: (tmp_path / "ready").exists() or child.poll() is not None, timeout=TIMEOUT)
        assert child.poll() is None, child.stderr.read().decode()[-2000:]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stderr.close()
    assert (data_dir / FILE_NAME).is_file()                               # no clean exit: the autosave stays
    reference = dict(np.load(tmp_path / "reference.npz"))
    make_app()
    w = MainWindow()
    qtbot.addWidget(w)
    asked = []
    assert w.offer_recovery(ask=lambda text: asked.append(text) or True)
    assert "did not close properly" in asked[0]
    t = w.training
    assert t.task.name == "bitcount" and t.step_count == 5 and t.dirty
    t.train_steps(5)
    qtbot.waitUntil(lambda: t.state == PAUSED, timeout=TIMEOUT)
    assert t.step_count == 10
    for name, value in reference.items():
        np.testing.assert_array_equal(t.model.params[name], value)
    w.training.shutdown()


def test_no_offer_without_a_left_behind_autosave_and_a_clean_exit_removes_it(qtbot, data_dir):
    from ui.app import make_app
    from ui.autosave import FILE_NAME
    from ui.main_window import MainWindow

    make_app()
    w = MainWindow(autosave=True)
    qtbot.addWidget(w)
    assert not w.offer_recovery(ask=lambda text: pytest.fail("nothing to offer"))
    w.training.set_config(w.training.config_with(lr=0.5))                 # a change: autosaved
    assert w.autosave.save_if_changed() is None and (data_dir / FILE_NAME).is_file()
    w.close()
    assert not (data_dir / FILE_NAME).exists()
