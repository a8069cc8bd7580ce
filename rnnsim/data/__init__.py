"""Data for the engine: the Dataset type, built-in tasks (the source tutorials' experiments) and file
loaders.

    from rnnsim.data import make_task, load_data
    dataset, task = make_task("bitcount", seed=0)
    dataset = load_data("series.csv", window=20)
"""
from .dataset import ACCURACY_KINDS, Dataset, accuracy
from .loaders import (decode, denormalise_targets, encode, load_csv_series, load_data, load_npz, load_text,
                      normalise_inputs, normalise_targets)
from .meaning import describe_dataset, spec_data, stored_data, to_data_units, to_model_input, to_model_target
from .tasks import ALIASES, TASKS, Task, get_task, make_task

__all__ = ["Dataset", "accuracy", "ACCURACY_KINDS", "Task", "TASKS", "ALIASES", "get_task", "make_task",
           "load_data", "load_npz", "load_csv_series", "load_text", "encode", "decode",
           "normalise_inputs", "normalise_targets", "denormalise_targets", "spec_data", "stored_data",
           "describe_dataset", "to_model_input", "to_model_target", "to_data_units"]
