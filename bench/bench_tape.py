"""Recording cost of a Tape (rnnsim.tape.record): wall time and peak memory.

    python bench/bench_tape.py            # prints one row per configuration

Target (the issue): a 2-layer LSTM, hidden 64, T = 200, batch 1 records in < 50 ms and < 50 MB.
Time is the median of several records after a warm-up; memory is tracemalloc's peak during one
record (numpy allocations included). Reading events afterwards (formulas, quantities) is also timed:
the first read of every event and the cost of a cursor round trip.
"""
import os
import statistics
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from rnnsim import Model, ModelSpec, optim  # noqa: E402
from rnnsim.tape import record  # noqa: E402

CONFIGS = [
    # (cell, layers, hidden, T, batch, bidirectional, output)
    ("lstm", 2, 64, 200, 1, False, "sequence"),      # the target
    ("gru", 1, 32, 100, 1, False, "sequence"),
    ("rnn_tanh", 1, 64, 200, 1, False, "sequence"),
    ("lstm", 2, 64, 200, 4, True, "last"),
]
TARGET = {"ms": 50.0, "MB": 50.0}


def problem(cell, layers, hidden, steps, batch, bidirectional, output, seed=0):
    spec = ModelSpec(cell=cell, input_size=8, hidden_size=hidden, num_layers=layers, bidirectional=bidirectional,
                     output_size=4, output=output, loss="cross_entropy")
    model = Model.create(spec, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, 8))
    y = rng.integers(0, 4, (batch, steps) if output == "sequence" else (batch,))
    return model, x, y


def measure(config, repeats=7):
    model, x, y = problem(*config)
    opt = optim.Adam(1e-3)
    kwargs = dict(truncate=50, clip=1.0, optimizer=opt)
    record(model, x, y, **kwargs)                                    # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        tape = record(model, x, y, **kwargs)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    tape = record(model, x, y, **kwargs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t0 = time.perf_counter()
    for e in tape.events:
        e.quantities
    read_all = time.perf_counter() - t0
    t0 = time.perf_counter()
    tape.run_to_end_of("update")
    while tape.prev() is not None:
        pass
    round_trip = time.perf_counter() - t0
    return {"events": len(tape.events), "ms": 1e3 * statistics.median(times), "MB": peak / 2 ** 20,
            "read_all_ms": 1e3 * read_all, "round_trip_ms": 1e3 * round_trip}


if __name__ == "__main__":
    print(f"{'cell':9} {'layers':>6} {'hidden':>6} {'T':>5} {'batch':>5} {'bidir':>5} {'output':>8} "
          f"{'events':>7} {'record ms':>9} {'peak MB':>8} {'read all ms':>11} {'cursor ms':>9}")
    for config in CONFIGS:
        r = measure(config)
        cell, layers, hidden, steps, batch, bidirectional, output = config
        print(f"{cell:9} {layers:>6} {hidden:>6} {steps:>5} {batch:>5} {str(bidirectional)[0]:>5} {output:>8} "
              f"{r['events']:>7} {r['ms']:>9.1f} {r['MB']:>8.1f} {r['read_all_ms']:>11.0f} {r['round_trip_ms']:>9.2f}",
              flush=True)
        if config == CONFIGS[0]:
            ok = r["ms"] < TARGET["ms"] and r["MB"] < TARGET["MB"]
            verdict = "met" if ok else "MISSED"
            print(f"  target (< {TARGET['ms']:.0f} ms, < {TARGET['MB']:.0f} MB): {verdict}", flush=True)
