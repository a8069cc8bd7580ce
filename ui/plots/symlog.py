"""The symlog axis of the gradient-over-time plot: y ↦ sign(y)·log10(1 + |y|/c), logarithmic for large
values, linear near 0 (so 0 and negative gradients can be shown too), tick labels in raw values."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg


def symlog(y, c: float) -> np.ndarray:
    """y ↦ sign(y)·log10(1 + |y|/c): linear below c, logarithmic above, defined at 0 and for negatives."""
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.sign(y) * np.log10(1.0 + np.abs(y) / c)


def symlog_inverse(t, c: float) -> np.ndarray:
    t = np.asarray(t, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.sign(t) * c * (10.0 ** np.abs(t) - 1.0)


def symlog_threshold(values) -> float:
    """The linear threshold c: six decades below the largest |value| (a power of ten, ≥ 1e-12), so the
    axis shows six decades logarithmically and only the very smallest values linearly."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return 1.0
    return max(10.0 ** (math.floor(math.log10(v.max())) - 6), 1e-12)


class SymlogAxis(pg.AxisItem):
    """A y axis whose tick labels are the raw values of a symlog-transformed coordinate."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.c = 1.0

    def tickValues(self, minVal, maxVal, size):
        if not (math.isfinite(minVal) and math.isfinite(maxVal)) or maxVal <= minVal:
            return []
        c = self.c
        top = max(abs(minVal), abs(maxVal))
        kmax = int(math.floor(math.log10(max(symlog_inverse(top, c), c))))
        kmin = int(math.floor(math.log10(c)))
        ks = list(range(kmin, kmax + 1))
        stride = max(1, math.ceil(len(ks) / max(2, int(size / 28))))
        ks = ks[::-1][::stride][::-1]
        major = [0.0]
        for k in ks:
            for sign in (1.0, -1.0):
                t = float(symlog(sign * 10.0 ** k, c))
                if minVal <= t <= maxVal:
                    major.append(t)
        major = sorted(t for t in major if minVal <= t <= maxVal)
        return [(1.0, major)]

    def tickStrings(self, values, scale, spacing):
        out = []
        for t in values:
            v = float(symlog_inverse(t, self.c))
            if abs(v) < 1e-300:
                out.append("0")
                continue
            k = round(math.log10(abs(v)))
            sign = "−" if v < 0 else ""
            out.append(f"{sign}1e{k}" if abs(k) >= 3 else f"{sign}{10.0 ** k:g}")
        return out
