"""Start the bundle where there is no Python, to a screenshot: ``python scripts/check_bundle.py``.

Uses ``dist/rnnsim`` (made by scripts/build_bundle.py, which this runs first when the bundle is missing or
with ``--rebuild``), copies it into a temporary folder made read-only, and starts its executable twice
on a fresh Xvfb display (``Xvfb -displayfd``) with an environment holding only DISPLAY, HOME and
XDG_CACHE_HOME (temporary folders) and RNNSIM_STARTUP_TRACE — no PATH, no PYTHONPATH, no Python anywhere
the program could find one. Each start must:

- show one visible window named "rnnsim …" (``xdotool search``) and print ``startup painted`` and
  ``startup interactive`` (ui/app.py's start-up trace), within the deadline;
- start the training worker as a child of its own (the bundle's ``-c`` entry), not a second window;
- give a screenshot (``import -window root``) that is not blank (≥ 100 colours, ``identify -format %k``);
- end on SIGTERM, its worker with it.

Before that, started without DISPLAY, the pre-flight check must say so in one line and exit 2; and a
training run in the bundle's worker process (:data:`WORKER_RUN`) must equal the same run in-process.

Run as root (who may write anywhere), the program runs as the user "nobody" (``setpriv``), so that the
read-only copy really is read-only to it.

The first start has an empty cache: the kernels compile into ``$XDG_CACHE_HOME/rnnsim/numba`` (the check
waits until every kernel family's forward and backward index file is there). The second start must
load them: no kernel file in that folder is written again. Prints the times; exit status 0 when
everything held, 1 otherwise (with the app's output). Needs Xvfb, xdotool and ImageMagick
(``apt-get install xvfb xdotool imagemagick``). Linux only.
"""
from __future__ import annotations

import argparse
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_bundle  # noqa: E402  (the script beside this one)

ROOT = build_bundle.ROOT
#: the kernels the app's warm-up compiles: every family's forward and backward (rnnsim/cells/<family>.py)
KERNEL_INDEXES = [f"{family}.{kernel}-" for family in ("elman", "lstm", "gru") for kernel in ("forward", "backward")]
WINDOW_NAME = "^rnnsim"
MIN_COLOURS = 100
NOBODY = 65534
#: the prefix that runs a command as an unprivileged user when this check runs as root
AS_USER = ["/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"] \
    if hasattr(os, "geteuid") and os.geteuid() == 0 else []


#: run by the bundle (``rnnsim -c``): 25 training steps in a worker process (rnnsim.train_process, which
#: starts the bundle again with ``-c``) and the same steps here; prints "same" when they agree bit for bit
WORKER_RUN = """
import numpy as np
from rnnsim import recipe
from rnnsim.data import make_task
from rnnsim.train import Trainer
from rnnsim.train_process import DONE, SNAPSHOTS, TrainerProcess

def trainer():
    dataset, task = make_task("temporal-xor", seed=0, n=64)
    config = recipe.build_config(task.training)
    spec = recipe.build_spec(dataset, task.model)
    return Trainer(recipe.build_model(spec, "pytorch", config.seed, None, task.initial_params), dataset, config)

here = trainer()
here.run(max_steps=25)
worker = TrainerProcess.acquire()
worker.start_run(trainer(), max_steps=25)
kind, payload = worker.receive()
while kind == SNAPSHOTS:
    kind, payload = worker.receive()
worker.close()
assert kind == DONE, (kind, payload)
assert payload.history.to_dict() == here.history.to_dict()
assert all(np.array_equal(payload.model.params[name], value) for name, value in here.model.params.items())
print("same")
"""


class CheckFailed(Exception):
    pass


def wait_for(condition, deadline: float, what: str, poll: float = 0.2):
    """Poll ``condition()`` until it returns something true; CheckFailed naming ``what`` at ``deadline``."""
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise CheckFailed(f"gave up waiting for {what}")
        time.sleep(poll)


def start_xvfb(timeout: float = 30.0):
    """A fresh Xvfb server on a free display number (``-displayfd``); returns (process, ":N")."""
    read_end, write_end = os.pipe()
    process = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1600x1000x24",
                                "-nolisten", "tcp"], pass_fds=(write_end,),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    number = b""
    deadline = time.monotonic() + timeout
    while not number.endswith(b"\n"):
        ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(read_end, 16) if ready else b""
        if not chunk:
            process.kill()
            raise CheckFailed("Xvfb did not report a display number")
        number += chunk
    os.close(read_end)
    return process, f":{number.decode().strip()}"


def read_only_copy(bundle: Path, into: Path) -> Path:
    """Copy the bundle folder into ``into`` and take away every write permission; return the copy."""
    copy = into / bundle.name
    shutil.copytree(bundle, copy, symlinks=True)
    for folder, names, files in os.walk(copy):
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    for folder, _, _ in sorted(os.walk(copy), key=lambda entry: -len(entry[0])):
        Path(folder).chmod(Path(folder).stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return copy


def make_writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def kernel_files(cache: Path) -> dict[str, int]:
    """Every .nbi/.nbc file under ``cache`` → its modification time (ns)."""
    return {str(path.relative_to(cache)): path.stat().st_mtime_ns
            for path in cache.rglob("*") if path.suffix in (".nbi", ".nbc")}


def visible_windows(display: str) -> list[str]:
    result = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", WINDOW_NAME],
                            env={"DISPLAY": display}, capture_output=True, text=True, timeout=30)
    return result.stdout.split()


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes ``pid`` started (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            for child in (task / "children").read_text().split():
                command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append((int(child), command.strip()))
        except OSError:
            continue
    return found


def trace_time(log: Path, label: str) -> float | None:
    """The seconds of the ``startup <label> <s>`` line in the app's output, None until it is there."""
    for line in log.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[:2] == ["startup", label]:
            return float(parts[2])
    return None


def screenshot(display: str, path: Path) -> int:
    """Save the whole screen to ``path``; return its number of distinct colours."""
    subprocess.run(["import", "-display", display, "-window", "root", str(path)], check=True, timeout=60,
                   capture_output=True)
    result = subprocess.run(["identify", "-format", "%k", str(path)], check=True, timeout=60,
                            capture_output=True, text=True)
    return int(result.stdout.strip())


def one_start(program: Path, env: dict, log: Path, shot: Path, timeout: float, wait_for_kernels: Path | None):
    """Start the program, check it (see the module docstring), end it; return its figures."""
    display = env["DISPLAY"]
    started = time.monotonic()
    deadline = started + timeout
    with open(log, "wb") as output:
        app = subprocess.Popen([*AS_USER, str(program)], env=env, cwd=log.parent, stdin=subprocess.DEVNULL,
                               stdout=output, stderr=subprocess.STDOUT)
    try:
        def alive() -> bool:
            if app.poll() is not None:
                raise CheckFailed(f"the app ended (exit status {app.returncode})")
            return True

        wait_for(lambda: alive() and visible_windows(display), deadline, "the window")
        window_seconds = time.monotonic() - started
        painted = wait_for(lambda: alive() and trace_time(log, "painted"), deadline, "'startup painted'")
        interactive = wait_for(lambda: alive() and trace_time(log, "interactive"), deadline, "'startup interactive'")
        worker = wait_for(lambda: alive() and [c for c in children(app.pid) if " -c " in f" {c[1]} "],
                          deadline, "the training worker (a child started with -c)")
        kernels_seconds = None
        if wait_for_kernels is not None:
            wait_for(lambda: alive() and all(any(Path(name).name.startswith(prefix) and name.endswith(".nbi")
                                                 for name in kernel_files(wait_for_kernels))
                                             for prefix in KERNEL_INDEXES),
                     deadline, f"every kernel family's index in {wait_for_kernels}", poll=0.5)
            kernels_seconds = time.monotonic() - started
        windows = visible_windows(display)
        if len(windows) != 1:
            raise CheckFailed(f"{len(windows)} visible rnnsim windows, expected 1")
        colours = screenshot(display, shot)
        if colours < MIN_COLOURS:
            raise CheckFailed(f"the screenshot {shot} is blank ({colours} colours)")
    finally:
        worker_pids = [pid for pid, _ in children(app.pid)] if app.poll() is None else []
        if app.poll() is None:
            app.send_signal(signal.SIGTERM)
        try:
            app.wait(timeout=60)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
            raise CheckFailed("the app did not end within 60 s of SIGTERM") from None
    left = [pid for pid in worker_pids if Path(f"/proc/{pid}").exists()
            and Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"]
    wait_for(lambda: not [pid for pid in left if Path(f"/proc/{pid}").exists()], time.monotonic() + 30,
             "the training worker to end with the app")
    return {"window": window_seconds, "painted": painted, "interactive": interactive, "colours": colours,
            "kernels": kernels_seconds, "worker": worker[0][1]}


def check(bundle: Path, screenshot_path: Path, timeout: float) -> None:
    program_name = build_bundle.executable(bundle.parent).name
    with tempfile.TemporaryDirectory(prefix="rnnsim-bundle-") as scratch:
        scratch = Path(scratch)
        scratch.chmod(0o755)                     # the program may run as another user (see AS_USER)
        copy = read_only_copy(bundle, scratch / "ro")
        home, cache, worker_cache = scratch / "home", scratch / "cache", scratch / "worker-cache"
        for folder in (home, cache, worker_cache):
            folder.mkdir()
            if AS_USER:
                os.chown(folder, NOBODY, NOBODY)
        kernels = cache / "rnnsim" / "numba"
        xvfb, display = start_xvfb()
        try:
            env = {"DISPLAY": display, "HOME": str(home), "XDG_CACHE_HOME": str(cache), "RNNSIM_STARTUP_TRACE": "1"}
            if subprocess.run([*AS_USER, "/usr/bin/test", "-w", str(copy)], env={}).returncode == 0:
                raise CheckFailed(f"the copy {copy} is writable")
            program = copy / program_name
            no_display_env = {k: env[k] for k in ("HOME", "XDG_CACHE_HOME")}
            no_display = subprocess.run([*AS_USER, str(program)], env=no_display_env,
                                        capture_output=True, text=True, timeout=timeout, cwd=scratch)
            if no_display.returncode != 2 or not no_display.stderr.startswith("rnnsim: no display"):
                raise CheckFailed(f"without DISPLAY: exit {no_display.returncode}, {no_display.stderr[-500:]!r}")
            print(f"without DISPLAY: exit 2, {no_display.stderr.strip()[:60]}…")
            # a cache of its own: the app's first start below must find the user's cache empty
            worker_run = subprocess.run([*AS_USER, str(program), "-c", WORKER_RUN],
                                        env=dict(no_display_env, XDG_CACHE_HOME=str(worker_cache)),
                                        capture_output=True, text=True, timeout=timeout, cwd=scratch)
            if worker_run.returncode != 0 or worker_run.stdout.strip() != "same":
                raise CheckFailed(f"the training worker's run: exit {worker_run.returncode}, "
                                  f"{(worker_run.stdout + worker_run.stderr)[-1500:]}")
            print("a training run in the bundle's worker process equals the same run in-process")
            first = one_start(program, env, scratch / "first.log", scratch / "first.png", timeout, kernels)
            print(f"first start (empty cache): window {first['window']:.1f} s, painted {first['painted']:.2f} s, "
                  f"interactive {first['interactive']:.2f} s; worker: {first['worker'][:70]}")
            compiled = kernel_files(kernels)
            print(f"  kernels compiled into {kernels} {first['kernels']:.1f} s after the start: "
                  f"{sum(n.endswith('.nbi') for n in compiled)} .nbi, {sum(n.endswith('.nbc') for n in compiled)} .nbc")
            second = one_start(program, env, scratch / "second.log", screenshot_path, timeout, None)
            print(f"second start (warm cache): window {second['window']:.1f} s, painted {second['painted']:.2f} s, "
                  f"interactive {second['interactive']:.2f} s; screenshot {screenshot_path} ({second['colours']} colours)")
            rewritten = sorted(name for name, mtime in kernel_files(kernels).items() if compiled.get(name) != mtime)
            if rewritten:
                raise CheckFailed(f"the second start compiled again: {', '.join(rewritten[:5])}")
            print("  no kernel recompiled on the second start")
        except CheckFailed:
            for log in sorted(scratch.glob("*.log")):
                print(f"---- {log.name} (last 40 lines)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-40:]))
            raise
        finally:
            xvfb.terminate()
            xvfb.wait(timeout=30)
            make_writable(copy)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="build the bundle even when dist/rnnsim exists")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the bundle is (default: dist)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bundle",
                        help="PyInstaller's work folder when it builds (default: build/bundle)")
    parser.add_argument("--screenshot", type=Path, default=ROOT / "build" / "bundle-check.png",
                        help="where the second start's screenshot goes (default: build/bundle-check.png)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds each start may take (default: 300)")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("check_bundle: Linux only (Xvfb)", file=sys.stderr)
        return 2
    missing = [tool for tool in ("Xvfb", "xdotool", "import", "identify") if shutil.which(tool) is None]
    if missing:
        print(f"check_bundle: missing {', '.join(missing)} (apt-get install xvfb xdotool imagemagick)", file=sys.stderr)
        return 2
    dist = args.dist.resolve()
    program = build_bundle.executable(dist)
    if args.rebuild or not program.is_file():
        started = time.perf_counter()
        build_bundle.build(dist, args.work.resolve())
        print(f"build: {time.perf_counter() - started:.0f} s")
    else:
        age = (time.time() - program.stat().st_mtime) / 60
        print(f"reusing {program} (built {age:.0f} min ago; --rebuild to build it again)")
    result = subprocess.run(["du", "-sh", str(program.parent)], capture_output=True, text=True)
    print(f"bundle size: {result.stdout.split()[0] if result.returncode == 0 else '?'} ({program.parent})")
    args.screenshot.parent.mkdir(parents=True, exist_ok=True)
    try:
        check(program.parent, args.screenshot.resolve(), args.timeout)
    except CheckFailed as exc:
        print(f"check_bundle: FAILED: {exc}", file=sys.stderr)
        return 1
    print("check_bundle: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
