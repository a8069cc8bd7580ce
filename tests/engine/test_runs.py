"""Watched weights and kept runs: the Trainer records the watched scalars after every update (also in the
worker process), runs are labelled by what differs, written to CSV and kept in session files."""
import csv
import json
import math

import numpy as np
import pytest

from rnnsim import ModelFileError, recipe
from rnnsim import runs as rr
from rnnsim import session_file as sf
from rnnsim.data import make_task
from rnnsim.errors import ConfigError
from rnnsim.train import Trainer, check_watch
from rnnsim.train_process import DONE, SNAPSHOTS, TrainerProcess

BITCOUNT_WATCH = [("rnn.weight_ih_l0", (0, 0)), ("rnn.weight_hh_l0", (0, 0))]


def make_trainer(task="bitcount", watch=None, config=None, **options):
    dataset, t = make_task(task, seed=0, **options)
    cfg = recipe.build_config(t.training, config or {})
    spec = recipe.build_spec(dataset, t.model)
    model = recipe.build_model(spec, "pytorch", cfg.seed, None, t.initial_params)
    return Trainer(model, dataset, cfg, watch=watch)


# ---- the Trainer records the watched weights ------------------------------------------------------
def test_watched_values_are_the_weights_after_every_update():
    trainer = make_trainer(watch=BITCOUNT_WATCH)
    assert trainer.watched_now() == (-1.5, 2.0)                     # the counting lesson's start (w_x, w_rec)
    seen = []

    def callback(snap):
        p = trainer.model.params
        seen.append((snap.watched, (float(p["rnn.weight_ih_l0"][0, 0]), float(p["rnn.weight_hh_l0"][0, 0]))))

    trainer.run(callback, max_steps=40)
    assert len(seen) == 40
    for watched, weights in seen:
        assert watched == weights
    assert seen[-1][0] != (-1.5, 2.0)


def test_nothing_watched_gives_none_and_a_diverged_step_records_nothing():
    trainer = make_trainer(config={"optimizer": "sgd", "lr": 1e6})
    snap = trainer.step()
    assert snap.watched is None
    trainer = make_trainer(watch=BITCOUNT_WATCH, config={"optimizer": "sgd", "lr": 1e6})
    snaps = []
    trainer.run(snaps.append, max_steps=50)
    assert snaps[-1].diverged and snaps[-1].watched is None
    assert all(s.watched is not None for s in snaps[:-1])


def test_the_watch_travels_to_the_worker_process_and_back():
    here = make_trainer(watch=BITCOUNT_WATCH)
    there = make_trainer(watch=BITCOUNT_WATCH)
    expected = []
    here.run(lambda s: expected.append(s.watched), max_steps=30)
    worker = TrainerProcess.acquire()
    try:
        worker.start_run(there, max_steps=30, detail_interval=3600.0)
        snaps = []
        while True:
            kind, payload = worker.receive()
            if kind != SNAPSHOTS:
                break
            snaps.extend(payload)
        assert kind == DONE
        assert [s.watched for s in snaps] == expected
        assert payload.watch == BITCOUNT_WATCH                    # the returned Trainer keeps watching
        assert payload.watched_now() == expected[-1]
    finally:
        worker.release()


@pytest.mark.parametrize("watch, words", [
    ([("rnn.nothing", (0, 0))], "no parameter"),
    ([("rnn.weight_hh_l0", (0,))], "needs 2 whole number"),
    ([("rnn.weight_hh_l0", (0, 1))], "outside"),
    ([("rnn.weight_hh_l0", (True, 0))], "whole number"),
    ([("rnn.weight_hh_l0", (0.0, 0))], "whole number"),
    ([("rnn.weight_hh_l0",)], "pair"),
    ("rnn.weight_hh_l0", "list"),
    ([("rnn.weight_hh_l0", (0, 0))] * 17, "at most 16"),
])
def test_a_bad_watch_is_refused_in_one_line(watch, words):
    trainer = make_trainer()
    with pytest.raises(ConfigError, match=words) as info:
        check_watch(trainer.model.params, watch)
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError):
        trainer.watch = watch
    assert trainer.watch == []                                    # unchanged
    with pytest.raises(ConfigError):
        make_trainer(watch=watch)


# ---- runs and their labels ------------------------------------------------------------------------
def settings(**changes):
    base = {"data": "bitcount", "cell": "linear", "hidden_size": 1, "num_layers": 1, "bidirectional": False,
            "optimizer": "rprop", "lr": 0.001, "schedule": "constant", "batch_size": None, "weight_decay": 0.0,
            "clip": None, "seed": 0}
    return {**base, **changes}


def run_of(trainer, run_id, outcome="finished", diverged_at=None, **kw):
    h = trainer.history
    return rr.RunRecord.create(run_id, kw.pop("settings"), h.step, h.loss, h.grad_norm, h.epoch_step, h.train_loss,
                               h.val_loss, h.accuracy, outcome=outcome, diverged_at=diverged_at, **kw)


def tiny(run_id, **changes):
    return rr.RunRecord.create(run_id, settings(**changes), [1, 2], [1.0, 0.5], [3.0, 2.0])


def test_labels_name_what_differs_in_the_three_comparisons_of_the_lessons():
    lstm = tiny(1, data="long-memory", cell="lstm", hidden_size=16, optimizer="adam", lr=0.01)
    tanh = tiny(2, data="long-memory", cell="rnn_tanh", hidden_size=16, optimizer="adam", lr=0.01)
    assert rr.labels([lstm, tanh]) == ["LSTM", "tanh RNN"]
    small = tiny(3, data="xor", cell="rnn_sigmoid", hidden_size=3, optimizer="sgd", lr=0.5)
    large = tiny(4, data="xor", cell="rnn_sigmoid", hidden_size=50, optimizer="sgd", lr=0.5)
    assert rr.labels([small, large]) == ["3 units", "50 units"]
    sgd = tiny(5, optimizer="sgd", lr=0.001)
    rprop = tiny(6, optimizer="rprop", lr=0.001)
    assert rr.labels([sgd, rprop]) == ["SGD lr 0.001", "Rprop"]


def test_labels_use_names_ignore_hidden_runs_and_tell_twins_apart():
    a, b, c = tiny(1, lr=0.01), tiny(2, lr=0.1), tiny(3, lr=0.1, seed=4)
    assert rr.labels([a, b, c]) == ["Rprop Δ0 0.01, seed 0", "Rprop Δ0 0.1, seed 0", "Rprop Δ0 0.1, seed 4"]
    c.visible = False                                             # only a and b are compared
    assert rr.labels([a, b, c]) == ["Rprop Δ0 0.01", "Rprop Δ0 0.1 #2", "Rprop Δ0 0.1 #3"]
    b.name = "my best"
    assert rr.labels([a, b, c])[1] == "my best"
    twin1, twin2 = tiny(7), tiny(8)
    assert rr.labels([twin1, twin2]) == ["linear RNN, 1 unit, Rprop Δ0 0.001 #7",
                                         "linear RNN, 1 unit, Rprop Δ0 0.001 #8"]
    # compared with the settings in force, a single kept run says how it differs from them
    assert rr.labels([tiny(9, cell="rnn_tanh")], current=settings()) == ["tanh RNN"]


def test_outcome_end_point_and_path_caption():
    trainer = make_trainer(watch=BITCOUNT_WATCH)
    start = trainer.watched_now()
    points = [start]
    trainer.run(lambda s: points.append(s.watched), max_steps=20)
    run = run_of(trainer, 1, settings=settings(), path=points, path_step=range(21), watch=BITCOUNT_WATCH)
    assert run.end_point == points[-1] and run.final_loss == trainer.history.loss[-1]
    assert rr.path_caption(run, "Rprop") == "Rprop: (%.6g, %.6g)" % points[-1]
    diverged = tiny(2, optimizer="sgd")
    diverged.outcome, diverged.diverged_at = "diverged", 3
    assert rr.path_caption(diverged, "SGD lr 0.001") == "SGD lr 0.001: diverged at step 3"
    assert diverged.outcome_text == "diverged at step 3"


@pytest.mark.parametrize("change, words", [
    (dict(loss=[1.0]), "different lengths"),
    (dict(step=[2, 1]), "increase"),
    (dict(path=[[1.0, 2.0]], path_step=[0], watch=[("w", (0,))]), "path has shape"),
    (dict(outcome="won"), "outcome"),
    (dict(outcome="diverged"), "names the step"),
    (dict(settings=settings(cell="transformer")), "'cell'"),
    (dict(name=" "), "name"),
])
def test_a_run_that_does_not_fit_is_refused(change, words):
    kw = dict(run_id=1, settings=settings(), step=[1, 2], loss=[1.0, 0.5], grad_norm=[3.0, 2.0])
    kw.update(change)
    with pytest.raises(ConfigError, match=words):
        rr.RunRecord.create(**kw)


# ---- CSV ------------------------------------------------------------------------------------------
def test_csv_holds_every_run_in_long_format(tmp_path):
    first = make_trainer(watch=BITCOUNT_WATCH, config={"epochs": 3})
    points = [first.watched_now()]
    first.run(lambda s: points.append(s.watched))
    one = run_of(first, 1, settings=settings(), path=points, path_step=range(len(points)), watch=BITCOUNT_WATCH,
                 param_norms={"rnn.weight_hh_l0": np.arange(3.0)})
    second = make_trainer("xor", config={"epochs": 2})
    second.run()
    two = run_of(second, 2, settings=settings(data="xor", cell="rnn_sigmoid", hidden_size=3, optimizer="sgd",
                                              lr=0.5), outcome="stopped")
    path = tmp_path / "runs.csv"
    rr.to_csv([one, two], path)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:10] == ["run", "label", "outcome", "step", "loss", "grad_norm", "epoch", "train_loss",
                                  "val_loss", "accuracy"]
    assert "rnn.weight_ih_l0[0,0]" in rows[0] and "grad_norm:rnn.weight_hh_l0" in rows[0]
    mine = [r for r in rows if r["run"] == "1"]
    assert [int(r["step"]) for r in mine] == [0, 1, 2, 3]              # the path's start, then every step
    assert mine[0]["loss"] == "" and float(mine[0]["rnn.weight_hh_l0[0,0]"]) == 2.0
    assert [float(r["loss"]) for r in mine[1:]] == first.history.loss
    assert [float(r["rnn.weight_ih_l0[0,0]"]) for r in mine] == [p[0] for p in points]
    assert [r["epoch"] for r in mine] == ["", "1", "2", "3"]
    assert [float(r["accuracy"]) for r in mine[1:]] == first.history.accuracy
    assert mine[1]["label"] == "bitcount, linear RNN, 1 unit, Rprop Δ0 0.001" and mine[1]["outcome"] == "finished"
    theirs = [r for r in rows if r["run"] == "2"]
    assert [float(r["loss"]) for r in theirs] == second.history.loss
    assert all(r["rnn.weight_ih_l0[0,0]"] == "" and r["grad_norm:rnn.weight_hh_l0"] == "" for r in theirs)


def test_a_csv_that_cannot_be_written_leaves_nothing_behind(tmp_path):
    target = tmp_path / "runs.csv"
    target.write_text("old content")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(ModelFileError, match="folder"):
        rr.to_csv([tiny(1)], folder)
    with pytest.raises(ModelFileError):
        rr.to_csv([tiny(1)], tmp_path / "no such folder" / "runs.csv")
    assert target.read_text() == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.csv", "runs.csv"]      # no partial file
    rr.to_csv([tiny(1)], target)                                  # replaced whole
    assert target.read_text().splitlines()[0].startswith("run,label,outcome,step")


# ---- session files --------------------------------------------------------------------------------
def session_with_runs(tmp_path, runs, path=None, watch=()):
    trainer = make_trainer(watch=list(watch))
    trainer.run(max_steps=5)
    state = sf.SessionData(trainer.model.spec, trainer.model.params, trainer.config,
                           {"kind": "task", "name": "bitcount", "seed": 0, "options": {}}, trainer.history,
                           probe=(trainer.probe_x, trainer.probe_y), progress=sf.capture_progress(trainer),
                           watch=list(watch), path=path, runs=runs)
    target = tmp_path / "s.npz"
    sf.save(target, state)
    return target


def test_runs_watch_and_path_survive_a_session_file(tmp_path):
    trainer = make_trainer(watch=BITCOUNT_WATCH)
    points = [trainer.watched_now()]
    trainer.run(lambda s: points.append(s.watched), max_steps=5)
    run = run_of(trainer, 4, settings=settings(), path=points, path_step=range(6), watch=BITCOUNT_WATCH,
                 param_norms={"rnn.weight_hh_l0": np.arange(5.0)}, dh_norms={(0, 0): np.array([1.0, 0.5])},
                 dh_step=5, name="Rprop from (−1.5, 2)", visible=False)
    other = tiny(9, optimizer="sgd")
    other.outcome, other.diverged_at = "diverged", 2
    path = (np.arange(6.0), np.array(points))
    loaded = sf.load(session_with_runs(tmp_path, [run, other], path=path, watch=BITCOUNT_WATCH))
    assert loaded.watch == BITCOUNT_WATCH
    np.testing.assert_array_equal(loaded.path[0], path[0])
    np.testing.assert_array_equal(loaded.path[1], path[1])
    a, b = loaded.runs
    assert (a.id, a.name, a.visible, a.outcome, a.watch, a.dh_step) == (4, run.name, False, "finished",
                                                                       BITCOUNT_WATCH, 5)
    assert a.settings == run.settings
    for key in ("step", "loss", "grad_norm", "epoch_step", "train_loss", "val_loss", "accuracy", "path",
                "path_step"):
        np.testing.assert_array_equal(getattr(a, key), getattr(run, key))
    np.testing.assert_array_equal(a.param_norms["rnn.weight_hh_l0"], np.arange(5.0))
    np.testing.assert_array_equal(a.dh_norms[(0, 0)], [1.0, 0.5])
    assert (b.id, b.outcome_text) == (9, "diverged at step 2")


def test_a_session_without_runs_still_opens(tmp_path):
    target = session_with_runs(tmp_path, [])
    with np.load(target, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    doc = json.loads(arrays["session"].item())
    for key in ("runs", "watch", "path"):
        del doc[key]                                           # as written before runs existed
    arrays["session"] = np.array(json.dumps(doc))
    np.savez(tmp_path / "old.npz", **arrays)
    loaded = sf.load(tmp_path / "old.npz")
    assert loaded.runs == [] and loaded.watch == [] and loaded.path is None


def _edited(tmp_path, change_doc=None, change_arrays=None):
    target = session_with_runs(tmp_path, [tiny(1), tiny(2, lr=0.1)])
    with np.load(target, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    doc = json.loads(arrays["session"].item())
    if change_doc:
        change_doc(doc)
    if change_arrays:
        change_arrays(arrays)
    arrays["session"] = np.array(json.dumps(doc))
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    return bad


@pytest.mark.parametrize("change_doc, change_arrays, words", [
    (lambda d: d.update(runs={"a": 1}), None, "'runs' must be a list"),
    (lambda d: d["runs"].__setitem__(0, 7), None, "kept run 1: must be an object"),
    (lambda d: d["runs"][1].update(id=1), None, "two kept runs have the id 1"),
    (lambda d: d["runs"][0].update(visible="yes"), None, "'visible'"),
    (lambda d: d["runs"][0]["settings"].update(hidden_size=0), None, "'hidden_size'"),
    (lambda d: d["runs"][0].update(outcome="diverged"), None, "names the step"),
    (lambda d: d["runs"][0].update(watch=[["w", [-1]]]), None, "'watch'"),
    (lambda d: d["runs"][0].update(settings=[]), None, "settings must be an object"),
    (lambda d: d["runs"][0].pop("id"), None, "kept run 1 is damaged"),
    (lambda d: d.update(runs=[d["runs"][0]] * (rr.MAX_RUNS + 1)), None, "at most 200"),
    (lambda d: d.update(watch=[["rnn.weight_hh_l0", [3, 0]]]), None, "watched weights do not fit"),
    (None, lambda a: a.pop("run::1::loss"), "run::1::loss' is missing"),
    (None, lambda a: a.__setitem__("run::0::loss", np.ones(3)), "different lengths"),
    (None, lambda a: a.__setitem__("run::0::step", np.array(["a", "b"])), "numbers"),
])
def test_a_malformed_run_in_a_session_is_refused_in_one_line(tmp_path, change_doc, change_arrays, words):
    bad = _edited(tmp_path, change_doc, change_arrays)
    with pytest.raises(ModelFileError) as info:
        sf.load(bad)
    message = str(info.value)
    assert words in message and "\n" not in message and message.startswith(str(bad)[-30:][:5]) is not None
    assert "bad.npz" in message


def test_a_path_that_does_not_fit_is_refused(tmp_path):
    target = session_with_runs(tmp_path, [], path=(np.arange(3.0), np.zeros((3, 2))), watch=BITCOUNT_WATCH)
    assert sf.load(target).path[1].shape == (3, 2)
    with np.load(target, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["path::values"] = np.zeros((3, 1))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match="path has shape"):
        sf.load(tmp_path / "bad.npz")
    arrays["path::values"] = np.zeros((3, 2))
    arrays["path::steps"] = np.array([0.0, 9.0, 99.0])
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match="up to the 5 steps done"):
        sf.load(tmp_path / "bad.npz")
    assert not math.isnan(0.0)
