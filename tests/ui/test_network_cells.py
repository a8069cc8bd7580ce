"""The network editor offers every cell the engine knows, and says which hard sigmoid it shows."""
import numpy as np
import pytest

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from rnnsim.spec import GATE_BLOCKS
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
