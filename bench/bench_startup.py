"""How fast the real app starts: ``python main.py`` on the xcb platform under a private Xvfb.

Each run starts ``python main.py`` with ``RNNSIM_STARTUP_TRACE=1``; the app prints (ui/app.py
``StartupTrace``) the seconds from its process start to

* ``painted``: the main window's first paint event handled and the event loop running again;
* ``interactive``: the first Tape shown (``window.ready``) and the event loop answering within 50 ms.

The app is then stopped with SIGTERM. One run first warms numba's cache and the OS's file cache and is
not counted; then ``--runs`` (default 5) runs are timed and the median and range of both figures
printed. The settings and the autosave folder are a fresh temporary folder per run (``XDG_CONFIG_HOME``,
``RNNSIM_DATA_DIR``): the user's are left alone and every run starts as a first start of the window
(the Lessons page in front), with numba's cache warm. Finally ``python -X importtime`` of the modules
``ui.app.main`` imports before it builds the window (ui.app, rnnsim.train_process, ui.main_window) lists
the imports that cost most on the way to the window (the app itself is not used for this: its worker
threads and the training process import more meanwhile, and would mix into the list).

    python bench/bench_startup.py [--runs 5] [--top 25] [--baseline REV]

``--baseline REV`` also starts the app as it was at git revision REV (``git archive`` into a temporary
folder; its first start compiles its own kernel cache and is not counted), interleaved with the current
tree run by run, and prints each figure's ratio current / baseline — the machine's load drifts, so only
figures from one run of this script compare.

Targets (issue 16): painted < 1 s, interactive < 1.5 s (median of 5, warm numba cache).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRACE = re.compile(r"^startup (painted|interactive) ([0-9.]+)$", re.MULTILINE)
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$", re.MULTILINE)
TIMEOUT = 120.0
TARGETS = {"painted": 1.0, "interactive": 1.5}
#: what ui.app.main imports before it builds the window
IMPORT_PATH = "import ui.app, rnnsim.train_process, ui.main_window"


class Xvfb:
    """A private X server: ``Xvfb -displayfd`` picks a free display number and writes it to a pipe."""

    def __enter__(self):
        read_end, write_end = os.pipe()
        self.process = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1600x1000x24",
                                         "-nolisten", "tcp"], pass_fds=(write_end,),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.process.kill()
            raise SystemExit("Xvfb did not start")
        self.display = f":{number}"
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(10)


def start_once(display: str, root: Path = ROOT, command: list[str] | None = None) -> dict[str, float]:
    """Start the app once — ``python main.py`` in ``root``, or ``command`` (a bundle's executable) — and
    return {"painted": s, "interactive": s} after stopping it."""
    with tempfile.TemporaryDirectory(prefix="rnnsim-startup-") as home:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", RNNSIM_STARTUP_TRACE="1",
                   XDG_CONFIG_HOME=str(Path(home, "config")), RNNSIM_DATA_DIR=str(Path(home, "data")))
        env.pop("WAYLAND_DISPLAY", None)
        stderr_path = Path(home, "stderr.txt")
        with open(stderr_path, "w") as stderr:
            app = subprocess.Popen(command or [sys.executable, "main.py"], cwd=root, env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
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
        raise SystemExit(f"{(command or ['the app'])[0]} did not report 'startup interactive'; its stderr:\n"
                         f"{text[-3000:]}")
    return found


def import_offenders(text: str, top: int) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) of the ``top`` costliest imports by self time."""
    rows = [(int(own), int(cumulative), name) for own, cumulative, _, name in IMPORT_LINE.findall(text)]
    return sorted(rows, reverse=True)[:top]


def package_totals(text: str) -> list[tuple[int, str]]:
    """Self time summed per top-level package (µs), largest first."""
    totals: dict[str, int] = {}
    for own, _, _, name in IMPORT_LINE.findall(text):
        package = name.split(".")[0]
        totals[package] = totals.get(package, 0) + int(own)
    return sorted(((us, name) for name, us in totals.items()), reverse=True)


def baseline_tree(revision: str, folder: Path) -> Path:
    """The repository as it was at ``revision``, unpacked into ``folder`` (the working tree is untouched)."""
    archive = subprocess.run(["git", "archive", "--format=tar", revision], cwd=ROOT, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=25, help="import offenders to list (0: none)")
    parser.add_argument("--baseline", metavar="REV", help="also time the app at this git revision, interleaved")
    args = parser.parse_args()
    if shutil.which("Xvfb") is None:
        raise SystemExit("bench_startup needs Xvfb (apt-get install xvfb)")
    with Xvfb() as xvfb, tempfile.TemporaryDirectory(prefix="rnnsim-baseline-") as folder:
        trees = {"current": ROOT}
        if args.baseline:
            trees["baseline"] = baseline_tree(args.baseline, Path(folder))
        results = {name: {"painted": [], "interactive": []} for name in trees}
        for root in trees.values():
            start_once(xvfb.display, root)                        # warms numba's cache and the file cache
        for k in range(args.runs):
            for name, root in trees.items():
                found = start_once(xvfb.display, root)
                for what in results[name]:
                    results[name][what].append(found[what])
                print(f"run {k + 1} {name:>8}: painted {found['painted']:.3f} s, "
                      f"interactive {found['interactive']:.3f} s")
        for name in trees:
            for what, values in results[name].items():
                median = statistics.median(values)
                verdict = "meets" if median < TARGETS[what] else "misses"
                print(f"{name:>8} {what:>11}: median {median:.3f} s (range {min(values):.3f}–{max(values):.3f} s, "
                      f"{args.runs} runs) — {verdict} the target < {TARGETS[what]} s")
        if args.baseline:
            for what in ("painted", "interactive"):
                ratio = statistics.median(results["current"][what]) / statistics.median(results["baseline"][what])
                print(f"{what:>11}: current / baseline {args.baseline} = {ratio:.2f}")
        if args.top:
            text = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORT_PATH], cwd=ROOT,
                                  env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), capture_output=True,
                                  text=True, timeout=TIMEOUT).stderr
            print("\nimport time by package (self, one run under -X importtime, which slows imports):")
            for us, name in package_totals(text)[:12]:
                print(f"  {us / 1000:8.1f} ms  {name}")
            print(f"\nthe {args.top} costliest imports by self time (ms self / cumulative):")
            for own, cumulative, name in import_offenders(text, args.top):
                print(f"  {own / 1000:8.1f} {cumulative / 1000:8.1f}  {name}")


if __name__ == "__main__":
    main()
