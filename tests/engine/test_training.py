"""The Trainer: lessons reproduced end to end, determinism, early stopping, divergence, step budgets."""
import dataclasses
import math

import numpy as np
import pytest

from rnnsim import ConfigError, optim, recipe
from rnnsim.data import make_task
from rnnsim.train import TrainConfig, Trainer


def trainer_for(task_name, seed=0, model_overrides=None, **config):
    data, task = make_task(task_name, seed=seed)
    spec = recipe.build_spec(data, task.model, model_overrides)
    start = task.initial_params if not model_overrides else None
    model = recipe.build_model(spec, task.training.get("init", "pytorch"), seed, None, start)
    return Trainer(model, data, recipe.build_config(task.training, {"seed": seed, **config}))


def test_long_memory_separates_tanh_rnn_and_lstm():
    lstm = trainer_for("long-memory")
    lstm.run()
    tanh = trainer_for("long-memory", model_overrides={"cell": "rnn_tanh"})
    tanh.run()
    assert lstm.history.val_accuracy[-1] > 0.95
    assert tanh.history.val_accuracy[-1] < 0.75


def test_xor_solved_by_2_3_2_sigmoid_network():
    trainer = trainer_for("xor")
    assert trainer.model.spec.cell == "rnn_sigmoid" and trainer.model.spec.hidden_size == 3
    trainer.run()
    assert trainer.history.accuracy[-1] == 1.0


def test_same_seed_same_run_bit_for_bit():
    runs = []
    for _ in range(2):
        trainer = trainer_for("parity", seed=3, epochs=3, batch_size=16, validation_split=0.25)
        trainer.run()
        runs.append((trainer.history.to_dict(), trainer.model.state_dict()))
    assert runs[0][0] == runs[1][0]
    for name in runs[0][1]:
        assert np.array_equal(runs[0][1][name], runs[1][1][name])


def test_split_runs_equal_one_run():
    whole = trainer_for("parity", epochs=2, batch_size=32)
    whole.run()
    parts = trainer_for("parity", epochs=2, batch_size=32)
    parts.run(max_steps=5)
    assert parts.step_count == 5 and not parts.finished
    parts.run()
    assert parts.history.loss == whole.history.loss


def expected_early_stop(monitored, patience, min_delta):
    """The documented rule (TrainConfig.patience): after each epoch the monitored loss (validation loss,
    else the epoch's training loss) improves when it is below the best so far by more than min_delta;
    training stops after the epoch that makes `patience` epochs in a row without improvement.
    Returns (the epoch it stops after, whether a run of bad epochs was reset by an improvement first)."""
    best, bad, reset = math.inf, 0, False
    for epoch, loss in enumerate(monitored, start=1):
        if loss < best - min_delta:
            reset, best, bad = reset or bad > 0, loss, 0
        else:
            bad += 1
        if bad >= patience:
            return epoch, reset
    return None, reset


@pytest.mark.parametrize("patience,min_delta,validation_split", [(3, 0.0, 0.25), (2, 1e-3, 0.0)])
def test_early_stopping_with_patience(patience, min_delta, validation_split):
    """The noisy sine's loss plateaus: training stops after exactly `patience` epochs without improvement
    of the validation loss (of the training loss without a validation set), as the rule says."""
    config = dict(epochs=60, validation_split=validation_split, min_delta=min_delta)
    full = trainer_for("sine", **config)              # the same run without early stopping
    full.run()
    assert full.stop_reason == "done: 60 epochs"
    monitored = full.history.val_loss if validation_split else full.history.train_loss
    stop_epoch, reset = expected_early_stop(monitored, patience, min_delta)
    # the set-up must test something: it stops well before the end, after the counter was reset once
    assert stop_epoch is not None and 3 < stop_epoch < 50 and reset, (stop_epoch, monitored)

    trainer = trainer_for("sine", patience=patience, **config)
    trainer.run()
    assert trainer.finished and trainer.stop_reason == f"early stop: no improvement for {patience} epochs"
    assert trainer.epoch == stop_epoch and trainer.history.epoch[-1] == stop_epoch
    assert trainer.step_count == full.history.epoch_step[stop_epoch - 1] == trainer.history.step[-1]
    assert trainer.bad_epochs == patience
    assert trainer.history.loss == full.history.loss[:trainer.step_count]
    trainer.run()                                     # finished: a further run() does nothing
    assert trainer.step_count == full.history.epoch_step[stop_epoch - 1]


def test_divergence_stops_and_keeps_last_finite_weights():
    trainer = trainer_for("bitcount", optimizer="sgd", lr=10.0, epochs=200)
    trainer.run()
    assert trainer.stop_reason == "diverged"
    assert all(np.all(np.isfinite(p)) for p in trainer.model.params.values())
    assert all(math.isfinite(v) for v in trainer.history.loss)


def test_stop_request_and_callback_snapshots():
    trainer = trainer_for("parity", epochs=50, batch_size=32)
    seen = []

    def callback(snap):
        seen.append(snap)
        if snap.step == 7:
            trainer.request_stop()

    trainer.run(callback=callback, want_detail=lambda: True)
    assert trainer.stop_reason == "stopped" and trainer.step_count == 7 and len(seen) == 7
    snap = seen[-1]
    assert snap.probe is not None and snap.params is not None
    assert set(snap.grad_norms) == set(trainer.model.params)
    assert snap.probe.dh_norms[(0, 0)].shape == (trainer.train_set.steps,)
    assert snap.grad_norm == pytest.approx(math.sqrt(sum(v * v for v in snap.grad_norms.values())))


def test_clipping_reports_norm_before():
    trainer = trainer_for("bitcount", optimizer="sgd", lr=1e-4, clip=1e-3, epochs=3)
    trainer.run()
    assert trainer.history.grad_norm[0] > 1e-3


@pytest.mark.parametrize("bad", [{"lr": 0.0}, {"epochs": 0}, {"batch_size": 0}, {"clip": -1.0},
                                 {"truncate": -2}, {"weight_decay": float("nan")},
                                 {"validation_split": 1.0}, {"patience": 0}, {"optimizer": "lbfgs"},
                                 {"schedule": "cosine"}, {"momentum": 0.9, "optimizer": "adam"}])
def test_bad_hyperparameters_refused_with_reason(bad):
    with pytest.raises(ConfigError):
        TrainConfig(**bad).check()


@pytest.mark.parametrize("bad,message", [
    ({"optimizer": "adam", "betas": (1.0, 0.999)},
     r"Adam betas \(β1, β2\) must both be in \[0, 1\), got \(1.0, 0.999\)"),
    ({"optimizer": "adam", "eps": 0.0}, r"Adam eps \(ε\) must be a number > 0, got 0.0"),
    ({"optimizer": "rmsprop", "alpha": 1.5}, r"RMSprop alpha \(α\) must be in \[0, 1\], got 1.5"),
    ({"optimizer": "rprop", "etas": (0.5, 1.0)}, r"Rprop etas \(η−, η\+\) must satisfy 0 < η− < 1 < η\+"),
    ({"optimizer": "rprop", "step_sizes": (1.0, 0.1)}, r"Rprop step sizes .* must satisfy 0 < smallest ≤ largest"),
    ({"optimizer": "adagrad", "lr_decay": -0.1}, r"Adagrad lr_decay must be a number ≥ 0, got -0.1"),
    ({"optimizer": "sgd", "momentum": 0.9, "dampening": 2.0}, r"SGD dampening must be in \[0, 1\], got 2.0"),
    ({"optimizer": "sgd", "betas": (0.8, 0.99)}, r"sgd has no betas setting; it belongs to adam"),
    ({"optimizer": "adam", "eps": None, "alpha": 0.5}, r"adam has no alpha setting; it belongs to rmsprop"),
])
def test_optimizer_settings_refused_with_the_allowed_range(bad, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**bad).check()


@pytest.mark.parametrize("optimizer", ["sgd", "rprop", "adam", "rmsprop", "adagrad"])
def test_every_optimizer_accepts_the_other_optimizers_defaults(optimizer):
    config = TrainConfig(optimizer=optimizer).check()
    assert config.make_optimizer().name == optimizer


def test_the_trainer_builds_its_optimizer_from_all_settings():
    trainer = trainer_for("xor", optimizer="adam", momentum=0.0, betas=(0.8, 0.99), eps=1e-6, epochs=1)
    assert trainer.optimizer.hyperparameters() == {"lr": trainer.config.lr, "betas": (0.8, 0.99), "eps": 1e-6}
    trainer = trainer_for("bitcount", etas=(0.3, 1.5), step_sizes=(1e-4, 1.0), epochs=1)
    assert (trainer.optimizer.eta_minus, trainer.optimizer.step_max) == (0.3, 1.0)


def test_config_has_every_optimizer_setting_at_the_optimizers_default():
    """One field per ``optim.SETTINGS`` entry; eps, whose default differs between optimizers, is None."""
    defaults = TrainConfig()
    for key, takers in optim.SETTINGS.items():
        own = set(takers.values())
        assert getattr(defaults, key) == (own.pop() if len(own) == 1 else None), key


def test_optimizer_settings_hold_everything_but_the_learning_rate():
    config = TrainConfig(optimizer="adam", betas=(0.8, 0.99))
    settings = config.optimizer_settings()
    assert settings["optimizer"] == "adam" and settings["betas"] == (0.8, 0.99) and "lr" not in settings
    assert dataclasses.replace(config, lr=0.5).optimizer_settings() == settings
    assert dataclasses.replace(config, betas=(0.8, 0.9)).optimizer_settings() != settings
    assert dataclasses.replace(config, eps=1e-6).optimizer_settings() != settings


def test_config_dict_is_plain_json_and_comes_back_equal():
    config = TrainConfig(optimizer="rprop", etas=(0.3, 1.5), step_sizes=(1e-4, 1.0))
    d = config.to_dict()
    assert d["etas"] == [0.3, 1.5] and d["betas"] == [0.9, 0.999] and d["eps"] is None
    assert TrainConfig.from_dict(d) == config
    older = {"optimizer": "adam", "lr": 0.1, "unknown": 1}
    assert TrainConfig.from_dict(older) == TrainConfig(optimizer="adam", lr=0.1)


def test_another_optimizer_drops_the_task_s_suggested_optimizer_settings():
    """xor suggests SGD with momentum 0.9: choosing Adam must not carry SGD's momentum over."""
    config = recipe.build_config({"optimizer": "sgd", "lr": 0.5, "momentum": 0.9}, {"optimizer": "adam"})
    assert (config.optimizer, config.momentum, config.lr) == ("adam", 0.0, 0.5)
    config = recipe.build_config({"optimizer": "sgd", "momentum": 0.9}, {"optimizer": "sgd", "dampening": 0.1})
    assert (config.momentum, config.dampening) == (0.9, 0.1)
