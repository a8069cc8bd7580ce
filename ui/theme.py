"""Colours, fonts and the colour maps every view shares, so one value has one colour everywhere.

Values (x, h, c, o, gate activations) use a blue–white–red diverging map: blue negative, white
zero, red positive. Gradients (∂L/∂·) use a green–white–purple diverging map, so a learner can
tell at a glance whether a picture shows the forward values or the backward gradients.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPalette, QPen, QPixmap

# ---- phase and accent colours ---------------------------------------------------------------
PHASE = {
    "forward": QColor("#2b6cb0"),
    "output": QColor("#c05621"),
    "loss": QColor("#c05621"),
    "backward": QColor("#6b46c1"),
    "update": QColor("#2f855a"),
}
PHASE_LIGHT = {k: QColor(v.red(), v.green(), v.blue(), 40) for k, v in PHASE.items()}
PHASE_NAMES = {"forward": "Forward", "loss": "Loss", "backward": "Backpropagation through time",
               "update": "Update"}
ACCENT = QColor("#d69e2e")            # the current event: a gold ring / glow
BREAKPOINT = QColor("#e53e3e")
INK = QColor("#1a202c")               # text
MUTED = QColor("#718096")             # secondary text (widgets; 4:1 on white)
LABEL = QColor("#4a5568")             # secondary text in the graphs (7.5:1 on white: readable when small)
FAINT = QColor("#cbd5e0")             # unknown-yet nodes, idle arrows
PAPER = QColor("#ffffff")
CANVAS = QColor("#f7fafc")            # scene background
CUT = QColor("#e53e3e")               # truncation cut marks
EDGE = QColor("#a0aec0")              # outlines, idle arrows and frames
LINE = QColor("#e2e8f0")              # dividers and light rules
SOFT = QColor("#edf2f7")              # a faint fill (frozen parts, title strips)
HEADING = QColor("#2d3748")           # headings and operator symbols
OP_FILL = QColor("#fffbea")           # the fill of the cell view's operators
GRID_MAJOR = QColor("#e5e9f0")        # the plots' grid lines
GRID_MINOR = QColor("#f1f4f8")
STEP_LOSS = QColor("#90b4dc")         # a light version of the forward blue (the per-step loss)
GOOD = QColor("#276749")              # a check passed (text)
BAD = QColor("#c53030")               # a check failed, a value refused (text)
CAUTION = QColor("#975a16")           # a warning's text, on CAUTION_BG
CAUTION_BG = QColor("#fefcbf")

#: gate colours, the same in the cell view, the unrolled graph and the equation panel.
GATE = {
    "i": QColor("#38a169"), "f": QColor("#e53e3e"), "g": QColor("#3182ce"), "o": QColor("#d69e2e"),
    "r": QColor("#dd6b20"), "z": QColor("#805ad5"), "n": QColor("#3182ce"),
    "h": QColor("#3182ce"), "c": QColor("#2d3748"),
}
GATE_WORDS = {
    "i": "input gate: how much of the candidate to write",
    "f": "forget gate: how much of the old cell state to keep (0 forget all, 1 keep all)",
    "g": "candidate: the new content that could be written",
    "o": "output gate: how much of the cell state to show as h(t)",
    "r": "reset gate: how much of the old state the candidate may use",
    "z": "update gate: how much of the old state to keep (1 = keep h(t−1))",
    "n": "candidate: the new state proposed from x(t) and the reset memory",
}


def _ramp(stops):
    """A (256, 3) uint8 lookup table through the given colour stops, evenly spaced."""
    stops = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in stops], dtype=np.float64)
    pos = np.linspace(0.0, 1.0, len(stops))
    u = np.linspace(0.0, 1.0, 256)
    return np.stack([np.interp(u, pos, stops[:, k]) for k in range(3)], axis=1).round().astype(np.uint8)


#: negative → blue, 0 → near white, positive → red (ColorBrewer RdBu, reversed)
VALUE_LUT = _ramp(["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"])
#: negative → green, 0 → near white, positive → purple (ColorBrewer PRGn, reversed)
GRAD_LUT = _ramp(["#1b7837", "#7fbf7b", "#d9f0d3", "#f7f7f7", "#e7d4e8", "#af8dc3", "#762a83"])
#: 0 → white, 1 → saturated (for gate activations in (0, 1))
UNKNOWN_RGB = np.array([226, 232, 240], dtype=np.uint8)


def lut_index(values, scale):
    """Map values in [-scale, scale] to 0..255 (clipped)."""
    values = np.asarray(values, dtype=np.float64)
    scale = float(scale) if scale and np.isfinite(scale) and scale > 0 else 1.0
    u = np.clip(values / scale, -1.0, 1.0)
    u = np.where(np.isfinite(u), u, 0.0)
    return np.rint((u + 1.0) * 127.5).astype(np.int64)


def colours(values, scale, gradient=False) -> np.ndarray:
    """(..., 3) uint8 RGB for values on the diverging map (``gradient``: the gradient map)."""
    lut = GRAD_LUT if gradient else VALUE_LUT
    return lut[lut_index(values, scale)]


def qcolor(value, scale, gradient=False) -> QColor:
    r, g, b = colours(np.array([value]), scale, gradient)[0]
    return QColor(int(r), int(g), int(b))


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 … 21; body text wants ≥ 4.5)."""
    def lum(c):
        ch = [v / 255 for v in (c.red(), c.green(), c.blue())]
        ch = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable(color: QColor, background: QColor = CANVAS, ratio: float = 4.5) -> QColor:
    """``color`` darkened (on a dark ``background``: lightened) just enough to be read as text on ``background``
    (e.g. a gate's colour as a label)."""
    c = QColor(color)
    if background.lightness() < 128:          # a dark background: lighten instead
        while contrast(c, background) < ratio and c.lightness() < 255:
            c = QColor.fromHsl(max(c.hslHue(), 0), c.hslSaturation(), min(255, c.lightness() + 8))
        return c
    while contrast(c, background) < ratio and c.lightness() > 0:
        c = c.darker(110)
    return c


def text_on(color: QColor) -> QColor:
    """Black or white text, whichever reads better on ``color``."""
    lum = 0.299 * color.red() + 0.587 * color.green() + 0.114 * color.blue()
    return QColor("#1a202c") if lum > 140 else QColor("#ffffff")


def rgb_image(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of an (h, w, 3) uint8 array."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    img = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return img.copy()


def grid_shape(n: int, rows_max: int = 8) -> tuple[int, int]:
    """(rows, cols) of the little unit grid a vector of n values is drawn as (column-major)."""
    rows = min(n, rows_max)
    cols = (n + rows - 1) // rows
    return rows, cols


def vector_pixmap(values, scale, gradient=False, rows_max: int = 8) -> QPixmap:
    """A tiny pixmap with one pixel per unit, filled column by column (scale it up to show)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    rows, cols = grid_shape(max(values.size, 1), rows_max)
    rgb = np.empty((rows, cols, 3), dtype=np.uint8)
    rgb[...] = UNKNOWN_RGB
    flat = colours(values, scale, gradient)
    for k in range(values.size):
        rgb[k % rows, k // rows] = flat[k]
    return QPixmap.fromImage(rgb_image(rgb))


def legend_pixmap(width=160, height=12, gradient=False) -> QPixmap:
    lut = GRAD_LUT if gradient else VALUE_LUT
    idx = np.linspace(0, 255, width).round().astype(int)
    rgb = np.repeat(lut[idx][None, :, :], height, axis=0)
    return QPixmap.fromImage(rgb_image(rgb))


# ---- numbers ---------------------------------------------------------------------------------
def fmt(v, digits: int = 3) -> str:
    """A number as the app shows it: 3 significant digits, a true minus sign, 1.2e−5 for tiny ones."""
    s = f"{float(v):.{digits}g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant}e{int(exp)}"
    elif s[-1] in "nf":                         # nan, inf, -inf
        return "NaN" if s == "nan" else ("∞" if s == "inf" else "−∞")
    return s.replace("-", "−")


def fmt_list(values, digits: int = 3) -> list:
    """``fmt`` over an array (converted to Python floats once)."""
    return [fmt(v, digits) for v in np.asarray(values, dtype=np.float64).ravel().tolist()]


def shape_text(a) -> str:
    a = np.asarray(a)
    if a.ndim == 0:
        return "scalar"
    return " × ".join(str(n) for n in a.shape)


# ---- fonts and style sheet ----------------------------------------------------------------
#: every font size below is multiplied by this (View → Text size; 1.0 is 100 %)
TEXT_SCALE = 1.0
#: "light" or "dark": the colours above are this scheme's (use_scheme)
SCHEME = "light"


def set_text_scale(scale: float) -> None:
    global TEXT_SCALE
    TEXT_SCALE = float(scale)


def pt(size: float) -> float:
    """A font size in points at the chosen text size."""
    return size * TEXT_SCALE


def ui_font(size=10, bold=False) -> QFont:
    f = QFont("DejaVu Sans")
    f.setPointSizeF(pt(size))
    f.setBold(bold)
    return f


def math_font(size=12, italic=True) -> QFont:
    f = QFont("DejaVu Serif")
    f.setPointSizeF(pt(size))
    f.setItalic(italic)
    return f


def mono_font(size=9) -> QFont:
    f = QFont("DejaVu Sans Mono")
    f.setPointSizeF(pt(size))
    f.setStyleHint(QFont.StyleHint.Monospace)
    return f


# ---- light and dark --------------------------------------------------------------------------------
#: the colours that differ between the schemes, by the name of the module's QColor (``PHASE.forward``: an entry
#: of a dict). use_scheme changes those QColor objects in place, so every view built afterwards — and every
#: default argument that holds one — draws in the scheme's colours.
SCHEMES = {
    "light": {"INK": "#1a202c", "MUTED": "#718096", "LABEL": "#4a5568", "FAINT": "#cbd5e0", "PAPER": "#ffffff",
              "CANVAS": "#f7fafc", "EDGE": "#a0aec0", "LINE": "#e2e8f0", "SOFT": "#edf2f7", "HEADING": "#2d3748",
              "OP_FILL": "#fffbea", "GRID_MAJOR": "#e5e9f0", "GRID_MINOR": "#f1f4f8", "STEP_LOSS": "#90b4dc",
              "GOOD": "#276749", "BAD": "#c53030", "CAUTION": "#975a16", "CAUTION_BG": "#fefcbf",
              "GATE.c": "#2d3748", "PHASE.forward": "#2b6cb0", "PHASE.output": "#c05621",
              "PHASE.loss": "#c05621", "PHASE.backward": "#6b46c1", "PHASE.update": "#2f855a"},
    "dark": {"INK": "#edf2f7", "MUTED": "#a0aec0", "LABEL": "#cbd5e0", "FAINT": "#4a5568", "PAPER": "#232733",
             "CANVAS": "#1a1d24", "EDGE": "#718096", "LINE": "#3b4252", "SOFT": "#2a303c", "HEADING": "#e2e8f0",
             "OP_FILL": "#3a3524", "GRID_MAJOR": "#353b47", "GRID_MINOR": "#2a2f3a", "STEP_LOSS": "#4f7aa8",
             "GOOD": "#68d391", "BAD": "#fc8181", "CAUTION": "#f6e05e", "CAUTION_BG": "#3a3524",
             "GATE.c": "#a0aec0", "PHASE.forward": "#63b3ed", "PHASE.output": "#ed8936",
             "PHASE.loss": "#ed8936", "PHASE.backward": "#b794f4", "PHASE.update": "#68d391"},
}
#: the colour of a unit whose value is not known yet, by scheme
UNKNOWN = {"light": (226, 232, 240), "dark": (74, 85, 104)}


def use_scheme(scheme: str) -> None:
    """The module's colours become ``scheme``'s ("light" or "dark"), in place; the style sheet too."""
    global SCHEME, STYLE
    if scheme not in SCHEMES:
        raise ValueError(f"colour scheme {scheme!r} is not one of {tuple(SCHEMES)}")
    SCHEME = scheme
    for name, value in SCHEMES[scheme].items():
        table, _, key = name.partition(".")
        target = globals()[table][key] if key else globals()[table]
        target.setRgb(*_rgb(value))
    for key, c in PHASE.items():
        PHASE_LIGHT[key].setRgb(c.red(), c.green(), c.blue(), 40)
    UNKNOWN_RGB[:] = UNKNOWN[scheme]
    for tool, colour in _THEMED:
        tool.setColor(colour)
    STYLE = style_sheet(SCHEME)


#: pens and brushes built once (at import) from the colours above: use_scheme recolours them in place
_THEMED: list = []


def pen(colour: QColor, width: float = 1.0, style=Qt.PenStyle.SolidLine) -> QPen:
    """A pen of one of the theme's colours, kept in that colour when the scheme changes."""
    p = QPen(colour, width, style)
    _THEMED.append((p, colour))
    return p


def brush(colour: QColor) -> QBrush:
    """A brush of one of the theme's colours, kept in that colour when the scheme changes."""
    b = QBrush(colour)
    _THEMED.append((b, colour))
    return b


def _rgb(value: str) -> tuple:
    return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))


def is_dark() -> bool:
    return SCHEME == "dark"


def palette() -> QPalette:
    """The widgets' palette: Fusion's own in the light scheme, a dark one made of the theme's colours."""
    from PySide6.QtWidgets import QApplication
    if SCHEME == "light":
        return QApplication.style().standardPalette()
    c = SHEET["dark"]
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for r, value in ((role.Window, c["window"]), (role.WindowText, c["ink"]), (role.Base, c["paper"]),
                     (role.AlternateBase, c["panel"]), (role.Text, c["ink"]), (role.Button, c["panel"]),
                     (role.ButtonText, c["ink"]), (role.ToolTipBase, c["paper"]), (role.ToolTipText, c["ink"]),
                     (role.PlaceholderText, c["muted"]), (role.Highlight, "#3182ce"),
                     (role.HighlightedText, "#ffffff"), (role.Link, "#63b3ed"), (role.BrightText, "#ffffff"),
                     (role.Light, "#4a5568"), (role.Midlight, "#3b4252"), (role.Mid, "#2d3340"),
                     (role.Dark, "#12141a"), (role.Shadow, "#000000")):
        p.setColor(r, QColor(value))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor(c["disabled"]))
    return p


#: the style sheet's colours, by scheme (the text colours of the views are the module's QColors above)
SHEET = {
    "light": dict(window="#f7fafc", panel="#edf2f7", paper="#ffffff", line="#e2e8f0", heading="#2d3748",
                  ink="#1a202c", hover="#edf2f7", checked="#e2e8f0", disabled="#a0aec0", muted="#718096",
                  invalid_bg="#fff5f5", handle="#a0aec0", handle_hover="#718096"),
    "dark": dict(window="#1a1d24", panel="#2a303c", paper="#232733", line="#3b4252", heading="#e2e8f0",
                 ink="#edf2f7", hover="#363d4b", checked="#434b5c", disabled="#6b7280", muted="#a0aec0",
                 invalid_bg="#3b1f24", handle="#4a5568", handle_hover="#718096"),
}


def style_sheet(scheme: str = "light") -> str:
    """The app's style sheet in ``scheme``'s colours (no font sizes: the text size changes without it)."""
    c = SHEET[scheme]
    return f"""
QMainWindow, QDockWidget {{ background: {c['window']}; }}
QDockWidget::title {{ background: {c['panel']}; padding: 4px 8px; font-weight: bold; color: {c['heading']}; }}
QToolBar {{ background: {c['paper']}; border-bottom: 1px solid {c['line']}; spacing: 4px; padding: 2px; }}
QToolButton {{ padding: 3px 6px; border-radius: 4px; color: {c['ink']}; }}
QToolButton:hover {{ background: {c['hover']}; }}
QToolButton:checked {{ background: {c['checked']}; }}
QToolButton:disabled {{ color: {c['disabled']}; }}
QGroupBox {{ font-weight: bold; color: {c['heading']}; border: 1px solid {c['line']}; border-radius: 6px;
            margin-top: 14px; padding-top: 6px; background: {c['paper']}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
QStatusBar {{ background: {c['panel']}; color: {c['heading']}; }}
QLineEdit[invalid="true"] {{ border: 1px solid #e53e3e; background: {c['invalid_bg']}; }}
QLabel#hint {{ color: {c['muted']}; }}
QScrollBar:horizontal {{ background: {c['panel']}; height: 12px; margin: 0; border: none; }}
QScrollBar:vertical {{ background: {c['panel']}; width: 12px; margin: 0; border: none; }}
QScrollBar::handle {{ background: {c['handle']}; border-radius: 4px; margin: 2px; }}
QScrollBar::handle:hover {{ background: {c['handle_hover']}; }}
QScrollBar::handle:horizontal {{ min-width: 28px; }}
QScrollBar::handle:vertical {{ min-height: 28px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; border: none; background: none; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
"""


STYLE = style_sheet()
#: (the flat scroll bars above also paint ~6× faster than Fusion's: the graph's bar repaints as it follows
#: the debugger's cursor)

ALIGN_CENTER = Qt.AlignmentFlag.AlignCenter


def pyqtgraph():
    """pyqtgraph, with the theme's colours as its defaults. Imported on first use, not at the start: its
    import costs ~0.2 s, and the views the window shows first do not need it."""
    import pyqtgraph as pg
    pg.setConfigOption("background", PAPER)
    pg.setConfigOption("foreground", INK)
    return pg
