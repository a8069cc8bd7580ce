"""Gradients: the norm of each parameter's gradient over the steps, and the gradient over time against
k = 1..T for the probe sequence, on a symlog axis (vanishing or exploding): ‖∂L/∂h(k)‖, or the signed
∂L/∂h(k) itself when the state has one unit — the title says which."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from .. import theme
from .base import PlotPanel
from .style import PARAM_COLORS, SERIES, param_label
from .symlog import SymlogAxis, symlog, symlog_threshold

NORM_TITLE = "Gradient over time ‖∂L/∂h(k)‖ (probe sequence)"
SIGNED_TITLE = "Gradient over time ∂L/∂h(k), signed: one state unit (probe sequence)"


class GradNormPlot(PlotPanel):
    def __init__(self, parent=None):
        super().__init__(
            "Gradient norm per parameter", x_label="step", y_label="‖∂L/∂θ‖", log_y=True, parent=parent,
            help_text="How hard each weight matrix is being pushed at every step: the length of its gradient "
                      "(before clipping). U: input→hidden, W: hidden→hidden, V: hidden→output, b and c: biases.\n"
                      "The dark line is the norm of all gradients together; the dashed line is the clipping "
                      "threshold, above which the update is scaled down. A norm that shoots up warns of "
                      "exploding gradients; one that collapses towards 0 of vanishing ones.")
        self.add_legend()
        self.add_curve("global", "all parameters", theme.INK, width=2)
        self._names: list[str] = []
        self.clip_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(SERIES["clip"], width=1.2, style=Qt.PenStyle.DashLine),
                                         label="clip threshold", labelOpts={"position": 0.06, "color": theme.MUTED,
                                                                            "anchors": [(0, 1), (0, 1)]})
        self.clip_line.setVisible(False)
        self.item.addItem(self.clip_line, ignoreBounds=True)

    def show_data(self, step, norms: dict, global_norm, spec=None, clip: float | None = None) -> None:
        """``norms``: {PyTorch name: (steps,)} aligned with ``step``; ``clip``: the norm threshold or None."""
        names = list(norms)
        if names != self._names:
            for name in self._names:
                self.remove_curve(f"p:{name}")
            for i, name in enumerate(names):
                self.add_curve(f"p:{name}", param_label(name, spec), PARAM_COLORS[i % len(PARAM_COLORS)], width=1)
            self._names = names
        for name in names:
            self.set_curve(f"p:{name}", step, norms[name])
        self.set_curve("global", step, global_norm)
        if clip is not None:
            self.clip_line.setPos(np.log10(clip) if self.log_box.isChecked() else clip)
            self._clip = clip
        self.clip_line.setVisible(clip is not None)
        self.fit()

    def show_runs(self, runs) -> None:
        """Kept runs [(RunRecord, label, QColor)]: each one's gradient norm of all parameters."""
        self.set_overlays([(f"run:{r.id}", f"{label}: all parameters", color, r.step, r.grad_norm)
                           for r, label, color in runs])

    def set_log_y(self, on: bool) -> None:
        super().set_log_y(on)
        clip = getattr(self, "_clip", None)
        if clip is not None:
            self.clip_line.setPos(np.log10(clip) if on else clip)


class GradOverTimePlot(PlotPanel):
    """‖∂L/∂h(k)‖ against k on a symlog axis (the signed ∂L/∂h(k) when the state has one unit)."""

    def __init__(self, parent=None):
        self.axis = SymlogAxis(orientation="left")
        super().__init__(
            NORM_TITLE, x_label="time step k", y_label="‖∂L/∂h(k)‖ (symlog)",
            log_y=None, axis_items={"left": self.axis}, parent=parent,
            help_text="How much the loss still depends on the hidden state at each earlier step k — the "
                      "signal backpropagation through time carries back to step k.\n"
                      "Falling towards k = 1: the gradient vanishes and early inputs barely teach the network; "
                      "rising: it explodes (clip it). With a single state unit the signed value is shown, so "
                      "a recurrent weight below −1 makes it alternate in sign.\n"
                      "The axis is symlog: logarithmic for large values, linear near 0 so that 0 and "
                      "negative values can be shown too.")
        self.c = 1.0
        self.decades = True                      # the symlog coordinate is in decades: snap the range to them
        self.add_legend()
        self._keys: list = []
        self.step = None

    def transform_y(self, y):
        return symlog(y, self.c)

    def show_runs(self, runs) -> None:
        """Kept runs [(RunRecord, label, QColor)]: ‖∂L/∂h(k)‖ of each one's last probe, per layer (and
        direction), at the step it was taken."""
        entries = []
        for r, label, color in runs:
            for (layer, d), norms in r.dh_norms.items():
                where = f" layer {layer + 1}" + (" ←" if d else "") if len(r.dh_norms) > 1 else ""
                entries.append((f"run:{r.id}:{layer}:{d}", f"{label}{where} (step {r.dh_step})", color,
                                np.arange(1, norms.size + 1), norms))
        self.set_overlays(entries)

    def show_data(self, curves: dict, step: int | None = None, signed: bool = False) -> None:
        """``curves``: {label: (T,) values for k = 1..T}."""
        keys = list(curves)
        if keys != self._keys:
            for key in self._keys:
                self.remove_curve(key)
            for i, key in enumerate(keys):
                color = SERIES["grad"] if i == 0 else PARAM_COLORS[(i + 3) % len(PARAM_COLORS)]
                self.add_curve(key, key, color, width=2.0, symbol="o", symbol_size=4)
            self._keys = keys
        steps = max((len(v) for v in curves.values()), default=0)
        for key in keys:                       # a marker per time step while they can be told apart
            self.curves[key].setSymbol("o" if steps <= 30 else None)
        values = [np.asarray(v, dtype=float) for v in curves.values()]
        c = symlog_threshold(np.concatenate(values)) if values else 1.0
        # while training, move the linear threshold only when it is two decades off (a new c re-renders
        # the axis and re-transforms every curve)
        if self.live and self._raw and c != self.c and abs(math.log10(c / self.c)) < 2:
            c = self.c
        if c != self.c:
            self.c = self.axis.c = c
            self.axis.picture = None
            self.axis.update()
            for key in self._raw:                    # the transform changed: every curve again
                self._raw[key] = (np.empty(0), np.empty(0))
            self.refresh_overlays()
            self._range = None
        fixed = (1.0, float(max(steps, 2))) if steps else None          # k = 1..T, nothing past T
        if fixed != self.fixed_x:
            self.fixed_x, self._range = fixed, None
            bottom = self.item.getAxis("bottom")
            if steps and steps <= 20:
                bottom.setTickSpacing(1, 1)             # whole time steps only (no k = 1.5)
            else:
                bottom.setTickSpacing()
        for key, v in zip(keys, values):
            self.set_curve(key, np.arange(1, v.size + 1), v)
        self.fit()
        self.set_title(SIGNED_TITLE if signed else NORM_TITLE)
        label = "∂L/∂h(k)" if signed else "‖∂L/∂h(k)‖"
        if label != self.y_label:                     # (re-setting a label re-renders the axis)
            self.y_label = label
            self.item.setLabel("left", f"{label} (symlog)", color=theme.MUTED.name(), **{"font-size": "9pt"})
        idle = f"symlog axis, linear below {theme.fmt(self.c)} · hover for exact values"
        if idle != self.idle_text:
            self.idle_text = idle
            if self.readout.text().startswith(("symlog", "Hover")):
                self.readout.setText(idle)
        self.step = step
