"""The bundle's start against ``python main.py``: both on the xcb platform under one private Xvfb, interleaved.

Each run starts the program with ``RNNSIM_STARTUP_TRACE=1`` (ui/app.py prints ``startup painted`` and
``startup interactive``, seconds since its process started; see bench/bench_startup.py) and stops it with
SIGTERM. Settings and autosave go to a fresh temporary folder per run. Both programs first start once,
not counted (numba's cache and the OS's file cache warm: the source checkout caches kernels beside its
sources, the bundle in the user's cache folder); then ``--runs`` rounds start ``python main.py`` and the
bundle one after the other. Prints each figure's median and range and the ratio bundle / python.

    python bench/bench_bundle_startup.py [--runs 5] [--bundle dist/rnnsim/rnnsim]
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_startup
from bench_startup import ROOT, Xvfb


def start_once(command: list[str], display: str) -> dict[str, float]:
    """One start of ``command`` (the bundle or ``python main.py``): {"painted": s, "interactive": s}."""
    return bench_startup.start_once(display, ROOT, command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "rnnsim" / "rnnsim")
    args = parser.parse_args()
    if not args.bundle.is_file():
        raise SystemExit(f"no bundle at {args.bundle}: python scripts/build_bundle.py")
    programs = {"python": [sys.executable, "main.py"], "bundle": [str(args.bundle.resolve())]}
    results = {name: {"painted": [], "interactive": []} for name in programs}
    with Xvfb() as xvfb:
        for command in programs.values():
            start_once(command, xvfb.display)                    # warms the kernel cache and the file cache
        for k in range(args.runs):
            for name, command in programs.items():
                found = start_once(command, xvfb.display)
                for what in ("painted", "interactive"):
                    results[name][what].append(found[what])
                print(f"run {k + 1} {name:>6}: painted {found['painted']:.3f} s, "
                      f"interactive {found['interactive']:.3f} s", flush=True)
    for what in ("painted", "interactive"):
        medians = {}
        for name in programs:
            values = results[name][what]
            medians[name] = statistics.median(values)
            print(f"{what:>11} {name:>6}: median {medians[name]:.3f} s (range {min(values):.3f}–{max(values):.3f} s)")
        print(f"{what:>11}  ratio bundle / python: {medians['bundle'] / medians['python']:.2f}")


if __name__ == "__main__":
    main()
