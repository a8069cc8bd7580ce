"""How the window looks on the learner's screen (ui/appearance.py): fitted to a 1366 × 768 screen with a usable
graph, a layout kept from a bigger screen shrunk to fit, View → Reset layout never taller than the screen;
View → Text size and View → Theme kept in QSettings and applied; the dark scheme's colours readable."""
import pytest
from PySide6.QtCore import QRect, QSettings
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

import ui  # noqa: F401
from ui import appearance, theme
from ui.app import make_app
from ui.plots.base import PlotPanel

SMALL = QRect(0, 0, 1366, 768)


@pytest.fixture
def restored_look():
    """The process's theme and text size are the normal ones again after the test (later tests build windows)."""
    yield
    theme.set_text_scale(1.0)
    theme.use_scheme("light")
    appearance.restyle(make_app())


@pytest.fixture
def screen(monkeypatch):
    """screen(rect): the window's screen is ``rect`` (offscreen has no real screen to fit)."""
    def set_screen(rect):
        monkeypatch.setattr(appearance, "available_geometry", lambda widget: QRect(rect))
    return set_screen


@pytest.fixture
def window(make_window, settings_dir, restored_look):
    """window(remember=False) -> a shown MainWindow, its first Tape recorded."""
    return lambda remember=False: make_window(warm=True, remember_layout=remember)


def fits(w, rect) -> bool:
    extra = appearance.frame_extra(w)
    return w.width() + extra.width() <= rect.width() and w.height() + extra.height() <= rect.height()


def test_a_1366_by_768_screen_leaves_the_graph_a_usable_share(qtbot, window, screen):
    screen(SMALL)
    w = window()
    assert fits(w, SMALL), (w.size(), appearance.frame_extra(w))
    qtbot.waitUntil(lambda: w.graph.width() >= 800 and w.graph.height() >= 330)
    for key in ("model", "equations", "cell"):                     # the panels in front are still there
        assert not w.docks[key].visibleRegion().isEmpty(), key
    w.resize(1600, 1000)                                           # e.g. dragged bigger than the screen
    w.reset_layout()
    assert fits(w, SMALL)
    qtbot.waitUntil(lambda: w.graph.width() >= 800 and w.graph.height() >= 330)


def test_a_layout_kept_on_a_big_screen_is_shrunk_to_a_small_one(qtbot, window, screen):
    screen(QRect(0, 0, 1920, 1200))
    big = window(remember=True)
    big.resize(1900, 1150)
    qtbot.waitUntil(lambda: big.height() == 1150)
    big.close()                                                    # keeps its layout
    screen(SMALL)
    w = window(remember=True)
    assert fits(w, SMALL), w.size()
    assert w.graph.height() > 200


def test_text_at_200_percent_still_fits_a_small_screen(qtbot, window, screen):
    theme.set_text_scale(2.0)
    appearance.restyle(make_app())
    screen(SMALL)
    w = window()
    assert w.graph.minimumSizeHint().width() > SMALL.width() // 2       # its rows would ask for more ...
    assert fits(w, SMALL), w.size()                                     # ... they are clipped instead


def test_a_big_screen_keeps_the_roomy_layout(qtbot, window, screen):
    screen(QRect(0, 0, 1920, 1080))
    w = window()
    assert not appearance.is_small(w)
    qtbot.waitUntil(lambda: w.docks["equations"].width() >= 420)


def test_text_size_is_kept_and_scales_the_app_font_now_and_every_font_at_the_next_start(qtbot, window):
    w = window(remember=True)
    app = QApplication.instance()
    normal = app.font().pointSizeF()
    assert w.text_size_actions[100].isChecked()
    w.text_size_actions[150].trigger()
    assert QSettings("rnnsim", "rnnsim").value(appearance.TEXT_SIZE_KEY) in (150, "150")
    assert app.font().pointSizeF() == pytest.approx(1.5 * normal)
    assert w.debugger.widgetForAction(w.debugger.step).font().pointSizeF() == pytest.approx(1.5 * normal)
    w.close()
    theme.set_text_scale(1.0)                                      # a new process starts at 100 %
    again = window(remember=True)
    assert again.text_size_actions[150].isChecked()
    assert theme.math_font(12).pointSizeF() == pytest.approx(18)
    assert again.inspector.table.font().pointSizeF() == pytest.approx(1.5 * 9)


def test_a_bad_kept_text_size_or_theme_falls_back_to_the_normal_one(settings_dir):
    QSettings("rnnsim", "rnnsim").setValue(appearance.TEXT_SIZE_KEY, "huge")
    QSettings("rnnsim", "rnnsim").setValue(appearance.THEME_KEY, "purple")
    assert appearance.text_size() == 100 and appearance.theme_choice() == "system"
    with pytest.raises(ValueError, match="text size 300"):
        appearance.set_text_size(make_app(), 300)


def test_the_theme_is_kept_and_dark_applies_at_the_next_start(qtbot, window):
    w = window(remember=True)
    assert w.theme_actions["system"].isChecked()
    assert not theme.is_dark()                                     # offscreen: the desktop's scheme is unknown
    w.theme_actions["dark"].trigger()
    assert QSettings("rnnsim", "rnnsim").value(appearance.THEME_KEY) == "dark"
    assert not theme.is_dark()                                     # "applies at the next start", as the menu says
    w.close()
    dark = window(remember=True)
    assert theme.is_dark() and dark.theme_actions["dark"].isChecked()
    window_colour = QApplication.instance().palette().color(QPalette.ColorRole.Window)
    assert window_colour.lightness() < 60
    assert dark.graph.view.backgroundBrush().color() == theme.CANVAS
    assert theme.CANVAS.lightness() < 60
    dark.build_deferred()                                          # the training plots are built after the start
    panels = dark.dashboard.findChildren(PlotPanel)
    assert panels and all(p.plot.backgroundBrush().color() == theme.PAPER for p in panels)


def test_system_follows_the_desktop(monkeypatch):
    monkeypatch.setattr(appearance, "system_is_dark", lambda app=None: True)
    assert appearance.scheme_for("system") == "dark"
    monkeypatch.setattr(appearance, "system_is_dark", lambda app=None: False)
    assert appearance.scheme_for("system") == "light" and appearance.scheme_for("dark") == "dark"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_colours_are_readable_in_both_schemes(restored_look, scheme):
    theme.use_scheme(scheme)
    for name in ("INK", "LABEL", "GOOD", "BAD"):
        assert theme.contrast(getattr(theme, name), theme.CANVAS) >= 4.5, name
        assert theme.contrast(getattr(theme, name), theme.PAPER) >= 4.5, name
    assert theme.contrast(theme.CAUTION, theme.CAUTION_BG) >= 4.5
    assert theme.contrast(theme.MUTED, theme.PAPER) >= 3.5
    for key, colour in theme.GATE.items():                         # gate letters as labels
        assert theme.contrast(theme.readable(colour, theme.PAPER), theme.PAPER) >= 4.5, key
    sheet = theme.SHEET[scheme]
    assert theme.contrast(QColor(sheet["ink"]), QColor(sheet["window"])) >= 7
    assert theme.contrast(QColor(sheet["heading"]), QColor(sheet["panel"])) >= 4.5


def test_a_dock_tab_bar_left_over_by_qt_is_hidden_and_the_ones_in_use_stay(qtbot, make_window):
    from PySide6.QtWidgets import QTabBar
    w = make_window()
    bars = lambda: [b for b in w.findChildren(QTabBar) if b.parent() is w and b.isVisible()]
    qtbot.waitUntil(lambda: len(bars()) > 0)
    in_use = bars()
    stray = QTabBar(w)                       # what QMainWindow leaves behind: an old bar where no dock group is
    stray.addTab("Equations")
    stray.addTab("Lessons")
    stray.setGeometry(w.centralWidget().geometry().center().x(), 200, 200, 27)
    stray.show()
    assert appearance.hide_stale_tab_bars(w) == 1
    assert not stray.isVisible() and bars() == in_use
