"""What a model's numbers mean in its data's terms: stored in the model's spec, read back, applied.

A model trained on a data set carries the data's description in its spec's ``"data"`` field (a
JSON object, saved with the model and kept by every loader):

- a CSV series (``kind`` "series"): ``inputs`` and ``targets`` (column names, in the order the
  model reads and writes them), ``mean`` and ``std`` ({column: number}); the model sees
  z = (value − mean) / std and its outputs are z-scores of the target columns;
- a text (``kind`` "text"): ``vocab``, the characters in one-hot order (input i and output class
  i are the character ``vocab[i]``);
- anything else (``kind`` "values"): the numbers are used as they are.

Besides those, the field holds the data's ``name``, its ``accuracy`` kind (how outputs count as
right: "argmax", "round", "threshold" or None) and whatever else the data set's ``meta`` held
(window, horizon, source file, number of classes).

    field = spec_data(dataset)                # for ModelSpec(extra={"data": field})
    meta = stored_data(model.spec)            # {} when the model has none; ModelFileError when it is broken
    x = to_model_input(meta, raw)             # raw (..., len(inputs)) in the data's units → model units
    y = to_data_units(meta, model.predict(x)) # model outputs → the target columns' units
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ModelFileError
from .dataset import ACCURACY_KINDS, Dataset
from .loaders import denormalise_targets, normalise_inputs, normalise_targets

KINDS = ("series", "text", "values")
SERIES_KEYS = ("inputs", "targets", "mean", "std")
#: characters of a vocabulary listed in full by :func:`describe_dataset` (longer ones are cut)
SHOWN_CHARACTERS = 40


def spec_data(dataset: Dataset) -> dict:
    """The JSON object a model trained on ``dataset`` stores as its spec's ``"data"`` field.

    ``{"name", "kind", "accuracy", **dataset.meta}`` with numpy values turned into plain JSON values.
    """
    field = {"name": dataset.name, "kind": data_kind(dataset.meta), "accuracy": dataset.accuracy}
    field.update({key: _plain(value) for key, value in dataset.meta.items()})
    return field


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def data_kind(meta: dict) -> str:
    """"text" (a vocabulary), "series" (columns with mean and std) or "values" (numbers as they are)."""
    if "vocab" in meta:
        return "text"
    if any(key in meta for key in SERIES_KEYS):
        return "series"
    return "values"


def stored_data(spec) -> dict:
    """The spec's ``"data"`` field checked against the spec ({} when there is none).

    Raises ModelFileError naming what is wrong: a series whose column lists do not match the model's
    input/output widths or lack a mean/std, a vocabulary that does not match the one-hot width.
    """
    field = spec.extra.get("data")
    if field is None:
        return {}
    if not isinstance(field, dict):
        raise ModelFileError(f"the model's spec field 'data' must be a JSON object, got {type(field).__name__}")
    kind = data_kind(field)
    if "accuracy" in field and field["accuracy"] not in ACCURACY_KINDS:
        raise ModelFileError(f"the model's spec field 'data.accuracy' must be one of "
                             f"{', '.join(map(str, ACCURACY_KINDS))}; got {field['accuracy']!r}")
    if kind == "series":
        _check_series(field, spec)
    elif kind == "text":
        _check_text(field, spec)
    return field


def _check_series(field, spec):
    for key in SERIES_KEYS:
        if key not in field:
            raise ModelFileError(f"the model's spec field 'data' describes a series but has no '{key}'")
    for key in ("inputs", "targets"):
        names = field[key]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ModelFileError(f"the model's spec field 'data.{key}' must be a non-empty list of column names")
    if len(field["inputs"]) != spec.input_size:
        raise ModelFileError(f"the model's spec field 'data.inputs' names {len(field['inputs'])} column(s) "
                             f"but the model reads {spec.input_size} value(s) per step")
    if len(field["targets"]) != spec.out_features:
        raise ModelFileError(f"the model's spec field 'data.targets' names {len(field['targets'])} column(s) "
                             f"but the model has {spec.out_features} output(s)")
    for key in ("mean", "std"):
        table = field[key]
        if not isinstance(table, dict):
            raise ModelFileError(f"the model's spec field 'data.{key}' must map column names to numbers")
        for column in field["inputs"] + field["targets"]:
            value = table.get(column)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not ok or (key == "std" and value <= 0):
                need = "a positive number" if key == "std" else "a finite number"
                raise ModelFileError(f"the model's spec field 'data.{key}' needs {need} for column "
                                     f"'{column}', got {value!r}")


def _check_text(field, spec):
    vocab = field["vocab"]
    if not isinstance(vocab, str) or not vocab or len(set(vocab)) != len(vocab):
        raise ModelFileError("the model's spec field 'data.vocab' must be a string of distinct characters")
    if len(vocab) != spec.input_size or len(vocab) != spec.out_features:
        raise ModelFileError(f"the model's vocabulary has {len(vocab)} characters but the model reads "
                             f"{spec.input_size} and writes {spec.out_features} values per step")


# ---- conversions ---------------------------------------------------------------------------
def to_model_input(meta: dict, raw) -> np.ndarray:
    """Inputs in the data's units (..., input_size) → what the model reads: z-scores for a series,
    the values unchanged otherwise."""
    if data_kind(meta) == "series":
        return normalise_inputs(meta, raw)
    return np.asarray(raw, dtype=np.float64)


def to_model_target(meta: dict, raw) -> np.ndarray:
    """Targets in the target columns' units (..., len(targets)) → the model's units (z-scores for a
    series; unchanged otherwise)."""
    if data_kind(meta) == "series":
        return normalise_targets(meta, raw)
    return np.asarray(raw, dtype=np.float64)


def to_data_units(meta: dict, out) -> np.ndarray:
    """Model outputs (..., out_features) → the target columns' units: out·std + mean for a series,
    unchanged otherwise."""
    if data_kind(meta) == "series":
        return denormalise_targets(meta, out)
    return np.asarray(out, dtype=np.float64)


def scaling_text(meta: dict) -> str:
    """'temp: mean 15.13, std 3.541; …' for a series; '' otherwise."""
    if data_kind(meta) != "series":
        return ""
    columns = list(dict.fromkeys(meta["inputs"] + meta["targets"]))
    return "; ".join(f"{c}: mean {meta['mean'][c]:.6g}, std {meta['std'][c]:.6g}" for c in columns)


def describe_dataset(dataset: Dataset) -> list[str]:
    """Lines saying what a model trained on ``dataset`` reads and learns: inputs, target, how many
    sequences, the scaling (``rnnsim train`` prints them before training)."""
    meta, n, steps = dataset.meta, dataset.size, dataset.steps
    source = meta.get("source", dataset.name)
    kind = data_kind(meta)
    if kind == "series":
        horizon = meta.get("horizon", 1)
        return [f"data: {source}, {n} sequences of {steps} rows",
                f"inputs: {', '.join(meta['inputs'])}",
                f"target: {', '.join(meta['targets'])}, {horizon} row{'' if horizon == 1 else 's'} after each "
                f"sequence's last row",
                f"scaling: each column as (value − mean) / std — {scaling_text(meta)}; "
                f"predictions are mapped back to the target's units"]
    if kind == "text":
        vocab = meta["vocab"]
        shown = vocab if len(vocab) <= SHOWN_CHARACTERS else vocab[:SHOWN_CHARACTERS] + "…"
        return [f"data: {source}, {n} windows of {steps} characters",
                f"inputs: one character per step (one-hot over {len(vocab)} characters: {shown!r})",
                "target: the next character after each step",
                "scaling: none (characters are one-hot vectors)"]
    per = "step" if dataset.output == "sequence" else "sequence"
    if dataset.loss == "cross_entropy":
        target = f"one class of {dataset.output_size} per {per}"
    else:
        target = f"{dataset.output_size} value(s) per {per}"
    return [f"data: {source}, {n} sequences of {steps} steps",
            f"inputs: {dataset.input_size} value(s) per step",
            f"target: {target}",
            "scaling: none (values are used as they are)"]
