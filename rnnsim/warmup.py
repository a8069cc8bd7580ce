"""Compile every numba kernel family ahead of time (or load it from numba's on-disk cache).

The engine's kernels (``rnnsim/cells``) come in three families, each a ``forward`` and a ``backward``
kernel with one signature (float64, C-contiguous arrays; every Elman activation, depth and direction
shares the Elman kernels): Elman (the linear and ``rnn_*`` cells), LSTM and GRU. Running forward and
BPTT once on a tiny model — input (batch 1, T 2, 1), hidden 2 — compiles both kernels of a family, or
loads them from the cache numba keeps beside the sources (``NUMBA_CACHE_DIR`` moves it).

``rnnsim warmup`` and the app's warm-up job (``ui.workers.warmup``) both call :func:`warm_kernels`.
"""
from __future__ import annotations

import time
from typing import Callable, NamedTuple

import numpy as np

from .model import Model
from .spec import ModelSpec

#: (cell that stands for the family, label shown to users), in the order they warm up by default.
KERNEL_FAMILIES = (("rnn_tanh", "Elman/linear"), ("lstm", "LSTM"), ("gru", "GRU"))


class Warmed(NamedTuple):
    cell: str          # the cell that stood for its family
    label: str         # "Elman/linear", "LSTM" or "GRU"
    seconds: float     # wall time to compile or load its forward and backward kernels


def family_of(cell: str) -> str:
    """The family's representative cell: "lstm", "gru", or "rnn_tanh" for every Elman-style cell."""
    return cell if cell in ("lstm", "gru") else "rnn_tanh"


def warm_kernels(progress: Callable[[int, int, str], None] | None = None, first_cell: str | None = None,
                 cancelled: Callable[[], bool] | None = None) -> list[Warmed]:
    """Compile (or load) each family's kernels; return one :class:`Warmed` per family warmed.

    ``progress(k, n, label)`` is called before family ``k`` (0-based) of ``n`` starts; the family of
    ``first_cell`` goes first (the one a window opens with); ``cancelled()`` is polled between families
    and stops the warm-up early (the families not warmed are left out of the result).
    """
    first = family_of(first_cell) if first_cell else None
    order = sorted(KERNEL_FAMILIES, key=lambda family: family[0] != first)
    warmed = []
    for k, (cell, label) in enumerate(order):
        if cancelled is not None and cancelled():
            break
        if progress is not None:
            progress(k, len(order), label)
        start = time.perf_counter()
        model = Model.create(ModelSpec(cell=cell, input_size=1, hidden_size=2, output_size=1), seed=0)
        model.loss_and_grads(np.zeros((1, 2, 1)), np.zeros((1, 2, 1)), truncate=None)
        warmed.append(Warmed(cell, label, time.perf_counter() - start))
    return warmed
