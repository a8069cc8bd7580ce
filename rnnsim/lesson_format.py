"""The lesson file format (docs/lessons.md): the types, the validation that names the bad field, reading and
atomic writing. Running a lesson is rnnsim.lessons, which also re-exports everything here."""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import recipe
from .cells import CELLS
from .data.setup import CONFIG_KEYS, DATA_KEYS, NETWORK_KEYS, PROBE_KEYS, split_changes
from .data.tasks import RESOURCES, get_task
from .errors import LessonError, ModelFileError, RnnsimError, shown
from .io import write_atomic
from .reading import display_name, parse_json, read_text_file
from .tape.events import KINDS, PHASES

LESSONS_DIR = RESOURCES / "lessons"
#: a lesson file is text a teacher wrote: anything larger is refused before it is read
MAX_LESSON_BYTES = 1 << 20
FORMAT, VERSION = "rnnsim.lesson", 1
VIEWS = ("graph", "folded", "side_by_side", "equations", "cell", "dashboard", "surface", "boundary", "runs", "gradcheck",
         "predict", "generate")
#: action kind -> (required fields, optional fields)
ACTIONS = {
    "seek": (("event",), ("layer", "direction", "t")),
    "configure": (("session",), ()),
    "set_weights": (("weights",), ()),
    "train": ((), ("steps", "epochs")),
    "keep_run": ((), ()),
    "show": (("view",), ()),
    "gradcheck": ((), ("eps",)),
    "surface": ((), ("range",)),
    "predict": (("input",), ()),
    "generate": ((), ("prime", "length", "temperature", "seed")),
}
#: measure kind -> (required fields, optional fields)
MEASURES = {
    "weights": (("of",), ()),
    "loss": ((), ()),
    "val_loss": ((), ()),
    "accuracy": ((), ()),
    "val_accuracy": ((), ()),
    "epochs": ((), ()),
    "predict": (("input",), ("output_index",)),
    "gradcheck": ((), ("eps",)),
    "decode_accuracy": ((), ("n", "seed")),
}
COMPARES = ("near", "above", "below")
SESSION_KEYS = frozenset(DATA_KEYS + NETWORK_KEYS + CONFIG_KEYS + PROBE_KEYS)
_ID = re.compile(r"[a-z0-9-]+\Z")


@dataclass(frozen=True)
class LessonSetup:
    session: dict                          # flat settings (rnnsim.data.setup.split_changes names); has "task"
    weights: dict = field(default_factory=dict)     # parameter name -> nested list of start values
    views: list = field(default_factory=list)       # names from VIEWS
    front: str | None = None


@dataclass(frozen=True)
class Step:
    text: str
    action: dict | None = None             # {"kind": one of ACTIONS, ...its fields}
    button: str | None = None              # the button's text; given exactly when there is an action


@dataclass(frozen=True)
class Headline:
    what: str
    source: float | list | None            # the source's figure (None when it gives none)
    run: dict                              # {"train_steps": N} | {"train_epochs": N} | {"train": "until_done"} | {}
    measure: dict                          # {"kind": one of MEASURES, ...its fields}
    expect: float | list
    tolerance: float
    compare: str = "near"                  # "near" | "above" | "below"
    session: dict = field(default_factory=dict)     # flat settings applied on top of the set-up


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    group: str
    source: str
    order: float
    intro: str
    setup: LessonSetup
    steps: list                            # [Step]
    headlines: list                        # [Headline], always a list (a file may give one object)
    path: str | None = None                # the file it was read from


@dataclass(frozen=True)
class HeadlineResult:
    value: float | list
    expected: float | list
    tolerance: float
    passed: bool
    seconds: float
    source: float | list | None


# ---- validation -----------------------------------------------------------------------------------------
class _Checker:
    """Field checks that raise LessonError('<file>: <field>: <what is wrong>')."""

    def __init__(self, name: str):
        self.name = name

    def fail(self, where: str, why: str):
        raise LessonError(f"{self.name}: {where}: {why}")

    def obj(self, value, where) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"must be a JSON object, got {_json_type(value)}")
        return value

    def keys(self, value: dict, where, required, optional=()):
        for key in required:
            if key not in value:
                self.fail(f"{where}.{key}" if where else key, "missing")
        unknown = sorted(set(value) - set(required) - set(optional))
        if unknown:
            self.fail(f"{where}.{unknown[0]}" if where else unknown[0], "unknown field")

    def text(self, value, where, allow_empty=False) -> str:
        if not isinstance(value, str):
            self.fail(where, f"must be a string, got {_json_type(value)}")
        if not allow_empty and not value.strip():
            self.fail(where, "must not be empty")
        return value

    def number(self, value, where, low=None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(where, f"must be a finite number, got {shown(value)}")
        if low is not None and value < low:
            self.fail(where, f"must be ≥ {low}, got {shown(value)}")
        return value

    def whole(self, value, where, low=0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.fail(where, f"must be a whole number ≥ {low}, got {shown(value)}")
        return value

    def figure(self, value, where, allow_null=False):
        """A number or a non-empty flat list of numbers (the source's / the expected figure)."""
        if value is None and allow_null:
            return None
        if isinstance(value, list):
            if not value:
                self.fail(where, "must not be an empty list")
            for i, v in enumerate(value):
                self.number(v, f"{where}[{i}]")
            return list(value)
        return self.number(value, where)

    def numbers(self, value, where):
        """A nested list of finite numbers (weights, an input)."""
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            self.fail(where, "must be numbers or nested lists of numbers of equal lengths")
        if array.dtype == object or not np.all(np.isfinite(array)) or _has_bool(value):
            self.fail(where, "must be finite numbers or nested lists of them")
        return value

    def session(self, value, where) -> dict:
        self.obj(value, where)
        for key in value:
            if key not in SESSION_KEYS:
                self.fail(f"{where}.{key}", "unknown setting")
        if "cell" in value and value["cell"] not in CELLS:
            self.fail(f"{where}.cell", f"unknown cell {shown(value['cell'])}; known: {', '.join(CELLS)}")
        for key in ("hidden_size", "num_layers"):
            if key in value:
                self.whole(value[key], f"{where}.{key}", low=1)
        if "bidirectional" in value and not isinstance(value["bidirectional"], bool):
            self.fail(f"{where}.bidirectional", f"must be true or false, got {shown(value['bidirectional'])}")
        try:
            _, _, config, _ = split_changes(value, {"kind": "task", "name": value.get("task")}, {})
            if "task" in value:
                task = get_task(value["task"])
                recipe.build_config(task.training, config)
            elif config:
                recipe.build_config(None, config)
        except RnnsimError as exc:
            self.fail(where, str(exc))
        return dict(value)

    def weights(self, value, where) -> dict:
        self.obj(value, where)
        for name, w in value.items():
            self.numbers(w, f"{where}.{name}")
        return dict(value)


def _json_type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _has_bool(value) -> bool:
    if isinstance(value, bool):
        return True
    return isinstance(value, list) and any(_has_bool(v) for v in value)


def _kind(c: _Checker, value, where, table: dict, noun: str) -> str:
    """An object's ``kind`` from ``table`` ({kind: (required fields, optional fields)}), its fields checked."""
    c.obj(value, where)
    if "kind" not in value:
        c.fail(f"{where}.kind", "missing")
    kind = value["kind"]
    if kind not in table:
        c.fail(f"{where}.kind", f"unknown {noun} {shown(kind)}; known: {', '.join(table)}")
    required, optional = table[kind]
    c.keys(value, where, ("kind",) + required, optional)
    return kind


def _action(c: _Checker, value, where) -> dict:
    kind = _kind(c, value, where, ACTIONS, "action")
    if kind == "seek":
        event = c.text(value["event"], f"{where}.event")
        if event not in KINDS and event not in PHASES:
            c.fail(f"{where}.event", f"unknown event {shown(event)}; known: {', '.join(dict.fromkeys(KINDS + PHASES))}")
        for key in ("layer", "direction", "t"):
            if key in value:
                c.whole(value[key], f"{where}.{key}")
    elif kind == "configure":
        c.session(value["session"], f"{where}.session")
    elif kind == "set_weights":
        c.weights(value["weights"], f"{where}.weights")
    elif kind == "train":
        if ("steps" in value) == ("epochs" in value):
            c.fail(where, "a train action gives exactly one of 'steps' and 'epochs'")
        for key in ("steps", "epochs"):
            if key in value:
                c.whole(value[key], f"{where}.{key}", low=1)
    elif kind == "show":
        if value["view"] not in VIEWS:
            c.fail(f"{where}.view", f"unknown view {shown(value['view'])}; known: {', '.join(VIEWS)}")
    elif kind == "gradcheck" and "eps" in value:
        c.number(value["eps"], f"{where}.eps", low=1e-12)
    elif kind == "surface" and "range" in value:
        r = value["range"]
        if not isinstance(r, list) or len(r) != 4:
            c.fail(f"{where}.range", "must be [x0, x1, y0, y1]")
        for i, v in enumerate(r):
            c.number(v, f"{where}.range[{i}]")
        if not (r[0] < r[1] and r[2] < r[3]):
            c.fail(f"{where}.range", "needs x0 < x1 and y0 < y1")
    elif kind == "predict":
        c.numbers(value["input"], f"{where}.input")
    elif kind == "generate":
        if "prime" in value:
            c.text(value["prime"], f"{where}.prime", allow_empty=True)
        if "length" in value:
            c.whole(value["length"], f"{where}.length", low=1)
        if "temperature" in value:
            c.number(value["temperature"], f"{where}.temperature", low=1e-6)
        if "seed" in value:
            c.whole(value["seed"], f"{where}.seed")
    return dict(value)


def _measure(c: _Checker, value, where) -> dict:
    kind = _kind(c, value, where, MEASURES, "measure")
    if kind == "weights":
        of = value["of"]
        if not isinstance(of, list) or not of:
            c.fail(f"{where}.of", "must be a non-empty list of [name, index]")
        for i, item in enumerate(of):
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                    and isinstance(item[1], list)
                    and all(isinstance(k, int) and not isinstance(k, bool) and k >= 0 for k in item[1])):
                c.fail(f"{where}.of[{i}]", "must be [parameter name, [index, ...]]")
    elif kind == "predict":
        c.numbers(value["input"], f"{where}.input")
        if "output_index" in value:
            c.whole(value["output_index"], f"{where}.output_index")
    elif kind == "gradcheck" and "eps" in value:
        c.number(value["eps"], f"{where}.eps", low=1e-12)
    elif kind == "decode_accuracy":
        if "n" in value:
            c.whole(value["n"], f"{where}.n", low=1)
        if "seed" in value:
            c.whole(value["seed"], f"{where}.seed")
    return dict(value)


def _run(c: _Checker, value, where) -> dict:
    c.obj(value, where)
    if not value:
        return {}
    if len(value) != 1:
        c.fail(where, "give one of train_steps, train_epochs, train, or {}")
    (key, v), = value.items()
    if key in ("train_steps", "train_epochs"):
        c.whole(v, f"{where}.{key}", low=1)
    elif key == "train":
        if v != "until_done":
            c.fail(f"{where}.train", f"must be 'until_done', got {shown(v)}")
    else:
        c.fail(f"{where}.{key}", "unknown field")
    return dict(value)


def _headline(c: _Checker, value, where) -> Headline:
    c.obj(value, where)
    c.keys(value, where, ("what", "source", "run", "measure", "expect", "tolerance"), ("compare", "session"))
    expect = c.figure(value["expect"], f"{where}.expect")
    compare = value.get("compare", "near")
    if compare not in COMPARES:
        c.fail(f"{where}.compare", f"must be one of {', '.join(COMPARES)}, got {shown(compare)}")
    measured = _measure(c, value["measure"], f"{where}.measure")
    if measured["kind"] == "weights":
        if not isinstance(expect, list) or len(expect) != len(measured["of"]):
            c.fail(f"{where}.expect", f"must be a list of {len(measured['of'])} numbers, one per measured weight")
    elif isinstance(expect, list):
        c.fail(f"{where}.expect", f"must be one number: measure '{measured['kind']}' gives one")
    return Headline(
        what=c.text(value["what"], f"{where}.what"),
        source=c.figure(value["source"], f"{where}.source", allow_null=True),
        run=_run(c, value["run"], f"{where}.run"),
        measure=measured,
        expect=expect,
        tolerance=float(c.number(value["tolerance"], f"{where}.tolerance", low=0)),
        compare=compare,
        session=c.session(value["session"], f"{where}.session") if "session" in value else {})


TOP_FIELDS = ("format", "version", "id", "title", "group", "source", "order", "intro", "setup", "steps", "headline")


def lesson_from_dict(data, name: str = "lesson", path=None) -> Lesson:
    """A validated :class:`Lesson` from a parsed lesson file; LessonError('<name>: <field>: ...') otherwise."""
    c = _Checker(name)
    if not isinstance(data, dict):
        c.fail("(top level)", f"must be a JSON object, got {_json_type(data)}")
    c.keys(data, "", TOP_FIELDS)
    if data["format"] != FORMAT:
        c.fail("format", f"must be {FORMAT!r}, got {shown(data['format'])}")
    if data["version"] != VERSION or isinstance(data["version"], bool):
        c.fail("version", f"must be {VERSION}, got {shown(data['version'])}")
    lesson_id = c.text(data["id"], "id")
    if not _ID.match(lesson_id):
        c.fail("id", f"must be lowercase letters, digits and '-', got {shown(lesson_id)}")
    setup = c.obj(data["setup"], "setup")
    c.keys(setup, "setup", ("session",), ("weights", "views", "front"))
    session = c.session(setup["session"], "setup.session")
    if "task" not in session:
        c.fail("setup.session.task", "missing")
    views = setup.get("views", [])
    if not isinstance(views, list):
        c.fail("setup.views", f"must be a list, got {_json_type(views)}")
    for i, view in enumerate(views):
        if view not in VIEWS:
            c.fail(f"setup.views[{i}]", f"unknown view {shown(view)}; known: {', '.join(VIEWS)}")
    front = setup.get("front")
    if front is not None and front not in VIEWS:
        c.fail("setup.front", f"unknown view {shown(front)}; known: {', '.join(VIEWS)}")
    steps = data["steps"]
    if not isinstance(steps, list) or not steps:
        c.fail("steps", "must be a non-empty list")
    parsed_steps = []
    for i, step in enumerate(steps):
        where = f"steps[{i}]"
        c.obj(step, where)
        c.keys(step, where, ("text",), ("action", "button"))
        action = _action(c, step["action"], f"{where}.action") if "action" in step else None
        button = c.text(step["button"], f"{where}.button") if "button" in step else None
        if (action is None) != (button is None):
            c.fail(f"{where}.button" if action is not None else f"{where}.action",
                   "missing (a step's action and its button's text come together)")
        parsed_steps.append(Step(c.text(step["text"], f"{where}.text"), action, button))
    heads = data["headline"]
    if isinstance(heads, list):
        if not heads:
            c.fail("headline", "must not be an empty list")
        headlines = [_headline(c, h, f"headline[{i}]") for i, h in enumerate(heads)]
    else:
        headlines = [_headline(c, heads, "headline")]
    return Lesson(
        id=lesson_id, title=c.text(data["title"], "title"), group=c.text(data["group"], "group"),
        source=c.text(data["source"], "source"), order=c.number(data["order"], "order"),
        intro=c.text(data["intro"], "intro"),
        setup=LessonSetup(session, c.weights(setup.get("weights", {}), "setup.weights"), list(views), front),
        steps=parsed_steps, headlines=headlines, path=None if path is None else os.fspath(path))


def load_lesson(path) -> Lesson:
    """The lesson in the file ``path``, validated. LessonError (one line naming the file and the field) for a
    missing file, a folder or device, a file over MAX_LESSON_BYTES (refused before it is read), bad JSON or a
    bad field."""
    name = Path(display_name(path)).name or display_name(path)
    raw = read_text_file(path, LessonError, "lesson file", MAX_LESSON_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LessonError(f"{name}: is not UTF-8 text (byte {exc.start})") from None
    return lesson_from_dict(parse_json(text, f"{name}:", LessonError), name, path)   # "x.json: is not valid JSON"


def lesson_paths(folder=None) -> list:
    """The lesson files ``*.json`` of ``folder`` (default: the built-in resources/lessons), sorted by name."""
    folder = Path(LESSONS_DIR if folder is None else folder)
    return sorted(p for p in folder.glob("*.json") if p.is_file())


def builtin_lessons(folder=None) -> list:
    """Every lesson of :func:`lesson_paths`, validated, sorted by (order, title). A bad file raises."""
    lessons = [load_lesson(p) for p in lesson_paths(folder)]
    seen = {}
    for lesson in lessons:
        if lesson.id in seen:
            raise LessonError(f"{Path(lesson.path).name}: id: {lesson.id!r} is used by {seen[lesson.id]} too")
        seen[lesson.id] = Path(lesson.path).name
    return sorted(lessons, key=lambda lesson: (lesson.order, lesson.title))


# ---- writing ----------------------------------------------------------------------------------------------
def _headline_dict(h: Headline) -> dict:
    d = {"what": h.what, "source": h.source, "run": h.run, "measure": h.measure, "expect": h.expect,
         "tolerance": h.tolerance}
    if h.compare != "near":
        d["compare"] = h.compare
    if h.session:
        d["session"] = h.session
    return d


def lesson_to_dict(lesson: Lesson) -> dict:
    """The JSON object of a lesson file (what :func:`lesson_from_dict` reads back to an equal Lesson)."""
    setup = {"session": lesson.setup.session}
    if lesson.setup.weights:
        setup["weights"] = lesson.setup.weights
    if lesson.setup.views:
        setup["views"] = lesson.setup.views
    if lesson.setup.front is not None:
        setup["front"] = lesson.setup.front
    steps = []
    for step in lesson.steps:
        s = {"text": step.text}
        if step.action is not None:
            s.update(action=step.action, button=step.button)
        steps.append(s)
    heads = [_headline_dict(h) for h in lesson.headlines]
    return {"format": FORMAT, "version": VERSION, "id": lesson.id, "title": lesson.title, "group": lesson.group,
            "source": lesson.source, "order": lesson.order, "intro": lesson.intro, "setup": setup, "steps": steps,
            "headline": heads[0] if len(heads) == 1 else heads}


def lesson_to_json(lesson: Lesson) -> str:
    """The lesson file's text: indented JSON, non-ASCII kept readable, ending with a newline."""
    return json.dumps(lesson_to_dict(lesson), ensure_ascii=False, indent=2) + "\n"


def save_lesson(path, lesson: Lesson) -> None:
    """Write the lesson file atomically (:func:`rnnsim.io.write_atomic`): an existing file at ``path`` is
    left as it was and no temporary file stays behind on any error (LessonError, one line)."""
    text = lesson_to_json(lesson)
    lesson_from_dict(json.loads(text), Path(display_name(path)).name)     # never write a file load refuses
    try:
        write_atomic(path, text.encode("utf-8"), what="lesson file")
    except ModelFileError as exc:
        raise LessonError(str(exc)) from None
