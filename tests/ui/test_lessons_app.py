"""The Lessons page in the app: every built-in lesson's headline within three clicks from a fresh start, the
first-start behaviour and its check box, File → Open lesson / Save as lesson, and a bad lesson file."""
import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

import ui  # noqa: F401
from rnnsim.lessons import build_setup, builtin_lessons, load_lesson, measure

TIMEOUT = 30000
#: a lesson's three clicks to its headline: meant to take under 30 s (the digits lesson takes ~45 s alone, ~2 min
#: on a busy machine); the margin keeps the test about the clicks and the figure, not the speed
LESSON_TIMEOUT = 300000
LESSON_IDS = [lesson.id for lesson in builtin_lessons()]


@pytest.fixture
def fresh_window(make_window, settings_dir):
    """fresh_window() -> the app's window as ``rnnsim`` opens it (it keeps the learner's preferences), its
    first Tape recorded."""
    return lambda: make_window(remember_layout=True)


class Clicks:
    """Clicks through real widgets with qtbot.mouseClick, counted."""

    def __init__(self, qtbot):
        self.qtbot, self.count = qtbot, 0

    def click(self, widget, pos=None):
        assert widget.isEnabled()
        self.qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos if pos is not None else widget.rect().center())
        self.count += 1

    def click_item(self, tree, item):
        tree.scrollToItem(item)
        self.click(tree.viewport(), tree.visualItemRect(item).center())


def in_front(dock) -> bool:
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_each_lesson_reaches_its_headline_in_three_clicks(qtbot, fresh_window, lesson_id):
    w = fresh_window()
    panel, clicks = w.lessons_panel, Clicks(qtbot)
    assert in_front(w.docks["lessons"])
    clicks.click_item(panel.tree, panel.item_of(lesson_id))           # 1: the lesson
    assert panel.lesson.id == lesson_id and panel.title.text() == panel.lesson.title
    clicks.click(panel.setup_button)                                     # 2: set up
    clicks.click(panel.run_button)                                       # 3: run
    labels = panel.result_labels
    qtbot.waitUntil(lambda: all(label.property("passed") is not None for label in labels)
                    and not w.lesson_driver.busy, timeout=LESSON_TIMEOUT)
    assert clicks.count == 3
    for label, head in zip(labels, panel.lesson.headlines):
        assert label.property("passed") is True, label.text()
        assert "This app: —" not in label.text() and label.text().startswith("Source: ")


def test_counting_ones_figure_is_the_engines_measure_of_the_session(qtbot, fresh_window):
    """The shown figure is rnnsim.lessons.measure on the session's model after the run (not a copy of expect)."""
    w = fresh_window()
    panel = w.lessons_panel
    panel.tree.setCurrentItem(panel.item_of("counting-ones"))
    values = []
    w.lesson_driver.measured.connect(lambda k, value, passed: values.append(value))
    panel.run_button.click()                      # Run sets the lesson up by itself
    qtbot.waitUntil(lambda: len(values) == 2 and not w.lesson_driver.busy, timeout=TIMEOUT)
    model = w.training.current_model()
    heads = panel.lesson.headlines
    assert values[0] == measure(heads[0], model, w.training.dataset)
    assert values[0] != heads[0].expect and np.allclose(values[0], heads[0].expect, atol=heads[0].tolerance)
    w_x, w_rec = values[0]                        # the counter: S(k) = S(k−1)·w_rec + X(k)·w_x, answer S(T)
    state = 0.0
    for bit in heads[1].measure["input"]:
        state = state * w_rec + bit * w_x
    assert values[1] == pytest.approx(state, abs=1e-9)
    assert w.training.step_count == 500


def test_first_start_opens_on_lessons_and_the_check_box_stops_it(qtbot, fresh_window, settings_dir):
    w = fresh_window()
    assert in_front(w.docks["lessons"]) and w.lessons_panel.show_at_start.isChecked()
    w.docks["equations"].raise_()
    qtbot.waitUntil(lambda: not in_front(w.docks["lessons"]))
    w.lessons_action.trigger()                    # Help → Lessons and the toolbar button
    qtbot.waitUntil(lambda: in_front(w.docks["lessons"]))
    box = w.lessons_panel.show_at_start
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert not w.lessons_panel.show_at_start.isChecked()
    w.docks["equations"].raise_()                 # the layout the learner leaves is the one they come back to
    w.close()
    again = fresh_window()
    assert not again.lessons_panel.show_at_start.isChecked()
    assert not in_front(again.docks["lessons"])
    assert QSettings("rnnsim", "rnnsim").fileName().startswith(settings_dir)


def test_open_lesson_adds_it_and_a_bad_file_is_refused_with_its_field(qtbot, make_window, tmp_path):
    w = make_window()
    before = [x.id for x in w.lessons_panel.lessons]
    data = json.loads(Path(builtin_lessons()[0].path).read_text(encoding="utf-8"))
    bad = dict(data, steps=[{"text": "x", "action": {"kind": "fly"}, "button": "Fly"}])
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    assert not w.open_lesson(str(tmp_path / "bad.json"))
    box = w._dialogs[-1]
    assert "steps[0].action.kind" in box.text() and "fly" in box.text()
    assert [x.id for x in w.lessons_panel.lessons] == before
    box.close()
    good = dict(data, id="my-copy", title="My copy of the lesson", group="Opened")
    (tmp_path / "good.json").write_text(json.dumps(good), encoding="utf-8")
    assert w.open_lesson(str(tmp_path / "good.json"))
    assert sorted(x.id for x in w.lessons_panel.lessons) == sorted(before + ["my-copy"])
    assert w.lessons_panel.lesson.id == "my-copy"


def test_save_as_lesson_writes_the_set_up_and_the_weights_when_asked(qtbot, make_window, tmp_path):
    w = make_window(task="bitcount", hidden_size=1, lr=0.05, optimizer="adam")
    params = {k: v + 0.25 for k, v in w.training.model.params.items()}
    assert w.training.set_params(params, new_run=True)
    path = tmp_path / "mine.json"
    assert w.save_as_lesson(str(path), title="My counter", with_weights=True)
    lesson = load_lesson(path)
    assert lesson.title == "My counter" and lesson.id == "my-counter"
    s = lesson.setup.session
    assert s["task"] == "bitcount" and s["optimizer"] == "adam" and s["lr"] == 0.05 and s["hidden_size"] == 1
    for k, v in params.items():
        assert np.array_equal(np.asarray(lesson.setup.weights[k]), v)
    model, dataset, _, _ = build_setup(lesson)
    assert lesson.headlines[0].expect == pytest.approx(float(model.loss(dataset.x, dataset.y, dataset.decoder_x)))
    assert w.save_as_lesson(str(tmp_path / "plain.json"), title="Plain", with_weights=False)
    assert load_lesson(tmp_path / "plain.json").setup.weights == {}
    assert w.open_lesson(str(path)) and w.lessons_panel.lesson.title == "My counter"
    assert not list(tmp_path.glob(".lesson-*"))


def test_counting_ones_step_buttons_put_the_app_there(qtbot, make_window):
    """Each step's button through a real click: the debugger's cursor, the weights, the gradient check, the
    cost surface, training and Predict end where the step says."""
    w = make_window()
    panel, c = w.lessons_panel, w.training
    w.show_lessons()
    panel.tree.setCurrentItem(panel.item_of("counting-ones"))
    old = w.session.tape
    qtbot.mouseClick(panel.setup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.session.tape is not old and w.ready, timeout=TIMEOUT)
    assert c.source["name"] == "bitcount" and c.config.optimizer == "rprop"
    assert c.model.params["rnn.weight_hh_l0"][0, 0] == 2.0 and in_front(w.docks["surface"])
    seek, set_12, grad, surface, set_start, train, predict, to_sgd = panel.step_buttons
    assert [step.button for step in panel.lesson.steps if step.action] == [b.text() for b in panel.step_buttons]
    qtbot.mouseClick(seek, Qt.MouseButton.LeftButton)
    assert w.session.current.phase == "forward" and w.session.current.t == 3
    qtbot.mouseClick(set_12, Qt.MouseButton.LeftButton)
    assert [c.model.params[k][0, 0] for k in ("rnn.weight_ih_l0", "rnn.weight_hh_l0")] == [1.2, 1.2]
    with qtbot.waitSignal(w.gradcheck_panel.finished, timeout=TIMEOUT) as report:
        qtbot.mouseClick(grad, Qt.MouseButton.LeftButton)
    assert report.args[0].passed
    qtbot.mouseClick(surface, Qt.MouseButton.LeftButton)
    s = w.cost_surface.surface
    qtbot.waitUntil(lambda: s.surface is not None and not s.runner.busy, timeout=TIMEOUT)
    assert [f.value() for f in s.range_fields] == [-3.0, 3.0, -3.0, 3.0]
    qtbot.mouseClick(set_start, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(train, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not c.running and c.step_count == 500, timeout=TIMEOUT)
    with qtbot.waitSignal(w.predict_panel.predicted, timeout=TIMEOUT) as out:
        qtbot.mouseClick(predict, Qt.MouseButton.LeftButton)
    assert float(np.ravel(out.args[0])[-1]) == pytest.approx(5.0, abs=0.05)
    qtbot.mouseClick(to_sgd, Qt.MouseButton.LeftButton)
    assert c.config.optimizer == "sgd" and c.config.lr == 0.001
