"""LiveText: a few lines of text that change at every debugger step without re-laying out the window.

``QLabel.setText`` calls ``updateGeometry()``, and unless a widget has a fixed size, Qt passes that up
through every layout to the main window: measured, each debugger step re-laid out the window once
(the event counter in the status bar, the equation and cell titles), ~3 ms of the step's redraw.
LiveText has a constant size hint (``lines`` lines of its font); ``setText`` only repaints it. Text
longer than the space is wrapped (several lines) or elided (one line) — never cut mid-glyph.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from . import theme

STYLES = {                     # font, colour
    "title": (lambda: theme.ui_font(11, bold=True), theme.INK),
    "hint": (lambda: theme.ui_font(10), theme.MUTED),
    "status": (lambda: theme.ui_font(10), theme.INK),
    "figures": (lambda: theme.mono_font(9), theme.INK),
}


class LiveText(QWidget):
    """``setText(text, dot=None)``: ``dot`` is an optional colour for a bullet before the text."""

    def __init__(self, style: str = "status", lines: int = 1, width: int = 200, fixed_width: bool = False,
                 parent=None):
        super().__init__(parent)
        make_font, self.colour = STYLES[style]
        font = make_font()
        self.setFont(font)
        self.lines = lines
        self._text, self._dot = "", None
        self._hint = QSize(width, lines * QFontMetrics(font).lineSpacing() + 4)
        # in a layout that shares space it takes what is left (Ignored); where widgets keep their size
        # hint (a status bar's permanent widgets), ``fixed_width`` keeps it at ``width``
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        if fixed_width:
            self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            self.setFixedWidth(width)
        self.setFixedHeight(self._hint.height())

    def sizeHint(self) -> QSize:
        return self._hint

    def minimumSizeHint(self) -> QSize:
        return QSize(self.minimumWidth() or 40, self._hint.height())

    def text(self) -> str:
        return self._text

    def setText(self, text: str, dot: QColor | None = None) -> None:
        if (text, dot) != (self._text, self._dot):
            self._text, self._dot = text, dot
            self.setToolTip(text if self.lines == 1 else "")
            self.update()

    def paintEvent(self, _):
        p = QPainter(self)
        rect = self.rect().adjusted(0, 2, 0, 0)
        fm = p.fontMetrics()
        if self._dot is not None:
            p.setPen(self._dot)
            p.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "● ")
            rect.setLeft(rect.left() + fm.horizontalAdvance("● "))
        p.setPen(self.colour)
        if self.lines == 1:
            shown = fm.elidedText(self._text, Qt.TextElideMode.ElideRight, rect.width())
            p.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, shown)
        else:
            p.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                       self._text)
