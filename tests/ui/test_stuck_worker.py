"""A training process that does not answer never freezes the window: saving waits about a second, then
saves what it has and says which state that is."""
from rnnsim import session_file as sf
from ui.training.controller import RUNNING, TrainingController

TIMEOUT = 60000


def _running_and_deaf(qtbot, monkeypatch):
    c = TrainingController(task="long-memory")
    c.set_config(c.config_with(epochs=1000))
    assert c.train()
    qtbot.waitUntil(lambda: c.step_count > 2, timeout=TIMEOUT)
    monkeypatch.setattr(c._thread, "request_stop", lambda: None)        # the process never hears "pause"
    return c


def test_save_session_saves_the_state_from_before_the_run_and_says_so(qtbot, tmp_path, monkeypatch):
    c = _running_and_deaf(qtbot, monkeypatch)
    errors = []
    c.error.connect(lambda title, text: errors.append((title, text)))
    try:
        assert c.save_session(tmp_path / "s.npz")
        assert c.state == RUNNING                                         # the run goes on
        assert errors and errors[0][0] == "Saved the state from before this run"
        assert "step 0" in errors[0][1]
        assert len(sf.load(tmp_path / "s.npz").history.step) == 0          # what the message says
        assert c.dirty                                                    # the run's steps are not saved
    finally:
        monkeypatch.undo()
        c.shutdown()


def test_save_model_saves_the_newest_reported_weights(qtbot, tmp_path, monkeypatch):
    import numpy as np
    import rnnsim

    c = _running_and_deaf(qtbot, monkeypatch)
    try:
        qtbot.waitUntil(lambda: c.history.latest is not None and c.history.latest.params is not None, timeout=TIMEOUT)
        assert c.save_model(tmp_path / "m.npz")
        saved = rnnsim.load_model(str(tmp_path / "m.npz")).state_dict()
        newest = c.history.latest.params
        assert any(np.array_equal(saved[k], newest[k]) for k in saved)    # a snapshot's weights, not the start's
        assert not all(np.array_equal(saved[k], c.history.start[1][k]) for k in saved)
    finally:
        monkeypatch.undo()
        c.shutdown()
