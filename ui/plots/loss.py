"""Learning curves: loss (per step and per epoch, training and validation), accuracy, learning rate."""
from __future__ import annotations

import numpy as np

from .base import SERIES, PlotPanel

MANY_EPOCHS = 30            # beyond this many epochs the epoch points are drawn without markers (markers
                            # are pyqtgraph scatter items: ~1 ms per curve per redraw)


class LossPlot(PlotPanel):
    def __init__(self, parent=None):
        super().__init__(
            "Loss", x_label="step", y_label="loss", log_y=True, parent=parent,
            help_text="How wrong the network is — lower is better.\n"
                      "• light blue: the loss of each mini-batch, as the optimizer saw it at that step;\n"
                      "• blue dots: the mean training loss of each epoch;\n"
                      "• orange: the loss on the validation sequences the network never trains on.\n"
                      "If validation rises while training falls, the network is memorising (overfitting).")
        self.add_legend()
        self.add_curve("step", "mini-batch loss", SERIES["step_loss"], width=1, legend="mini-batch")
        self.add_curve("train", "train loss (epoch mean)", SERIES["train"], width=2.0, symbol="o", symbol_size=5,
                       legend="train (epoch mean)")
        self.add_curve("val", "validation loss", SERIES["val"], width=2.0, symbol="s", symbol_size=5,
                       legend="validation")

    def show_data(self, step, loss, epoch_step, train_loss, val_loss) -> None:
        """Per step: ``step``, ``loss``; per epoch: ``epoch_step`` (the step that ended it), losses."""
        self.set_curve("step", step, loss)
        self.set_curve("train", epoch_step, train_loss)
        has_val = bool(np.isfinite(np.asarray(val_loss, dtype=float)).any()) if len(val_loss) else False
        self.show_curve("val", has_val)
        self.set_curve("val", epoch_step, val_loss if has_val else np.full(len(epoch_step), np.nan))
        self._markers(len(epoch_step))
        self.fit()

    def show_runs(self, runs) -> None:
        """Kept runs [(RunRecord, label, QColor)]: each one's mini-batch loss per step."""
        self.set_overlays([(f"run:{r.id}", label, color, r.step, r.loss) for r, label, color in runs])

    def _markers(self, epochs: int) -> None:
        on = epochs <= MANY_EPOCHS
        if on != getattr(self, "_markers_on", None):
            self._markers_on = on
            self.curves["train"].setSymbol("o" if on else None)
            self.curves["val"].setSymbol("s" if on else None)


class AccuracyPlot(PlotPanel):
    def __init__(self, parent=None):
        super().__init__(
            "Accuracy", x_label="step", y_label="accuracy (%)", log_y=None, parent=parent,
            help_text="The share of answers the network gets right at the end of each epoch "
                      "(classes: the largest output; counts: the rounded output). Blue: training "
                      "sequences; orange: validation sequences.")
        self.add_legend()
        self.add_curve("train", "train accuracy %", SERIES["train"], width=2.0, symbol="o", symbol_size=5,
                       legend="train")
        self.add_curve("val", "validation accuracy %", SERIES["val"], width=2.0, symbol="s", symbol_size=5,
                       legend="validation")
        self.fixed_y = (0.0, 100.0)
        self.item.setYRange(0, 100, padding=0.04)

    def show_data(self, epoch_step, accuracy, val_accuracy, applies: bool = True) -> None:
        """Accuracies as fractions in [0, 1] (shown in percent); ``applies`` False: a regression task."""
        if not applies:
            self.set_curve("train", [], [])
            self.set_curve("val", [], [])
            self.set_note("No accuracy for this task: its targets are numbers to approximate\n"
                          "(a regression), so read the loss instead.")
            return
        self.set_note("")
        acc = 100.0 * np.asarray(accuracy, dtype=float)
        val = 100.0 * np.asarray(val_accuracy, dtype=float)
        self.set_curve("train", epoch_step, acc)
        has_val = bool(np.isfinite(val).any()) if val.size else False
        self.show_curve("val", has_val)
        self.set_curve("val", epoch_step, val)
        LossPlot._markers(self, len(epoch_step))
        self.fit()

    def show_runs(self, runs) -> None:
        """Kept runs [(RunRecord, label, QColor)]: each one's training accuracy per epoch (those that have one)."""
        self.set_overlays([(f"run:{r.id}", label, color, r.epoch_step, 100.0 * r.accuracy)
                           for r, label, color in runs if np.isfinite(r.accuracy).any()])


class LearningRatePlot(PlotPanel):
    def __init__(self, parent=None):
        super().__init__(
            "Learning rate", x_label="step", y_label="learning rate", log_y=False, parent=parent,
            help_text="The step size of every update. A schedule (step or exponential) lowers it epoch by "
                      "epoch, so the network first moves fast and then settles. For Rprop this is the "
                      "initial step Δ0; each weight then adapts its own step.")
        self.add_curve("lr", "learning rate", SERIES["lr"], width=2.0)

    def show_data(self, step, lr) -> None:
        self.set_curve("lr", step, lr)
        lr = np.asarray(lr, dtype=float)
        constant = lr.size and np.nanmin(lr) == np.nanmax(lr) and not self.log_box.isChecked()
        fixed = (0.0, 2.0 * float(lr[0])) if constant else None     # a constant sits mid-plot, not on an edge
        if fixed != self.fixed_y:
            self.fixed_y, self._range = fixed, None
        self.fit()

