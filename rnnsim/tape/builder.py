"""What the formula builders share: the collector of one event's quantities and formulas, and helpers.

A builder collects quantities as views into the Tape's stored arrays (time-major (T, B, ·), so a
step is one (B, ·) block: the first sequence is row 0) and formulas as data: ``Formula(result,
template, words)`` with ``{name}`` placeholders of quantity names. The builders live in
forward_events (forward, output, loss), backward_events (backward, truncate, weight decay,
clipping) and update_events (the optimizer's update); rnnsim.tape.formulas dispatches to them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .events import Formula, Quantities


@dataclass
class Built:
    formulas: list
    quantities: Quantities
    quantities_batch: Quantities
    per_sequence: frozenset


class Collect:
    def __init__(self):
        self.first, self.batch, self.per, self.aliases, self.formulas = {}, {}, set(), {}, []

    def seq(self, name, value, alias=None):
        """A per-sequence value, batch axis first."""
        self.first[name] = value[0, ...]
        self.batch[name] = value
        self.per.add(name)
        if alias and alias != name:
            self.aliases[alias] = name
        return name

    def one(self, name, value, alias=None):
        """A value shared by the whole batch (parameters, gradients, scalars)."""
        value = np.asarray(value)
        self.first[name] = self.batch[name] = value
        if alias and alias != name:
            self.aliases[alias] = name
        return name

    def f(self, result, template, words=""):
        self.formulas.append(Formula(result, template, words))

    def done(self) -> Built:
        return Built(self.formulas, Quantities(self.first, self.aliases), Quantities(self.batch, self.aliases),
                     frozenset(self.per))


def ref(name):
    """'{name}': a placeholder."""
    return "{" + name + "}"


def gate_block(tr, k):
    """The rows of gate block k (PyTorch's stacking order) in a G·H axis."""
    hidden = tr.h.shape[2]
    return slice(k * hidden, (k + 1) * hidden)


def batch_words(tape):
    return ", summed over the batch's sequences" if tape.batch > 1 else ""


def direction_words(tape, tr, s):
    """A sentence placing a reverse-direction step for the learner ('' for the forward direction)."""
    if tr.direction == 0:
        return ""
    nm = tape.naming
    cur = nm.state("h", tr.layer, 1, s + 1)
    return (f" (reverse direction: {cur} has read x({tape.T}) … x({tr.original_t(s) + 1}); it steps from "
            f"{nm.state('h', tr.layer, 1, s)} to {cur})")


def loss_templates(tape, o, y, yhat):
    """(the loss at one position, its derivative): for cross-entropy the derivative is ∂L/∂o(t), for the
    squared and the absolute error ∂L/∂o(t) — or ∂L/∂ŷ(t) with a sigmoid output layer, where the loss reads
    ŷ(t). The absolute error's derivative is sign(·), 0 at zero error as PyTorch's."""
    per_count = " / {count}" if tape.count else ""
    if tape.spec.loss == "cross_entropy":
        return (f"−log {ref(yhat)}[{ref(y)}]" + per_count, f"({ref(yhat)} − onehot({ref(y)}))" + per_count)
    out = yhat if yhat is not None else o
    if tape.spec.loss == "mae":
        return (f"Σ|{ref(out)} − {ref(y)}|" + per_count, f"sign({ref(out)} − {ref(y)})" + per_count)
    return (f"Σ({ref(out)} − {ref(y)})²" + per_count, f"2·({ref(out)} − {ref(y)})" + per_count)


def output_values(tape, q, t):
    """o(t), y(t), ŷ(t) (cross-entropy: softmax; sigmoid output layer: σ(o(t))) and count at output time t;
    returns their names."""
    td = t + 1
    o = q.seq(f"o({td})", tape.at_output(tape.output_tm, t), "o(t)")
    y = q.seq(f"y({td})", tape.at_output(tape.target_tm, t), "y(t)")
    yhat = None
    if tape.log_probs is not None:
        yhat = q.seq(f"ŷ({td})", np.exp(tape.at_output(tape.log_probs, t)), "ŷ(t)")
    elif tape.activated is not None:
        yhat = q.seq(f"ŷ({td})", tape.at_output(tape.activated, t), "ŷ(t)")
    if tape.count:
        q.one("count", tape.count)
    return o, y, yhat
