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
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import ROOT, TIMEOUT, TRACE, Xvfb  # noqa: E402  (the benchmark beside this one)


def start_once(command: list[str], display: str) -> dict[str, float]:
    """Start ``command`` once; return {"painted": s, "interactive": s} after stopping it."""
    with tempfile.TemporaryDirectory(prefix="rnnsim-bundle-startup-") as home:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", RNNSIM_STARTUP_TRACE="1",
                   XDG_CONFIG_HOME=str(Path(home, "config")), RNNSIM_DATA_DIR=str(Path(home, "data")))
        env.pop("WAYLAND_DISPLAY", None)
        stderr_path = Path(home, "stderr.txt")
        with open(stderr_path, "w") as stderr:
            app = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
            found: dict[str, float] = {}
            deadline = time.monotonic() + TIMEOUT
            while "interactive" not in found and app.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
                found = {what: float(s) for what, s in TRACE.findall(stderr_path.read_text())}
            app.send_signal(signal.SIGTERM)
            try:
                app.wait(30)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
        text = stderr_path.read_text()
    if "interactive" not in found:
        raise SystemExit(f"{command[0]} did not report 'startup interactive'; its stderr:\n{text[-3000:]}")
    return found


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
