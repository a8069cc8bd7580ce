"""``rnnsim warmup`` and :func:`rnnsim.warmup.warm_kernels`: every kernel family compiled (or loaded)."""
import json
import os
import subprocess
import sys
from pathlib import Path

from rnnsim.cells import elman, gru, lstm
from rnnsim.cli import main
from rnnsim.warmup import KERNEL_FAMILIES, family_of, warm_kernels

ROOT = Path(__file__).resolve().parents[2]


def test_every_family_is_compiled_in_order_with_progress():
    calls = []
    warmed = warm_kernels(lambda k, n, label: calls.append((k, n, label)), first_cell="gru")
    assert [w.cell for w in warmed] == ["gru", "rnn_tanh", "lstm"]
    assert calls == [(0, 3, "GRU"), (1, 3, "Elman/linear"), (2, 3, "LSTM")]
    assert all(w.seconds >= 0 for w in warmed)
    for module in (elman, lstm, gru):                       # both kernels of every family compiled
        assert len(module.forward.signatures) >= 1 and len(module.backward.signatures) >= 1


def test_an_elman_cell_puts_the_elman_family_first_and_cancelling_stops():
    assert family_of("rnn_relu") == family_of("linear") == "rnn_tanh"
    seen = []
    warmed = warm_kernels(first_cell="rnn_relu", progress=lambda k, n, label: seen.append(label),
                          cancelled=lambda: len(seen) >= 2)
    assert [w.label for w in warmed] == ["Elman/linear", "LSTM"]
    assert [cell for cell, _ in KERNEL_FAMILIES] == ["rnn_tanh", "lstm", "gru"]


def test_the_command_prints_one_line_per_family(capsys):
    assert main(["warmup"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" kernels: ")[0] for line in lines] == ["Elman/linear", "LSTM", "GRU"]
    assert all(line.endswith(" s") and float(line.split(": ")[1][:-2]) >= 0 for line in lines)
    assert main(["warmup", "--json"]) == 0
    families = json.loads(capsys.readouterr().out)["families"]
    assert [f["cell"] for f in families] == ["rnn_tanh", "lstm", "gru"]


def test_the_installed_command_runs_in_a_new_process():
    result = subprocess.run([sys.executable, "-m", "rnnsim", "warmup"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3 and result.stderr == ""
