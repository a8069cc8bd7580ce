"""The data panel: built-in tasks, the Load data dialog (CSV preview, columns, window, horizon; text;
npz), and refusals that name the problem while the previous data set stays loaded."""
import pathlib

import numpy as np
import pytest

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
from PySide6.QtCore import Qt
from ui.panels.data import DataPanel
from ui.panels.load_data import LoadDataDialog
from ui.training.controller import TrainingController

DATA = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "data"


def _load(dialog, qtbot):
    """Press Load: the file is read on a worker; wait until that read has ended."""
    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.reading, timeout=60000)


@pytest.fixture
def panel(qtbot):
    c = TrainingController(task="bitcount")
    p = DataPanel(c)
    qtbot.addWidget(p)
    p.show()
    yield p
    for box in p.findChildren(LoadDataDialog):
        box.close()
    assert c.shutdown()


def close_error(widget):
    box = getattr(widget, "last_error", None)
    if box is not None:
        box.close()


def test_task_picker_switches_task_with_its_lesson(panel):
    c = panel.controller
    i = panel.task.findData("long-memory")
    panel.task.setCurrentIndex(i)
    panel.task.activated.emit(i)
    assert c.task.name == "long-memory" and c.model.spec.cell == "lstm"
    assert "Lesson 001" in panel.description.text()
    assert set(panel.option_fields) == {"n", "delay", "noise"}
    panel.option_fields["delay"].setText("5")
    panel.option_fields["delay"].editingFinished.emit()
    assert c.dataset.steps == 6 and c.source["options"] == {"delay": 5}
    assert "512 sequences × 6 steps × 2 features" in panel.summary.text()


def test_csv_preview_columns_window_horizon_and_load(qtbot, panel):
    c = panel.controller
    dialog = panel.open_dialog(str(DATA / "series.csv"))
    assert dialog.kind == "csv" and dialog.table.rowCount() == 48
    assert [dialog.table.horizontalHeaderItem(j).text() for j in range(4)] == ["date", "temperature", "humidity",
                                                                               "load"]
    assert dialog.table.item(0, 1).text() == "10.00"
    assert dialog._checked(dialog.inputs) == ["temperature", "humidity", "load"]    # the date is not a number
    assert dialog._checked(dialog.targets) == ["load"]
    dialog.inputs.item(2).setCheckState(Qt.CheckState.Unchecked)                   # drop humidity
    dialog.window.setValue(6)
    dialog.horizon.setValue(2)
    assert "41 sequences of 6 steps with 2 input(s)" in dialog.summary.text()
    _load(dialog, qtbot)
    assert c.dataset.x.shape == (41, 6, 2) and c.dataset.meta["inputs"] == ["temperature", "load"]
    assert c.source == {"kind": "file", "path": str(DATA / "series.csv"),
                        "options": {"inputs": ["temperature", "load"], "targets": ["load"], "window": 6, "horizon": 2}}
    assert c.model.spec.input_size == 2 and c.task is None
    assert "series.csv" in panel.summary.text()


def test_a_bad_file_is_named_and_the_previous_data_stays(qtbot, panel, tmp_path):
    c = panel.controller
    before = (c.dataset, c.model, c.trainer, c.source)
    bad = tmp_path / "broken.csv"
    bad.write_text("time,value\n1,2\n2,oops\n3,4\n")
    dialog = panel.open_dialog(str(bad))
    dialog.window.setValue(1)
    _load(dialog, qtbot)
    assert dialog.isVisible() and dialog.dataset is None                     # the dialog stays open
    assert "broken.csv: line 3, column 'value': 'oops' is not a number" in dialog.last_error_text
    assert dialog.last_error.isVisible() and "oops" in dialog.last_error.text()
    assert (c.dataset, c.model, c.trainer, c.source) == before               # nothing changed
    close_error(dialog)
    dialog.reject()


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"1,2\n3,4\n", "holds numbers, expected a header row"),
    (b"\xff\xfe garbage", "not valid UTF-8"),
])
def test_unreadable_csv_previews_say_why(qtbot, tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    dialog = LoadDataDialog(None, str(path))
    qtbot.addWidget(dialog)
    assert message in dialog.problem.text() and dialog.problem.isVisibleTo(dialog)
    _load(dialog, qtbot)
    assert dialog.dataset is None and message in dialog.last_error_text
    close_error(dialog)


def test_text_and_npz_files_load(qtbot, panel, tmp_path):
    c = panel.controller
    dialog = panel.open_dialog(str(DATA / "text.txt"))
    assert dialog.kind == "text" and dialog.text_preview.toPlainText()
    dialog.text_window.setValue(10)
    _load(dialog, qtbot)
    assert c.dataset.loss == "cross_entropy" and c.dataset.steps == 10 and "vocab" in c.dataset.meta
    x = np.random.default_rng(0).normal(size=(12, 5, 3))
    np.savez(tmp_path / "arrays.npz", x=x, y=(x.sum(axis=(1, 2)) > 0).astype(int))
    dialog = panel.open_dialog(str(tmp_path / "arrays.npz"))
    assert dialog.kind == "npz" and dialog.arrays.rowCount() == 2
    _load(dialog, qtbot)
    assert c.dataset.x.shape == (12, 5, 3) and c.dataset.output == "last" and c.model.spec.output_size == 2


def test_a_pickled_npz_is_refused_without_loading(qtbot, panel, tmp_path):
    c = panel.controller
    before = c.dataset
    np.save(tmp_path / "evil.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "evil.npy").rename(tmp_path / "evil.npz")
    dialog = panel.open_dialog(str(tmp_path / "evil.npz"))
    _load(dialog, qtbot)
    assert "evil.npz" in dialog.last_error_text and c.dataset is before
    close_error(dialog)
    dialog.reject()


def test_unsupported_suffix(qtbot, panel, tmp_path):
    (tmp_path / "data.xlsx").write_bytes(b"PK")
    dialog = panel.open_dialog(str(tmp_path / "data.xlsx"))
    assert "unsupported file type '.xlsx'" in dialog.problem.text()
    assert not dialog.load_button.isEnabled()
    dialog.reject()


def test_a_refused_task_option_is_named_and_nothing_changes(qtbot, panel):
    c = panel.controller
    i = panel.task.findData("long-memory")
    panel.task.setCurrentIndex(i)
    panel.task.activated.emit(i)
    before = (c.dataset, c.model, c.source)
    panel.option_fields["delay"].setText("-3")
    panel.option_fields["delay"].editingFinished.emit()
    assert "option 'delay' must be a whole number ≥ 0, got -3" in panel.last_error_text
    assert panel.last_error.isVisible()
    assert (c.dataset, c.model, c.source) == before
    assert panel.option_fields["delay"].text() == "20"            # the field shows what is in force again
    close_error(panel)


def test_a_load_cancelled_while_reading_changes_nothing(qtbot, panel, tmp_path):
    c = panel.controller
    path = tmp_path / "series.csv"
    path.write_text("t,value\n" + "".join(f"{i},{i % 7}\n" for i in range(60)))
    dialog = panel.open_dialog(str(path))
    before = c.dataset
    dialog.accept()                            # reading starts on a worker ...
    dialog.reject()                            # ... and the learner cancels
    qtbot.waitUntil(lambda: not dialog.reading, timeout=60000)
    assert c.dataset is before and dialog.dataset is None
