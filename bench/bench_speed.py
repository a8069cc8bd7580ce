"""Engine speed against PyTorch and against the machine's matrix-product peak, in one run (issue 14).

    python bench/bench_speed.py                  # peak, targets table, how cost grows (~3 min)
    python bench/bench_speed.py --quick          # fewer rounds, shorter timings (~1 min)
    python bench/bench_speed.py --engine PATH    # import rnnsim from another checkout
    python bench/bench_speed.py --compare OLD NEW   # before/after: rnnsim only, two checkouts, alternating

A "before" checkout comes from a git worktree of an older commit, e.g.

    git worktree add /tmp/rnnsim-before 450feb1
    python bench/bench_speed.py --compare /tmp/rnnsim-before .
    git worktree remove --force /tmp/rnnsim-before

What it measures (float64 everywhere, same weights and data for both engines, input size 4,
output size 4, one layer, sequence output, MSE):

1. **Peak**: GFLOP/s of a 2048 × 2048 numpy matrix product (2·n³ FLOPs), best of a few, with the
   BLAS on one thread and on every core (threadpoolctl) — this machine's float64 limit, this run.
2. **Targets**: LSTM and GRU at (hidden, T, batch) = (32, 50, 32), (128, 50, 64), (256, 100, 32):
   steps/s of rnnsim and PyTorch (CPU eager, its default thread count, printed) for forward + BPTT
   (``loss_and_grads`` against ``loss.backward()``) and for a training step (the same plus an SGD
   update of every parameter). Rounds are interleaved — rnnsim, torch, rnnsim, torch, … — and the
   medians compared; PASS/MISS against issue 14's targets (≥ 5×, ≥ 2×, ≥ 1.5×). For hidden 128
   and 256 the GFLOP/s of forward + BPTT and their fraction of the all-core peak.
3. **How cost grows**: ms per ``loss_and_grads`` against T (25 → 400, hidden 128, batch 32) and
   against hidden (8 → 512, T 50, batch 32), both engines, with each row's ratio to the previous
   one: doubling T should double the time; hidden ×k (×4, then ×2 from 128) should cost between
   ×k (while the per-step overhead and the element-wise gate work, ∝ H, dominate) and ×k² (the
   matrix products, ∝ H²); the "expected" column shows that range. A fixed cost per step (PyTorch's
   operator dispatch at small H) keeps the growth below ×k until the arithmetic dominates.
4. **Before/after** (``--compare``): the rnnsim part of the targets table, run in two subprocesses
   that alternate (old, new, old, new, …), each checkout warmed up first (numba caches per
   checkout), medians per row. Then what must not get slower, alternating the same way: recording
   a Tape (2-layer LSTM 64, T 200, batch 1, median of 5), a warm start (a new process: import and
   the first ``loss_and_grads``, numba cache warm) and a cold start (the same for the Elman, LSTM
   and GRU kernels with an empty numba cache: the compile time a first start pays).

How FLOPs are counted, per timestep and layer, with B batch, I input size, H hidden, G gate
blocks (4 LSTM, 3 GRU), O output size; a matrix product (m×k)·(k×n) is 2·m·k·n FLOPs:

    forward    recurrent  h(t-1)·W_hhᵀ        2·B·H·GH
               input      x(t)·W_ihᵀ          2·B·I·GH
    backward   ∂L/∂h(t-1) = δ·W_hh            2·B·GH·H
               ∂L/∂x(t)   = δ·W_ih            2·B·GH·I
               ∂L/∂W_hh  += δᵀ·h(t-1)         2·B·GH·H
               ∂L/∂W_ih  += δᵀ·x(t)           2·B·GH·I
    per step and layer                        6·B·GH·(H + I)
    head (sequence output, per step)          6·B·H·O   (forward, ∂L/∂h, ∂L/∂W)

    FLOPs(forward + BPTT) = T · (6·B·G·H·(H + I) + 6·B·H·O)

Gate nonlinearities, the loss and the updates are element-wise (O(B·GH) per step) and not
counted, so the GFLOP/s figures are a lower bound of the work done.

Timings on a 2-core VM drift ±50 % between runs: compare only figures from one run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

INPUT_SIZE = OUTPUT_SIZE = 4
CELLS = ("lstm", "gru")
GATE_BLOCKS = {"lstm": 4, "gru": 3}
TARGET_CONFIGS = [(32, 50, 32), (128, 50, 64), (256, 100, 32)]     # (hidden, T, batch)
TARGET_RATIO = {(32, 50, 32): 5.0, (128, 50, 64): 2.0, (256, 100, 32): 1.5}
FLOP_HIDDEN = (128, 256)                                             # rows with GFLOP/s and % of peak
SCALING_T = (25, 50, 100, 200, 400)                                  # at hidden 128, batch 32
SCALING_HIDDEN = (8, 32, 128, 256, 512)                              # at T 50, batch 32
MODES = ("grads", "train")
MODE_TITLE = {"grads": "forward + BPTT (loss_and_grads)", "train": "training step (+ SGD update)"}


def _parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer rounds and shorter timings")
    p.add_argument("--engine", metavar="PATH", help="import rnnsim from this checkout instead of this one")
    p.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"),
                   help="before/after: the rnnsim part of the targets table from two checkouts, alternating")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 5, --quick 3; --compare: 3)")
    p.add_argument("--no-torch", action="store_true", help="rnnsim figures only")
    p.add_argument("--no-scaling", action="store_true", help="skip the 'how cost grows' tables")
    p.add_argument("--scaling-cells", default="lstm,gru", help="cells for the scaling tables (default lstm,gru)")
    p.add_argument("--worker", choices=("warm", "round"), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _import_rnnsim(engine_path):
    """Import rnnsim from ``engine_path`` (a checkout holding rnnsim/) or from this repository."""
    root = os.path.abspath(engine_path or REPO)
    if not os.path.isfile(os.path.join(root, "rnnsim", "__init__.py")):
        sys.exit(f"bench_speed: no rnnsim package in {root}")
    sys.path.insert(0, root)
    import rnnsim
    if os.path.dirname(os.path.dirname(os.path.abspath(rnnsim.__file__))) != root:
        sys.exit(f"bench_speed: rnnsim was already imported from {rnnsim.__file__}, not {root}")
    return rnnsim


# ---- FLOPs and the machine's peak ---------------------------------------------------------------

def flops_forward_bptt(cell, hidden, steps, batch, input_size=INPUT_SIZE, output_size=OUTPUT_SIZE):
    """Matrix-product FLOPs of one forward + BPTT of a 1-layer network (formula in the docstring)."""
    gh = GATE_BLOCKS[cell] * hidden
    per_step = 6 * batch * gh * (hidden + input_size) + 6 * batch * hidden * output_size
    return steps * per_step


def measure_peak(size=2048, repeats=4):
    """{threads: GFLOP/s} of a float64 size×size numpy matmul, best of ``repeats``, 1 thread and all cores."""
    import numpy as np
    from threadpoolctl import threadpool_limits
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((size, size)), rng.standard_normal((size, size))
    out = np.empty_like(a)
    peak = {}
    for threads in (1, os.cpu_count() or 1):
        with threadpool_limits(limits=threads, user_api="blas"):
            np.matmul(a, b, out=out)
            best = min(_seconds(lambda: np.matmul(a, b, out=out)) for _ in range(repeats))
        peak[threads] = 2 * size ** 3 / best / 1e9
    return peak


def _seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ---- problems and steps ---------------------------------------------------------------------------

def _problem(rnnsim, cell, hidden, steps, batch, seed=0):
    import numpy as np
    spec = rnnsim.ModelSpec(cell=cell, input_size=INPUT_SIZE, hidden_size=hidden, output_size=OUTPUT_SIZE)
    model = rnnsim.Model.create(spec, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, INPUT_SIZE))
    target = rng.standard_normal((batch, steps, OUTPUT_SIZE))
    return model, x, target


def _rnnsim_step(model, x, target, update, lr=1e-3):
    model = model.copy()

    def step():
        _, grads = model.loss_and_grads(x, target)
        if update:
            for name, g in grads.items():
                model.params[name] -= lr * g
    return step


def _torch_step(model, x, target, update, lr=1e-3):
    import torch
    spec = model.spec
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[spec.cell]
    rnn = module(spec.input_size, spec.hidden_size, batch_first=True).double()
    fc = torch.nn.Linear(spec.hidden_size, spec.output_size).double()
    named = [("rnn." + n, p) for n, p in rnn.named_parameters()] + [("fc." + n, p) for n, p in fc.named_parameters()]
    with torch.no_grad():
        for name, p in named:
            p.copy_(torch.from_numpy(model.params[name]))
    params = [p for _, p in named]
    xt, tt = torch.from_numpy(x), torch.from_numpy(target)
    loss_fn = torch.nn.MSELoss()

    def step():
        for p in params:
            p.grad = None
        out, _ = rnn(xt)
        loss_fn(fc(out), tt).backward()
        if update:
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
    return step


def _rate(step, min_time, min_reps=2):
    """Steps per second of ``step()`` (already warmed up) over ≥ ``min_time`` s and ≥ ``min_reps`` calls."""
    reps, start = 0, time.perf_counter()
    while True:
        step()
        reps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time and reps >= min_reps:
            return reps / elapsed


def interleaved(steps: dict, rounds: int, min_time: float) -> dict:
    """{name: median steps/s}: each step warmed up once, then ``rounds`` rounds, each timing every step
    in turn (a, b, c, …, a, b, c, …) — a burst of load from elsewhere then hits one round of every
    row instead of every round of one row."""
    for step in steps.values():
        step()
    rates = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            rates[name].append(_rate(step, min_time))
        print(".", end="", flush=True)
    print()
    return {name: statistics.median(r) for name, r in rates.items()}


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# ---- the tables -----------------------------------------------------------------------------------

def _table(header, rows, left=0):
    """Plain aligned text: ``header`` and ``rows`` are lists of strings; the first ``left`` columns are
    left-aligned, the rest right-aligned."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i < left else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _fmt(value, spec, missing="-"):
    """``value`` formatted by ``spec`` (a trailing "×" or "%" is appended after the number), or ``missing``."""
    if value is None:
        return missing
    suffix = spec[-1] if spec[-1] in "×%" else ""
    return format(value, spec.rstrip("×%")) + suffix


def targets(rnnsim, with_torch, rounds, min_time, peak_all):
    """Rows of the targets table (dicts); every row is timed in every round."""
    runners = {}
    for cell in CELLS:
        for config in TARGET_CONFIGS:
            model, x, target = _problem(rnnsim, cell, *config)
            for mode in MODES:
                runners[(cell, config, "rnnsim", mode)] = _rnnsim_step(model, x, target, update=mode == "train")
                if with_torch:
                    runners[(cell, config, "torch", mode)] = _torch_step(model, x, target, update=mode == "train")
    rates = interleaved(runners, rounds, min_time)
    results = []
    for cell in CELLS:
        for hidden, steps, batch in TARGET_CONFIGS:
            config = (hidden, steps, batch)
            flops = flops_forward_bptt(cell, hidden, steps, batch) if hidden in FLOP_HIDDEN else None
            for mode in MODES:
                ours, theirs = rates[(cell, config, "rnnsim", mode)], rates.get((cell, config, "torch", mode))
                results.append({"cell": cell, "hidden": hidden, "T": steps, "batch": batch, "mode": mode,
                                "rnnsim": ours, "torch": theirs, "ratio": ours / theirs if theirs else None,
                                "target": TARGET_RATIO[(hidden, steps, batch)],
                                "gflops": flops / 1e9 if flops else None,
                                "rnnsim_gflops_s": flops * ours / 1e9 if flops and mode == "grads" else None,
                                "torch_gflops_s": flops * theirs / 1e9 if flops and theirs and mode == "grads"
                                else None,
                                "peak": peak_all})
    return results


def _percent(gflops_s, peak):
    return None if gflops_s is None else 100 * gflops_s / peak


def format_targets(results):
    header = ["cell", "(hidden, T, batch)", "measure", "rnnsim/s", "torch/s", "ratio", "target", "met",
              "GFLOP", "rnnsim GFLOP/s", "% peak", "torch GFLOP/s", "% peak"]
    rows = []
    for r in results:
        verdict = "" if r["ratio"] is None else ("PASS" if r["ratio"] >= r["target"] else "MISS")
        rows.append([r["cell"], f"({r['hidden']}, {r['T']}, {r['batch']})",
                     "fwd+BPTT" if r["mode"] == "grads" else "train step",
                     f"{r['rnnsim']:.1f}", _fmt(r["torch"], ".1f"), _fmt(r["ratio"], ".2f×"),
                     f"≥ {r['target']:g}×", verdict,
                     _fmt(r["gflops"] if r["mode"] == "grads" else None, ".3f", ""),
                     _fmt(r["rnnsim_gflops_s"], ".1f", ""), _fmt(_percent(r["rnnsim_gflops_s"], r["peak"]), ".0f%", ""),
                     _fmt(r["torch_gflops_s"], ".1f", ""), _fmt(_percent(r["torch_gflops_s"], r["peak"]), ".0f%", "")])
    return _table(header, rows, left=3)


def scaling(rnnsim, cell, with_torch, rounds, min_time):
    """{axis: [(value, rnnsim ms, torch ms or None)]} for T at hidden 128 and hidden at T 50 (batch 32)."""
    points = {"T": [(128, t, 32) for t in SCALING_T], "hidden": [(h, 50, 32) for h in SCALING_HIDDEN]}
    runners = {}
    for configs in points.values():
        for config in configs:
            if (config, "rnnsim") in runners:
                continue                     # (128, 50, 32) is on both axes: time it once
            model, x, target = _problem(rnnsim, cell, *config)
            runners[(config, "rnnsim")] = _rnnsim_step(model, x, target, update=False)
            if with_torch:
                runners[(config, "torch")] = _torch_step(model, x, target, update=False)
    rates = interleaved(runners, rounds, min_time)
    return {axis: [(config[0] if axis == "hidden" else config[1], 1e3 / rates[(config, "rnnsim")],
                    1e3 / rates[(config, "torch")] if with_torch else None) for config in configs]
            for axis, configs in points.items()}


def format_scaling(cell, axis, points):
    fixed = "hidden 128, batch 32" if axis == "T" else "T 50, batch 32"
    header = [axis, f"{axis} × prev", "expected", "rnnsim ms", "× prev", "torch ms", "× prev", "torch/rnnsim"]
    rows = []
    for i, (value, ours, theirs) in enumerate(points):
        prev = points[i - 1] if i else None
        step = value / prev[0] if prev else None
        # time ∝ T; in hidden between ∝ H (overhead, element-wise gates) and ∝ H² (the matrix products)
        expected = "" if not prev else (f"×{step:g}" if axis == "T" else f"×{step:g} … ×{step * step:g}")
        rows.append([str(value), f"×{step:g}" if prev else "", expected,
                     f"{ours:.2f}", f"{ours / prev[1]:.2f}" if prev else "",
                     _fmt(theirs, ".2f"), f"{theirs / prev[2]:.2f}" if prev and theirs else "",
                     f"{theirs / ours:.2f}×" if theirs else "-"])
    return f"{cell.upper()}, ms per loss_and_grads against {axis} ({fixed})\n" + _table(header, rows)


# ---- before/after ---------------------------------------------------------------------------------

def worker(rnnsim, kind, min_time):
    """One rnnsim-only round of the targets rows, as JSON on stdout ("warm": one call each, untimed)."""
    rates = {}
    for cell in CELLS:
        for hidden, steps, batch in TARGET_CONFIGS:
            model, x, target = _problem(rnnsim, cell, hidden, steps, batch)
            for mode in MODES:
                step = _rnnsim_step(model, x, target, update=mode == "train")
                step()
                if kind == "round":
                    rates[f"{cell}|{hidden}|{steps}|{batch}|{mode}"] = _rate(step, min_time)
    if kind == "round":
        rates["tape_ms"] = _tape_ms(rnnsim)
    print("RESULT " + json.dumps({"engine": os.path.abspath(rnnsim.__file__), "rates": rates}))


def _tape_ms(rnnsim, repeats=5):
    """Median ms to record the Tape of a 2-layer LSTM (hidden 64), T 200, batch 1 (bench/bench_tape.py's target)."""
    import numpy as np
    from rnnsim.tape import record
    spec = rnnsim.ModelSpec(cell="lstm", input_size=INPUT_SIZE, hidden_size=64, output_size=OUTPUT_SIZE, num_layers=2)
    model = rnnsim.Model.create(spec, seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((1, 200, INPUT_SIZE)), rng.standard_normal((1, 200, OUTPUT_SIZE))
    record(model, x, y)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        record(model, x, y)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


START = ("import time; t = time.perf_counter(); import numpy as np, rnnsim\n"
         "for cell in {cells!r}:\n"
         "    m = rnnsim.Model.create(rnnsim.ModelSpec(cell=cell, input_size=4, hidden_size=8, output_size=4))\n"
         "    m.loss_and_grads(np.zeros((2, 5, 4)), np.zeros((2, 5, 4)))\n"
         "print(time.perf_counter() - t)")


def _start_seconds(engine, cold):
    """Seconds from a new interpreter's start to its first loss_and_grads, importing rnnsim from ``engine``.
    Cold: an empty numba cache and every cell family's kernels compiled; warm: the cache filled, LSTM only."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="rnnsim-cold-") as cache:
        env = dict(os.environ, PYTHONPATH=engine)
        if cold:
            env["NUMBA_CACHE_DIR"] = cache
        cells = ("rnn_tanh", "lstm", "gru") if cold else ("lstm",)
        done = subprocess.run([sys.executable, "-c", START.format(cells=cells)], env=env, cwd=engine,
                              capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench_speed: start-up run for {engine} failed:\n{done.stderr}")
    return float(done.stdout.split()[-1])


def _run_worker(engine, kind, quick):
    cmd = [sys.executable, os.path.abspath(__file__), "--engine", engine, "--worker", kind]
    if quick:
        cmd.append("--quick")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench_speed: worker for {engine} failed:\n{done.stderr}")
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def compare(old, new, rounds, quick):
    """Before/after table of the rnnsim targets rows: subprocesses alternate old, new, old, new, …"""
    engines = {"before": os.path.abspath(old), "after": os.path.abspath(new)}
    for label, path in engines.items():
        start = time.perf_counter()
        _run_worker(path, "warm", quick)
        t = time.perf_counter() - start
        print(f"{label}: {path}  (warm-up incl. any numba compile: {t:.1f} s)", flush=True)
    rates = {"before": {}, "after": {}}
    for i in range(rounds):
        for label, path in engines.items():
            for key, value in _run_worker(path, "round", quick)["rates"].items():
                rates[label].setdefault(key, []).append(value)
        print(f"round {i + 1}/{rounds} done", flush=True)
    for label, path in engines.items():
        _start_seconds(path, cold=False)                         # this checkout's numba cache filled
    for i in range(rounds):
        for label, path in engines.items():
            rates[label].setdefault("warm_s", []).append(_start_seconds(path, cold=False))
            rates[label].setdefault("cold_s", []).append(_start_seconds(path, cold=True))
        print(f"start-up round {i + 1}/{rounds} done", flush=True)
    others = {"tape_ms": "Tape record, 2-layer LSTM 64, T 200, batch 1 (ms)",
              "warm_s": "warm start: import + first loss_and_grads (s)",
              "cold_s": "cold start: compile Elman, LSTM, GRU kernels (s)"}
    header = ["cell", "(hidden, T, batch)", "measure", "before/s", "after/s", "after/before"]
    rows = []
    for key in [k for k in rates["before"] if k not in others]:
        cell, hidden, steps, batch, mode = key.split("|")
        b, a = statistics.median(rates["before"][key]), statistics.median(rates["after"][key])
        rows.append([cell, f"({hidden}, {steps}, {batch})", "fwd+BPTT" if mode == "grads" else "train step",
                     f"{b:.1f}", f"{a:.1f}", f"{a / b:.2f}×"])
    print(f"\nrnnsim steps/s, before → after (medians of {rounds} alternating rounds, one process per round)")
    print(_table(header, rows, left=3))
    rows = []
    for key, name in others.items():
        b, a = statistics.median(rates["before"][key]), statistics.median(rates["after"][key])
        rows.append([name, f"{b:.{1 if key == 'tape_ms' else 2}f}", f"{a:.{1 if key == 'tape_ms' else 2}f}",
                     f"{a / b:.2f}×"])
    print(f"\nWhat must not get slower (lower is better; medians of {rounds} alternating rounds)")
    print(_table(["measure", "before", "after", "after/before"], rows, left=1))


def main(argv=None):
    args = _parse_args(argv)
    min_time = 0.1 if args.quick else 0.4
    if args.compare:
        compare(*args.compare, rounds=max(3, args.rounds or 3), quick=args.quick)
        return
    rnnsim = _import_rnnsim(args.engine)
    if args.worker:
        worker(rnnsim, args.worker, min_time)
        return
    rounds = args.rounds or (3 if args.quick else 5)
    with_torch = torch_available() and not args.no_torch
    import numpy as np
    print(f"bench_speed  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  rnnsim from {os.path.dirname(rnnsim.__file__)}")
    print(f"numpy {np.__version__}, {os.cpu_count()} cores", end="")
    if with_torch:
        import torch
        print(f", PyTorch {torch.__version__} CPU eager float64 with {torch.get_num_threads()} threads "
              "(torch.get_num_threads(), its default)")
    else:
        print("\nPyTorch " + ("skipped (--no-torch)" if args.no_torch else "is not installed") +
              ": rnnsim figures only, no ratios")

    peak = measure_peak()
    peak_all = peak[max(peak)]
    print("\nfloat64 matrix-product peak (numpy 2048×2048 matmul, best of 4): " +
          ", ".join(f"{g:.1f} GFLOP/s on {n} BLAS thread{'s' if n > 1 else ''}" for n, g in peak.items()))

    print(f"\nTargets: steps/s, medians of {rounds} interleaved rounds (≥ {min_time} s each); "
          "% peak = GFLOP/s of forward + BPTT over the all-core peak", flush=True)
    results = targets(rnnsim, with_torch, rounds, min_time, peak_all)
    print(format_targets(results))

    if not args.no_scaling:
        scale_rounds = 2 if args.quick else 5
        print(f"\nHow cost grows (medians of {scale_rounds} interleaved rounds; × prev = this row over the one above)",
              flush=True)
        for cell in [c.strip() for c in args.scaling_cells.split(",") if c.strip()]:
            table = scaling(rnnsim, cell, with_torch, scale_rounds, min_time * 0.8)
            for axis, points in table.items():
                print(format_scaling(cell, axis, points) + "\n", flush=True)


if __name__ == "__main__":
    main()
