"""How the window looks on the learner's screen: its size fitted to the screen, a first layout that leaves the
graph a usable share on a small screen (1366 × 768), the text size (View → Text size, for a projector) and the
light or dark theme (View → Theme: System / Light / Dark). Both choices are kept in QSettings.

The theme is chosen once, before the window's widgets are built (``apply_appearance``): the views take their
colours from ``theme`` as they build, so a new choice applies at the next start. The text size changes the
menus, panels and buttons at once; the plots, the equations and the inspector's table pick their sizes as they
are built, so they follow at the next start (the graph's labels follow its zoom, Ctrl + / Ctrl −).
"""
from __future__ import annotations

import sys

from PySide6.QtCore import QRect, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QDockWidget, QTabBar

from . import theme

TEXT_SIZE_KEY = "appearance/textSize"         # percent of the normal size
THEME_KEY = "appearance/theme"                # "system", "light" or "dark"
TEXT_SIZES = (90, 100, 125, 150, 200)
THEMES = {"system": "&System", "light": "&Light", "dark": "&Dark"}
#: platforms whose "screen" is a fiction (tests): the window keeps the size it is given
NO_REAL_SCREEN = ("offscreen", "minimal")
#: room kept for the window's title bar while the window manager has not told its frame yet
TITLE_BAR = 32
#: a screen below these (logical pixels) gets the compact first layout
SMALL_WIDTH, SMALL_HEIGHT = 1500, 900
#: the graph pane's least width: below its rows' natural width (at a large text size) they are clipped
GRAPH_MIN_WIDTH = 400


def settings() -> QSettings:
    return QSettings("rnnsim", "rnnsim")


# ---- the learner's choices -----------------------------------------------------------------------
def text_size() -> int:
    """The kept text size in percent (100 when none is kept or the kept value is not one of TEXT_SIZES)."""
    try:
        value = int(settings().value(TEXT_SIZE_KEY, 100))
    except (TypeError, ValueError):
        return 100
    return value if value in TEXT_SIZES else 100


def theme_choice() -> str:
    value = settings().value(THEME_KEY, "system")
    return value if value in THEMES else "system"


def system_is_dark(app=None) -> bool:
    """The desktop's colour scheme (Qt 6.5+); Unknown (e.g. Linux without a desktop) counts as light."""
    app = app or QGuiApplication.instance()
    hints = app.styleHints() if app is not None else None
    if hints is None or not hasattr(hints, "colorScheme"):
        return False
    return hints.colorScheme() == Qt.ColorScheme.Dark


def scheme_for(choice: str, app=None) -> str:
    """"light" or "dark": the choice, with "system" resolved by the desktop's scheme."""
    if choice == "system":
        return "dark" if system_is_dark(app) else "light"
    return choice


def apply_appearance(app) -> None:
    """The kept text size and theme on ``app`` (its font, palette and style sheet, pyqtgraph's defaults).
    Call it before the window is built: the views read the theme's colours and fonts as they build."""
    theme.set_text_scale(text_size() / 100)
    theme.use_scheme(scheme_for(theme_choice(), app))
    restyle(app)


def restyle(app) -> None:
    """``app`` dressed in the theme as it is now."""
    app.setPalette(theme.palette())
    app.setFont(theme.ui_font(10))
    app.setStyleSheet(theme.STYLE)
    if "pyqtgraph" in sys.modules:       # else it takes the theme's colours when it is imported
        theme.pyqtgraph()


def set_text_size(app, percent: int) -> None:
    """View → Text size: kept for the next start, and the app's own font (menus, panels, buttons) now."""
    if percent not in TEXT_SIZES:
        raise ValueError(f"text size {percent} % is not one of {TEXT_SIZES}")
    settings().setValue(TEXT_SIZE_KEY, int(percent))
    theme.set_text_scale(percent / 100)
    app.setFont(theme.ui_font(10))
    # under a style sheet the widgets take the new font only when it is applied again (every widget
    # re-polished: ~0.4 s measured with the whole window; the caller shows a busy cursor meanwhile)
    app.setStyleSheet(theme.STYLE)


def set_theme(choice: str) -> None:
    """View → Theme: kept; applies at the next start."""
    if choice not in THEMES:
        raise ValueError(f"theme {choice!r} is not one of {tuple(THEMES)}")
    settings().setValue(THEME_KEY, choice)


# ---- the window on the screen --------------------------------------------------------------------
def available_geometry(widget) -> QRect | None:
    """The part of ``widget``'s screen a window may use (without task bars), or None where there is no real
    screen (the offscreen platform of the tests)."""
    if QGuiApplication.platformName() in NO_REAL_SCREEN:
        return None
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else None


def frame_extra(window) -> QSize:
    """What the window manager's frame adds to the window's size (a title bar's height when not known yet)."""
    frame, inner = window.frameGeometry(), window.geometry()
    extra = QSize(frame.width() - inner.width(), frame.height() - inner.height())
    return QSize(max(extra.width(), 0), max(extra.height(), TITLE_BAR))


def fit_to_screen(window) -> QRect | None:
    """Shrink (and move) ``window`` so that its frame lies inside its screen's available geometry; returns the
    geometry it may use, or None when there is no real screen."""
    area = available_geometry(window)
    if area is None:
        return None
    # the graph's toolbar and legend rows may be squeezed (clipped at their right end) rather than make the
    # window wider than the screen at a large text size
    window.centralWidget().setMinimumWidth(GRAPH_MIN_WIDTH)
    extra = frame_extra(window)
    room = QSize(area.width() - extra.width(), area.height() - extra.height())
    size = window.size().boundedTo(room)
    if size != window.size():
        window.resize(size)
    x = min(max(window.x(), area.left()), area.right() + 1 - size.width() - extra.width())
    y = min(max(window.y(), area.top()), area.bottom() + 1 - size.height() - extra.height())
    if (x, y) != (window.x(), window.y()):
        window.move(x, y)
    return area


def is_small(window) -> bool:
    return window.width() < SMALL_WIDTH or window.height() < SMALL_HEIGHT


def hide_stale_tab_bars(window) -> int:
    """Hide the dock tab bars QMainWindow no longer uses but left visible; returns how many.

    After docks are added and tabified again (the first layout, Reset layout) QMainWindow can leave an old
    tab bar shown where it last was — seen on X as a fragment of an "Equations | Lessons" bar at the left
    edge of the Lessons dock. A tab bar in use sits right under its group's docks (tabs at the bottom):
    same left edge and width as a visible dock whose bottom edge it touches."""
    docks = [d.geometry() for d in window.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()]
    hidden = 0
    for bar in window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
        g = bar.geometry()
        if bar.isVisible() and not any(abs(d.left() - g.left()) <= 2 and abs(d.width() - g.width()) <= 2
                                       and abs(d.bottom() + 1 - g.top()) <= 6 for d in docks):
            bar.hide()
            hidden += 1
    return hidden


def initial_sizes(window) -> None:
    """The first layout: the graph in the middle, the model panel left, the equations right, the cell below.
    On a small screen the side columns are narrower and the bottom row shorter, so the graph keeps ≥ 800 × 330
    px at 1366 × 768."""
    w, h = window.width(), window.height()
    docks = window.docks
    small = is_small(window)
    left = 250 if small else 320
    right = max(240, int(w * 0.18)) if small else max(420, int(w * 0.28))
    window.resizeDocks([docks["model"], docks["equations"]], [left, right], Qt.Orientation.Horizontal)
    window.resizeDocks([docks["cell"]], [int(h * (0.3 if small else 0.36))], Qt.Orientation.Vertical)
    window.resizeDocks([docks["equations"], docks["inspector"]], [int(h * 0.6), int(h * 0.4)],
                       Qt.Orientation.Vertical)


# ---- View → Text size, View → Theme ----------------------------------------------------------------
def add_menus(window, view_menu) -> None:
    """View → Text size and View → Theme on ``window`` (each a group of checkable actions, the kept choice
    checked); the window keeps them as ``text_size_actions`` {percent: QAction} and ``theme_actions``
    {choice: QAction}."""
    sizes = view_menu.addMenu("&Text size")
    sizes.setToolTipsVisible(True)
    group = QActionGroup(window)
    window.text_size_actions = {}
    now = text_size()
    for percent in TEXT_SIZES:
        a = QAction(f"{percent} %", window, checkable=True)
        a.setChecked(percent == now)
        a.setStatusTip(f"Text at {percent} % of the normal size (for a projector: 150 % or 200 %); menus and "
                       "panels change now, the plots, equations and inspector at the next start")
        a.triggered.connect(lambda _=False, p=percent: _on_text_size(window, p))
        group.addAction(a)
        sizes.addAction(a)
        window.text_size_actions[percent] = a
    themes = view_menu.addMenu("T&heme (applies at the next start)")
    group = QActionGroup(window)
    window.theme_actions = {}
    chosen = theme_choice()
    for choice, text in THEMES.items():
        a = QAction(text, window, checkable=True)
        a.setChecked(choice == chosen)
        a.setStatusTip("Light or dark colours" + (": as the desktop's" if choice == "system" else "")
                       + " — applies at the next start")
        a.triggered.connect(lambda _=False, c=choice: _on_theme(window, c))
        group.addAction(a)
        themes.addAction(a)
        window.theme_actions[choice] = a


def _on_text_size(window, percent: int) -> None:
    window.statusBar().showMessage(f"Changing the text size to {percent} %…")
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    window.statusBar().repaint()                    # the message shows before the ~0.4 s re-styling
    try:
        set_text_size(QGuiApplication.instance(), percent)
    finally:
        QGuiApplication.restoreOverrideCursor()
    window.statusBar().showMessage(f"Text size {percent} %: menus and panels now; the plots, equations and "
                                   "inspector at the next start", 8000)


def _on_theme(window, choice: str) -> None:
    set_theme(choice)
    window.statusBar().showMessage(f"Theme {choice}: applies at the next start of rnnsim", 8000)
