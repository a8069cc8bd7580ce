"""LSTM/GRU gates: each gate's mean activation over the hidden units, at every time step of the probe."""
from __future__ import annotations

import numpy as np

from .. import theme
from .base import PlotPanel

GATES = {
    "lstm": [("i", "input gate i"), ("f", "forget gate f"), ("g", "candidate g (tanh)"), ("o", "output gate o")],
    "gru": [("r", "reset gate r"), ("z", "update gate z"), ("n", "candidate n (tanh)")],
}
CELL_NAMES = {"linear": "a linear RNN", "rnn_tanh": "a tanh RNN", "rnn_relu": "a ReLU RNN",
              "rnn_sigmoid": "a sigmoid RNN", "rnn_softplus": "a softplus RNN", "rnn_hard_sigmoid": "a hard-sigmoid RNN"}


class GatePlot(PlotPanel):
    def __init__(self, parent=None):
        super().__init__(
            "Gates: mean activation over the units (probe sequence)", x_label="time step t", y_label="mean activation",
            log_y=None, parent=parent,
            help_text="For an LSTM or GRU, the average opening of each gate at every step of the probe sequence "
                      "(σ gates between 0 = closed and 1 = open; the tanh candidate between −1 and 1).\n"
                      "LSTM: a forget gate near 1 keeps the cell state (memory); an input gate that opens only "
                      "at the important step writes it once. GRU: an update gate z near 1 keeps the old state.")
        self.add_legend()
        self.cell = None
        self.fixed_y = (-1.05, 1.05)
        self.item.setYRange(-1.05, 1.05, padding=0)

    def show_data(self, means, cell: str) -> None:
        """``means`` (T, gates) in the cell's gate order, or None for a cell without gates."""
        if cell != self.cell:
            for key in list(self.curves):
                self.remove_curve(key)
            for letter, label in GATES.get(cell, []):
                # lines without markers: markers (pyqtgraph scatter items) cost ~1 ms per curve per frame
                self.add_curve(letter, label, theme.GATE[letter], width=2.0)
            self.cell = cell
        if cell not in GATES or means is None:
            self.set_note(f"This cell has no gates: {CELL_NAMES.get(cell, cell)}\n(only LSTM and GRU cells have them)."
                          if cell not in GATES else "Appears while training")
            return
        self.set_note("")
        means = np.asarray(means, dtype=float)
        t = np.arange(1, means.shape[0] + 1)
        for k, (letter, _) in enumerate(GATES[cell]):
            self.set_curve(letter, t, means[:, k])
        self.fit()
