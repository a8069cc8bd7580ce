"""NumberField: a number typed as text, checked on every keystroke (the panels' one number input)."""
from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit

from .. import theme

FIELD_WIDTH = 150
INVALID_STYLE = "QLineEdit { border: 1px solid #e53e3e; background: #fff5f5; }"


class NumberField(QLineEdit):
    """A number typed as text, checked on every keystroke; ``value()`` is the number or None (empty, when
    ``optional``). ``reason`` says why the text is refused ('' when it is fine)."""

    def __init__(self, name: str, low: float | None = None, high: float | None = None, *, open_low=False,
                 open_high=False, optional=False, integer=False, tip="", parent=None):
        super().__init__(parent)
        self.name, self.low, self.high = name, low, high
        self.open_low, self.open_high, self.optional, self.integer = open_low, open_high, optional, integer
        self.reason = ""
        self.base_tip = tip
        self.setToolTip(tip)
        self.setMaximumWidth(FIELD_WIDTH)

    def parse(self):
        """(value, reason): the number, or None and why not."""
        text = self.text().strip().replace("−", "-").replace(",", ".")
        if not text:
            return (None, "") if self.optional else (None, f"{self.name}: a number is needed")
        try:
            v = float(text)
        except ValueError:
            return None, f"{self.name}: '{self.text()}' is not a number"
        if not math.isfinite(v):
            return None, f"{self.name}: must be a finite number, got {self.text()}"
        if self.integer and v != int(v):
            return None, f"{self.name}: must be a whole number, got {self.text()}"
        rng = self.range_text()
        if self.low is not None and (v < self.low or (self.open_low and v == self.low)):
            return None, f"{self.name}: must be {rng}, got {self.text()}"
        if self.high is not None and (v > self.high or (self.open_high and v == self.high)):
            return None, f"{self.name}: must be {rng}, got {self.text()}"
        return (int(v) if self.integer else v), ""

    def range_text(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.open_low else '≥'} {theme.fmt(self.low)}")
        if self.high is not None:
            parts.append(f"{'<' if self.open_high else '≤'} {theme.fmt(self.high)}")
        return " and ".join(parts) if parts else "a number"

    def check(self) -> bool:
        value, self.reason = self.parse()
        self.set_invalid(self.reason)
        return not self.reason

    def set_invalid(self, reason: str):
        self.setStyleSheet(INVALID_STYLE if reason else "")
        self.setProperty("invalid", bool(reason))
        self.setToolTip(f"{reason}\n\n{self.base_tip}" if reason else self.base_tip)

    def value(self):
        return self.parse()[0]

    def set_value(self, v):
        self.setText("" if v is None else (str(int(v)) if self.integer else f"{v:.12g}"))
        self.check()


def block_inputs(panel) -> list[QSignalBlocker]:
    """Block the signals of every input widget of ``panel`` while the list lives — the panels' one way
    to show the state in force without echoing it back as an edit::

        blockers = block_inputs(self); ...; del blockers
    """
    kinds = (QLineEdit, QAbstractSpinBox, QComboBox, QAbstractButton)
    return [QSignalBlocker(w) for kind in kinds for w in panel.findChildren(kind)]
