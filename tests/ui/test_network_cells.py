"""The network editor offers every cell the engine knows, and says which hard sigmoid it shows."""
import numpy as np
import pytest

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from rnnsim.spec import GATE_BLOCKS
from ui.panels.data import DataPanel
from ui.training.controller import TrainingController


@pytest.fixture
def editor(qtbot):
    from ui.panels.network import NetworkEditor

    controller = TrainingController(task="xor")
    p = NetworkEditor(controller)
    qtbot.addWidget(p)
    p.show()
    return controller, p


def test_the_picker_lists_every_engine_cell(editor):
    _, p = editor
    assert sorted(p.cell.itemData(i) for i in range(p.cell.count())) == sorted(GATE_BLOCKS)


@pytest.mark.parametrize("cell,words", [("rnn_hard_sigmoid", ("x/6 + 1/2", "Keras's older 0.2·x + 0.5")),
                                        ("rnn_softplus", ("log(1 + eˣ)", "above 20"))])
def test_choosing_a_new_cell_builds_it_and_describes_it(editor, cell, words):
    controller, p = editor
    p.cell.setCurrentIndex(p.cell.findData(cell))
    p.cell.activated.emit(p.cell.currentIndex())
    assert controller.model.spec.cell == cell
    for w in words:
        assert w in p.summary.text()
    x = np.zeros((1, 1, controller.model.spec.input_size))
    assert np.all(np.isfinite(controller.model.predict(x)))


def test_a_mae_session_with_a_hard_sigmoid_cell_records_its_tape(make_window):
    """Your own sequence with loss 'mae': the data panel names the loss and the Tape's loss event shows
    the absolute error and the engine's loss."""
    w = make_window(task="custom", loss="mae", cell="rnn_hard_sigmoid", hidden_size=3, steps=4)
    s = w.session
    assert s.tape.spec.loss == "mae" and s.tape.spec.cell == "rnn_hard_sigmoid"
    loss_event = s.tape.events[s.tape.find("loss")]
    texts = [f.template for f in loss_event.formulas]
    assert any("|" in t for t in texts), texts
    built = s.built
    assert float(s.tape.loss) == pytest.approx(built.model.loss(built.x, built.target), rel=1e-12)
    panel = w.findChild(DataPanel)
    assert panel is not None and "(mean absolute error)" in panel.summary.text()


def test_a_data_file_loaded_with_mean_absolute_error_gives_a_mae_model(qtbot, tmp_path):
    c = TrainingController(task="bitcount")
    panel = DataPanel(c)
    qtbot.addWidget(panel)
    panel.show()
    x = np.random.default_rng(0).normal(size=(8, 4, 2))
    np.savez(tmp_path / "series.npz", x=x, y=x.sum(axis=1))
    dialog = panel.open_dialog(str(tmp_path / "series.npz"))
    dialog.npz_loss.setCurrentIndex(dialog.npz_loss.findData("mae"))
    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.reading, timeout=60000)
    assert c.dataset.loss == "mae" and c.model.spec.loss == "mae" and c.dataset.output == "last"
    assert "(mean absolute error)" in panel.summary.text()
    dialog.close()
    assert c.shutdown()
