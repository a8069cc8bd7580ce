"""Text generation in the app: the Generate panel gives exactly rnnsim.generate.generate's text, shows it
as it is drawn, stops on request, and refuses a model that is not a text model; the dashboard's live
sample equals generate() for the weights it names."""
import threading

import numpy as np
import pytest

import ui  # noqa: F401  (first: the PySide6 6.12 refcount guard)
import ui.panels.generate as generate_module
from rnnsim.generate import generate
from rnnsim.model import Model
from ui.panels.generate import GeneratePanel
from ui.training.controller import RUNNING, TrainingController

TIMEOUT = 30000


@pytest.fixture
def text_controller():
    c = TrainingController(task="python-source")
    assert c.set_task("python-source", 0, {"max_bytes": 3000})
    yield c
    assert c.shutdown(10000)


@pytest.fixture
def panel(qtbot, text_controller):
    p = GeneratePanel(text_controller)
    qtbot.addWidget(p)
    p.show()
    return p


def run_panel(qtbot, p, prompt, length, temperature_ticks, seed):
    p.prompt.setText(prompt)
    p.length.setValue(length)
    p.temperature.setValue(temperature_ticks)
    p.seed.setValue(seed)
    with qtbot.waitSignal(p.generated, timeout=TIMEOUT) as blocker:
        p.generate_button.click()
    return blocker.args[0]


def test_panel_text_equals_generate_and_same_seed_same_text(qtbot, panel, text_controller, monkeypatch):
    model = text_controller.current_model()
    text, probabilities = run_panel(qtbot, panel, "def ", 300, 70, 5)
    expected = generate(model, "def ", 300, 0.7, 5)
    assert panel.temperature_label.text() == "0.70"
    assert text == expected.text == panel.output.toPlainText()
    assert np.array_equal(probabilities, expected.probabilities)
    # hover text: the probability of the drawn character under the pointer's position
    assert f"{expected.probabilities[0]:.3g}" in panel.output.tooltip_at(len("def "))
    assert panel.output.tooltip_at(0) == ""                            # the prompt was typed, not drawn
    # a real hover event over the 6th drawn character
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent, QTextCursor
    from PySide6.QtWidgets import QApplication, QToolTip
    tips = []              # offscreen, a real tooltip window warns: record what would be shown
    monkeypatch.setattr(QToolTip, "showText", staticmethod(lambda pos, text, *rest: tips.append(text)))
    cursor = QTextCursor(panel.output.document())
    cursor.setPosition(len("def ") + 5)
    rect = panel.output.cursorRect(cursor)
    where = QPoint(rect.x() + 3, rect.center().y())
    viewport = panel.output.viewport()
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, where, viewport.mapToGlobal(where)))
    assert tips == [panel.output.tooltip_at(len("def ") + 5)]
    assert f"{expected.probabilities[5]:.3g}" in tips[0] and repr(text[len("def ") + 5]) in tips[0]
    again, _ = run_panel(qtbot, panel, "def ", 300, 70, 5)
    assert again == text
    other, _ = run_panel(qtbot, panel, "def ", 300, 70, 6)
    assert other != text and other == generate(model, "def ", 300, 0.7, 6).text


def test_a_prompt_with_unknown_characters_is_refused_and_kept(qtbot, panel, text_controller):
    text, _ = run_panel(qtbot, panel, "def ", 50, 80, 0)
    panel.prompt.setText("déf ☃")
    panel.generate_button.click()
    try:
        generate(text_controller.current_model(), "déf ☃", 50, 0.8, 0)
    except Exception as exc:
        reason = str(exc)
    assert "never saw" in reason and reason.split(":")[0] in panel.status.text()
    assert not panel.busy and panel.prompt.text() == "déf ☃" and panel.output.toPlainText() == text


def test_text_appears_piece_by_piece(qtbot, panel, text_controller):
    shown = []
    panel.piece.connect(lambda n: shown.append((n, len(panel.output.toPlainText()), panel.stop_button.isEnabled())))
    text, _ = run_panel(qtbot, panel, "import ", 2000, 100, 1)
    counts = [n for n, _, _ in shown]
    assert counts == list(range(generate_module.CHUNK, 2001, generate_module.CHUNK))
    # each piece was on screen while the generation was still going
    assert all(length == len("import ") + n and running for n, length, running in shown[:-1])
    assert text == generate(text_controller.current_model(), "import ", 2000, 1.0, 1).text


def test_stop_keeps_what_was_drawn(qtbot, panel, text_controller, monkeypatch):
    release = threading.Event()
    real = generate_module.generate_chunks

    def held_after_first_piece(*args):
        prime, pieces = real(*args)

        def held():
            for k, piece in enumerate(pieces):
                yield piece
                if k == 0:
                    release.wait(TIMEOUT / 1000)
        return prime, held()

    monkeypatch.setattr(generate_module, "generate_chunks", held_after_first_piece)
    panel.length.setValue(5000)
    panel.generate_button.click()
    qtbot.waitUntil(lambda: len(panel.output.probabilities) > 0, timeout=TIMEOUT)
    with qtbot.waitSignal(panel.generated, timeout=TIMEOUT) as blocker:
        panel.stop_button.click()
        release.set()
    text, probabilities = blocker.args[0]
    full = generate(text_controller.current_model(), "\n", 5000, 0.8, 0)
    assert len(probabilities) < 5000 and full.text.startswith(text)
    assert "Stopped after" in panel.status.text()
    assert panel.generate_button.isEnabled() and not panel.stop_button.isEnabled()


def test_not_a_text_model_shows_the_engines_reason(qtbot):
    c = TrainingController(task="temporal-xor")
    p = GeneratePanel(c)
    qtbot.addWidget(p)
    try:
        generate(c.current_model())
    except Exception as exc:
        reason = str(exc)
    assert p.status.text() == reason and "not trained on a text" in reason
    assert not p.generate_button.isEnabled()
    assert c.shutdown(10000)


def test_dashboard_sample_while_training_text(qtbot, text_controller):
    import dataclasses

    from ui.training.dashboard import TrainingDashboard

    c = text_controller
    c.set_config(dataclasses.replace(c.config, epochs=10_000))
    dash = TrainingDashboard(c)
    qtbot.addWidget(dash)
    dash.show()
    view = dash.text_sample
    assert view.isVisible()
    qtbot.waitUntil(lambda: view.used is not None, timeout=TIMEOUT)       # the untrained weights first
    assert view.used[0] == 0
    detailed = {}
    c.snapshots.connect(lambda items: detailed.update({s.step: s.params for s in items if s.params is not None}))
    samples = []
    view.sampled.connect(lambda step, generation: samples.append((step, view.used[1], generation)))
    c.train()
    qtbot.waitUntil(lambda: any(step > 0 for step, _, _ in samples), timeout=TIMEOUT)
    assert c.state == RUNNING
    c.stop()
    qtbot.waitUntil(lambda: c.state != RUNNING, timeout=TIMEOUT)
    step, used_params, generation = next(sample for sample in samples if sample[0] > 0)
    params = detailed[step]                            # the weights of the detailed snapshot of that step
    assert params.keys() == used_params.keys()
    assert all(np.array_equal(params[name], used_params[name]) for name in params)
    expected = generate(Model(c.model.spec, params), None, 80, 0.8, 0)
    assert generation.text == expected.text
    # after the run: a sample of the final weights
    qtbot.waitUntil(lambda: view.used[0] == c.step_count, timeout=TIMEOUT)
    final = generate(c.current_model(), None, 80, 0.8, 0)
    assert view.text.text() == final.continuation.replace("\n", "⏎").replace("\t", "→")
    dash.close()


def test_dashboard_sample_hidden_for_other_data(qtbot):
    from ui.training.dashboard import TrainingDashboard

    c = TrainingController(task="temporal-xor")
    dash = TrainingDashboard(c)
    qtbot.addWidget(dash)
    dash.show()
    assert not dash.text_sample.isVisible() and not dash.text_sample.runner.busy
    assert c.shutdown(10000)
