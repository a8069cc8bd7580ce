"""Do the two new activation codes (softplus, hard sigmoid) slow the Elman kernels' old codes down?

Runs the Elman forward + backward kernels of the commit before the codes were added (loaded from git into
a temporary module) and of the working tree, interleaved in one process, and prints steps/s and the ratio
new/old per code; then the new codes' own speed against tanh.

    python bench/bench_elman_codes.py [--rounds 5]
"""
import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), "..")
sys.path.insert(0, ROOT)
from rnnsim.cells import elman  # noqa: E402

BEFORE = "a9ab8a9^"          # the commit before rnn_softplus / rnn_hard_sigmoid


def load_before(tmp):
    src = subprocess.run(["git", "show", f"{BEFORE}:rnnsim/cells/elman.py"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.replace("from .._jit import kernel", "from rnnsim._jit import kernel")
    path = os.path.join(tmp, "elman_before.py")
    with open(path, "w") as f:
        f.write(src)
    spec = importlib.util.spec_from_file_location("elman_before", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def steps_per_second(mod, act, steps=200, batch=32, hidden=64, repeat=20):
    rng = np.random.default_rng(0)
    xproj = rng.standard_normal((steps, batch, hidden))
    w = rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    w_t, b, h0 = np.ascontiguousarray(w.T), np.zeros(hidden), np.zeros((batch, hidden))
    h = np.empty_like(xproj)
    dpre, dh0, dh = np.empty_like(xproj), np.empty_like(h0), np.empty_like(xproj)
    cut = np.zeros(steps, np.uint8)
    mod.forward(xproj, w_t, b, h0, act, h)
    mod.backward(xproj, h, w, act, cut, dpre, dh0, dh)
    t = time.perf_counter()
    for _ in range(repeat):
        mod.forward(xproj, w_t, b, h0, act, h)
        mod.backward(xproj, h, w, act, cut, dpre, dh0, dh)
    return steps * repeat / (time.perf_counter() - t)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    rounds = ap.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        before = load_before(tmp)
        old_codes = {"identity": elman.IDENTITY, "tanh": elman.TANH, "relu": elman.RELU, "sigmoid": elman.SIGMOID}
        print("Elman forward + backward, T 200, batch 32, hidden 64: steps/s (median of rounds, interleaved)")
        for name, code in old_codes.items():
            olds, news = [], []
            for _ in range(rounds):
                olds.append(steps_per_second(before, code))
                news.append(steps_per_second(elman, code))
            o, n = np.median(olds), np.median(news)
            print(f"{name:9s} before {o:9.0f}   now {n:9.0f}   now/before {n / o:.2f}")
        for name, code in (("softplus", elman.SOFTPLUS), ("hard σ", elman.HARD_SIGMOID)):
            own, tanh = [], []
            for _ in range(rounds):
                own.append(steps_per_second(elman, code))
                tanh.append(steps_per_second(elman, elman.TANH))
            print(f"{name:9s} {np.median(own):9.0f} steps/s   ratio to tanh (now) {np.median(own) / np.median(tanh):.2f}")
