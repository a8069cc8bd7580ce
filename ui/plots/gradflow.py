"""The gradient over time at many weight points: one labelled curve per point on one symlog axis.

Curves are :class:`rnnsim.gradflow.GradientOverTime` values (k = 0..T; k = 0 the initial state); the
plot draws them as given — the symlog transform is display only, the hover readout and the CSV show
the engine's numbers.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from .. import theme
from .base import PlotPanel
from .style import PARAM_COLORS, SERIES
from .symlog import SymlogAxis, symlog, symlog_threshold

SIGNED = ("Σ ∂L/∂h(k)", "Gradient over time ∂L/∂h(k), Σ over the sequences")
NORM = ("‖∂L/∂h(k)‖", "Gradient over time ‖∂L/∂h(k)‖ (all sequences, units)")


class GradientFlowPlot(PlotPanel):
    """``show_curves(curves, current=key)``: {key: (label, GradientOverTime)}; the ``current`` curve is drawn
    thick in the gradient colour, pinned ones thinner and dashed, each in a colour of its own."""

    def __init__(self, parent=None):
        self.axis = SymlogAxis(orientation="left")
        super().__init__(SIGNED[1], x_label="time step k", y_label=f"{SIGNED[0]} (symlog)", log_y=None,
                         axis_items={"left": self.axis}, parent=parent, help_text=(
                             "How strongly the loss depends on the hidden state at step k, as backpropagation "
                             "through time carries the gradient from the last step (right) back to the "
                             "initial state k = 0 (left).\n"
                             "With one state unit: |w_rec| > 1 makes it explode, |w_rec| < 1 vanish, a negative "
                             "w_rec alternate in sign, w_rec = 0 kill it at once, w_rec = 1 keep it constant.\n"
                             "The axis is symlog: logarithmic for large values, linear near 0."))
        self.c = 1.0
        self.decades = True
        self.add_legend()
        self._colors: dict[str, object] = {}
        self.signed = True

    def transform_y(self, y):
        return symlog(y, self.c)

    def show_curves(self, curves: dict, current: str | None = None) -> None:
        for key in [k for k in self.curves if k not in curves]:
            self.remove_curve(key)
            self._colors.pop(key, None)
        values = [np.asarray(c.values, dtype=float) for _, c in curves.values()]
        c = symlog_threshold(np.concatenate(values)) if values else 1.0
        if c != self.c:
            self.c = self.axis.c = c
            self.axis.picture = None
            self.axis.update()
            for key in self._raw:
                self._raw[key] = (np.empty(0), np.empty(0))
        for key, (label, curve) in curves.items():
            if key not in self.curves:
                if key == current:
                    color, width, style = SERIES["grad"], 2.4, Qt.PenStyle.SolidLine
                else:
                    used = {id(v) for v in self._colors.values()}
                    color = next((p for p in PARAM_COLORS[1:] if id(p) not in used), PARAM_COLORS[-1])
                    width, style = 1.6, Qt.PenStyle.DashLine
                self._colors[key] = color
                self.add_curve(key, label, color, width=width, style=style, symbol="o", symbol_size=4)
            elif self.labels[key] != label:
                self.remove_curve(key)
                self.add_curve(key, label, self._colors[key], width=2.4 if key == current else 1.6,
                               style=Qt.PenStyle.SolidLine if key == current else Qt.PenStyle.DashLine,
                               symbol="o", symbol_size=4)
            self.set_curve(key, curve.k, curve.values)
        steps = max((c.k.size for _, c in curves.values()), default=0)
        self.fixed_x = (0.0, float(max(steps - 1, 1))) if steps else None
        self.item.getAxis("bottom").setTickSpacing(1, 1) if 0 < steps <= 21 else self.item.getAxis(
            "bottom").setTickSpacing()
        signed = all(c.signed for _, c in curves.values()) if curves else True
        if signed != self.signed:
            self.signed = signed
            label, title = SIGNED if signed else NORM
            self.item.setLabel("left", f"{label} (symlog)", color=theme.MUTED.name(), **{"font-size": "9pt"})
            self.set_title(title)
        self._range = None
        self.fit()
