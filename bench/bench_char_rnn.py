"""Char-RNN training speed: rnnsim beside PyTorch CPU on the same model, same batches, same process.

    python bench/bench_char_rnn.py [--rounds 5] [--steps 20]

The problem is the issue's laptop char-RNN: about 1 MB of the Python standard library's own source
(``rnnsim.data.corpus.python_source_corpus``, alphabet ``ALPHABET`` of 96 characters, one-hot input), an
LSTM of 128 units, 1 layer, a linear head to 96 logits and a cross-entropy loss. One training step is

    a batch of 32 random windows of T + 1 = 65 characters (seeded rng; the same batches for both engines),
    x = one-hot of characters 0..63 (32, 64, 96), target = codes of characters 1..64 (32, 64),
    forward + full BPTT, clip the global gradient norm to 5, one Adam update (lr 0.002).

rnnsim runs ``Model.loss_and_grads`` + ``rnnsim.clip.clip_by_norm`` + ``rnnsim.optim.Adam`` — the same
calls, in the same order, as one ``rnnsim.train.Trainer.step``. The Trainer itself is not used: it trains
on a ``Dataset`` of materialised sequences, and every window of a 1 MB text one-hot encoded would take
about 750 MB; a char-RNN samples its windows from the text instead. PyTorch runs ``nn.LSTM`` + ``nn.Linear``
in float64 (the engine is float64: its contract is exact float64 parity with PyTorch) with weights copied
from the rnnsim model, ``clip_grad_norm_`` and ``torch.optim.Adam``.

Before timing, both models take 3 identical steps and their losses must agree to 1e-9 relative, so the
figures compare the same computation. Rounds are interleaved (rnnsim, torch, rnnsim, ...) because timings
on a busy machine drift; each figure is the median over rounds of steps per second, with characters per
second = steps/s × 32 × 64 and the time one epoch over the text (its length / (32 × 64) steps) would take.
PyTorch float32 is printed for reference only — it is not like for like. Without PyTorch installed the
script prints the rnnsim figures and says so.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from rnnsim import Model, ModelSpec
from rnnsim.clip import clip_by_norm
from rnnsim.data.corpus import ALPHABET, python_source_corpus
from rnnsim.optim import Adam

TEXT_BYTES = 1_000_000
HIDDEN, T, BATCH = 128, 64, 32
LR, CLIP = 0.002, 5.0
PARITY_STEPS, PARITY_RTOL = 3, 1e-9


def corpus_codes(n_bytes=TEXT_BYTES) -> np.ndarray:
    """The corpus as character codes (n,) int64, indices into ALPHABET."""
    lookup = np.full(128, -1, dtype=np.int64)
    lookup[[ord(ch) for ch in ALPHABET]] = np.arange(len(ALPHABET))
    codes = lookup[np.frombuffer(python_source_corpus(n_bytes).encode("ascii"), dtype=np.uint8)]
    assert codes.min() >= 0, "the corpus holds only ALPHABET characters"
    return codes


class Batches:
    """Seeded random windows of the text: ``next()`` gives x (32, 64, 96) one-hot and target (32, 64) codes."""

    def __init__(self, codes: np.ndarray, seed: int):
        self.codes, self.rng = codes, np.random.default_rng(seed)
        self.eye = np.eye(len(ALPHABET))
        self.offsets = np.arange(T + 1)

    def next(self):
        starts = self.rng.integers(0, len(self.codes) - T - 1, size=BATCH)
        windows = self.codes[starts[:, None] + self.offsets]          # (batch, T + 1)
        return self.eye[windows[:, :-1]], windows[:, 1:]


def rnnsim_model(seed=0) -> Model:
    spec = ModelSpec(cell="lstm", input_size=len(ALPHABET), hidden_size=HIDDEN, num_layers=1,
                     output_size=len(ALPHABET), loss="cross_entropy")
    return Model.create(spec, seed=seed)


def rnnsim_trainer(model: Model):
    """One training step of the engine: step(x, target) → loss (the calls of Trainer.step)."""
    optimizer = Adam(lr=LR)

    def step(x, target):
        loss, grads = model.loss_and_grads(x, target)
        clip_by_norm(grads, CLIP)
        optimizer.step(model.params, grads)
        return loss
    return step


def torch_trainer(model: Model, dtype_name="float64"):
    """The same model in PyTorch (weights copied from ``model``): step(x, target) → loss."""
    import torch
    dtype = getattr(torch, dtype_name)
    rnn = torch.nn.LSTM(len(ALPHABET), HIDDEN, batch_first=True).to(dtype)
    fc = torch.nn.Linear(HIDDEN, len(ALPHABET)).to(dtype)
    named = list(rnn.named_parameters()) + [("fc." + n, p) for n, p in fc.named_parameters()]
    with torch.no_grad():
        for name, p in named:
            p.copy_(torch.from_numpy(model.params[name if name.startswith("fc.") else "rnn." + name]))
    params = [p for _, p in named]
    optimizer = torch.optim.Adam(params, lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(x, target):
        optimizer.zero_grad(set_to_none=True)
        out, _ = rnn(torch.from_numpy(x).to(dtype))
        logits = fc(out)
        loss = loss_fn(logits.reshape(-1, len(ALPHABET)), torch.from_numpy(target).reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        optimizer.step()
        return loss.detach().item()
    return step


def check_parity(codes) -> float:
    """The largest relative difference of the two engines' losses over PARITY_STEPS identical steps."""
    model = rnnsim_model()
    theirs = torch_trainer(model)                     # copies the weights before rnnsim updates them
    ours = rnnsim_trainer(model)
    batches = Batches(codes, seed=123)
    worst = 0.0
    for _ in range(PARITY_STEPS):
        x, target = batches.next()
        a, b = ours(x, target), theirs(x, target)
        worst = max(worst, abs(a - b) / abs(b))
    return worst


def timed_round(step, batches, n_steps) -> float:
    """Steps per second of ``n_steps`` training steps (batch sampling included: both engines pay it)."""
    start = time.perf_counter()
    for _ in range(n_steps):
        step(*batches.next())
    return n_steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20, help="training steps per round and engine")
    args = parser.parse_args()

    codes = corpus_codes()
    epoch_steps = len(codes) / (BATCH * T)
    print(f"char-RNN: LSTM {HIDDEN} units, T {T}, batch {BATCH}, {len(ALPHABET)}-character one-hot, "
          f"Adam lr {LR}, clip norm {CLIP}; text {len(codes):,} characters ({epoch_steps:.0f} steps/epoch)")
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
        print("PyTorch is not installed: rnnsim figures only.")

    if torch_version:
        print(f"PyTorch {torch_version}, {torch.get_num_threads()} threads")
        worst = check_parity(codes)
        verdict = "ok" if worst <= PARITY_RTOL else "MISMATCH"
        print(f"parity: losses after {PARITY_STEPS} identical steps agree to {worst:.2e} relative "
              f"(need ≤ {PARITY_RTOL:g}): {verdict}")
        if worst > PARITY_RTOL:
            sys.exit(1)

    model = rnnsim_model()
    engines = {"rnnsim": rnnsim_trainer(model.copy())}
    if torch_version:
        engines["torch float64"] = torch_trainer(model)
        engines["torch float32"] = torch_trainer(model, "float32")
    rates = {name: [] for name in engines}
    for name, step in engines.items():                        # warm-up: kernels compiled, caches filled
        timed_round(step, Batches(codes, seed=0), 2)
    for round_ in range(args.rounds):
        for name, step in engines.items():
            rates[name].append(timed_round(step, Batches(codes, seed=1000 + round_), args.steps))

    print(f"\n{'engine':14} {'steps/s':>8} {'chars/s':>9} {'epoch s':>8}   rounds (steps/s)")
    medians = {}
    for name, values in rates.items():
        medians[name] = median = statistics.median(values)
        note = "   <- for reference, not like-for-like" if name == "torch float32" else ""
        print(f"{name:14} {median:8.1f} {median * BATCH * T:9.0f} {epoch_steps / median:8.1f}   "
              + " ".join(f"{v:.1f}" for v in values) + note)
    if torch_version:
        ratio = medians["rnnsim"] / medians["torch float64"]
        print(f"\nratio rnnsim / torch float64 (like for like): {ratio:.2f}x  "
              f"({'meets' if ratio >= 1.0 else 'BELOW'} the target ≥ 1.0)")
        print(f"ratio rnnsim / torch float32 (for reference, not like-for-like): "
              f"{medians['rnnsim'] / medians['torch float32']:.2f}x")


if __name__ == "__main__":
    main()
