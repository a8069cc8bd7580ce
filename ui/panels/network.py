"""The network editor: cell, hidden units, layers, bidirectional, initialisation, LSTM forget-gate bias.

The session has one network; this is the one place to change it. A new network means new weights, so
when trained weights exist the learner is asked first (``ask_to_replace``, a module function the tests
replace). The editor redraws itself from the controller's ``networkChanged`` with its signals blocked.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QMessageBox, QSpinBox

from rnnsim.init import SCHEMES

from .fields import NumberField

CELLS = [
    ("linear", "Linear RNN", "h(t) = U·x(t) + W·h(t−1) + b — no squashing: the bit counter of the linear-RNN lesson"),
    ("rnn_tanh", "Elman RNN (tanh)", "h(t) = tanh(U·x(t) + W·h(t−1) + b) — the classic recurrent cell"),
    ("rnn_relu", "Elman RNN (ReLU)", "h(t) = relu(U·x(t) + W·h(t−1) + b)"),
    ("rnn_sigmoid", "Elman RNN (sigmoid)", "h(t) = σ(U·x(t) + W·h(t−1) + b) — the hidden layer of the XOR network"),
    ("rnn_softplus", "Elman RNN (softplus)", "h(t) = softplus(U·x(t) + W·h(t−1) + b), softplus(x) = log(1 + eˣ) — a "
                     "smooth relu, always positive (PyTorch's: beta 1, and x itself above 20)"),
    ("rnn_hard_sigmoid", "Elman RNN (hard sigmoid)", "h(t) = hardsigmoid(U·x(t) + W·h(t−1) + b) — PyTorch's hard "
                         "sigmoid x/6 + 1/2 clipped to [0, 1] (slope 1/6 between −3 and 3, flat outside), not "
                         "Keras's older 0.2·x + 0.5"),
    ("lstm", "LSTM", "Long short-term memory: a cell state c(t) guarded by input, forget and output gates"),
    ("gru", "GRU", "Gated recurrent unit: reset and update gates blend the old state with a candidate"),
]
CELL_DESCRIPTIONS = {value: tip for value, _, tip in CELLS}
INIT_NAMES = {"pytorch": "PyTorch default (uniform ±1/√hidden)", "zeros": "All zeros (watch the symmetry)",
              "xavier": "Xavier (Glorot)", "orthogonal": "Orthogonal W"}

BIDIRECTIONAL_TIP = ("A second copy of each layer reads the sequence backwards, from x(T) to x(1);\n"
                     "its row in the graph has its arrows reversed.")


def ask_to_replace(parent, text: str) -> bool:
    """Yes/No: replace trained weights? (Replaced by the tests.)"""
    answer = QMessageBox.question(parent, "New network, new weights", text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                  QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes


class NetworkEditor(QGroupBox):
    """``NetworkEditor(controller)``: edits call ``controller.set_network`` (asking first when trained
    weights would be lost)."""

    def __init__(self, controller, parent=None):
        super().__init__("Network", parent)
        self.controller = controller
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.cell = QComboBox()
        for value, label, tip in CELLS:
            self.cell.addItem(label, value)
            self.cell.setItemData(self.cell.count() - 1, tip, 3)      # Qt.ToolTipRole
        self.cell.setToolTip("The recurrent cell: what one copy in the unrolled graph computes.")
        self.cell.activated.connect(lambda _: self.apply())
        form.addRow("Cell", self.cell)
        self.hidden = _spin(1, 1024, "Hidden units: the length of the memory vector h(t).")
        form.addRow("Hidden units", self.hidden)
        self.layers = _spin(1, 8, "Stacked layers: layer k+1 reads the hidden states of layer k (drawn as rows).")
        form.addRow("Layers", self.layers)
        for spin in (self.hidden, self.layers):
            spin.valueChanged.connect(lambda _: self.apply())
        self.bidirectional = QCheckBox("Bidirectional")
        self.bidirectional.setToolTip(BIDIRECTIONAL_TIP)
        self.bidirectional.toggled.connect(lambda _: self.apply())
        form.addRow("", self.bidirectional)
        self.init = QComboBox()
        for value in SCHEMES:
            self.init.addItem(INIT_NAMES.get(value, value), value)
        self.init.setToolTip("How the weights start. All zeros: every hidden unit stays identical (symmetry).")
        self.init.activated.connect(lambda _: self.apply())
        form.addRow("Initial weights", self.init)
        self.forget_bias = NumberField("Forget-gate bias", optional=True,
                                       tip="LSTM: start the forget gate's bias here, so that f starts near σ(bias) "
                                           "— e.g. 2 keeps memories from the start. Empty: the initialisation's own.")
        self.forget_bias.editingFinished.connect(self.apply)
        form.addRow("Forget-gate bias", self.forget_bias)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("hint")
        form.addRow(self.summary)
        controller.networkChanged.connect(self.show_network)
        controller.modelChanged.connect(lambda _: self.show_summary())
        self.show_network(controller.network)

    def wanted(self) -> dict:
        fb = self.forget_bias.value() if self.cell.currentData() == "lstm" else None
        return {"cell": self.cell.currentData(), "hidden_size": self.hidden.value(), "num_layers": self.layers.value(),
                "bidirectional": self.bidirectional.isChecked(), "init": self.init.currentData(), "forget_bias": fb}

    def apply(self) -> bool:
        c = self.controller
        if not self.forget_bias.check():
            return False
        wanted = self.wanted()
        if wanted == {k: c.network.get(k) for k in wanted}:
            return True
        if c.running:
            c.pause()
            c.halt()
        if c.trained and not ask_to_replace(
                self, f"The model has trained weights (step {c.step_count}). A new network starts from new "
                      "weights: they would be lost (save the session first to keep them).\n\nChange the network?"):
            self.show_network(c.network)
            return False
        ok = c.set_network(**wanted)
        if not ok:
            self.show_network(c.network)
        return ok

    def show_network(self, net: dict) -> None:
        blockers = [QSignalBlocker(w) for w in (self.cell, self.hidden, self.layers, self.bidirectional,
                                                self.init, self.forget_bias)]
        _select(self.cell, net["cell"])
        self.hidden.setValue(net["hidden_size"])
        self.layers.setValue(net["num_layers"])
        self.bidirectional.setChecked(bool(net["bidirectional"]))
        _select(self.init, net["init"])
        self.forget_bias.set_value(net.get("forget_bias"))
        del blockers
        self.forget_bias.setEnabled(net["cell"] == "lstm")
        self.show_summary()

    def show_summary(self) -> None:
        spec = self.controller.spec
        # an encoder–decoder's encoder hands its final state to a decoder running forward: no reverse direction
        self.bidirectional.setEnabled(not spec.is_seq2seq)
        self.bidirectional.setToolTip("An encoder–decoder is not bidirectional (its decoder starts from the "
                                      "encoder's final state)" if spec.is_seq2seq else BIDIRECTIONAL_TIP)
        shapes = spec.param_shapes()
        count = sum(int(_prod(s)) for s in shapes.values())
        parts = [f"{label} {shapes[name][0]}×{shapes[name][1]}"
                 for name, label in (("rnn.weight_ih_l0", "U"), ("rnn.weight_hh_l0", "W"),
                                     ("encoder.weight_ih_l0", "Uᵉ"), ("decoder.weight_ih_l0", "Uᵈ"),
                                     ("encoder.weight_hh_l0", "Wᵉ"), ("decoder.weight_hh_l0", "Wᵈ"), ("fc.weight", "V"))
                 if name in shapes]
        extra = f" · {spec.num_layers} layers" if spec.num_layers > 1 else ""
        if spec.is_seq2seq:
            extra += " · encoder–decoder: the encoder's final state is the decoder's initial state"
        self.summary.setText(f"{CELL_DESCRIPTIONS.get(spec.cell, spec.cell)}\n"
                             f"{' · '.join(parts)}{extra} · {count} parameters, shared by every timestep")


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _spin(lo, hi, tip):
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setToolTip(tip)
    s.setKeyboardTracking(False)
    return s


def _select(combo: QComboBox, value):
    i = combo.findData(value)
    if i >= 0:
        combo.setCurrentIndex(i)
