"""The equation panel: the current event's formulas in LESSONS notation, then the same with the
numbers substituted (vectors as bracketed columns, matrices as bracketed grids or, when large, as
small heatmaps), then the result — all drawn from the Tape's ``Formula`` data and ``quantities``.

Clicking any number block opens it in the inspector.

The whole panel is one painted widget: a cursor move lays the formulas out in Python (text widths
cached) and repaints only the part in view, so a BPTT event with twenty formulas still redraws
within a frame (QLabel-per-formula layouts cost ~40 ms there).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from .. import theme
from ..livetext import LiveText

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
VEC_ROWS = 8          # a vector longer than this shows its head and tail around ⋮
MAT_MAX = 6           # a matrix with more rows/columns than this is drawn as a heatmap
CELL_H = 17
COMPLETE_AFTER_MS = 120   # lay out the formulas out of view after this pause (or when scrolled to)
AHEAD_AFTER_MS = 20       # prepare the next event once this step's frame is on screen


def is_gradient(name: str) -> bool:
    return name.startswith("∂") or name.startswith("d") and "/" in name or "grad" in name.lower()


def shown_rows(n: int) -> list:
    """Row indices a vector shows (None marks the ⋮ gap)."""
    if n <= VEC_ROWS:
        return list(range(n))
    head = VEC_ROWS // 2
    tail = VEC_ROWS - head - 1
    return list(range(head)) + [None] + list(range(n - tail, n))


def shown_cols(n: int) -> list:
    if n <= MAT_MAX:
        return list(range(n))
    return [0, 1, 2, None, n - 2, n - 1]


# ---- glyphs: how one value is drawn -----------------------------------------------------------
@dataclass
class Glyph:
    """One token of a numeric line: plain text, or a value block (scalar, vector, matrix)."""

    text: str | None = None
    name: str | None = None
    value: np.ndarray | None = None
    gradient: bool = False
    rect: QRectF = field(default_factory=QRectF)
    cells: list = field(default_factory=list)      # the displayed cell strings, row by row
    tints: list | None = None                      # cell colours, prepared when first painted
    image: object = None                           # a heatmap's image

    _kind: str | None = None
    _size: object = None

    @property
    def kind(self):
        if self._kind is None:
            self._kind = self._compute_kind()
        return self._kind

    def _compute_kind(self):
        if self.value is None:
            return "text"
        if self.value.ndim == 0 or self.value.size == 1 and self.value.ndim <= 1:
            return "scalar"
        if self.value.ndim == 1 or (self.value.ndim == 2 and self.value.shape[1] == 1 and self.value.shape[0] > 1):
            return "vector"
        if self.value.shape[0] <= MAT_MAX and self.value.shape[1] <= MAT_MAX:
            return "matrix"
        return "heatmap"


def _elide(text, n):
    return text if len(text) <= n else text[: n - 1] + "…"


def _brackets(p: QPainter, r: QRectF):
    p.setPen(QPen(theme.INK, 1.2))
    t, b, l, rr = r.top(), r.bottom(), r.left(), r.right()
    p.drawLine(QPointF(l, t), QPointF(l, b))
    p.drawLine(QPointF(l, t), QPointF(l + 4, t))
    p.drawLine(QPointF(l, b), QPointF(l + 4, b))
    p.drawLine(QPointF(rr, t), QPointF(rr, b))
    p.drawLine(QPointF(rr, t), QPointF(rr - 4, t))
    p.drawLine(QPointF(rr, b), QPointF(rr - 4, b))


def _prepare_colours(g: Glyph):
    """The light cell tints (and a heatmap's image) of a value block, computed once per event."""
    v = g.value
    finite = v[np.isfinite(v)] if v.size else v
    scale = float(np.max(np.abs(finite))) if finite.size else 1.0
    scale = scale or 1.0
    if g.kind == "heatmap":
        g.image = QPixmap.fromImage(theme.rgb_image(theme.colours(v, scale, g.gradient)))
        g.tints = []
        return
    if g.kind == "vector":
        flat = v.reshape(-1)
        rows = shown_rows(flat.size)
        rgb = theme.colours(flat, scale, g.gradient)
        light = ((rgb.astype(np.int32) + 2 * 255) // 3).tolist()
        g.tints = [[QColor(*light[i]) if i is not None else None] for i in rows]
        return
    m = v.reshape(1, 1) if g.kind == "scalar" else v
    rgb = theme.colours(m, scale, g.gradient)
    light = ((rgb.astype(np.int32) + 2 * 255) // 3).tolist()
    g.tints = [[QColor(*c) for c in row] for row in light]


def _cell_strings(g: Glyph) -> list:
    """The exact strings a value block shows, row by row ('⋮' for the elided middle of a long vector)."""
    v = g.value
    if g.kind == "scalar":
        return [[theme.fmt(v.ravel()[0])]]
    if g.kind == "heatmap":
        return []
    if g.kind == "vector":
        flat = v.reshape(-1)
        rows = shown_rows(flat.size)
        text = theme.fmt_list(flat[[i for i in rows if i is not None]])
        it = iter(text)
        return [[next(it)] if i is not None else ["⋮"] for i in rows]
    text = theme.fmt_list(v)
    cols = v.shape[1]
    return [text[i * cols:(i + 1) * cols] for i in range(v.shape[0])]


def as_array(value):
    """A quantity as an ndarray, or None for a non-numeric one (e.g. a reduction's name)."""
    if isinstance(value, str):
        return None
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return a


# ---- one formula -------------------------------------------------------------------------------
def split_template(template: str):
    """'tanh({U}·{x(3)})' -> [('text','tanh('), ('name','U'), ('text','·'), ('name','x(3)'), ('text',')')]."""
    out, pos = [], 0
    for m in PLACEHOLDER.finditer(template):
        if m.start() > pos:
            out.append(("text", template[pos:m.start()]))
        out.append(("name", m.group(1)))
        pos = m.end()
    if pos < len(template):
        out.append(("text", template[pos:]))
    return out


# ---- fonts and cached text widths -------------------------------------------------------------------
class _Fonts:
    _inst = None

    def __init__(self):
        self.math = theme.math_font(12, italic=False)
        self.sym = theme.math_font(13, italic=True)
        self.sym_bold = theme.math_font(13, italic=True)
        self.sym_bold.setBold(True)
        self.words = theme.ui_font(9)
        self.words.setItalic(True)
        self.num = theme.mono_font(9)
        self.cap = theme.ui_font(8)
        self.metrics = {id(f): QFontMetricsF(f) for f in (self.math, self.sym, self.sym_bold, self.words)}
        nm = QFontMetricsF(self.num)
        self.char_w = nm.horizontalAdvance("0")
        self.num_ascent, self.num_height = nm.ascent(), nm.height()
        self.cap_w = QFontMetricsF(self.cap).averageCharWidth() * 1.15
        self.widths = {}

    @classmethod
    def get(cls):
        if cls._inst is None:
            cls._inst = _Fonts()
        return cls._inst

    def width(self, font, text) -> float:
        key = (id(font), text)
        w = self.widths.get(key)
        if w is None:
            w = self.widths[key] = self.metrics[id(font)].horizontalAdvance(text)
        return w

    def height(self, font) -> float:
        return self.metrics[id(font)].height()


def glyph_size(g: Glyph) -> QSize:
    if g._size is not None:
        return g._size
    F = _Fonts.get()
    if g.kind == "text":
        g._size = QSize(int(F.width(F.math, g.text)) + 2, int(F.height(F.math)))
        return g._size
    cap = 14
    if g.kind == "scalar":
        g._size = QSize(int(max(F.char_w * len(g.cells[0][0]) + 12, 30)), CELL_H + 4 + cap)
    elif g.kind == "heatmap":
        g._size = QSize(64, 56 + cap)
    else:
        cols = len(g.cells[0])
        g._colw = [F.char_w * max(len(row[c]) for row in g.cells) + 10 for c in range(cols)]
        g._size = QSize(int(sum(g._colw) + 10), len(g.cells) * CELL_H + 4 + cap)
    return g._size


def flow(glyphs, x0, y0, width, indent=14.0) -> float:
    """Place glyphs left to right from (x0, y0), wrapping at ``width``; rows centred; returns the bottom."""
    x, rows = x0, [[]]
    for g in glyphs:
        s = glyph_size(g)
        if x + s.width() > x0 + width and len(rows[-1]) > 1:
            rows.append([])
            x = x0 + indent
        g.rect = QRectF(x, 0, s.width(), s.height())
        rows[-1].append(g)
        x += s.width() + 3
    y = y0
    for row in rows:
        h = max((g.rect.height() for g in row), default=0)
        for g in row:
            off = (h - g.rect.height()) / 2 + (0 if g.kind == "text" else 7)   # captions hang below blocks
            g.rect.moveTop(y + max(off, 0))
        y += h + 8
    return y


def paint_glyph(p: QPainter, g: Glyph):
    F = _Fonts.get()
    if g.kind == "text":
        p.setFont(F.math)
        p.setPen(theme.INK)
        p.drawText(g.rect, Qt.AlignmentFlag.AlignCenter, g.text)
        return
    r = g.rect
    body = QRectF(r.left(), r.top(), r.width(), r.height() - 14)
    p.setFont(F.num)
    if g.tints is None:
        _prepare_colours(g)
    if g.kind == "heatmap":
        target = QRectF(body.left() + 6, body.top() + 2, body.width() - 12, body.height() - 4)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)     # a scaled, antialiased new pixmap is
        p.drawPixmap(target, g.image, QRectF(g.image.rect()))          # the raster engine's slow path
        p.setPen(QPen(theme.MUTED, 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(target)
    elif g.kind == "scalar":
        p.setBrush(g.tints[0][0])
        p.setPen(QPen(QColor("#a0aec0"), 1))
        p.drawRoundedRect(body.adjusted(1, 1, -1, -1), 4, 4)
        p.setPen(theme.INK)
        p.drawText(body, Qt.AlignmentFlag.AlignCenter, g.cells[0][0])
    else:
        y = body.top() + 2
        p.setPen(theme.INK)
        # the cells are axis-aligned rectangles and text (its own hint): antialiased fractional fills are the
        # raster engine's slow path, and this loop runs for every cell of every matrix on every step
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        base = F.num_ascent + (CELL_H - F.num_height) / 2
        for ri, row in enumerate(g.cells):
            x = body.left() + 5
            for ci, text in enumerate(row):
                w = g._colw[ci]
                tint = g.tints[ri][ci]
                if tint is not None:
                    p.fillRect(QRectF(x + 0.5, y + 0.5, w - 1, CELL_H - 1), tint)
                # monospaced: centre by character count, draw at a point (no text layout per cell)
                p.drawText(QPointF(x + (w - F.char_w * len(text)) / 2, y + base), text)
                x += w
            y += CELL_H
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        _brackets(p, QRectF(body.left() + 2, body.top() + 1, body.width() - 4, len(g.cells) * CELL_H + 2))
    p.setFont(F.cap)
    p.setPen(theme.MUTED)
    label = g.name if g.kind != "heatmap" else f"{g.name}  {theme.shape_text(g.value)}"
    label = _elide(label, 22)
    w = F.cap_w * len(label) + 4
    left = max(r.center().x() - w / 2, 2.0)
    p.drawText(QRectF(left, r.bottom() - 13, w, 13), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, label)


# ---- one formula: words · symbolic · numbers substituted · result ------------------------------------
def _color_of(name: str):
    base = name[:-4] if name.endswith("_pre") else name
    return theme.GATE.get(base) if len(base) == 1 and base in "ifgorzn" else None


class Block:
    """One formula laid out at (0, top) of the canvas."""

    def __init__(self, formula, quantities):
        self.formula = formula
        F = _Fonts.get()
        self.words = formula.words or ""
        # symbolic tokens: (text, font, colour)
        self.sym = [(formula.result, F.sym_bold, _color_of(formula.result) or theme.INK), (" = ", F.sym, theme.INK)]
        for kind, text in split_template(formula.template):
            self.sym.append((text, F.sym, (_color_of(text) or theme.INK) if kind == "name" else theme.INK))
        self.numeric = [Glyph(text="=")]
        for kind, text in split_template(formula.template):
            if kind == "text":
                if text.strip():
                    self.numeric.append(Glyph(text=text.strip()))
            else:
                arr = as_array(quantities.get(text))
                if arr is None:
                    shown = quantities.get(text)
                    self.numeric.append(Glyph(text=str(shown) if shown is not None else text))
                else:
                    self.numeric.append(Glyph(name=text, value=arr, gradient=is_gradient(text)))
        res = as_array(quantities.get(formula.result))
        self.result = []
        if res is not None:
            self.result = [Glyph(text=f"{formula.result} ="),
                           Glyph(name=formula.result, value=res, gradient=is_gradient(formula.result))]
        for g in self.numeric + self.result:
            if g.value is not None:
                g.cells = _cell_strings(g)       # colours are prepared when first painted
        self.rect = QRectF()
        self.word_lines = []
        self.sym_pos = []
        self.picture = None              # painted ahead of time (see EquationCanvas.prepare)

    def layout(self, top, width) -> float:
        F = _Fonts.get()
        x0, inner = 10.0, width - 20.0
        y = top + 8
        # words, wrapped greedily
        self.word_lines = []
        if self.words:
            line, lw = "", 0.0
            space = F.width(F.words, " ")
            for word in self.words.split(" "):
                ww = F.width(F.words, word)
                if line and lw + space + ww > inner:
                    self.word_lines.append((line, y))
                    y += F.height(F.words)
                    line, lw = word, ww
                else:
                    line, lw = (f"{line} {word}" if line else word), (lw + space + ww if line else ww)
            if line:
                self.word_lines.append((line, y))
                y += F.height(F.words)
            y += 3
        # symbolic formula, wrapped at token boundaries
        self.sym_pos = []
        x, h = x0, F.height(F.sym)
        for text, font, color in self.sym:
            w = F.width(font, text)
            if x + w > x0 + inner and x > x0:
                x, y = x0 + 14, y + h
            self.sym_pos.append((QPointF(x, y), text, font, color))
            x += w
        y += h + 6
        y = flow(self.numeric, x0, y, inner)
        if self.result:
            y = flow(self.result, x0, y, inner)
        self.rect = QRectF(2, top, width - 4, y - top + 2)
        return self.rect.bottom()

    def paint(self, p: QPainter):
        F = _Fonts.get()
        p.setPen(QPen(QColor("#e2e8f0"), 1))
        p.setBrush(QColor("#ffffff"))
        p.drawRoundedRect(self.rect, 6, 6)
        p.setFont(F.words)
        p.setPen(QColor("#4a5568"))
        for line, y in self.word_lines:
            p.drawText(QRectF(10, y, self.rect.width(), F.height(F.words)),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, line)
        h = F.height(F.sym)
        for pos, text, font, color in self.sym_pos:
            p.setFont(font)
            p.setPen(color)
            p.drawText(QRectF(pos.x(), pos.y(), F.width(font, text) + 2, h),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, text)
        for g in self.numeric + self.result:
            p.save()
            paint_glyph(p, g)
            p.restore()

    def paint_ahead(self, width: float, dpr: float) -> None:
        """Paint this block into a pixmap now, so that showing it later is a copy."""
        top = self.rect.top() - 1
        pm = QPixmap(int(width * dpr) + 1, int((self.rect.height() + 2) * dpr) + 1)
        pm.setDevicePixelRatio(dpr)
        pm.fill(theme.CANVAS)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.translate(0, -top)
        self.paint(p)
        p.end()
        self.picture = (top, pm)

    def symbolic_text(self) -> str:
        return "".join(t for t, _, _ in self.sym)

    def displayed(self) -> dict:
        return {
            "result": self.formula.result,
            "symbolic": self.symbolic_text(),
            "values": {g.name: g.cells for g in self.numeric if g.value is not None},
            "result_values": next((g.cells for g in self.result if g.value is not None), None),
        }


@dataclass
class Prepared:
    """An event's formulas laid out and painted ahead of time, for ``width``."""

    formulas: list
    width: int
    blocks: list
    y: float


class EquationCanvas(QWidget):
    """All formulas of the current event, laid out and painted by hand."""

    inspect = Signal(str, object, bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.blocks: list[Block] = []          # laid out so far (the rest follow when idle)
        self._formulas, self._q = [], {}
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        # it paints every pixel of what it is asked to (no parent repaint beneath), and growing
        # only exposes the new strip (the formulas laid out later never repaint the ones in view)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self._width = -1
        self._y = 0.0
        self._more = QTimer(self)            # the formulas below the fold: laid out once stepping pauses
        self._more.setSingleShot(True)
        self._more.setInterval(COMPLETE_AFTER_MS)
        self._more.timeout.connect(self.complete)

    def prepare(self, formulas, quantities) -> "Prepared":
        """Lay out and paint (into pixmaps) the formulas that ``set_content`` would show in view — ahead of
        time, while the user has not asked for them yet (the debugger's likely next event)."""
        width = max(self.width(), 200)
        blocks, y = self._lay_out_visible(list(formulas), quantities, width)
        dpr = self.devicePixelRatioF()
        for b in blocks:
            b.paint_ahead(width, dpr)
        return Prepared(list(formulas), width, blocks, y)

    def _lay_out_visible(self, formulas, quantities, width):
        visible = self.visibleRegion().boundingRect()
        bottom = (visible.bottom() if not visible.isEmpty() else 600) + 150
        blocks, y = [], 0.0
        while len(blocks) < len(formulas) and y < bottom:
            b = Block(formulas[len(blocks)], quantities)
            y = b.layout(y, width) + 6
            blocks.append(b)
        return blocks, y

    def set_content(self, formulas, quantities, prepared: "Prepared | None" = None):
        """Show these formulas: the ones in view are laid out now (or were, in ``prepared``), the others
        when the loop is idle."""
        self._formulas, self._q = list(formulas), quantities
        self._width = max(self.width(), 200)
        if (prepared is not None and prepared.width == self._width and len(prepared.formulas) == len(self._formulas)
                and all(a is b for a, b in zip(prepared.formulas, self._formulas))):
            self.blocks, self._y = list(prepared.blocks), prepared.y
        else:
            self.blocks, self._y = self._lay_out_visible(self._formulas, quantities, self._width)
        if len(self.blocks) < len(self._formulas):
            done = len(self.blocks)
            estimate = self._y / max(done, 1) * len(self._formulas)
            self._set_height(estimate)
            self._more.start()
        else:
            self._more.stop()
            self._set_height(self._y)
        self.update()

    def _add_next(self):
        b = Block(self._formulas[len(self.blocks)], self._q)
        self._y = b.layout(self._y, self._width) + 6
        self.blocks.append(b)

    def complete(self):
        """Lay out every remaining formula now."""
        self._more.stop()
        if len(self.blocks) < len(self._formulas):
            top = self._y
            while len(self.blocks) < len(self._formulas):
                self._add_next()
            self._set_height(self._y)
            self.update(0, int(top) - 2, self.width(), int(self._y - top) + 8)

    def _set_height(self, y):
        h = int(y) + 4
        if self.height() != h:
            self.setFixedHeight(h)

    def _relayout(self, width):
        width = max(width, 200)
        if width == self._width:
            return
        self.complete()
        self._width = width
        y = 0.0
        for b in self.blocks:
            b.picture = None
            y = b.layout(y, width) + 6
        self._y = y
        self._set_height(y)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self._relayout(ev.size().width())

    def paintEvent(self, ev):
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        exposed = QRectF(ev.rect())
        p.fillRect(exposed, theme.CANVAS)
        if exposed.bottom() > self._y and len(self.blocks) < len(self._formulas):
            while len(self.blocks) < len(self._formulas) and self._y < exposed.bottom() + 150:
                self._add_next()                  # scrolled below what was laid out: lay out on demand
            if len(self.blocks) == len(self._formulas):
                self._more.stop()
                QTimer.singleShot(0, lambda: self._set_height(self._y))
        for b in self.blocks:
            if b.rect.intersects(exposed):
                if b.picture is not None:
                    top, pm = b.picture
                    p.drawPixmap(QPointF(0, top), pm)
                else:
                    b.paint(p)

    def glyph_at(self, pos: QPointF):
        if pos.y() > self._y:
            self.complete()
        for b in self.blocks:
            if b.rect.contains(pos):
                for g in b.numeric + b.result:
                    if g.value is not None and g.rect.contains(pos):
                        return g
        return None

    def mousePressEvent(self, ev):
        g = self.glyph_at(ev.position())
        if g is not None:
            self.inspect.emit(g.name, g.value, g.gradient)

    def mouseMoveEvent(self, ev):
        g = self.glyph_at(ev.position())
        if g is None:
            self.setToolTip("")
            self.unsetCursor()
            return
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        norm = float(np.linalg.norm(g.value)) if g.value.size else 0.0
        self.setToolTip(f"{g.name}: {theme.shape_text(g.value)}, ‖·‖ = {theme.fmt(norm)}\nClick to inspect")


class EquationView(QWidget):
    """Right dock: the current event, explained."""

    inspect = Signal(str, object, bool)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setAutoFillBackground(True)          # opaque: its repaints stop here, not at the window
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(4)
        self.title = LiveText("title", lines=2)     # titles change at every step: no re-layout (see LiveText)
        self.where = LiveText("hint", lines=2)
        lay.addWidget(self.title)
        lay.addWidget(self.where)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.canvas = EquationCanvas()
        self.canvas.inspect.connect(self.inspect)
        self.scroll.setWidget(self.canvas)
        lay.addWidget(self.scroll, 1)
        self.event = None
        # the likely next event (one further in the direction of the last move), prepared while idle
        self._ahead = None                        # ((tape, index), Prepared)
        self._ahead_timer = QTimer(self)
        self._ahead_timer.setSingleShot(True)
        self._ahead_timer.setInterval(AHEAD_AFTER_MS)
        self._ahead_timer.timeout.connect(self._prepare_ahead)
        self._next_index = None
        session.cursorChanged.connect(lambda _: self.show_event(session.current))
        session.tapeChanged.connect(lambda _: self.show_event(session.current))
        self.show_event(None)

    @property
    def blocks(self):
        self.canvas.complete()
        return self.canvas.blocks

    def show_event(self, event):
        previous, self.event = self.event, event
        if event is None:
            tape = self.session.tape
            if tape is None:
                self.title.setText("Recording the Tape…")
                self.where.setText("")
            else:
                self.title.setText("Before the first step")
                self.where.setText("Nothing is computed yet. Press Step (F10) to run the first timestep of the "
                                   "forward pass, or Continue (F5) to run the whole phase.")
                self._next_index = 0 if tape.events else None
                self._ahead_timer.start()
            self.canvas.set_content([], {})
            return
        tape = self.session.tape
        n = len(tape.events)
        phase = event.phase
        self.title.setText(event.title, dot=theme.PHASE.get(phase, theme.INK))
        self.where.setText(f"Event {event.index + 1} of {n} · {theme.PHASE_NAMES.get(phase, phase)}")
        key, prepared = self._ahead if self._ahead is not None else (None, None)
        self._ahead = None
        self.canvas.set_content(event.formulas, event.quantities,
                                prepared if key == (id(tape), event.index) else None)
        backward = previous is not None and previous.index > event.index
        nxt = event.index + (-1 if backward else 1)
        self._next_index = nxt if 0 <= nxt < n else None
        self._ahead_timer.start()

    def _prepare_ahead(self):
        """Lay out and paint the next event's formulas now, while nothing else is asked: stepping to it
        then costs a copy (measured: about a quarter of a debugger step's redraw)."""
        tape, i = self.session.tape, self._next_index
        if tape is None or i is None or i >= len(tape.events) or not self.isVisible():
            return
        e = tape.events[i]
        self._ahead = ((id(tape), i), self.canvas.prepare(e.formulas, e.quantities))

    def displayed(self) -> list:
        self.canvas.complete()
        return [b.displayed() for b in self.canvas.blocks]
