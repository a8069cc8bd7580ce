"""One formula of the equation panel, laid out and painted by hand: the words, the symbolic formula,
the same with the numbers substituted (vectors as bracketed columns, matrices as bracketed grids or,
when large, as small heatmaps), then the result — drawn from the Tape's ``Formula`` and ``quantities``.

A long vector shows its head and tail around ⋮; a one-hot vector keeps its single non-zero entry in
view (``0 ⋮ 1 ⋮ 0``, the entry's index beside it). A formula with nothing to substitute (its template
names no quantity) gets no "with numbers" line: its result line carries the number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen, QPixmap

from .. import theme

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
WORDS = re.compile(r"\S+\s*|\s+")
VEC_ROWS = 8          # a vector longer than this shows its head and tail around ⋮
MAT_MAX = 6           # a matrix with more rows/columns than this is drawn as a heatmap
CELL_H = 15           # one row of numbers
ROW_GAP = 5           # between two rows of value blocks
BLOCK_GAP = 4         # between two formulas


def is_gradient(name: str) -> bool:
    return name.startswith("∂") or name.startswith("d") and "/" in name or "grad" in name.lower()


def shown_rows(n: int, values=None) -> list:
    """Row indices a vector of ``n`` entries shows (None marks a ⋮ gap). With ``values`` given, a single
    non-zero entry (a one-hot vector) that would fall into the gap is shown between two gaps."""
    if n <= VEC_ROWS:
        return list(range(n))
    head = VEC_ROWS // 2
    tail = VEC_ROWS - head - 1
    if values is not None:
        hot = np.flatnonzero(np.asarray(values).reshape(-1) != 0)
        if hot.size == 1 and head <= hot[0] < n - tail:
            head, tail = head - 1, tail - 1
            return list(range(head)) + [None, int(hot[0]), None] + list(range(n - tail, n))
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
    rows: list | None = None                       # a vector's shown entries (None: a ⋮ gap)
    index_labels: dict = field(default_factory=dict)   # shown row -> "[i]" beside an entry after a gap
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
        rows = g.rows if g.rows is not None else shown_rows(flat.size)
        light = _on_paper(theme.colours(flat, scale, g.gradient)).tolist()
        g.tints = [[QColor(*light[i]) if i is not None else None] for i in rows]
        return
    m = v.reshape(1, 1) if g.kind == "scalar" else v
    light = _on_paper(theme.colours(m, scale, g.gradient)).tolist()
    g.tints = [[QColor(*c) for c in row] for row in light]


def _on_paper(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) colours mixed into the page so the ink reads on them: 1 : 2 with white, 1 : 3 with a dark page."""
    paper = np.array(theme.PAPER.getRgb()[:3], dtype=np.int32)
    share = 3 if theme.is_dark() else 2
    return (rgb.astype(np.int32) + share * paper) // (share + 1)


def _cell_strings(g: Glyph) -> list:
    """The exact strings a value block shows, row by row ('⋮' for the elided middle of a long vector)."""
    v = g.value
    if g.kind == "scalar":
        return [[theme.fmt(v.ravel()[0])]]
    if g.kind == "heatmap":
        return []
    if g.kind == "vector":
        flat = v.reshape(-1)
        rows = g.rows = shown_rows(flat.size, flat)
        # an entry between two gaps (the hot entry of a one-hot vector) says which entry it is
        g.index_labels = {r: f"[{i}]" for r, i in enumerate(rows)
                          if i is not None and 0 < r < len(rows) - 1 and rows[r - 1] is None and rows[r + 1] is None}
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
        self.index = theme.mono_font(8)
        self.metrics = {id(f): QFontMetricsF(f) for f in (self.math, self.sym, self.sym_bold, self.words)}
        nm = QFontMetricsF(self.num)
        self.char_w = nm.horizontalAdvance("0")
        self.num_ascent, self.num_height = nm.ascent(), nm.height()
        self.cap_metrics = QFontMetricsF(self.cap)
        self.index_w = QFontMetricsF(self.index).horizontalAdvance("0")
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

    def cap_width(self, text) -> float:
        key = ("cap", text)
        w = self.widths.get(key)
        if w is None:
            w = self.widths[key] = self.cap_metrics.horizontalAdvance(text)
        return w

    def height(self, font) -> float:
        return self.metrics[id(font)].height()


def caption(g: Glyph) -> str:
    """The name under a value block (a heatmap's with its shape), shortened to 22 characters."""
    label = g.name if g.kind != "heatmap" else f"{g.name}  {theme.shape_text(g.value)}"
    return _elide(label, 22)


def glyph_size(g: Glyph) -> QSize:
    """A block's size: its body (numbers) and, under it, its caption — never narrower than the caption, so
    neighbouring captions do not run into each other."""
    if g._size is not None:
        return g._size
    F = _Fonts.get()
    if g.kind == "text":
        g._size = QSize(int(F.width(F.math, g.text)) + 2, int(F.height(F.math)))
        return g._size
    cap = 14
    if g.kind == "scalar":
        w, h = max(F.char_w * len(g.cells[0][0]) + 12, 30), CELL_H + 4 + cap
    elif g.kind == "heatmap":
        w, h = 64, 56 + cap
    else:
        cols = len(g.cells[0])
        g._colw = [F.char_w * max(len(row[c]) for row in g.cells) + 10 for c in range(cols)]
        g._indent = max((F.index_w * len(t) + 3 for t in g.index_labels.values()), default=0.0)
        w, h = g._indent + sum(g._colw) + 10, len(g.cells) * CELL_H + 4 + cap
    g._body_w = float(int(w))
    g._size = QSize(int(max(w, F.cap_width(caption(g)) + 6)), h)
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
        y += h + ROW_GAP
    return y


def paint_glyph(p: QPainter, g: Glyph):
    F = _Fonts.get()
    if g.kind == "text":
        p.setFont(F.math)
        p.setPen(theme.INK)
        p.drawText(g.rect, Qt.AlignmentFlag.AlignCenter, g.text)
        return
    r = g.rect
    bw = getattr(g, "_body_w", r.width())
    body = QRectF(r.center().x() - bw / 2, r.top(), bw, r.height() - 14)
    indent = getattr(g, "_indent", 0.0)
    if indent:                                   # the index of an entry shown between gaps, left of the bracket
        p.setFont(F.index)
        p.setPen(theme.LABEL)
        for row, text in g.index_labels.items():
            p.drawText(QRectF(body.left(), body.top() + 2 + row * CELL_H, indent, CELL_H),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        body.setLeft(body.left() + indent)
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
        p.setPen(QPen(theme.EDGE, 1))
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
    p.setPen(theme.LABEL)
    p.drawText(QRectF(r.left(), r.bottom() - 13, r.width(), 13), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
               caption(g))


# ---- one formula: words · symbolic · numbers substituted · result ------------------------------------
def _color_of(name: str):
    """A gate's colour for its symbol (darkened, or lightened on a dark page, to read as text), else None."""
    base = name[:-4] if name.endswith("_pre") else name
    if not (len(base) == 1 and base in "ifgorzn"):
        return None
    page = theme.PAPER.rgb()
    if _GATE_TEXT.get("page") != page:        # worked out once per colour scheme
        _GATE_TEXT.clear()
        _GATE_TEXT.update({k: theme.readable(c, theme.PAPER) for k, c in theme.GATE.items()}, page=page)
    return _GATE_TEXT.get(base)


_GATE_TEXT: dict = {}


class Block:
    """One formula laid out at (0, top) of the canvas."""

    def __init__(self, formula, quantities):
        self.formula = formula
        F = _Fonts.get()
        self.words = formula.words or ""
        # symbolic tokens: (text, font, colour)
        self.sym = [(formula.result, F.sym_bold, _color_of(formula.result) or theme.INK), (" = ", F.sym, theme.INK)]
        parts = split_template(formula.template)
        for kind, text in parts:
            if kind == "name":
                self.sym.append((text, F.sym, _color_of(text) or theme.INK))
            else:                        # word by word, so that a long formula wraps instead of running off
                self.sym.extend((word, F.sym, theme.INK) for word in WORDS.findall(text))
        # nothing to substitute: a "with numbers" line would repeat the formula; the result line has the number
        self.numeric = [Glyph(text="=")] if any(kind == "name" for kind, _ in parts) else []
        for kind, text in parts if self.numeric else ():
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
        if res is not None:           # after the numbers ("= … = result", its name under it), or on its own
            self.result = [Glyph(text="=" if self.numeric else f"{formula.result} ="),
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
        y = top + 6
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
        y += h + 3
        if self.numeric or self.result:
            y = flow(self.numeric + self.result, x0, y, inner)
        self.rect = QRectF(2, top, width - 4, y - top + 2)
        return self.rect.bottom()

    def paint(self, p: QPainter):
        F = _Fonts.get()
        p.setPen(QPen(theme.LINE, 1))
        p.setBrush(theme.PAPER)
        p.drawRoundedRect(self.rect, 6, 6)
        p.setFont(F.words)
        p.setPen(theme.LABEL)
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
