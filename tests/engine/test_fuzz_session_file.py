"""Fuzzing session files: rnnsim.session_file.load either opens a session or raises ModelFileError with one
printable line, in bounded time and memory; a session that opens also works as the app uses it (Train,
Reset, Save, open again). See fuzzing.py for the profiles."""
import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import Recorder, json_values, profiles, report
from rnnsim import ModelFileError, recipe
from rnnsim import session_file as sf
from rnnsim.data import load_data, make_task
from rnnsim.errors import RnnsimError
from rnnsim.model import Model
from rnnsim.train import TrainConfig, Trainer

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "data"


def _bases(folder):
    bases = []
    data, task = make_task("temporal-xor", seed=0, n=40, steps=5)
    for optimizer, steps, progress in (("adam", 3, True), ("sgd", 1, False)):
        spec = recipe.build_spec(data, task.model)
        model = recipe.build_model(spec, "pytorch", 0, None, None)
        trainer = Trainer(model, data, recipe.build_config(task.training, {"epochs": 3, "optimizer": optimizer,
                                                                           "batch_size": 8}))
        trainer.run(max_steps=steps)
        norms = {k: np.arange(len(trainer.history.step), dtype=float) for k in list(model.params)[:2]}
        state = sf.SessionData(spec, model.params, trainer.config,
                               {"kind": "task", "name": "temporal-xor", "seed": 0, "options": {"n": 40, "steps": 5}},
                               trainer.history, model_options={"init": "pytorch", "cell": "rnn_tanh", "hidden_size": 4},
                               probe=(trainer.probe_x, trainer.probe_y), grad_norms=norms,
                               progress=sf.capture_progress(trainer) if progress else None, ui={"tab": 1})
        sf.save(folder / "base.npz", state)
        bases.append((folder / "base.npz").read_bytes())
    series = load_data(DATA / "series.csv", window=4, horizon=1)
    model = recipe.build_model(recipe.build_spec(series, {"cell": "gru", "hidden_size": 3}))
    trainer = Trainer(model, series, TrainConfig(epochs=2, batch_size=8, optimizer="sgd", momentum=0.5))
    trainer.run(max_steps=2)
    sf.save(folder / "base.npz", sf.SessionData(model.spec, model.params, trainer.config,
                                                {"kind": "file", "path": str(DATA / "series.csv"),
                                                 "options": {"window": 4, "horizon": 1}},
                                                trainer.history, dataset=series,
                                                progress=sf.capture_progress(trainer),
                                                extras={"note": np.array([1.0])}))
    bases.append((folder / "base.npz").read_bytes())
    return bases


def _arrays(data):
    with np.load(io.BytesIO(data), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _paths(value, prefix=()):
    """Every (path, value) inside a JSON document."""
    yield prefix, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


random_arrays = st.builds(
    lambda dtype, shape, seed: (np.random.default_rng(seed).standard_normal(shape) * 3).astype(dtype),
    st.sampled_from(["<f8", "<f4", "<i8", "<u8", "|b1", "<i4"]),
    st.lists(st.integers(0, 6), max_size=3).map(tuple), st.integers(0, 10))


@st.composite
def session_files(draw, bases):
    base = draw(st.sampled_from(bases))
    kind = draw(st.sampled_from(["doc", "doc", "doc", "arrays", "flip", "truncate"]))
    if kind == "flip":
        data = bytearray(base)
        for _ in range(draw(st.integers(1, 6))):
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        return bytes(data)
    if kind == "truncate":
        return base[:draw(st.integers(0, len(base) - 1))]
    arrays = _arrays(base)
    doc = json.loads(arrays["session"].item())
    if kind == "doc":
        for _ in range(draw(st.integers(1, 3))):
            paths = [p for p, _ in _paths(doc) if p]
            path = draw(st.sampled_from(paths))
            parent = doc
            for step in path[:-1]:
                parent = parent[step]
            if isinstance(parent, dict) and draw(st.integers(0, 5)) == 0:
                parent.pop(path[-1])
            else:
                parent[path[-1]] = draw(json_values)
        arrays["session"] = np.array(json.dumps(doc))
    else:
        keys = sorted(k for k in arrays if k != "session")
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "drop":
            arrays.pop(key)
        elif action == "add":
            arrays[draw(st.text(min_size=1, max_size=12))] = draw(random_arrays)
        else:
            arrays[key] = draw(random_arrays)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _open(s, dataset):
    model = Model(s.spec, s.params, s.extras)
    recipe.check_fits(model, dataset)
    trainer = Trainer(model, dataset, s.config, probe=s.probe)
    if s.progress is not None:
        sf.restore_progress(trainer, s.progress, history=s.history)
    return trainer


def _open_and_work(s, folder):
    """The app's use of an opened session: data, Trainer, restored progress, two steps, Reset's network, Save,
    open again. A session whose data file is not stored inside cannot be checked against its data by
    session_file.load: the app's open reads the file and may still refuse it then (it shows the message)."""
    source = s.data
    task = None
    if source["kind"] == "task":
        dataset, task = make_task(source["name"], seed=source.get("seed", 0), **source.get("options", {}))
        trainer = _open(s, dataset)
    elif s.dataset is not None:
        dataset = s.dataset
        trainer = _open(s, dataset)
    else:
        try:
            dataset = load_data(source["path"], **source.get("options", {}))
            trainer = _open(s, dataset)
        except RnnsimError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
    trainer.run(max_steps=2)
    network = {k: s.model_options.get(k) for k in ("cell", "hidden_size", "num_layers", "bidirectional")}
    spec = recipe.build_spec(dataset, task.model if task else None, network)
    recipe.build_model(spec, s.model_options.get("init", "pytorch"), s.config.seed, s.model_options.get("forget_bias"))
    s.params, s.history, s.progress = trainer.model.params, trainer.history, sf.capture_progress(trainer)
    s.grad_norms = {}
    sf.save(folder / "again.npz", s)
    sf.load(folder / "again.npz")


@pytest.fixture(scope="module")
def recorders():
    made = []
    yield made
    report(made)


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    return _bases(tmp_path_factory.mktemp("fuzz-session-bases"))


@pytest.mark.parametrize("profile", profiles("session-file"))
def test_fuzz_session_files(profile, recorders, bases, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-session")
    path = folder / "s.npz"
    recorder = Recorder("session files", ModelFileError, seconds=10.0, megabytes=64)
    recorders.append(recorder)
    for data in bases:                                        # the bases themselves open and work
        path.write_bytes(data)
        _open_and_work(sf.load(path), folder)

    @profile
    @given(session_files(bases))
    def check(data):
        path.write_bytes(data)
        opened = recorder.run(lambda: sf.load(path))
        if opened is not None:
            start = time.perf_counter()
            _open_and_work(opened, folder)
            assert time.perf_counter() - start < 20.0

    check()
