"""Lesson 000 (digits row by row): when early stopping with patience 2 fires, on which loss, and the
accuracy it stops at — the numbers the ``digits`` task's description states.

    python bench/measure_lesson000.py [--seeds 0 1 2] [--epochs 60] [--batch 32] [--val 0.2]

Runs the headless Trainer on the task's suggested network and settings (overridable here) and prints one
line per seed: the epoch early stopping fired at (or "no stop"), the monitored loss (validation when a
validation split is used), the best validation loss, train/validation accuracy at the stop, and seconds.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from rnnsim import recipe
from rnnsim.data import make_task
from rnnsim.train import Trainer


def run(seed: int, overrides: dict):
    dataset, task = make_task("digits", seed)
    spec = task.suggest_spec(dataset)
    config = recipe.build_config(task.training, {**overrides, "seed": seed})
    model = recipe.build_model(spec, task.training.get("init", "pytorch"), seed)
    trainer = Trainer(model, dataset, config)
    start = time.perf_counter()
    history = trainer.run()
    seconds = time.perf_counter() - start
    return trainer, history, seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--val", type=float)
    parser.add_argument("--lr", type=float)
    args = parser.parse_args()
    overrides = {k: v for k, v in {"epochs": args.epochs, "batch_size": args.batch, "validation_split": args.val,
                                   "lr": args.lr}.items() if v is not None}
    for seed in args.seeds:
        trainer, h, seconds = run(seed, overrides)
        cfg = trainer.config
        monitored = "validation loss" if trainer.val_set is not None else "training loss"
        stopped = trainer.stop_reason.startswith("early stop")
        best = min(v for v in (h.val_loss if trainer.val_set is not None else h.train_loss) if v is not None)
        print(f"seed {seed}: {trainer.stop_reason!r} after {trainer.epoch}/{cfg.epochs} epochs "
              f"({'fired' if stopped else 'no stop'}) · monitored {monitored}, best {best:.4f} · "
              f"last train loss {h.train_loss[-1]:.4f}, val loss {h.val_loss[-1]} · "
              f"accuracy train {h.accuracy[-1]:.3f}, val {h.val_accuracy[-1]} · "
              f"{trainer.step_count} steps in {seconds:.1f} s "
              f"(hidden {trainer.model.spec.hidden_size}, batch {cfg.batch_size}, val {cfg.validation_split})",
              flush=True)


if __name__ == "__main__":
    main()
