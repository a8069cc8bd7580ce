"""One adapter per cell kind around its numba kernels, so the network code treats all cells alike.

The kernel modules (``elman``, ``lstm``, ``gru``) load on first use, not when ``rnnsim`` is imported:
numba's import alone costs ~0.2 s, which the desktop app's window, the Tape recorder (numpy only) and
most commands need not wait for. ``from rnnsim.cells import elman`` gives the module all the same.

A ``Record`` holds everything one direction of one layer computed in its forward pass
(time-major, ``(T, batch, ·)``): the hidden states ``h``, and for the cells that have them the
cell state ``c``, the gate activations and the other values its backward pass reuses.
"""
from __future__ import annotations

import importlib
import types
from dataclasses import dataclass

import numpy as np


class _OnFirstUse(types.ModuleType):
    """Stands for a kernel module until one of its attributes is read, then imports it. The import puts the
    real module in this package's namespace in its place, and Python's import lock makes a second thread
    wait for it (``importlib.util.LazyLoader`` lets it see a half-run module before Python 3.12)."""

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self.__name__), attr)


elman, lstm, gru = (_OnFirstUse(f"{__name__}.{name}") for name in ("elman", "lstm", "gru"))


@dataclass
class Record:
    """Forward values of one layer-direction. Arrays not used by a cell kind stay ``None``."""

    h: np.ndarray                    # (T, B, H)
    c: np.ndarray | None = None      # (T, B, H) LSTM cell state
    tanh_c: np.ndarray | None = None  # (T, B, H) LSTM tanh(c)
    gates: np.ndarray | None = None  # (T, B, G·H) activations, PyTorch gate order
    hn: np.ndarray | None = None     # (T, B, H) GRU W_n·h(t-1) + b_hn


@dataclass
class Gradients:
    """What one layer-direction's BPTT returns (time-major, processing order)."""

    dxpre: np.ndarray                # (T, B, G·H) ∂L/∂(U·x(t) + b_ih)
    dhpre: np.ndarray                # (T, B, G·H) ∂L/∂(W·h(t-1) + b_hh) (the same array except for GRU)
    dh: np.ndarray                   # (T, B, H)   the whole ∂L/∂h(t): from above plus from step t+1
    dh0: np.ndarray                  # (B, H)      ∂L/∂h(-1)
    dc0: np.ndarray | None           # (B, H)      ∂L/∂c(-1) (LSTM)


class ElmanCell:
    """linear / rnn_tanh / rnn_relu / rnn_sigmoid / rnn_softplus / rnn_hard_sigmoid: one block, no cell state."""

    gate_blocks = 1
    has_cell_state = False

    def __init__(self, activation: str):
        self.activation = activation        # the name of elman's code for it (read on first use: see above)

    @property
    def act(self) -> int:
        return getattr(elman, self.activation)

    def allocate(self, steps, batch, hidden) -> Record:
        return Record(h=np.empty((steps, batch, hidden)))

    def forward(self, rec, xproj, w_hh_t, b_hh, h0, c0, start, stop):
        elman.forward(xproj[start:stop], w_hh_t, b_hh, h0, self.act, rec.h[start:stop])

    def backward(self, rec, dh_out, w_hh, cut, h0, c0, dc_last=None):
        dpre = np.empty_like(rec.h)
        dh0 = np.empty_like(h0)
        dh = np.empty_like(rec.h)
        elman.backward(dh_out, rec.h, w_hh, self.act, cut, dpre, dh0, dh)
        return Gradients(dpre, dpre, dh, dh0, None)


class LSTMCell:
    gate_blocks = 4
    has_cell_state = True

    def allocate(self, steps, batch, hidden) -> Record:
        shape = (steps, batch, hidden)
        return Record(h=np.empty(shape), c=np.empty(shape), tanh_c=np.empty(shape),
                      gates=np.empty((steps, batch, 4 * hidden)))

    def forward(self, rec, xproj, w_hh_t, b_hh, h0, c0, start, stop):
        s = slice(start, stop)
        lstm.forward(xproj[s], w_hh_t, b_hh, h0, c0, rec.h[s], rec.c[s], rec.gates[s], rec.tanh_c[s])

    def backward(self, rec, dh_out, w_hh, cut, h0, c0, dc_last=None):
        dpre = np.empty_like(rec.gates)
        dh0 = np.empty_like(h0)
        dc0 = np.empty_like(c0)
        dh = np.empty_like(rec.h)
        dc_last = np.zeros_like(c0) if dc_last is None else np.ascontiguousarray(dc_last)
        lstm.backward(dh_out, c0, rec.c, rec.gates, rec.tanh_c, w_hh, cut, dc_last, dpre, dh0, dc0, dh)
        return Gradients(dpre, dpre, dh, dh0, dc0)


class GRUCell:
    gate_blocks = 3
    has_cell_state = False

    def allocate(self, steps, batch, hidden) -> Record:
        shape = (steps, batch, hidden)
        return Record(h=np.empty(shape), gates=np.empty((steps, batch, 3 * hidden)), hn=np.empty(shape))

    def forward(self, rec, xproj, w_hh_t, b_hh, h0, c0, start, stop):
        s = slice(start, stop)
        gru.forward(xproj[s], w_hh_t, b_hh, h0, rec.h[s], rec.gates[s], rec.hn[s])

    def backward(self, rec, dh_out, w_hh, cut, h0, c0, dc_last=None):
        dxpre = np.empty_like(rec.gates)
        dhpre = np.empty_like(rec.gates)
        dh0 = np.empty_like(h0)
        dh = np.empty_like(rec.h)
        gru.backward(dh_out, h0, rec.h, rec.gates, rec.hn, w_hh, cut, dxpre, dhpre, dh0, dh)
        return Gradients(dxpre, dhpre, dh, dh0, None)


CELLS = {
    "linear": ElmanCell("IDENTITY"),
    "rnn_tanh": ElmanCell("TANH"),
    "rnn_relu": ElmanCell("RELU"),
    "rnn_sigmoid": ElmanCell("SIGMOID"),
    "rnn_softplus": ElmanCell("SOFTPLUS"),
    "rnn_hard_sigmoid": ElmanCell("HARD_SIGMOID"),
    "lstm": LSTMCell(),
    "gru": GRUCell(),
}
