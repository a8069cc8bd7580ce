"""The Lessons page: the lessons listed by the source they follow and, for the one selected, its text, a Set up
button, its steps (each with a button that puts the app there) and its headline result — the source's figure
beside the one this app measured, filled in when the run it needs is reached.

A pure view: it shows lessons (``rnnsim.lessons.Lesson``) and says what the learner asked for through signals;
:class:`ui.panels.lesson_driver.LessonDriver` does it in the app and calls :meth:`LessonsPanel.show_result`.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import theme

LESSON_ROLE = Qt.ItemDataRole.UserRole
#: the gradient check's colours for a check that passes / fails


def figure_text(value) -> str:
    """A figure as a learner reads it: 4.99, (1.0014, 0.9997); "not given" for None."""
    if value is None:
        return "not given"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(figure_text(v) for v in value) + ")"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{float(value):.6g}"


class LessonsPanel(QWidget):
    """``set_lessons(lessons)`` lists them; the learner's clicks come out as signals:
    ``setupRequested(lesson)``, ``actionRequested(lesson, action)`` (a step's action, as in the file),
    ``runRequested(lesson)`` (the headline's run), ``showAtStartChanged(bool)``."""

    setupRequested = Signal(object)
    actionRequested = Signal(object, object)
    runRequested = Signal(object)
    showAtStartChanged = Signal(bool)

    def __init__(self, show_at_start: bool = True, parent=None):
        super().__init__(parent)
        self.lessons: list = []
        self.lesson = None                      # the lesson shown
        self.step_buttons: list[QPushButton] = []
        self.result_labels: list[QLabel] = []
        self.results: dict[tuple[str, int], tuple] = {}     # (lesson id, headline) -> show_result's arguments
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setToolTip("The lessons, grouped by the source text they follow")
        self.tree.currentItemChanged.connect(self._on_current)
        split.addWidget(self.tree)
        self.detail = QWidget()
        self.detail_layout = QVBoxLayout(self.detail)
        self.detail_layout.setContentsMargins(2, 6, 2, 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.detail)
        split.addWidget(scroll)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        self.tree.setMinimumHeight(120)
        lay.addWidget(split, 1)
        self.show_at_start = QCheckBox("Show lessons at start")
        self.show_at_start.setChecked(show_at_start)
        self.show_at_start.setToolTip("Open rnnsim on this page (Help → Lessons brings it back any time)")
        self.show_at_start.toggled.connect(self.showAtStartChanged)
        lay.addWidget(self.show_at_start)

        self.title = _label(bold=True, size=13)
        self.source = _label()
        self.source.setStyleSheet(f"color: {theme.MUTED.name()};")
        self.intro = _label()
        self.setup_button = QPushButton("Set up")
        self.setup_button.setToolTip("Load the lesson's data, network, weights and training settings, and show "
                                     "its views")
        self.setup_button.clicked.connect(lambda: self.lesson is not None and self.setupRequested.emit(self.lesson))
        self.headline_box = QFrame()
        self.headline_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.headline_layout = QGridLayout(self.headline_box)
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(lambda: self.lesson is not None and self.runRequested.emit(self.lesson))
        self.steps_box = QWidget()
        self.steps_layout = QVBoxLayout(self.steps_box)
        self.steps_layout.setContentsMargins(0, 0, 0, 0)
        d = self.detail_layout
        for w in (self.title, self.source, self.intro, self.setup_button, self.headline_box):
            d.addWidget(w)
        steps_title = _label(bold=True)
        steps_title.setText("Steps")
        d.addWidget(steps_title)
        d.addWidget(self.steps_box)
        d.addStretch(1)
        self._show(None)

    # ---- the list ----------------------------------------------------------------------------------
    def set_lessons(self, lessons: list, select_id: str | None = None) -> None:
        """List ``lessons`` under their groups (ordered by ``order``; groups by their first lesson)."""
        self.lessons = sorted(lessons, key=lambda lesson: (lesson.order, lesson.title))
        keep = select_id or (self.lesson.id if self.lesson is not None else None)
        self.tree.blockSignals(True)
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for lesson in self.lessons:
            group = groups.get(lesson.group)
            if group is None:
                group = groups[lesson.group] = QTreeWidgetItem(self.tree, [lesson.group])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setToolTip(0, lesson.source)
            item = QTreeWidgetItem(group, [lesson.title])
            item.setData(0, LESSON_ROLE, lesson.id)        # a plain str: no Python object inside Qt's item
            item.setToolTip(0, lesson.title)
        self.tree.expandAll()
        self.tree.blockSignals(False)
        item = self.item_of(keep) if keep else None
        if item is not None:
            self.tree.setCurrentItem(item)
        else:
            self._show(None)

    def item_of(self, lesson_id: str) -> QTreeWidgetItem | None:
        """The list's row of the lesson ``lesson_id`` (None when it is not listed)."""
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for k in range(group.childCount()):
                item = group.child(k)
                if item.data(0, LESSON_ROLE) == lesson_id:
                    return item
        return None

    def _on_current(self, item, _previous):
        lesson_id = item.data(0, LESSON_ROLE) if item is not None else None
        by_id = {lesson.id: lesson for lesson in self.lessons}
        if lesson_id in by_id:
            self._show(by_id[lesson_id])

    # ---- the lesson shown ---------------------------------------------------------------------------
    def _show(self, lesson) -> None:
        self.lesson = lesson
        self.detail.setVisible(lesson is not None)
        if lesson is None:
            return
        self.title.setText(lesson.title)
        self.source.setText(f"Follows: {lesson.source}")
        self.intro.setText(lesson.intro)
        self._fill_headline(lesson)
        self._fill_steps(lesson)

    def _fill_headline(self, lesson) -> None:
        grid = self.headline_layout
        while grid.count():
            w = grid.takeAt(0).widget()
            if w is not None and w is not self.run_button:
                w.deleteLater()
        self.result_labels = []
        heads = lesson.headlines
        caption = _label(bold=True)
        caption.setText("Headline result")
        grid.addWidget(caption, 0, 0)
        grid.addWidget(self.run_button, 0, 1, Qt.AlignmentFlag.AlignRight)
        self.run_button.setToolTip("Set the lesson up if needed and do the run its headline result needs: "
                                   + "; ".join(_run_words(h.run) for h in heads))
        for k, head in enumerate(heads):
            what = _label()
            what.setText(head.what)
            result = _label()
            result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(what, 1 + 2 * k, 0, 1, 2)
            grid.addWidget(result, 2 + 2 * k, 0, 1, 2)
            self.result_labels.append(result)
            self._paint_result(k, *self.results.get((lesson.id, k), (None, None, "")))

    def _fill_steps(self, lesson) -> None:
        lay = self.steps_layout
        while lay.count():
            w = lay.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.step_buttons = []
        for k, step in enumerate(lesson.steps):
            text = _label()
            text.setText(f"{k + 1}. {step.text}")
            lay.addWidget(text)
            if step.action is not None:
                button = QPushButton(step.button)
                button.clicked.connect(lambda _=False, a=step.action: self.actionRequested.emit(self.lesson, a))
                lay.addWidget(button)
                self.step_buttons.append(button)

    def show_result(self, lesson_id: str, index: int, value, passed: bool | None = None, note: str = "") -> None:
        """The lesson's ``index``-th headline line: "Source: … · This app: …"; green when ``passed``, red when
        not, "—" (plus ``note``, e.g. "running…") while the app has no figure yet. Kept for when the lesson is
        shown again."""
        self.results[(lesson_id, index)] = (value, passed, note)
        if self.lesson is not None and self.lesson.id == lesson_id:
            self._paint_result(index, value, passed, note)

    def _paint_result(self, index: int, value, passed: bool | None, note: str) -> None:
        if not 0 <= index < len(self.result_labels):
            return
        head = self.lesson.headlines[index]
        app = figure_text(value) if value is not None else "—"
        text = f"Source: {figure_text(head.source)} · This app: {app}"
        if note:
            text += f"  ({note})"
        label = self.result_labels[index]
        label.setText(text)
        label.setStyleSheet("" if passed is None else
                            f"color: {(theme.GOOD if passed else theme.BAD).name()}; font-weight: bold;")
        label.setProperty("passed", passed)


def _run_words(run: dict) -> str:
    if "train_steps" in run:
        return f"train {run['train_steps']} steps"
    if "train_epochs" in run:
        return f"train {run['train_epochs']} epochs"
    if run.get("train") == "until_done":
        return "train until the run ends"
    return "the set-up itself"


def _label(bold: bool = False, size: int | None = None) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if bold or size:
        font = label.font()
        font.setBold(bold)
        if size:
            font.setPointSize(size)
        label.setFont(font)
    return label
