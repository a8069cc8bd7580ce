"""The equation panel: the current event's formulas in the lessons' notation, then the same with the
numbers substituted, then the result (each formula: ``equation_blocks.Block``).

Clicking any number block opens it in the inspector.

The whole panel is one painted widget: a cursor move lays the formulas out in Python (text widths
cached) and repaints only the part in view, so a BPTT event with twenty formulas still redraws
within a frame (QLabel-per-formula layouts cost ~40 ms there). The panel prefers the height of one
forward event's formulas (its size hint, up to FIT_SHARE of the screen) and scrolls when an event needs more.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from .. import theme
from ..livetext import LiveText
from ..tapeindex import norm
from .equation_blocks import (BLOCK_GAP, CELL_H, MAT_MAX, VEC_ROWS, Block, Glyph, as_array, flow,  # noqa: F401  (re-exported)
                              glyph_size, is_gradient, paint_glyph, shown_cols, shown_rows, split_template)

COMPLETE_AFTER_MS = 120   # lay out the formulas out of view after this pause (or when scrolled to)
AHEAD_AFTER_MS = 20       # prepare the next event once this step's frame is on screen
FIT_SHARE = 0.6           # the panel asks for at most this share of the screen's height

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
            y = b.layout(y, width) + BLOCK_GAP
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
        self._y = b.layout(self._y, self._width) + BLOCK_GAP
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
            y = b.layout(y, width) + BLOCK_GAP
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
        size = norm(g.value)
        self.setToolTip(f"{g.name}: {theme.shape_text(g.value)}, ‖·‖ = {theme.fmt(size)}\nClick to inspect")


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
        self.where = LiveText("hint", lines=1)
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
        self._need = 0                            # the height one forward event's formulas need
        self._need_width = 0
        session.cursorChanged.connect(lambda _: self.show_event(session.current))
        session.tapeChanged.connect(lambda _: self._new_tape())
        self.show_event(None)

    # ---- height: one event's formulas, up to FIT_SHARE of the screen ----------------------------------
    def _new_tape(self):
        self._fit_height()
        self.show_event(self.session.current)

    def _fit_height(self):
        """Measure one forward event's formulas at the panel's width (once per Tape) and ask for that height."""
        tape = self.session.tape
        if tape is None or not tape.events:
            return
        e = next((e for e in tape.events if e.kind == "forward"), tape.events[0])
        width = max(self.scroll.contentsRect().width(), 200)      # the width without a scroll bar
        self._need_width = width
        y = 0.0
        for f in e.formulas:
            y = Block(f, e.quantities).layout(y, width) + BLOCK_GAP
        need = int(y) + 4
        if need != self._need:
            self._need = need
            self.updateGeometry()

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        if self._need and self.scroll.contentsRect().width() != self._need_width:
            self._fit_height()                    # formulas wrap differently at another width

    def _cap(self) -> int:
        screen = self.screen()
        return int(FIT_SHARE * (screen.availableGeometry().height() if screen is not None else 800))

    def sizeHint(self) -> QSize:
        m = self.layout().contentsMargins()
        chrome = self.title.sizeHint().height() + self.where.sizeHint().height() + m.top() + m.bottom() + 12
        return QSize(360, min(chrome + self._need, self._cap()))

    def minimumSizeHint(self) -> QSize:
        return QSize(200, 120)                # a preference, not a demand: the cell view below needs room too

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
