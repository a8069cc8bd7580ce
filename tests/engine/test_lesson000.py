"""The lesson of the Russian text on unfolding computational graphs: MNIST rows as a sequence — here the
app's 8×8 digits, 8 steps of 8 pixels — read by 3 stacked tanh layers of 100 units, a linear read-out
of the last step, SGD at lr 0.01 on the cross-entropy, early stopping with patience 2.

The ``digits`` task suggests exactly that network and those settings, and its suggested run is long
enough for early stopping to fire (bench/measure_lesson000.py measured seed 0 stopping after 59 of 100
epochs at 93% validation accuracy, 96.7% on the training images; seeds 0–4 stop after 55–70 epochs).
"""
import numpy as np
import pytest

from rnnsim import recipe
from rnnsim.data import make_task
from rnnsim.train import Trainer


def test_the_task_suggests_the_lessons_network_and_settings():
    dataset, task = make_task("digits")
    assert dataset.x.shape[1:] == (8, 8)               # 8 steps (rows) of 8 pixels
    spec = task.suggest_spec(dataset)
    assert (spec.cell, spec.num_layers, spec.hidden_size) == ("rnn_tanh", 3, 100)
    assert (spec.output, spec.loss, spec.output_size) == ("last", "cross_entropy", 10)
    config = recipe.build_config(task.training)
    assert (config.optimizer, config.lr, config.patience) == ("sgd", 0.01, 2)
    assert config.validation_split == 0.2 and config.epochs == 100
    # every sentence with a number in the description is what the test below checks
    for claim in ("3 stacked tanh layers of 100 units", "patience 2", "validation loss of a 20% split",
                  "seed 0: 59", "suggested 100"):
        assert claim in task.description


@pytest.fixture(scope="module")
def suggested_run():
    dataset, task = make_task("digits", seed=0)
    config = recipe.build_config(task.training, {"seed": 0})
    model = recipe.build_model(task.suggest_spec(dataset), task.training["init"], seed=0)
    trainer = Trainer(model, dataset, config)
    trainer.run()
    return trainer


def test_early_stopping_fires_on_the_validation_loss_within_the_suggested_run(suggested_run):
    trainer, h = suggested_run, suggested_run.history
    assert trainer.stop_reason == "early stop: no improvement for 2 epochs"
    assert trainer.epoch < trainer.config.epochs
    assert 40 <= trainer.epoch <= 85                    # measured: 59
    # the monitored loss is the validation loss: it did not improve in the last two epochs
    val = np.array(h.val_loss, dtype=np.float64)
    assert np.all(np.isfinite(val))
    assert min(val[-2:]) >= min(val[:-2])
    assert val.argmin() == len(val) - 3


def test_accuracy_at_the_stop_is_what_was_measured(suggested_run):
    h = suggested_run.history
    assert h.val_accuracy[-1] >= 0.90                   # measured: 0.930
    assert h.accuracy[-1] >= 0.94                       # measured: 0.967
    assert h.train_loss[-1] < 0.5 * h.train_loss[0]
