"""File → Save as lesson: the session's set-up as a lesson file a teacher can edit and share.

:func:`session_settings` reads the session's flat settings (the names Session.configure and a lesson's
``setup.session`` take); :func:`lesson_for_session` makes the lesson — its headline is the loss of the set-up's
model on its data, measured by the engine (rnnsim.lessons.build_setup + measure), with no source figure: the
teacher fills in what their source reports. :class:`SaveLessonDialog` asks for the title and the weights.
:func:`open_lesson` and :func:`save_as_lesson` are the main window's File → Open lesson / Save as lesson.
"""
from __future__ import annotations

import dataclasses
import re

import numpy as np
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
)

from rnnsim import recipe
from rnnsim.errors import LessonError
from rnnsim.lesson_format import FORMAT, VERSION, lesson_from_dict
from rnnsim.lessons import build_setup, load_lesson, measure, save_lesson

#: what a saved lesson shows: the views a learner of any set-up reads first
SAVED_VIEWS = ["graph", "equations", "dashboard"]
SAVED_GROUP = "Saved lessons"
LESSON_FILTER = "Lesson files (*.json);;All files (*)"


def session_settings(controller, probe=None) -> dict:
    """The session's set-up by flat names: ``task``, ``seed``, ``options``, the network (``cell``,
    ``hidden_size``, ...) and every training setting that differs from the task's own; the probe's typed
    text when there is one. LessonError when the data are not a built-in task (a file cannot be named)."""
    source = controller.source
    if source.get("kind") != "task":
        raise LessonError("a lesson sets up a built-in task: the data in use come from a file")
    flat = {"task": source["name"], "seed": int(source.get("seed", 0))}
    if source.get("options"):
        flat["options"] = dict(source["options"])
    flat.update({k: v for k, v in controller.network.items() if v is not None})
    task_default = dataclasses.asdict(recipe.build_config(controller.task.training))
    flat.update({k: v for k, v in dataclasses.asdict(controller.config).items() if task_default.get(k) != v})
    if probe is not None:
        flat.update({k: v for k in ("probe_text", "target_text") if (v := getattr(probe, k)) is not None})
    return flat


def lesson_id(title: str) -> str:
    """The file-safe id of a title: "My XOR test!" -> "my-xor-test"."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "lesson"


def lesson_for_session(title: str, flat: dict, weights: dict | None):
    """A validated Lesson of this set-up (``weights``: name -> array, or None for the seed's weights)."""
    data = {
        "format": FORMAT, "version": VERSION, "id": lesson_id(title), "title": title, "group": SAVED_GROUP,
        "source": "a set-up saved from rnnsim (edit this to name the source it follows)", "order": 1000,
        "intro": "Saved from rnnsim: the data, the network and the training settings of a session. Edit this "
                 "text, the steps and the headline to make it a lesson.",
        "setup": {"session": flat, "views": SAVED_VIEWS, "front": "dashboard"},
        "steps": [{"text": "Train, and watch the loss fall in the Training panel.",
                   "action": {"kind": "train", "epochs": 1}, "button": "Train one epoch"}],
        "headline": {"what": "The loss of the set-up's model on its data", "source": None, "run": {},
                     "measure": {"kind": "loss"}, "expect": 0.0, "tolerance": 1e-6},
    }
    if weights:
        data["setup"]["weights"] = {k: np.asarray(v, dtype=np.float64).tolist() for k, v in weights.items()}
    lesson = lesson_from_dict(data, f"{lesson_id(title)}.json")
    model, dataset, _, _ = build_setup(lesson)
    data["headline"]["expect"] = measure(lesson.headlines[0], model, dataset, None)
    return lesson_from_dict(data, f"{lesson_id(title)}.json")


class SaveLessonDialog(QDialog):
    """The lesson's title and whether it keeps the current weights; ``values()`` -> (title, with_weights)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Save as lesson")
        form = QFormLayout(self)
        self.title = QLineEdit()
        self.title.setPlaceholderText("what the lesson is called in the list")
        form.addRow("Title", self.title)
        self.with_weights = QCheckBox("Start from the current weights (else: the seed's)")
        form.addRow(self.with_weights)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setEnabled(False)
        self.title.textChanged.connect(lambda text: self.ok.setEnabled(bool(text.strip())))
        form.addRow(buttons)

    def values(self) -> tuple[str, bool]:
        return self.title.text().strip(), self.with_weights.isChecked()


def open_lesson(window, path: str | None = None) -> bool:
    """Add a lesson file to ``window``'s Lessons page and show it (a bad file: a dialog naming the field)."""
    if path is None:
        path, _ = QFileDialog.getOpenFileName(window, "Open a lesson", "", LESSON_FILTER)
    if not path:
        return False
    try:
        lesson = load_lesson(path)
    except LessonError as exc:
        window.show_training_error("Cannot open this lesson", str(exc))
        return False
    window.opened_lessons = [x for x in window.opened_lessons if x.id != lesson.id] + [lesson]
    window.reload_lessons(lesson.id)
    window.show_lessons()
    window._status_message(f"Lesson opened: {lesson.title}")
    return True


def save_as_lesson(window, path: str | None = None, title: str | None = None,
                   with_weights: bool | None = None) -> bool:
    """``window``'s session set-up (and its current weights if asked) as a lesson file, written atomically;
    the dialogs ask for what is not given."""
    if title is None or with_weights is None:
        dialog = SaveLessonDialog(window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        title, with_weights = dialog.values()
    if path is None:
        path, _ = QFileDialog.getSaveFileName(window, "Save as lesson", "lesson.json", LESSON_FILTER)
    if not path:
        return False
    t = window.training
    weights = dict(t.current_model().params) if with_weights else None
    try:
        lesson = lesson_for_session(title, session_settings(t, window.session.probe), weights)
        save_lesson(path, lesson)
    except LessonError as exc:
        window.show_training_error("Cannot save the lesson", str(exc))
        return False
    window._status_message(f"Lesson saved: {path}")
    return True
