"""Lessons as data: one JSON file per lesson (docs/lessons.md), read, validated, saved and run headless.

    lesson = load_lesson("resources/lessons/counting-ones.json")     # LessonError naming the field if bad
    model, dataset, task, config = build_setup(lesson)               # the set-up, as the app loads it
    result = run_headline(lesson)                                    # the headline figure, measured
    result.value, result.expected, result.passed                     # [1.00006, 0.99999], [1.0, 1.0], True

The app computes the live figure from its own session with the same two pure functions:
``value = measure(headline, model, dataset, history)`` then ``check(headline, value)``.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import recipe
from .data.setup import split_changes
from .data.tasks import get_task, make_task
from .errors import LessonError, RnnsimError, shown
from .gradcheck import LESSON_EPS, check_gradients
from .lesson_format import (
    ACTIONS,
    LESSONS_DIR,
    MAX_LESSON_BYTES,
    MEASURES,
    VIEWS,
    Headline,
    HeadlineResult,
    Lesson,
    LessonSetup,
    Step,
    builtin_lessons,
    lesson_from_dict,
    lesson_paths,
    lesson_to_dict,
    lesson_to_json,
    load_lesson,
    save_lesson,
)
from .seq2seq import decode
from .train import History, Trainer

__all__ = [
    "ACTIONS",
    "LESSONS_DIR",
    "MAX_LESSON_BYTES",
    "MEASURES",
    "VIEWS",
    "Headline",
    "HeadlineResult",
    "Lesson",
    "LessonSetup",
    "Step",
    "build_setup",
    "builtin_lessons",
    "check",
    "lesson_from_dict",
    "lesson_paths",
    "lesson_to_dict",
    "lesson_to_json",
    "load_lesson",
    "measure",
    "run_headline",
    "run_lesson",
    "save_lesson",
]


# ---- running --------------------------------------------------------------------------------------------
def suggested_network(task) -> dict:
    """The network options a task suggests (as the app's data picker applies them)."""
    chosen = dict(recipe.MODEL_DEFAULTS)
    chosen.update(task.model)
    return {"cell": chosen["cell"], "hidden_size": chosen["hidden_size"], "num_layers": chosen["num_layers"],
            "bidirectional": chosen["bidirectional"], "init": task.training.get("init", "pytorch"),
            "forget_bias": None}


def build_setup(lesson: Lesson, headline: Headline | None = None):
    """(model, dataset, task, config) of the lesson's set-up, a headline's own ``session`` applied on top.

    The data: ``make_task(task, seed, **options)`` (``steps`` through the task's length option); the network:
    the task's suggested one with the session's network settings (the task's start values — the counter's
    (−1.5, 2), the LSTM's forget bias — only while it is untouched); the training settings:
    ``recipe.build_config(task.training, session)``; then ``setup.weights``. LessonError names what does not fit.
    """
    name = Path(lesson.path).name if lesson.path else lesson.id
    changes = dict(lesson.setup.session)
    if headline is not None:
        changes.update(headline.session)
    try:
        data, net, config_changes, _ = split_changes(changes, {"kind": "none"}, {})
        dataset, task = make_task(data["name"], data["seed"], **data["options"])
        network = suggested_network(task)
        network.update(net)
        config = recipe.build_config(task.training, config_changes)
        arch = {k: network[k] for k in ("cell", "hidden_size", "num_layers", "bidirectional")}
        spec = recipe.build_spec(dataset, task.model, arch)
        start = task.initial_params if network == suggested_network(task) else None
        model = recipe.build_model(spec, network["init"], config.seed, network["forget_bias"], start)
    except RnnsimError as exc:
        raise LessonError(f"{name}: setup.session: {exc}") from None
    for key, value in lesson.setup.weights.items():
        value = np.asarray(value, dtype=np.float64)
        if key not in model.params or model.params[key].shape != value.shape:
            have = model.params[key].shape if key in model.params else "no such parameter"
            raise LessonError(f"{name}: setup.weights.{key}: does not fit the model (shape {value.shape}; "
                              f"the model's: {have})")
        model.params[key][...] = value
    return model, dataset, task, config


def _train(model, dataset, config, run: dict, progress=None) -> Trainer:
    """A Trainer that has done ``run`` (a headline's run: steps, epochs, until done, or nothing)."""
    trainer = Trainer(model, dataset, config)
    stopped = []

    def callback(_snap):
        if progress is not None and progress(trainer.step_count) is False:
            stopped.append(True)
            trainer.request_stop()

    if "train_steps" in run:
        trainer.run(callback, max_steps=run["train_steps"])
    elif "train_epochs" in run:
        while trainer.epoch < run["train_epochs"] and not trainer.finished and not stopped:
            trainer.step()
            callback(None)
    elif run.get("train") == "until_done":
        trainer.run(callback)
    return trainer


def run_headline(lesson: Lesson, index: int = 0, progress=None) -> HeadlineResult:
    """Build the set-up for ``lesson.headlines[index]``, run its ``run`` with a Trainer, measure and check.

    ``progress(steps_done)`` is called after every training step; when it returns False the run stops
    (the figure is then measured where it stopped)."""
    headline = lesson.headlines[index]
    start = time.perf_counter()
    model, dataset, _, config = build_setup(lesson, headline)
    trainer = _train(model, dataset, config, headline.run, progress)
    value = measure(headline, model, dataset, trainer)
    return HeadlineResult(value, headline.expect, headline.tolerance, check(headline, value),
                          time.perf_counter() - start, headline.source)


def run_lesson(lesson: Lesson, progress=None) -> list:
    """[HeadlineResult] for every headline; headlines with the same ``session`` and ``run`` share one training
    (the counter's end point and its answer to the test sequence come from the same 500 steps). ``seconds``:
    the shared run's time, counted for each headline that uses it. ``progress`` as in :func:`run_headline`."""
    done = {}
    results = []
    for index, headline in enumerate(lesson.headlines):
        key = json.dumps([headline.session, headline.run], sort_keys=True)
        if key not in done:
            start = time.perf_counter()
            model, dataset, _, config = build_setup(lesson, headline)
            trainer = _train(model, dataset, config, headline.run, progress)
            done[key] = (model, dataset, trainer, time.perf_counter() - start)
        model, dataset, trainer, seconds = done[key]
        start = time.perf_counter()
        value = measure(headline, model, dataset, trainer)
        results.append(HeadlineResult(value, headline.expect, headline.tolerance, check(headline, value),
                                      seconds + time.perf_counter() - start, headline.source))
    return results


def _last(values, what):
    for v in reversed(values):
        if v is not None:
            return float(v)
    raise LessonError(f"there is no {what} yet: train first")


def _input(value, model) -> np.ndarray:
    x = np.asarray(value, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]                      # a flat list: one value per step
    return model.check_input(x[None])


def measure(headline: Headline, model, dataset, trainer_or_history=None):
    """The headline's figure for ``model`` (a Model, possibly a copy) trained on ``dataset``; a float or a list.

    ``trainer_or_history``: the Trainer that ran, or its History (the app passes its session's History);
    the loss/accuracy/epochs measures read its last epoch. ``weights``: model.params[name][index] for each
    [name, index]; ``predict``: the model's output for the input (1, T, I) at its last step (output_index:
    which value, default 0); ``gradcheck``: the largest relative error of BPTT against central differences
    on the data; ``decode_accuracy``: an encoder–decoder's share of right classes on fresh task data when
    the decoder reads its own outputs."""
    try:
        return _measure_value(headline.measure, model, dataset, trainer_or_history)
    except LessonError:
        raise
    except RnnsimError as exc:
        raise LessonError(f"headline.measure: {exc}") from None


def _measure_value(m: dict, model, dataset, trainer_or_history):
    kind = m["kind"]
    trainer = trainer_or_history if isinstance(trainer_or_history, Trainer) else None
    history = trainer.history if trainer is not None else (trainer_or_history or History())
    if kind == "weights":
        values = []
        for name, index in m["of"]:
            if name not in model.params or len(index) != model.params[name].ndim or any(
                    i >= n for i, n in zip(index, model.params[name].shape)):
                raise LessonError(f"headline.measure.of: the model has no weight {name}{index}")
            values.append(float(model.params[name][tuple(index)]))
        return values
    if kind == "loss":
        if history.train_loss:
            return _last(history.train_loss, "training loss")
        return float(model.loss(dataset.x, dataset.y, dataset.decoder_x))
    if kind in ("val_loss", "accuracy", "val_accuracy"):
        return _last(getattr(history, kind), kind.replace("_", " "))
    if kind == "epochs":
        return float(len(history.epoch))
    if kind == "predict":
        out = np.asarray(model.predict(_input(m["input"], model)))[0]
        if out.ndim == 2:
            out = out[-1]
        return float(out[m.get("output_index", 0)])
    if kind == "gradcheck":
        truncate = trainer.config.truncate if trainer is not None else None
        report = check_gradients(model, dataset.x, dataset.y, truncate=truncate, eps=m.get("eps", LESSON_EPS),
                                 decoder_input=dataset.decoder_x, max_sequences=8)
        return float(report.max_rel_error)
    if kind == "decode_accuracy":
        task = get_task(dataset.name)
        if task.decoder_start is None:
            raise LessonError(f"headline.measure: task '{task.name}' has no decoder to run on its own outputs")
        same_length = {"length": dataset.x.shape[1]} if "length" in task.options else {}
        fresh, _ = make_task(task.name, m.get("seed", 12345), n=m.get("n", 500), **same_length)
        result = decode(model, fresh.x, task.decoder_start(), steps=fresh.y.shape[1])
        return float(np.mean(result.classes == fresh.y))
    raise LessonError(f"headline.measure.kind: unknown measure {shown(kind)}")


def check(headline: Headline, value) -> bool:
    """Whether ``value`` reaches the headline: every element within ``tolerance`` of ``expect`` ("near"),
    ≥ expect − tolerance ("above") or ≤ expect + tolerance ("below")."""
    v = np.atleast_1d(np.asarray(value, dtype=np.float64))
    e = np.atleast_1d(np.asarray(headline.expect, dtype=np.float64))
    if v.shape != e.shape or not np.all(np.isfinite(v)):
        return False
    tol = headline.tolerance
    if headline.compare == "above":
        return bool(np.all(v >= e - tol))
    if headline.compare == "below":
        return bool(np.all(v <= e + tol))
    return bool(np.all(np.abs(v - e) <= tol))
