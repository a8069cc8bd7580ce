"""Lesson files: every built-in lesson loads, and its set-up and run reach its headline figure headless; bad
files are refused in one line naming the field; saving is atomic.

The whole file takes about a minute: the digits lesson (3 stacked layers of 100 units until early stopping)
is most of it."""
from __future__ import annotations

import copy
import json
import os

import numpy as np
import pytest

from rnnsim import LessonError
from rnnsim.lessons import (
    MAX_LESSON_BYTES,
    Headline,
    build_setup,
    builtin_lessons,
    check,
    lesson_from_dict,
    lesson_paths,
    lesson_to_dict,
    lesson_to_json,
    load_lesson,
    measure,
    run_headline,
    run_lesson,
    save_lesson,
)
from rnnsim.train import Trainer

LESSONS = builtin_lessons()
BY_ID = {lesson.id: lesson for lesson in LESSONS}
REQUIRED_IDS = {"unfolding-the-graph", "bptt-step-by-step", "counting-ones", "xor-from-scratch", "why-lstm",
                "digits-row-by-row", "shapes-of-sequences", "writing-text", "optimizers-compared"}


def counting_ones_dict() -> dict:
    with open(BY_ID["counting-ones"].path, encoding="utf-8") as fh:
        return json.load(fh)


def refusal(tmp_path, data, name="lesson.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    with pytest.raises(LessonError) as info:
        load_lesson(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{name}: ")
    return message


# ---- the built-in lessons ---------------------------------------------------------------------------------
def test_every_builtin_lesson_loads_and_the_required_ones_are_there():
    assert len(lesson_paths()) == len(LESSONS) >= 9
    assert REQUIRED_IDS <= set(BY_ID)
    assert [(lesson.order, lesson.title) for lesson in LESSONS] == sorted((x.order, x.title) for x in LESSONS)
    for lesson in LESSONS:
        assert os.path.basename(lesson.path) == f"{lesson.id}.json"
        assert 3 <= len(lesson.steps) <= 8, lesson.id
        assert sum(step.action is not None for step in lesson.steps) > len(lesson.steps) / 2, lesson.id
        assert isinstance(lesson.headlines, list) and lesson.headlines
        for text in [lesson.intro, lesson.source] + [s.text for s in lesson.steps]:
            assert "LESSONS" not in text and "../shared" not in text


@pytest.mark.parametrize("lesson_id", sorted(REQUIRED_IDS))
def test_every_headline_is_reached_headless(lesson_id):
    lesson = BY_ID[lesson_id]
    results = run_lesson(lesson)
    for headline, result in zip(lesson.headlines, results, strict=True):
        assert result.passed, (lesson_id, headline.what, result.value, headline.expect)
        assert result.seconds < 60


def test_run_headline_equals_run_lesson_for_one_headline():
    lesson = BY_ID["counting-ones"]
    alone = run_headline(lesson, 1)
    together = run_lesson(lesson)[1]
    assert alone.value == together.value and alone.passed and alone.source == 4.99


# ---- the figures against independent computations ----------------------------------------------------------
def test_counter_figures_against_the_recurrence_by_hand():
    """Rprop's end point is near (1, 1), and the counter's answer for the test sequence is the linear
    recurrence S(k) = S(k−1)·w_rec + x(k)·w_x with those two weights."""
    lesson = BY_ID["counting-ones"]
    model, dataset, _, config = build_setup(lesson)
    assert model.params["rnn.weight_ih_l0"][0, 0] == -1.5 and model.params["rnn.weight_hh_l0"][0, 0] == 2.0
    assert config.optimizer == "rprop" and config.lr == 0.001
    trainer = Trainer(model, dataset, config)
    trainer.run(max_steps=500)
    w_x, w_rec = measure(lesson.headlines[0], model, dataset, trainer)
    assert (w_x, w_rec) == (model.params["rnn.weight_ih_l0"][0, 0], model.params["rnn.weight_hh_l0"][0, 0])
    assert abs(w_x - 1) < 0.01 and abs(w_rec - 1) < 0.01
    s = 0.0
    for bit in [0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1]:
        s = s * w_rec + bit * w_x
    assert measure(lesson.headlines[1], model, dataset, trainer.history) == pytest.approx(s, abs=1e-12)


def test_history_measures_read_the_last_epoch():
    lesson = BY_ID["why-lstm"]
    model, dataset, _, config = build_setup(lesson)
    trainer = Trainer(model, dataset, config)
    for _ in range(3):
        trainer.step()
    with pytest.raises(LessonError, match="train first"):
        measure(lesson.headlines[0], model, dataset, trainer.history)
    while trainer.epoch < 2:
        trainer.step()
    val = trainer.val_set
    right = np.mean(model.predict(val.x).argmax(axis=1) == val.y)
    assert measure(lesson.headlines[0], model, dataset, trainer.history) == pytest.approx(right, abs=1e-12)
    epochs = Headline("e", None, {}, {"kind": "epochs"}, 2, 0)
    assert measure(epochs, model, dataset, trainer) == 2


def test_a_headlines_session_overrides_the_setup():
    lesson = BY_ID["why-lstm"]
    lstm, _, _, _ = build_setup(lesson, lesson.headlines[0])
    tanh, _, _, config = build_setup(lesson, lesson.headlines[1])
    assert lstm.spec.cell == "lstm" and tanh.spec.cell == "rnn_tanh" and config.epochs == 30
    # the LSTM keeps the task's forget-gate bias 2; the changed network starts from the plain initialisation
    assert np.all(lstm.params["rnn.bias_ih_l0"][16:32] == 2.0)


def test_check_near_above_below():
    near = Headline("w", None, {}, {"kind": "loss"}, [1.0, 1.0], 0.01)
    assert check(near, [1.005, 0.995]) and not check(near, [1.02, 1.0]) and not check(near, [1.0])
    assert not check(near, [float("nan"), 1.0])
    above = Headline("w", None, {}, {"kind": "loss"}, 0.95, 0.0, "above")
    assert check(above, 0.95) and check(above, 1.0) and not check(above, 0.94)
    below = Headline("w", None, {}, {"kind": "loss"}, 0.001, 0.0005, "below")
    assert check(below, 0.0015) and not check(below, 0.0016)


# ---- refusals ------------------------------------------------------------------------------------------------
def test_a_missing_field_is_named(tmp_path):
    data = counting_ones_dict()
    del data["intro"]
    assert refusal(tmp_path, data) == "lesson.json: intro: missing"
    data = counting_ones_dict()
    del data["headline"][0]["tolerance"]
    assert refusal(tmp_path, data) == "lesson.json: headline[0].tolerance: missing"


def test_a_wrong_type_is_named(tmp_path):
    data = counting_ones_dict()
    data["order"] = "first"
    assert refusal(tmp_path, data) == "lesson.json: order: must be a finite number, got 'first'"
    data = counting_ones_dict()
    data["steps"][1]["text"] = 7
    assert refusal(tmp_path, data) == "lesson.json: steps[1].text: must be a string, got a number"
    data = counting_ones_dict()
    data["setup"]["weights"]["rnn.weight_hh_l0"] = [["two"]]
    assert refusal(tmp_path, data).startswith("lesson.json: setup.weights.rnn.weight_hh_l0: ")


def test_an_unknown_action_view_setting_or_measure_is_named(tmp_path):
    data = counting_ones_dict()
    data["steps"][2]["action"] = {"kind": "fly"}
    assert refusal(tmp_path, data, "counting-ones.json").startswith(
        "counting-ones.json: steps[2].action.kind: unknown action 'fly'")
    data = counting_ones_dict()
    data["setup"]["views"].append("hologram")
    assert refusal(tmp_path, data).startswith("lesson.json: setup.views[5]: unknown view 'hologram'")
    data = counting_ones_dict()
    data["steps"][0]["action"] = {"kind": "show", "view": "hologram"}
    assert refusal(tmp_path, data).startswith("lesson.json: steps[0].action.view: unknown view 'hologram'")
    data = counting_ones_dict()
    data["setup"]["session"]["speed"] = 3
    assert refusal(tmp_path, data) == "lesson.json: setup.session.speed: unknown setting"
    data = counting_ones_dict()
    data["setup"]["session"]["lr"] = -1
    assert refusal(tmp_path, data).startswith("lesson.json: setup.session: ")
    data = counting_ones_dict()
    data["headline"][1]["measure"] = {"kind": "vibes"}
    assert refusal(tmp_path, data).startswith("lesson.json: headline[1].measure.kind: unknown measure 'vibes'")
    data = counting_ones_dict()
    data["steps"][0]["action"] = {"kind": "seek", "event": "sideways"}
    assert refusal(tmp_path, data).startswith("lesson.json: steps[0].action.event: unknown event 'sideways'")
    data = counting_ones_dict()
    data["headline"][1]["session"] = {"cell": "neuron"}
    assert refusal(tmp_path, data).startswith("lesson.json: headline[1].session.cell: unknown cell 'neuron'")
    data = counting_ones_dict()
    data["headline"][0]["expect"] = [1.0]
    assert refusal(tmp_path, data).startswith("lesson.json: headline[0].expect: must be a list of 2 numbers")
    data = counting_ones_dict()
    del data["steps"][0]["button"]
    assert refusal(tmp_path, data).startswith("lesson.json: steps[0].button: missing")


def test_bad_json_a_huge_file_a_folder_and_not_a_lesson(tmp_path):
    assert refusal(tmp_path, '{"format": "rnnsim.lesson",').startswith("lesson.json: is not valid JSON (")
    assert refusal(tmp_path, "[1, 2]") == "lesson.json: (top level): must be a JSON object, got a list"
    assert refusal(tmp_path, {**counting_ones_dict(), "format": "other"}).startswith("lesson.json: format: ")
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as fh:                     # sparse: the size is refused before anything is read
        fh.truncate(MAX_LESSON_BYTES + 1)
    with pytest.raises(LessonError, match=r"huge\.json: .*file size"):
        load_lesson(huge)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    with pytest.raises(LessonError, match=r"folder\.json: is a folder, not a lesson file"):
        load_lesson(folder)
    with pytest.raises(LessonError, match="no such file"):
        load_lesson(tmp_path / "missing.json")
    assert lesson_paths(tmp_path) == [huge, tmp_path / "lesson.json"]


def test_weights_that_do_not_fit_the_model_are_refused_when_set_up(tmp_path):
    data = counting_ones_dict()
    data["setup"]["weights"]["rnn.weight_hh_l0"] = [[1.0, 2.0]]
    lesson = lesson_from_dict(data, "bad.json")            # not read from a file: named by its id
    with pytest.raises(LessonError, match=r"^counting-ones: setup\.weights\.rnn\.weight_hh_l0: does not fit"):
        build_setup(lesson)


def test_duplicate_ids_are_refused(tmp_path):
    text = lesson_to_json(BY_ID["counting-ones"])
    (tmp_path / "a.json").write_text(text, encoding="utf-8")
    (tmp_path / "b.json").write_text(text, encoding="utf-8")
    with pytest.raises(LessonError, match=r"b\.json: id: 'counting-ones' is used by a\.json too"):
        builtin_lessons(tmp_path)


# ---- saving ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lesson_id", sorted(REQUIRED_IDS))
def test_save_and_load_round_trip(tmp_path, lesson_id):
    lesson = BY_ID[lesson_id]
    path = tmp_path / "saved.json"
    save_lesson(path, lesson)
    again = load_lesson(path)
    assert lesson_to_dict(again) == lesson_to_dict(lesson)
    assert again.headlines == lesson.headlines and again.steps == lesson.steps and again.setup == lesson.setup
    with open(lesson.path, encoding="utf-8") as fh:
        assert json.loads(path.read_text(encoding="utf-8")) == json.load(fh)
    assert os.listdir(tmp_path) == ["saved.json"]


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "lesson.json"
    path.write_text("the old file", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(LessonError, match=r"lesson\.json: cannot write \(No space left on device\)"):
        save_lesson(path, BY_ID["counting-ones"])
    assert path.read_text(encoding="utf-8") == "the old file"
    assert os.listdir(tmp_path) == ["lesson.json"]


def test_an_invalid_lesson_is_never_written(tmp_path):
    broken = copy.deepcopy(BY_ID["counting-ones"])
    object.__setattr__(broken, "title", "")
    with pytest.raises(LessonError, match="title: must not be empty"):
        save_lesson(tmp_path / "x.json", broken)
    assert os.listdir(tmp_path) == []


def test_a_measure_that_does_not_fit_the_model_is_refused_in_one_line():
    lesson = BY_ID["counting-ones"]
    model, dataset, _, _ = build_setup(lesson)
    two_wide = Headline("w", None, {}, {"kind": "predict", "input": [[0, 1], [1, 0]]}, 1.0, 0.1)
    with pytest.raises(LessonError, match=r"^headline\.measure: "):
        measure(two_wide, model, dataset)
    decoded = Headline("w", None, {}, {"kind": "decode_accuracy"}, 1.0, 0.1)
    with pytest.raises(LessonError, match="no decoder"):
        measure(decoded, model, dataset)
