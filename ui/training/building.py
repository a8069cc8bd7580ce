"""How the session's engine objects are made: a task's suggested network, fresh weights, the probe the
dashboard's detail shows, a history cut back to a step."""
from __future__ import annotations

from rnnsim import recipe
from rnnsim.model import Model
from rnnsim.train import History, TrainConfig


def first_sequence(dataset):
    """The probe the dashboard's detail shows: the data's first sequence — the debugger's too, unless
    the learner picks another. (x, y), plus the decoder's input for encoder–decoder data."""
    if dataset.decoder_x is not None:
        return dataset.x[:1], dataset.y[:1], dataset.decoder_x[:1]
    return dataset.x[:1], dataset.y[:1]


def suggested_network(task) -> dict:
    """The network options a task suggests (cell, sizes, initialisation; no forget-gate bias)."""
    chosen = dict(recipe.MODEL_DEFAULTS)
    if task is not None:
        chosen.update(task.model)
    return {"cell": chosen["cell"], "hidden_size": chosen["hidden_size"], "num_layers": chosen["num_layers"],
            "bidirectional": chosen["bidirectional"],
            "init": (task.training.get("init", "pytorch") if task is not None else "pytorch"),
            "forget_bias": None}

def build_model(dataset, task, network: dict, config: TrainConfig) -> Model:
    """Fresh weights for ``network`` reading ``dataset``; a task's own start values (bitcount's (−1.5, 2)) apply
    while the network is the one it suggests."""
    arch = {k: network[k] for k in ("cell", "hidden_size", "num_layers", "bidirectional")}
    spec = recipe.build_spec(dataset, task.model if task else None, arch)
    untouched = task is not None and network == suggested_network(task)
    start = task.initial_params if untouched else None      # bitcount's (−1.5, 2), LSTM forget bias 2
    return recipe.build_model(spec, network["init"], config.seed, network["forget_bias"], start)


def truncated(history: History, step: int) -> History:
    """A copy of ``history`` without the steps (and epochs) after ``step``."""
    n = sum(1 for s in history.step if s <= step)
    m = sum(1 for s in history.epoch_step if s <= step)
    d = history.to_dict()
    for key in ("step", "loss", "lr", "grad_norm"):
        d[key] = d[key][:n]
    for key in ("epoch", "epoch_step", "train_loss", "val_loss", "accuracy", "val_accuracy"):
        d[key] = d[key][:m]
    return History.from_dict(d)
