"""What every training plot shares: the series' colours, pens, and how numbers are written (the hover
readout and CSV show the Trainer's number to 6 significant digits)."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem

from .. import theme

# ---- colours: one place for every series the dashboard draws (from the app's theme) ---------------
SERIES = {
    "step_loss": theme.STEP_LOSS,             # per-step (mini-batch) loss: a light version of "train"
    "train": theme.PHASE["forward"],            # training loss / accuracy per epoch
    "val": theme.PHASE["loss"],                 # validation
    "lr": theme.PHASE["update"],                # learning rate
    "grad": theme.PHASE["backward"],            # gradient norms
    "diverged": theme.BREAKPOINT,               # NaN/inf marks
    "clip": theme.MUTED,                        # the clipping threshold
}
#: per-parameter curves (Tableau 10, colour-blind friendlier than the default cycle)
PARAM_COLORS = [QColor(c) for c in ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                                    "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")]
AXIS_PEN = theme.pen(theme.MUTED)
TEXT = theme.INK                  # the titles' colour (a QColor: the scheme may change it)


CACHED = QGraphicsItem.CacheMode.DeviceCoordinateCache
RANGE_SETTLE = 0.3           # s: while training, a view range changes at most this often (see fit)
THIN_ABOVE = 300             # points: wider pens only for short curves (epochs, time steps)
DOWNSAMPLE_ABOVE = 20_000    # points: peak-downsample longer curves
#: kept runs' colours, by run id: deep colours outside the current run's blues and oranges and outside the
#: per-parameter palette (PARAM_COLORS), so that a kept run is never taken for a parameter's curve
RUN_COLORS = [QColor(c) for c in ("#c51b7d", "#1b7837", "#762a83", "#b35806", "#01665e", "#8c510a", "#4d4d4d",
                                  "#de77ae")]


def run_color(run_id: int) -> QColor:
    """The colour of kept run ``run_id`` on every plot and in the run list."""
    return RUN_COLORS[(int(run_id) - 1) % len(RUN_COLORS)]


def nice_ceiling(v: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ v (v > 0)."""
    if not (v > 0 and math.isfinite(v)):
        return 1.0
    k = math.floor(math.log10(v))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * 10.0 ** k >= v * (1 - 1e-12):
            return m * 10.0 ** k
    return 10.0 ** (k + 1)


def exact(v) -> str:
    """A value as the hover readout and CSV show it: 6 significant digits (the Trainer's number)."""
    if v is None:
        return "—"
    v = float(v)
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return f"{v:.6g}".replace("-", "−")


def param_label(name: str, spec=None) -> str:
    """PyTorch parameter name → the lesson's letter: U (weight_ih), W (weight_hh), V (fc.weight), b, c."""
    if name == "fc.weight":
        return "V"
    if name == "fc.bias":
        return "c"
    base, _, rest = name.partition(".")
    kind, _, layer = rest.rpartition("_l")
    reverse = layer.endswith("_reverse")
    layer = layer.replace("_reverse", "")
    letter = {"weight_ih": "U", "weight_hh": "W", "bias_ih": "b_ih", "bias_hh": "b_hh"}.get(kind, rest)
    many = spec is None or spec.num_layers > 1 or spec.bidirectional
    if not many:
        return letter
    return f"{letter} layer {int(layer) + 1}" + (" ←" if reverse else "")


def nearest(xs: np.ndarray, x: float) -> int:
    i = int(np.searchsorted(xs, x))
    if i <= 0:
        return 0
    if i >= xs.size:
        return xs.size - 1
    return i if abs(xs[i] - x) < abs(xs[i - 1] - x) else i - 1


def csv_number(v) -> str:
    v = float(v)
    if math.isnan(v):
        return ""
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)
