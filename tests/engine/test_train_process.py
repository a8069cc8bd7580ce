"""rnnsim.train_process: a run in the worker process equals the same run here, bit for bit; stop,
failure and a lost worker are reported; workers are reused."""
import numpy as np
import pytest

from rnnsim import recipe
from rnnsim.data import make_task
from rnnsim.train import Trainer
from rnnsim.train_process import DONE, FAILED, SNAPSHOTS, TrainerProcess, WorkerLost


def make_trainer(task="temporal-xor", **options):
    dataset, t = make_task(task, seed=0, **options)
    config = recipe.build_config(t.training)
    spec = recipe.build_spec(dataset, t.model)
    model = recipe.build_model(spec, "pytorch", config.seed, None, t.initial_params)
    return Trainer(model, dataset, config)


def collect(worker):
    """(snapshots, final kind, payload) of one run."""
    snaps = []
    while True:
        kind, payload = worker.receive()
        if kind == SNAPSHOTS:
            snaps.extend(payload)
        else:
            return snaps, kind, payload


@pytest.fixture(scope="module")
def worker():
    w = TrainerProcess.acquire()
    yield w
    w.close()


def test_a_run_in_the_worker_equals_the_same_run_here(worker):
    here, there = make_trainer(n=64), make_trainer(n=64)
    here.run(max_steps=25)
    worker.start_run(there, max_steps=25, detail_interval=0.0)
    snaps, kind, trained = collect(worker)
    assert kind == DONE and trained.step_count == 25
    assert [s.step for s in snaps] == list(range(1, 26))               # every step, in order
    assert [s.loss for s in snaps] == here.history.loss
    assert trained.history.to_dict() == here.history.to_dict()
    for name, value in here.model.params.items():
        np.testing.assert_array_equal(trained.model.params[name], value)
    assert all(s.params is not None and s.probe is not None for s in snaps)   # detail every step at interval 0
    np.testing.assert_array_equal(snaps[-1].params["rnn.weight_hh_l0"], here.model.params["rnn.weight_hh_l0"])


def test_continuing_the_returned_trainer_is_one_continuous_run(worker):
    whole, split = make_trainer(n=64), make_trainer(n=64)
    whole.run(max_steps=30)
    worker.start_run(split, max_steps=10)
    _, _, split = collect(worker)
    worker.start_run(split, max_steps=20)
    _, _, split = collect(worker)
    assert split.history.to_dict() == whole.history.to_dict()


def test_the_last_snapshot_carries_the_final_state(worker):
    trainer = make_trainer(n=64)
    worker.start_run(trainer, max_steps=12, detail_interval=3600.0)     # detail at the first step only
    snaps, _, trained = collect(worker)
    first, last = snaps[0], snaps[-1]
    assert first.params is not None and all(s.params is None for s in snaps[1:-1])
    assert last.step == 12
    for name, value in trained.model.params.items():
        np.testing.assert_array_equal(last.params[name], value)
    assert last.grads_step == 1                              # the gradients shown are those of update 1
    for name, value in first.grads.items():
        np.testing.assert_array_equal(last.grads[name], value)
    np.testing.assert_array_equal(last.probe.output, trained.probe_state().output)


def test_stop_ends_the_run_after_a_step_and_a_late_stop_is_ignored(worker):
    trainer = make_trainer()
    worker.start_run(trainer, max_steps=None)
    kind, first = worker.receive()
    assert kind == SNAPSHOTS
    worker.request_stop()
    snaps, kind, trained = collect(worker)
    assert kind == DONE and trained.stop_reason == "stopped" and not trained.finished
    assert 0 < trained.step_count < trained.config.epochs * 1000
    worker.request_stop()                                   # after the run: must not stop the next one
    worker.start_run(trained, max_steps=5)
    _, kind, again = collect(worker)
    assert kind == DONE and again.step_count == trained.step_count + 5


def test_an_exception_in_the_run_comes_back_as_a_message(worker):
    trainer = make_trainer(n=64)
    trainer.probe_x = None                                  # the probe pass for detail fails
    worker.start_run(trainer, max_steps=3, detail_interval=0.0)
    _, kind, (message, trace) = collect(worker)
    assert kind == FAILED and message.startswith(("TypeError", "AttributeError", "ValueError"))
    assert "Traceback" in trace
    worker.start_run(make_trainer(n=64), max_steps=2)      # the worker serves the next run
    assert collect(worker)[1] == DONE


def test_a_worker_that_dies_mid_run_is_reported_and_not_reused():
    w = TrainerProcess.acquire()
    w.start_run(make_trainer(), max_steps=None)
    assert w.receive()[0] == SNAPSHOTS
    w.process.kill()
    with pytest.raises(WorkerLost, match="ended unexpectedly"):
        collect(w)
    w.release()
    assert TrainerProcess.acquire() is not w


def test_released_workers_are_reused():
    a = TrainerProcess.acquire()
    a.start_run(make_trainer(n=64), max_steps=1)
    collect(a)
    a.release()
    b = TrainerProcess.acquire()
    assert b is a
    b.release()
