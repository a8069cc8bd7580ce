"""The decision boundary view: the image it draws holds rnnsim.boundary.decision_grid for the weights it
names, it follows training live and every change of weights, and it says why when the model does not
qualify."""
import dataclasses

import numpy as np
import pytest

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from rnnsim.boundary import classify, decision_grid, point_labels, why_not_drawable
from rnnsim.model import Model
from ui.plots.boundary import CLASS_COLORS, BoundaryView, class_table, image_values
from ui.training.controller import RUNNING, TrainingController

TIMEOUT = 30000


@pytest.fixture
def rig(qtbot):
    """(controller on the XOR task, its shown BoundaryView), the first picture drawn."""
    c = TrainingController(task="xor")
    view = BoundaryView(c)
    qtbot.addWidget(view)
    view.resize(520, 520)
    view.show()
    qtbot.waitUntil(lambda: view.decision is not None, timeout=TIMEOUT)
    yield c, view
    assert c.shutdown(10000)
    view.close()


def expected_grid(c, view, params):
    model = Model(c.model.spec, params)
    return decision_grid(model, *view.window, view.resolution, accuracy=c.dataset.accuracy)


def assert_shows(c, view, params):
    """The image, the marks and the text are the engine's numbers for ``params``."""
    grid = expected_grid(c, view, params)
    shown = view.image.image                                    # the array handed to the ImageItem
    assert shown.shape == grid.classes.shape == (view.resolution, view.resolution)
    np.testing.assert_array_equal(view.decision.classes, grid.classes)
    np.testing.assert_array_equal(view.decision.probability, grid.probability)
    # the pixel value of class k with probability p is k + (1 − p): its class is the integer part
    np.testing.assert_array_equal(np.floor(shown).astype(int), grid.classes)
    np.testing.assert_allclose(shown - grid.classes, 1.0 - grid.probability, atol=1e-15)
    classes, _ = classify(Model(c.model.spec, params), c.dataset.x, c.dataset.accuracy)
    wrong = classes != point_labels(c.dataset)
    xs, ys = view.wrong.getData()
    np.testing.assert_array_equal(np.c_[xs, ys], c.dataset.x[wrong, 0, :])
    right = int((~wrong).sum())
    assert view.info.text().startswith(f"step {view.shown_step}  ·  {right} of 4 training points right")


def test_the_image_is_the_engines_grid_for_the_current_weights(rig):
    c, view = rig
    assert view.window == ((-0.25, 1.25), (-0.25, 1.25)) and view.message == ""
    assert view.shown_step == 0
    assert_shows(c, view, c.current_model().params)
    xs, ys = view.points.getData()
    np.testing.assert_array_equal(np.c_[xs, ys], c.dataset.x[:, 0, :])
    brushes = [b.color().name() for b in view.points.data["brush"]]
    assert brushes == [CLASS_COLORS[k].name() for k in (0, 1, 1, 0)]


def test_the_colour_table_gives_the_class_colour_when_sure_and_one_grey_when_undecided():
    table = class_table(2)
    for k in (0, 1):
        c = CLASS_COLORS[k]
        sure = [0.7 * v + 0.3 * 238 for v in (c.red(), c.green(), c.blue())]
        assert np.abs(table[k * 256].astype(int) - sure).max() <= 0.5           # probability 1
        assert tuple(table[k * 256 + 128]) == (238, 238, 238)                     # probability 0.5
        assert tuple(table[k * 256 + 64]) != (238, 238, 238)                      # probability 0.75
    three = class_table(3)
    assert tuple(three[2 * 256 + round(256 * 2 / 3) + 1]) == (238, 238, 238)      # probability 1/3


def test_it_follows_training_live_and_shows_the_final_weights(qtbot, rig):
    c, view = rig
    c.set_config(dataclasses.replace(c.config, epochs=3000))
    steps_seen = []
    view.drawn.connect(lambda: steps_seen.append(view.shown_step))
    c.train()
    # while training runs, a picture of weights from the run (a snapshot's) ...
    qtbot.waitUntil(lambda: c.running and view.shown_step and view.shown_step > 0, timeout=TIMEOUT)
    if c.running:
        snapshot_params, step = view.shown_params, view.shown_step
        assert_shows(c, view, snapshot_params)
        assert step > 0
    qtbot.waitUntil(lambda: not c.running, timeout=60000)
    # ... several of them on the way, and at the end the model's final weights
    qtbot.waitUntil(lambda: view.shown_step == c.step_count, timeout=TIMEOUT)
    assert len(set(steps_seen)) >= 3 and steps_seen == sorted(steps_seen)
    assert_shows(c, view, c.current_model().params)
    assert view.info.text().startswith(f"step {c.step_count}  ·  4 of 4 training points right")
    assert view.wrong.getData()[0].size == 0


def test_it_redraws_after_set_params_and_reset_and_not_when_nothing_changed(qtbot, rig):
    c, view = rig
    first = view.decision
    params = c.current_model().params
    params["fc.bias"][...] = [-0.2, 0.9]                 # every point class 1: two of four wrong
    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT):
        assert c.set_params(params, "test")
    assert_shows(c, view, params)
    assert view.decision is not first and set(np.unique(view.decision.classes)) == {1}
    assert view.wrong.getData()[0].size == 2
    redraws = view.redraws
    c.configChanged.emit(c.config)                        # unrelated signals draw nothing
    c.stateChanged.emit(c.state)
    qtbot.waitUntil(lambda: not view.runner.busy and not view.timer.isActive(), timeout=TIMEOUT)
    assert view.redraws == redraws
    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT):
        c.set_config(dataclasses.replace(c.config, seed=5))        # a new seed before training: new weights
    assert_shows(c, view, c.current_model().params)
    assert not np.array_equal(view.shown_params["fc.bias"], params["fc.bias"])


def test_more_hidden_units_keep_the_picture_exact(qtbot, rig):
    c, view = rig
    with qtbot.waitSignal(view.drawn, timeout=TIMEOUT):
        assert c.set_network(hidden_size=50)
    assert view.resolution < 160                            # a dearer model: a coarser grid, still live
    assert_shows(c, view, c.current_model().params)


def test_a_model_that_does_not_qualify_gets_a_sentence_instead_of_a_plot(qtbot, rig):
    c, view = rig
    assert c.set_task("temporal-xor")
    reason = why_not_drawable(c.model.spec, c.dataset.steps, c.dataset.accuracy)
    assert reason and "8 steps of 1 input" in reason
    qtbot.waitUntil(lambda: view.message == reason, timeout=TIMEOUT)
    assert view._note.toPlainText() == reason and view._note.scene() is not None
    assert not view.image.isVisible() and not view.points.isVisible() and view.decision is None
    assert c.set_task("xor")                                # and back: the picture returns
    qtbot.waitUntil(lambda: view.decision is not None, timeout=TIMEOUT)
    assert view.message == "" and view.image.isVisible() and view._note.scene() is None
    assert_shows(c, view, c.current_model().params)


def test_hover_and_csv_read_the_engines_numbers(rig):
    c, view = rig
    grid = view.decision
    text, _ = view.readout_at(1.0, 0.0)
    i, j = int(np.abs(grid.ys - 0.0).argmin()), int(np.abs(grid.xs - 1.0).argmin())
    assert f"class {grid.classes[i, j]}" in text
    header, rows = view.csv_table()
    assert header == ["x₁", "x₂", "class", "probability"] and len(rows) == grid.classes.size
    assert [int(r[2]) for r in rows] == grid.classes.ravel().tolist()


def test_image_values_show_undecided_where_outputs_are_not_finite(rig):
    c, view = rig
    grid = dataclasses.replace(view.decision, probability=np.full_like(view.decision.probability, np.nan))
    values = image_values(grid)
    np.testing.assert_allclose(values - grid.classes, 0.5)
    assert c.state != RUNNING
