"""Classification metrics beyond accuracy: the confusion matrix, read the way ``accuracy`` reads outputs.

    classes = class_count(dataset)                        # None for regression data (no accuracy kind)
    counts = confusion_matrix(dataset.accuracy, model.predict(dataset.x), dataset.y, classes)
    names = class_names(dataset.meta, classes)            # "a", "b", … for a text's vocabulary

``counts[i, j]`` is the number of positions whose true class is i and whose predicted class is j, so
the diagonal holds the positions :func:`rnnsim.data.dataset.accuracy` counts as right, and the matrix
sums to the number of positions: sequences for output "last", sequences × steps for "sequence".
"""
from __future__ import annotations

import numpy as np

from .data.dataset import ACCURACY_KINDS, Dataset
from .errors import DataError
from .model import Model

__all__ = ["confusion_matrix", "class_count", "class_names", "model_confusion"]

#: the largest confusion matrix the engine builds (a text's vocabulary rarely has more characters)
MAX_CLASSES = 512


def _predicted_and_true(kind: str, output: np.ndarray, target: np.ndarray, classes: int):
    """Flat int64 (predicted, true) classes, one per position, read as ``accuracy(kind, …)`` reads them."""
    if kind == "argmax":
        pred = output.argmax(axis=-1)
        truth = target if target.ndim == pred.ndim else target.argmax(axis=-1)
        return pred.reshape(-1), np.asarray(truth).reshape(-1).astype(np.int64)
    if output.shape[-1] != 1:
        raise DataError(f"a confusion matrix for accuracy kind '{kind}' needs one output per position, "
                        f"got {output.shape[-1]}")
    if kind == "round":
        pred, truth = np.round(output[..., 0]), np.round(target[..., 0])
    else:                                           # "threshold": class 1 above 0.5, class 0 otherwise
        pred, truth = (output[..., 0] > 0.5), (target[..., 0] > 0.5)
    # a rounded prediction outside 0..classes−1 (a count of −1, say) is put in the nearest class's column
    pred = np.clip(pred, 0, classes - 1).astype(np.int64).reshape(-1)
    truth = np.clip(truth, 0, classes - 1).astype(np.int64).reshape(-1)
    return pred, truth


def confusion_matrix(kind: str, output, target, classes: int) -> np.ndarray:
    """Counts (C, C) int64 with C = ``classes``: rows = true class, columns = predicted class.

    ``output``: the model's outputs, (N, out) for output "last" or (N, T, out) for "sequence";
    ``target``: as the data set's ``y`` — class indices (N,) / (N, T) for cross-entropy, or vectors
    shaped like ``output`` for mse (one-hot rows for "argmax", a count for "round", 0/1 for "threshold").
    ``kind``: the data's accuracy kind — "argmax" (class = argmax of the output row; a one-hot target
    by its argmax), "round" (class = the rounded single output; one outside 0..C−1 counts in the
    nearest class's column, so its diagonal can hold more than ``accuracy`` counts) or "threshold"
    (class 1 where the single output exceeds 0.5). Σ counts = number of positions.
    """
    if kind not in ACCURACY_KINDS or kind is None:
        raise DataError(f"a confusion matrix needs a classification accuracy kind (argmax, round or "
                        f"threshold), got {kind!r}")
    if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or not 1 <= classes <= MAX_CLASSES:
        raise DataError(f"the number of classes must be an integer from 1 to {MAX_CLASSES}, got {classes!r}")
    classes = int(classes)
    output, target = np.asarray(output), np.asarray(target)
    if output.ndim < 2 or output.shape[0] == 0:
        raise DataError(f"outputs must have shape (N, out) or (N, T, out) with N ≥ 1, got {output.shape}")
    same_shape = target.shape == output.shape
    if not same_shape and target.shape != output.shape[:-1]:
        raise DataError(f"targets of shape {target.shape} do not match outputs of shape {output.shape}")
    if kind == "argmax" and output.shape[-1] > classes:
        raise DataError(f"{output.shape[-1]} outputs per position but only {classes} classes")
    if not same_shape and kind != "argmax":
        raise DataError(f"accuracy kind '{kind}' needs targets shaped like the outputs {output.shape}")
    if not np.all(np.isfinite(output)):
        raise DataError("the outputs contain NaN or infinity: no class can be read from them")
    pred, truth = _predicted_and_true(kind, output, target, classes)
    if truth.size and (truth.min() < 0 or truth.max() >= classes):
        raise DataError(f"a true class is outside 0..{classes - 1} (found {int(truth.min())}..{int(truth.max())})")
    counts = np.bincount(truth * classes + pred, minlength=classes * classes)
    return counts.reshape(classes, classes).astype(np.int64)


def class_count(dataset: Dataset) -> int | None:
    """How many classes ``dataset``'s confusion matrix has; None when the data have no accuracy (regression).

    "argmax": the output width (cross-entropy classes or one-hot width); "round": 0..the largest rounded
    target; "threshold": 2 (below / above 0.5).
    """
    kind = dataset.accuracy
    if kind is None:
        return None
    if kind == "argmax":
        return dataset.output_size
    if dataset.y.shape[-1] != 1:
        return None
    if kind == "threshold":
        return 2
    top = int(np.round(dataset.y.max()))
    return max(top, 0) + 1 if top < MAX_CLASSES else None


def class_names(meta: dict, classes: int) -> list[str]:
    """A label per class: the character of a text's vocabulary (``meta["vocab"]``; a space shows as ␣,
    a line break as ↵), the data's own ``meta["class_names"]`` when it has them, else the index."""
    vocab = meta.get("vocab")
    if isinstance(vocab, str) and len(vocab) == classes:
        return [{" ": "␣", "\n": "↵", "\t": "⇥"}.get(ch, ch) for ch in vocab]
    names = meta.get("class_names")
    if isinstance(names, (list, tuple)) and len(names) == classes:
        return [str(n) for n in names]
    return [str(i) for i in range(classes)]


def model_confusion(spec, params: dict, dataset: Dataset) -> tuple[np.ndarray, list[str]] | None:
    """(counts (C, C), class names) of the model ``spec`` with weights ``params`` on ``dataset``, or None
    for data without classes. Predicts the whole data set: run it off the GUI thread."""
    classes = class_count(dataset)
    if classes is None:
        return None
    output = Model(spec, {k: np.array(v, dtype=np.float64) for k, v in params.items()}).predict(dataset.x)
    return confusion_matrix(dataset.accuracy, output, dataset.y, classes), class_names(dataset.meta, classes)
