"""A saved model's loss (and accuracy where it applies) on a data set it was not necessarily trained on.

The data are first put into the model's own terms (:func:`fit_to_model`), from what the model stored
about its training data (rnnsim.data.meaning):

- a text model: the data's characters are re-encoded with the model's vocabulary (a loaded text has
  its own, sorted from its characters); a character the model never saw is refused;
- a series model: the data's columns must be the ones the model reads and forecasts; the values are
  scaled with the model's stored mean and std, z = (value − mean_model) / std_model (a loaded CSV is
  scaled with its own);
- other models: the data are used as they are; their widths and target shapes must fit the model.

An encoder–decoder model is evaluated on data with decoder inputs (``Dataset.decoder_x``, an N-to-M task
such as ``reverse``): the loss and accuracy are those of teacher forcing, the decoder reading the true
previous outputs. When the model is a classifier and the data (or the model's stored data) name the
decoder's start symbol (meta ``"start"``, its position in the one-hot decoder input), the decoder is also
run on its own outputs (rnnsim.seq2seq.decode, greedy) for the same M steps: ``free_running_accuracy``
is the fraction of positions it then gets right — usually lower, as one wrong class is read back.

    result = evaluate(model, load_data("more.txt", window=32))
    result.loss, result.accuracy, result.samples     # float, float or None, int
    result.free_running_accuracy                     # float or None (encoder–decoder classifiers)
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .data.dataset import Dataset, accuracy
from .data.loaders import one_hot
from .data.meaning import data_kind, stored_data
from .errors import ConfigError, DataError, InputError
from .seq2seq import decode


@dataclass
class Evaluation:
    """``loss``: the model's own loss kind and reduction over the whole data set; ``accuracy``: the
    fraction of positions right by the data's accuracy kind (None when it has none, as for a series);
    ``samples``: sequences evaluated; ``free_running_accuracy``: for an encoder–decoder classifier whose
    start symbol is known, the fraction of positions right when the decoder reads its own choices (else None)."""

    loss: float
    accuracy: float | None
    samples: int
    free_running_accuracy: float | None = None


def _unfit(reason: str) -> DataError:
    return DataError(f"the data do not fit the model: {reason}")


def fit_to_model(model, dataset: Dataset) -> Dataset:
    """``dataset`` in the model's terms (see the module docstring); DataError in one line when it does not fit."""
    spec = model.spec
    meta = stored_data(spec)
    kind, data = data_kind(meta), data_kind(dataset.meta)
    if kind == "text" or data == "text":
        if kind != data:
            model_says = "a text" if kind == "text" else "no text"
            raise _unfit(f"the model was trained on {model_says}, the data file "
                         f"{'is' if data == 'text' else 'is not'} a text")
        return _text_in_model_vocab(meta["vocab"], dataset)
    if kind == "series":
        if data != "series":
            raise _unfit(f"the model forecasts the columns {', '.join(meta['targets'])} of a CSV series; "
                         f"the data are not a CSV series")
        for key in ("inputs", "targets"):
            if list(dataset.meta[key]) != list(meta[key]):
                raise _unfit(f"the model's {key} are the columns {', '.join(meta[key])}, the data's "
                             f"{', '.join(dataset.meta[key])}")
        return replace(dataset, x=_rescale(dataset.x, dataset.meta, meta, "inputs"),
                       y=_rescale(dataset.y, dataset.meta, meta, "targets"),
                       meta={**dataset.meta, "mean": meta["mean"], "std": meta["std"]})
    if spec.is_seq2seq and dataset.decoder_x is None:
        raise _unfit("an encoder–decoder model needs data with decoder inputs (an N-to-M task such as "
                     "'reverse'); these data have none")
    if not spec.is_seq2seq and dataset.decoder_x is not None:
        raise _unfit("the data are for an encoder–decoder model (they have decoder inputs); this model reads "
                     "x alone")
    if spec.is_seq2seq and dataset.decoder_input_size != spec.decoder_inputs:
        raise _unfit(f"the model's decoder reads {spec.decoder_inputs} value(s) per step, the data's decoder "
                     f"inputs hold {dataset.decoder_input_size}")
    if dataset.input_size != spec.input_size:
        raise _unfit(f"the model reads {spec.input_size} value(s) per step, the data hold {dataset.input_size}")
    if dataset.output != spec.output:
        where = {"sequence": "at every step", "last": "after the last step"}
        raise _unfit(f"the model answers {where[spec.output]} (output '{spec.output}'), the data's targets "
                     f"are {where[dataset.output]}")
    if dataset.loss == "cross_entropy" and spec.loss != "cross_entropy":
        raise _unfit(f"the data hold class indices, the model is trained on the '{spec.loss}' loss")
    return dataset


def _text_in_model_vocab(vocab: str, dataset: Dataset) -> Dataset:
    own = dataset.meta["vocab"]
    unknown = [ch for ch in own if ch not in vocab]
    if unknown:
        listed = ", ".join(repr(ch) for ch in unknown[:10]) + (", …" if len(unknown) > 10 else "")
        raise _unfit(f"the text has characters the model never saw (its alphabet has {len(vocab)}): {listed}")
    remap = np.array([vocab.index(ch) for ch in own], dtype=np.int64)
    codes = remap[dataset.x.argmax(axis=-1)]
    return replace(dataset, x=one_hot(codes, len(vocab)), y=remap[dataset.y],
                   meta={**dataset.meta, "vocab": vocab, "classes": len(vocab)})


def _rescale(values, own: dict, model: dict, key: str) -> np.ndarray:
    """z-scores made with the data's own mean/std → z-scores with the model's: (z·std + mean − m)/s."""
    columns = own[key]
    mean = np.array([own["mean"][c] for c in columns])
    std = np.array([own["std"][c] for c in columns])
    model_mean = np.array([model["mean"][c] for c in columns])
    model_std = np.array([model["std"][c] for c in columns])
    return (values * std + mean - model_mean) / model_std


def evaluate(model, dataset: Dataset) -> Evaluation:
    """The model's loss and accuracy on ``dataset`` (fitted first by :func:`fit_to_model`)."""
    fitted = fit_to_model(model, dataset)
    try:
        x = model.check_input(fitted.x)
        d = model.check_decoder_input(fitted.decoder_x, x)
        target = model.check_target(fitted.y, x, d)
    except InputError as exc:
        raise _unfit(str(exc)) from None
    with np.errstate(all="ignore"):
        output = model.predict(x, decoder_input=d)
        loss = model.loss(x, target, decoder_input=d)
    kind = fitted.accuracy if fitted.accuracy is not None else stored_data(model.spec).get("accuracy")
    if model.spec.loss != "cross_entropy" and kind == "argmax" and output.shape[-1] < 2:
        kind = None
    free = _free_running_accuracy(model, fitted, x, target) if d is not None else None
    return Evaluation(float(loss), accuracy(kind, output, target), int(fitted.size), free)


def start_symbol(model, dataset: Dataset) -> np.ndarray | None:
    """(decoder_input_size,): one-hot at the start symbol the data's meta (else the model's stored data)
    names as ``"start"``; None when neither does or it does not fit the decoder."""
    symbol = dataset.meta.get("start", stored_data(model.spec).get("start"))
    width = model.spec.decoder_inputs
    if isinstance(symbol, (bool, np.bool_)) or not isinstance(symbol, (int, np.integer)) or not 0 <= symbol < width:
        return None
    start = np.zeros(width)
    start[int(symbol)] = 1.0
    return start


def _free_running_accuracy(model, dataset: Dataset, x, target) -> float | None:
    """Greedy decoding for the data's M steps from the start symbol: the fraction of (sequence, step)
    positions whose chosen class is the target; None for a regression model or without a start symbol."""
    start = start_symbol(model, dataset)
    if model.spec.loss != "cross_entropy" or start is None:
        return None
    try:
        result = decode(model, x, start, int(target.shape[1]))
    except ConfigError:                     # a decoder too narrow to read its classes back
        return None
    return float(np.mean(result.classes == target))
