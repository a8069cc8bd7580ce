"""Sampling speed of rnnsim.generate: characters per second, step by step against re-running the prefix.

    python bench/bench_generate.py

Target (the issue): 500 characters from an LSTM of 128 units in under 0.2 s. The baseline is the naive
sampler that re-runs the whole text so far through ``Model.predict`` for every new character (O(n²)
steps); it draws the same characters (same seed), so both do the same work per character apart from
that. Runs are interleaved in one process (timings on this machine drift between runs); each figure is
the median of the rounds after a warm-up.
"""
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from rnnsim import Model, ModelSpec  # noqa: E402
from rnnsim.generate import generate  # noqa: E402
from rnnsim.interpret import softmax  # noqa: E402

VOCAB = "".join(chr(c) for c in range(32, 127))         # the 95 printable ASCII characters
CONFIGS = [("lstm", 1, 128, 500), ("lstm", 2, 128, 500), ("gru", 1, 128, 500), ("lstm", 1, 128, 2000)]
TARGET_S = 0.2
ROUNDS = 5


def text_model(cell, layers, hidden):
    spec = ModelSpec(cell=cell, input_size=len(VOCAB), hidden_size=hidden, num_layers=layers,
                     output_size=len(VOCAB), loss="cross_entropy", extra={"data": {"kind": "text", "vocab": VOCAB}})
    return Model.create(spec, seed=0)


def naive(model, prime, length, temperature, seed):
    """The O(n²) sampler: the whole text so far through Model.predict for each new character."""
    eye, rng = np.eye(len(VOCAB)), np.random.default_rng(seed)
    codes = [VOCAB.index(ch) for ch in prime]
    for _ in range(length):
        p = softmax(model.predict(eye[codes][None])[0, -1] / temperature)
        cumulative = np.cumsum(p)
        codes.append(min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")),
                         len(VOCAB) - 1))
    return "".join(VOCAB[k] for k in codes)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main():
    print(f"{'cell':6} {'layers':>6} {'hidden':>6} {'chars':>6} {'stepwise s':>11} {'chars/s':>9} "
          f"{'re-run s':>9} {'ratio':>7}  target")
    for cell, layers, hidden, length in CONFIGS:
        model = text_model(cell, layers, hidden)
        generate(model, "a", 5, 1.0, 0)                        # warm-up: compiled kernels loaded
        steps, reruns = [], []
        for round_ in range(ROUNDS):
            t_step, fast = timed(lambda: generate(model, "Hello", length, 1.0, round_).text)
            steps.append(t_step)
            if length <= 500 and round_ < 2:                    # the baseline is slow: two rounds, short texts
                t_rerun, slow = timed(lambda: naive(model, "Hello", length, 1.0, round_))
                assert slow == fast, "the two samplers must draw the same text"
                reruns.append(t_rerun)
        s = statistics.median(steps)
        r = statistics.median(reruns) if reruns else float("nan")
        verdict = ("ok" if s < TARGET_S else "SLOW") if length == 500 else "-"
        print(f"{cell:6} {layers:>6} {hidden:>6} {length:>6} {s:>11.4f} {length / s:>9.0f} {r:>9.3f} "
              f"{r / s:>7.1f}  {verdict}")


if __name__ == "__main__":
    main()
