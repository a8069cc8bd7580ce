"""Lesson 002, the XOR network "from scratch, like Lego" (after O. Flores' scratch_mlp), as the engine runs it.

The task ``xor`` with the settings of ``rnnsim.data.tasks.XOR_SETTINGS``, trained by the engine's Trainer;
the figures are those of docs/lesson002-xor.md:

- 3 units: the decision boundary starts as a straight line (a half-plane matches the network's decision on
  a grid around the square) and bends (no half-plane does at the end); 100 % accuracy;
- 50 units at lr 20: 100 %, then the loss jumps ×3.8 at epoch 215 (full batch: one step per epoch);
- the smaller lr and the step decay remove the jump and still reach 100 %.
"""
from __future__ import annotations

import numpy as np
import pytest

from rnnsim import DataError, recipe
from rnnsim.data import make_task
from rnnsim.data.setup import split_changes
from rnnsim.data.tasks import XOR_POINTS, XOR_SETTINGS, get_task
from rnnsim.train import Trainer

GRID = np.stack(np.meshgrid(np.linspace(-0.25, 1.25, 31), np.linspace(-0.25, 1.25, 31)), axis=-1).reshape(-1, 2)
JUMP = 2.0        # a jump: the loss more than doubles over its best value so far


def trainer_for(name, **extra_options):
    """A Trainer for one of XOR_SETTINGS, built the way the app and `rnnsim train --task xor` build it."""
    setting = XOR_SETTINGS[name]
    data, network, config, _ = split_changes(setting, {}, {})
    dataset, task = make_task(data["name"], data["seed"], **{**data["options"], **extra_options})
    spec = recipe.build_spec(dataset, task.model, {k: v for k, v in network.items() if k != "init"})
    model = recipe.build_model(spec, network.get("init", "pytorch"), config.get("seed", 0))
    return Trainer(model, dataset, recipe.build_config(task.training, config))


def half_plane_agreement(labels):
    """The largest fraction of GRID points whose 0/1 ``labels`` one half-plane reproduces (720 directions,
    every threshold): 1.0 for a straight boundary."""
    best = 0.0
    for angle in np.linspace(0, np.pi, 720, endpoint=False):
        proj = GRID @ np.array([np.cos(angle), np.sin(angle)])
        order = np.argsort(proj, kind="stable")
        ones = labels[order].astype(float)
        below_ones = np.concatenate([[0.0], np.cumsum(ones)])            # ones left of each cut
        below = np.arange(len(ones) + 1)
        total_ones = ones.sum()
        # points left of the cut called 0 and right called 1, or the other way round
        agree = (below - below_ones) + (total_ones - below_ones)
        best = max(best, agree.max() / len(ones), (len(ones) - agree.min()) / len(ones))
    return best


def decision(model):
    return model.predict(GRID[:, None, :]).argmax(axis=1)


def first_jump(losses):
    """(1-based step of the first jump after learning began, 0 if none; the largest loss / running minimum)."""
    losses = np.asarray(losses)
    best = np.minimum.accumulate(losses)
    learned = best[:-1] < 0.5 * losses[0]
    ratio = np.where(learned, losses[1:] / best[:-1], 1.0)
    over = np.flatnonzero(ratio > JUMP)
    return (int(over[0]) + 2 if over.size else 0), float(ratio.max())


def test_the_task_suggests_the_articles_network_and_the_3_unit_settings():
    dataset, task = make_task("xor")
    spec = task.suggest_spec(dataset)
    assert (spec.cell, spec.hidden_size, spec.output_size, spec.output_activation, spec.loss) == \
        ("rnn_sigmoid", 3, 2, "sigmoid", "mse")
    suggested = recipe.build_config(task.training)
    three = split_changes(XOR_SETTINGS["3 units"], {}, {})[2]
    assert all(getattr(suggested, k) == v for k, v in three.items())
    np.testing.assert_array_equal(dataset.x[:, 0, :], XOR_POINTS)
    assert dataset.y.argmax(axis=1).tolist() == [0, 1, 1, 0]


def test_3_units_start_straight_bend_and_learn_the_table():
    trainer = trainer_for("3 units")
    straight = []
    accuracy = []
    for _ in range(6):                             # epochs 0, 20, ..., 100
        straight.append(half_plane_agreement(decision(trainer.model)))
        accuracy.append(trainer.history.accuracy[-1] if trainer.history.accuracy else None)
        trainer.run(max_steps=20)
    trainer.run()
    assert min(straight) >= 0.98                  # epochs 0–100: a straight boundary (measured ≥ 0.985)
    assert all(a is None or a <= 0.75 for a in accuracy)        # so at most 3 of the 4 points right
    assert trainer.history.accuracy[-1] == 1.0
    assert half_plane_agreement(decision(trainer.model)) < 0.8  # the end: no straight line draws it (0.753)
    first_right = trainer.history.accuracy.index(1.0) + 1
    assert 90 <= first_right <= 130, first_right   # measured: 106
    assert trainer.history.loss[-1] < 0.003        # measured: 0.0016
    assert first_jump(trainer.history.loss)[0] == 0


def test_50_units_at_lr_20_learn_then_the_loss_jumps():
    trainer = trainer_for("50 units")
    trainer.run()
    losses, accuracy = trainer.history.loss, trainer.history.accuracy
    step, ratio = first_jump(losses)
    assert 205 <= step <= 225, step                # measured: 215
    assert ratio >= 3.5, ratio                     # measured: 3.82
    assert accuracy[step - 10] == 1.0              # it had learned the table before the jump
    assert min(accuracy[step - 1:step + 5]) <= 0.75   # the jump costs points for a few epochs
    assert accuracy[-1] == 1.0


@pytest.mark.parametrize("name", ["50 units, smaller lr", "50 units, step decay"])
def test_a_smaller_or_decaying_learning_rate_removes_the_jump(name):
    trainer = trainer_for(name)
    trainer.run()
    step, ratio = first_jump(trainer.history.loss)
    assert step == 0 and ratio < 1.5, (step, ratio)       # measured: 1.02 (lr 10), 1.0 (decay)
    assert trainer.history.accuracy[-1] == 1.0


def test_noisy_clouds_option():
    dataset, _ = make_task("xor", seed=3, points=25, noise=0.2)
    assert dataset.x.shape == (100, 1, 2) and dataset.y.shape == (100, 2)
    x = dataset.x[:, 0, :]
    labels = (x[:, 0] > 0.5) != (x[:, 1] > 0.5)
    np.testing.assert_array_equal(dataset.y.argmax(axis=1), labels.astype(int))
    offsets = x - np.tile(XOR_POINTS, (25, 1))
    assert 0.15 < offsets.std() < 0.25                      # σ 0.2 around each row's corner
    again, _ = make_task("xor", seed=3, points=25, noise=0.2)
    np.testing.assert_array_equal(again.x, dataset.x)
    other, _ = make_task("xor", seed=4, points=25, noise=0.2)
    assert not np.array_equal(other.x, dataset.x)
    same_corners, _ = make_task("xor", points=3)
    np.testing.assert_array_equal(same_corners.x[:, 0, :], np.tile(XOR_POINTS, (3, 1)))
    task = get_task("xor")
    np.testing.assert_array_equal(task.target_for(dataset.x, dataset), dataset.y)


@pytest.mark.parametrize("options,fragment", [({"points": 0}, "'points'"), ({"noise": -1.0}, "'noise'"),
                                              ({"noise": float("nan")}, "'noise'"), ({"points": 2.5}, "'points'")])
def test_bad_options_are_refused(options, fragment):
    with pytest.raises(DataError, match=fragment):
        make_task("xor", **options)
