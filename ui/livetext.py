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

STYLES = {                     # font size (pt), bold, colour
    "title": (11, True, theme.INK),
    "hint": (10, False, theme.MUTED),
    "status": (10, False, theme.INK),
}


class LiveText(QWidget):
    """``setText(text, dot=None)``: ``dot`` is an optional colour for a bullet before the text."""

    def __init__(self, style: str = "status", lines: int = 1, width: int = 200, parent=None):
        super().__init__(parent)
        size, bold, self.colour = STYLES[style]
        font = theme.ui_font(size)
        font.setBold(bold)
        self.setFont(font)
        self.lines = lines
        self._text, self._dot = "", None
        self._hint = QSize(width, lines * QFontMetrics(font).lineSpacing() + 2)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self._hint.height())

    def sizeHint(self) -> QSize:
        return self._hint

    def minimumSizeHint(self) -> QSize:
        return QSize(40, self._hint.height())

    def text(self) -> str:
        return self._text

    def setText(self, text: str, dot: QColor | None = None) -> None:
        if (text, dot) != (self._text, self._dot):
            self._text, self._dot = text, dot
            self.setToolTip(text if self.lines == 1 else "")
            self.update()

    def paintEvent(self, _):
        p = QPainter(self)
        rect = self.rect().adjusted(0, 1, 0, 0)
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
