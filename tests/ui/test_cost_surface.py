"""The cost surface and gradient-over-time views show the engine's numbers: the grid is
rnnsim.landscape's, the marked points the counting-ones tutorial's, a click puts the weights there,
a drag redraws the curve without touching the model, the six curves are rnnsim.gradflow's."""
import numpy as np
import pytest

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from rnnsim import landmarks
from rnnsim.gradflow import curves_at_points, gradient_over_time
from rnnsim.landscape import direction_plane, grid_axis, loss_surface, parameter_plane
from rnnsim.model import Model
from ui.panels.surface_view import CostSurfaceView
from ui.training.controller import TrainingController

TIMEOUT = 30000
SIX = [33.45, 4.87316e5, 1.27753e5, 27.75, 22.2330, 29.6490]


@pytest.fixture
def view(qtbot):
    def make(task="bitcount"):
        controller = TrainingController(task=task)
        v = CostSurfaceView(controller)
        qtbot.addWidget(v)
        v.resize(600, 900)
        v.show()
        qtbot.waitExposed(v)
        return controller, v
    yield make


def computed(qtbot, v, start=True):
    old = v.surface.surface
    if start:
        v.surface.start()
    qtbot.waitUntil(lambda: v.surface.surface is not None and v.surface.surface is not old
                    and not v.surface.runner.busy, timeout=TIMEOUT)
    return v.surface.surface


def test_counter_surface_is_the_engines_with_the_six_points(qtbot, view):
    c, v = view()
    s = computed(qtbot, v, start=False)                   # shown: the counter's surface computes by itself
    assert (s.a[0], s.a[-1], s.b[0], s.b[-1]) == (-3, 3, -3, 3)
    assert s.plane.parameters == (landmarks.W_X, landmarks.W_REC)
    v.surface.points.setValue(61)                          # a 0.1 grid: the six points are grid points
    s = computed(qtbot, v)
    model = c.current_model()
    want = loss_surface(model, c.dataset.x, c.dataset.y, parameter_plane(model, landmarks.W_X, landmarks.W_REC),
                        grid_axis(-3, 3, 61, "x"), grid_axis(-3, 3, 61, "y"))
    np.testing.assert_array_equal(s.loss, want.loss)
    np.testing.assert_array_equal(v.surface.plot.image.image, v.surface.plot.z)
    for (a, b), value in zip(landmarks.COUNTER_POINTS, SIX):
        i, j = int(round((a + 3) * 10)), int(round((b + 3) * 10))
        assert s.loss[j, i] == pytest.approx(value, rel=1e-5)
        text, _ = v.surface.plot.readout_at(a, b)
        assert f"loss {s.loss[j, i]:.6g}" in text
    xs, ys = v.surface.plot.mark_items.getData()
    assert list(zip(xs, ys)) == list(landmarks.COUNTER_POINTS)
    assert [label.toPlainText() for label in v.surface.plot.mark_labels][:2] == ["(2, 1)", "(1, 2)"]
    assert v.surface.plot.current() == (-1.5, 2.0)         # the task's start weights
    header, rows = v.surface.plot.csv_table()
    assert header == ["w_x = U[0,0]", "w_rec = W[0,0]", "loss"] and len(rows) == 61 * 61


def test_zoom_and_typed_range(qtbot, view):
    c, v = view()
    computed(qtbot, v, start=False)
    v.surface.zoom.click()
    s = computed(qtbot, v)
    assert (s.a[0], s.a[-1], s.b[0], s.b[-1]) == (0, 2, 0, 2)
    v.surface.range_fields[1].setText("abc")
    old = v.surface.surface
    v.surface.start()
    assert "x to" in v.surface.status.text() and v.surface.surface is old


def test_click_puts_the_weights_there_and_the_gradient_follows(qtbot, view):
    c, v = view()
    computed(qtbot, v, start=False)
    with qtbot.waitSignal(c.modelChanged, timeout=TIMEOUT):
        v.surface.plot.pointChosen.emit(1.0, 0.5)
    assert c.model.params["rnn.weight_ih_l0"][0, 0] == 1.0 and c.model.params["rnn.weight_hh_l0"][0, 0] == 0.5
    assert v.surface.plot.current() == (1.0, 0.5)
    qtbot.waitUntil(lambda: v.gradients.current.label.startswith("current (1, 0.5)"), timeout=TIMEOUT)
    want = gradient_over_time(c.current_model(), c.dataset.x, c.dataset.y)
    np.testing.assert_array_equal(v.gradients.plot.data("current")[1], want.values)
    assert v.gradients.words.text().endswith("vanishes (×0.00098 back to k = 0)")
    # typed values too
    v.surface.put_fields[0].setText("2")
    v.surface.put_fields[1].setText("1")
    v.surface.put_button.click()
    assert c.model.params["rnn.weight_ih_l0"][0, 0] == 2.0 and c.model.params["rnn.weight_hh_l0"][0, 0] == 1.0


def test_a_drag_redraws_the_curve_live_and_leaves_the_model(qtbot, view):
    c, v = view()
    computed(qtbot, v, start=False)
    before = c.model.state_dict()
    g = v.gradients
    for b in np.linspace(-2, 2, 9):
        v.surface.plot.pointDragged.emit(1.0, float(b))
        model = Model(c.spec, {"rnn.weight_ih_l0": np.array([[1.0]]), "rnn.weight_hh_l0": np.array([[b]])})
        want = gradient_over_time(model, c.dataset.x, c.dataset.y).values
        qtbot.waitUntil(lambda: np.array_equal(g.plot.data("current")[1], want), timeout=TIMEOUT)
        assert g.current.label == f"(1, {b:.3g})"
    for name, value in before.items():
        np.testing.assert_array_equal(c.model.params[name], value)


def test_the_slider_moves_w_rec_and_release_puts_it(qtbot, view):
    c, v = view()
    computed(qtbot, v, start=False)
    g = v.gradients
    assert g.slider.isEnabled() and g.slider_name.text() == "w_rec = W[0,0]"
    g.slider.setValue(300)                                   # the middle of [−3, 3]: w_rec = 0, dies at once
    qtbot.waitUntil(lambda: g.words.text() == "(-1.5, 0): dies at once", timeout=TIMEOUT)
    with qtbot.waitSignal(c.modelChanged, timeout=TIMEOUT):
        g._slider_released()
    assert c.model.params["rnn.weight_hh_l0"][0, 0] == 0.0 and c.model.params["rnn.weight_ih_l0"][0, 0] == -1.5


def test_six_points_pin_and_clear(qtbot, view):
    c, v = view()
    computed(qtbot, v, start=False)
    g = v.gradients
    assert g.lesson_points.isVisible()
    g.lesson_points.click()
    qtbot.waitUntil(lambda: len(g.plot.curves) == 7, timeout=TIMEOUT)
    plane = v.surface.plane
    want = curves_at_points(c.current_model(), c.dataset.x, c.dataset.y, plane, landmarks.COUNTER_POINTS)
    for i, curve in enumerate(want):
        np.testing.assert_array_equal(g.plot.data(f"lesson-{i}")[1], curve.values)
    labels = [g.plot.labels[f"lesson-{i}"] for i in range(6)]
    assert labels == ["(2, 1) stays constant", "(1, 2) explodes", "(1, -2) explodes", "(1, 0) dies at once",
                      "(1, 0.5) vanishes", "(1, -0.5) vanishes"]
    g.clear_pinned()
    qtbot.waitUntil(lambda: list(g.plot.curves) == ["current"], timeout=TIMEOUT)
    g.pin_current()
    qtbot.waitUntil(lambda: len(g.plot.curves) == 2, timeout=TIMEOUT)


def test_random_directions_for_a_bigger_model(qtbot, view):
    c, v = view("temporal-xor")
    assert v.surface.surface is None and not v.surface.zoom.isVisible()
    v.surface.by_directions.setChecked(True)
    v.surface.seed.setValue(4)
    v.surface.around.click()
    v.surface.points.setValue(11)
    s = computed(qtbot, v)
    model = c.current_model()
    x, y = c.trainer.train_set.x, c.trainer.train_set.y
    want = loss_surface(model, x[:512], y[:512], direction_plane(model, 4), grid_axis(-1, 1, 11, "a"),
                        grid_axis(-1, 1, 11, "b"))
    np.testing.assert_allclose(s.loss, want.loss, rtol=1e-12)
    assert v.surface.plot.current() == pytest.approx((0.0, 0.0), abs=1e-9)
    assert not v.gradients.slider.isEnabled()


def test_weights_cannot_be_put_while_training(qtbot, view):
    c, v = view()
    computed(qtbot, v, start=False)
    c.train()
    try:
        v.surface.put_weights(1.0, 1.0)
        assert "pause" in v.surface.status.text()
    finally:
        c.pause()
        qtbot.waitUntil(lambda: not c.running, timeout=TIMEOUT)
        c.shutdown()


def test_optimizer_paths_live_and_kept(qtbot, view):
    """Rprop's path grows while it trains and equals the watched weights; a reset keeps it beside the next
    run's (plain SGD, which diverges)."""
    c, v = view()
    computed(qtbot, v, start=False)
    assert c.history.path_watch == [("rnn.weight_ih_l0", (0, 0)), ("rnn.weight_hh_l0", (0, 0))]
    plot = v.surface.plot
    c.train(steps=40)
    qtbot.waitUntil(lambda: not c.running and c.step_count == 40, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "current" in plot.path_items and len(plot.path_data("current")[0]) == 41,
                    timeout=TIMEOUT)
    a, b = plot.path_data("current")
    np.testing.assert_array_equal(np.stack([a, b], axis=1), c.history.path)
    assert (a[0], b[0]) == (-1.5, 2.0)
    assert (a[-1], b[-1]) == (c.model.params["rnn.weight_ih_l0"][0, 0], c.model.params["rnn.weight_hh_l0"][0, 0])
    label = plot.path_texts["current"]
    assert plot.path_items["current"][1].toPlainText() == "Rprop Δ₀ 0.001"
    assert label == f"Rprop Δ₀ 0.001: ({a[-1]:.6g}, {b[-1]:.6g})"
    # a new run from the start point with plain gradient descent: the Rprop path stays
    v.surface.put_weights(-1.5, 2.0)
    c.set_config(c.config_with(optimizer="sgd", lr=0.001))
    c.train(steps=40)
    qtbot.waitUntil(lambda: not c.running, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: len(plot.path_items) == 2, timeout=TIMEOUT)
    kept = [k for k in plot.path_items if k != "current"][0]
    np.testing.assert_array_equal(plot.path_data(kept)[0], a)
    assert plot.path_texts[kept].startswith("Rprop")
    current = plot.path_texts["current"]
    assert current.startswith("SGD lr 0.001: diverged at step "), current
    v.surface.clear_paths.click()
    assert list(plot.path_items) == ["current"]
    c.shutdown()
