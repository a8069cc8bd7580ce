"""Fuzzing the command line: ``rnnsim`` with arguments built from its own options and hostile values exits 0
(1 for a failed gradcheck) or exits 2 with one printable line on stderr — never a traceback, a warning, a
non-strict ``--json`` output, a hang or a memory blow-up. Training runs are capped by appending
``--steps 2`` (argparse keeps the last value); the real /dev/null is never used (a FIFO and a symlink to it
in a temporary folder stand in for it). See fuzzing.py for the profiles."""
import contextlib
import io
import json
import os
import resource
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import Recorder, message_ok, number_texts, profiles, report
from rnnsim import Model, ModelSpec
from rnnsim.cli import main

SMALL = st.integers(1, 4).map(str)


def sizes(limit):
    """Sizes a user might type: small ones that run fast, and ones over ``limit`` or not sizes at all."""
    return st.one_of(SMALL, st.sampled_from([str(limit + 1), str(10 ** 23), "1e6", "0", "-1", "2.5", "x", "1_0",
                                             "nan", ""]))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Files the arguments may name: good and bad models, data, inputs, and output targets."""
    d = tmp_path_factory.mktemp("fuzz-cli")
    models = {}
    for name, spec in {"ce": ModelSpec(cell="lstm", input_size=1, hidden_size=3, output_size=2, loss="cross_entropy"),
                       "mse": ModelSpec(cell="gru", input_size=2, hidden_size=2, output_size=1, output="last"),
                       "lin": ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", bias=False)}.items():
        Model.create(spec, seed=0).save(d / f"{name}.npz")
        models[name] = str(d / f"{name}.npz")
    big = Model(ModelSpec(cell="linear", input_size=1, hidden_size=1, output="last", bias=False),
                {"rnn.weight_ih_l0": np.array([[1e308]]), "rnn.weight_hh_l0": np.array([[10.0]])})
    big.save(d / "overflow.npz")
    models["overflow"] = str(d / "overflow.npz")
    assert main(["train", "--task", "sine", "--option", "n=30", "--steps", "2", "--json",
                 "--out", str(d / "trained.npz")]) == 0                         # warms the kernels up too
    models["trained"] = str(d / "trained.npz")
    for task in ("xor", "parity", "bitcount", "long-memory"):
        main(["train", "--task", task, "--steps", "1", "--json", "--option" if task != "xor" else "--seed",
              "n=8" if task != "xor" else "0"])
    (d / "junk.npz").write_bytes(b"PK\x03\x04" + bytes(60))
    os.mkfifo(d / "fifo.npz")
    (d / "link.npz").symlink_to(d / "fifo.npz")
    (d / "folder.npz").mkdir()
    np.savez(d / "data.npz", x=np.zeros((6, 3, 1)), y=np.array([0, 1, 0, 1, 1, 0]))
    np.savez(d / "bigclass.npz", x=np.zeros((2, 3, 1)), y=np.array([0, 2 ** 64 - 1], dtype=np.uint64))
    (d / "series.csv").write_text("t,a,b\n" + "".join(f"{i},{i * 0.5},{(-1) ** i}\n" for i in range(30)))
    (d / "under.csv").write_text("a,b\n1_000,2\n3,4\n5,6\n")
    (d / "text.txt").write_text("hello world, hello fuzz. " * 4)
    np.save(d / "seq.npy", np.ones((4, 1)))
    (d / "seq.csv").write_text("v\n1\n-2\n3\n")
    (d / "wide.csv").write_text("v\n" + "1" * 140_000 + "\n")
    files = [str(d / n) for n in ("junk.npz", "fifo.npz", "link.npz", "folder.npz", "missing.npz")] + ["/dev/zero"]
    return {"dir": d, "models": list(models.values()) + files,
            "data": [str(d / n) for n in ("data.npz", "bigclass.npz", "series.csv", "under.csv", "text.txt")] + files,
            "inputs": [str(d / n) for n in ("seq.npy", "seq.csv", "wide.csv", "fifo.npz")] + ["/dev/zero"],
            "outs": [str(d / "out.npz"), str(d), str(d / "fifo.npz"), str(d / "link.npz"), "",
                     str(d / "missing" / "m.npz"), str(d) + "/"]}


def inline_values():
    return st.lists(st.lists(number_texts, min_size=1, max_size=2).map(" ".join), min_size=0, max_size=5).map(",".join)


def options_for(command, world):
    common = {"--json": None}
    arch = {"--cell": st.sampled_from(["lstm", "gru", "rnn_tanh", "linear", "transformer", ""]),
            "--hidden": sizes(4096), "--layers": sizes(64), "--bidirectional": None}
    floats = number_texts
    if command == "train":
        return {**common, **arch, "--task": st.sampled_from(["xor", "parity", "bitcount", "long-memory", "sine",
                                                             "digits", "nosuch", ""]),
                "--option": st.sampled_from(["n", "steps", "delay", "noise", "window", "target", "x", ""]).flatmap(
                    lambda k: st.one_of(SMALL, st.sampled_from(["1e9", "10000000", "-1", "nan", "inf", "end", "1_0",
                                                                "2.5", ""])).map(lambda v: f"{k}={v}")),
                "--data": st.sampled_from(world["data"]), "--window": sizes(100_000), "--horizon": sizes(100_000),
                "--columns": st.sampled_from(["a", "a,b", "zz", ""]), "--model": st.sampled_from(world["models"]),
                "--init": st.sampled_from(["pytorch", "zeros", "xavier", "orthogonal", "x"]),
                "--forget-bias": floats, "--optimizer": st.sampled_from(["sgd", "adam", "rprop", "rmsprop", "adagrad"]),
                "--lr": floats, "--momentum": floats, "--nesterov": None, "--betas": floats, "--eps": floats,
                "--etas": floats, "--step-sizes": floats, "--alpha": floats, "--gamma": floats,
                "--schedule": st.sampled_from(["constant", "step", "exponential"]), "--step-size": sizes(10 ** 6),
                "--epochs": number_texts, "--batch-size": number_texts, "--clip": floats,
                "--clip-mode": st.sampled_from(["norm", "value"]), "--truncate": number_texts,
                "--weight-decay": floats, "--validation-split": floats, "--patience": number_texts,
                "--seed": number_texts, "--out": st.sampled_from(world["outs"])}
    if command == "gradcheck":
        return {**common, **arch, "--steps": sizes(100_000), "--batch": sizes(10 ** 6), "--truncate": number_texts,
                "--l2": floats, "--seed": number_texts, "--eps": floats, "--tolerance": floats,
                "--model": st.sampled_from(world["models"]),
                "--loss": st.sampled_from(["mse", "cross_entropy"]), "--no-head": None}
    if command == "predict":
        return {**common, "--model": st.sampled_from(world["models"]),
                "--input": inline_values() | st.sampled_from(world["inputs"]),
                "--text": st.text(max_size=8), "--raw": None}
    return {**common, "--model": st.sampled_from(world["models"]),
            "--input": inline_values() | st.sampled_from(world["inputs"]),
            "--target": inline_values() | st.sampled_from(world["inputs"]),
            "--truncate": number_texts, "--l2": floats, "--clip": floats,
            "--optimizer": st.sampled_from(["sgd", "adam", "rprop"]), "--lr": floats, "--momentum": floats,
            "--phase": st.sampled_from(["forward", "loss", "backward", "update", "x"]), "--no-update": None,
            "--values": number_texts, "--raw": None}


@st.composite
def argvs(draw, world):
    command = draw(st.sampled_from(["train", "train", "gradcheck", "predict", "predict", "trace", "trace", "bench",
                                    "nosuch", "--help-me"]))
    argv = [command]
    if command in ("train", "gradcheck", "predict", "trace"):
        table = options_for(command, world)
        required = {"train": ["--task"], "predict": ["--model", "--input"],
                    "trace": ["--model", "--input", "--target"]}.get(command, [])
        chosen = required + draw(st.lists(st.sampled_from(sorted(table)), max_size=6))
        for option in chosen:
            style = draw(st.sampled_from(["space", "space", "equals"]))
            if table[option] is None:
                argv.append(option)
                continue
            value = draw(table[option])
            argv.extend([f"{option}={value}"] if style == "equals" else [option, value])
    if command == "train":
        argv += ["--steps", "2"]                                # cap every training run
    if command == "bench":
        argv += ["--seconds", "0.001", "--no-torch"] + (["--json"] if draw(st.booleans()) else [])
    return argv


@pytest.fixture(scope="module")
def recorders():
    made = []
    yield made
    report(made)


def _rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("profile", profiles("command-line"))
def test_fuzz_command_line(profile, recorders, world):
    recorder = Recorder("command line", SystemExit, seconds=60.0, megabytes=2048)
    recorders.append(recorder)
    start_rss = _rss_mib()

    @profile
    @given(argvs(world))
    def check(argv):
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = recorder.run(lambda: main(argv))
        elapsed = time.perf_counter() - start
        stdout, stderr = out.getvalue(), err.getvalue()
        assert "Traceback" not in stderr and "Warning" not in stderr, stderr
        assert code in (0, 1, 2), (argv, code, stderr)
        assert code != 1 or argv[0] == "gradcheck", (argv, stdout)
        if code == 2:
            lines = [line for line in stderr.replace("\r", "\n").splitlines() if line.strip()]
            assert lines, argv
            last = lines[-1]
            message_ok(last)
            assert last.startswith("rnnsim"), (argv, stderr)
            if argv[0] != "train" or "--json" in argv:
                assert len(lines) == 1, (argv, stderr)
            recorder.refusal(elapsed, last)
            recorder.ok -= 1
        elif "--json" in argv and argv[0] != "bench" or "--json" in argv[-1:]:
            json.loads(stdout, parse_constant=lambda c: pytest.fail(f"bare {c} in --json output of {argv}"))
        for left in world["dir"].glob("*rnnsim-partial"):
            pytest.fail(f"a temporary file was left behind: {left}")
        assert _rss_mib() - start_rss < 2048

    check()
