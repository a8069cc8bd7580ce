"""The engine against PyTorch reference values stored in tests/fixtures/torch_parity.npz (no torch needed).

The fixture (written by tests/fixtures/make_torch_fixtures.py) holds, per config, the spec, the
parameters under their PyTorch names (float64, or float32 as a torch state_dict would be), an
input, a target, and PyTorch's float64 output, loss and gradients — full BPTT and truncated BPTT
(window 2, T = 5). Every quantity must agree to the contract's 1e-9 relative (docs/contract.md):

    assert_allclose(actual, expected, rtol=1e-9, atol=1e-12 * max(1, max|expected|))

(the absolute floor only matters for entries that are ~0 by cancellation).
"""
from __future__ import annotations

import itertools
import json
import os

import numpy as np
import pytest

import rnnsim

FIXTURE = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "torch_parity.npz")

RTOL = 1e-9
ATOL_SCALE = 1e-12

CELLS = ("linear", "rnn_tanh", "rnn_relu", "rnn_sigmoid", "lstm", "gru")
GRID = list(itertools.product(CELLS, (1, 2, 3), (False, True), ("sequence", "last"),
                              ("mse", "cross_entropy"), ("mean", "sum"), (0, 2)))


def _load_configs():
    configs = []
    with np.load(FIXTURE, allow_pickle=False) as z:
        count = int(z["count"])
        for i in range(count):
            p = f"c{i:03d}/"
            meta = json.loads(str(z[p + "meta"]))
            stores = {s: z[p + s] for s in ("f64", "f32") if p + s in z.files}
            arrays = {}
            for name, store, offset, shape, dtype in meta["layout"]:
                size = int(np.prod(shape, dtype=np.int64))
                arrays[name] = stores[store][offset:offset + size].reshape(shape).astype(dtype)
            configs.append({
                "index": i,
                "id": meta["id"],
                "spec": str(z[p + "spec"]),
                "truncate": int(meta["truncate"]) or None,
                "loss": float(meta["loss"]),
                "x": arrays["x"],
                "target": arrays["target"],
                "output": arrays["output"],
                "params": {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")},
                "grads": {k[len("grad/"):]: v for k, v in arrays.items() if k.startswith("grad/")},
            })
    return configs


CONFIGS = _load_configs()
BY_ID = {c["id"]: c for c in CONFIGS}
# files round-trip: every float32 config, every config without fc or bias, and every 23rd other one
ROUND_TRIP = [c for c in CONFIGS
              if c["id"].endswith(("-f32", "-nofc", "-nobias", "-nobias-nofc")) or c["index"] % 23 == 0]


def assert_close(actual, expected, what):
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, PyTorch {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL_SCALE * scale, err_msg=what)


def check_model(model, cfg):
    assert set(model.state_dict()) == set(cfg["params"]), "parameter names differ from PyTorch's"
    assert_close(model.predict(cfg["x"]), cfg["output"], "predict output")
    loss, grads = model.loss_and_grads(cfg["x"], cfg["target"], truncate=cfg["truncate"])
    assert isinstance(loss, float)
    assert_close(loss, cfg["loss"], "loss")
    assert list(grads) == list(cfg["grads"]), "gradient names/order differ from PyTorch's state_dict"
    for name, expected in cfg["grads"].items():
        assert_close(grads[name], expected, f"gradient {name}")


def test_fixture_covers_the_grid():
    """Every cell × layers × direction × output × loss × reduction × truncation: 576 configs."""
    seen = set()
    for c in CONFIGS:
        spec = json.loads(c["spec"])
        if not spec["bias"] or spec["output_size"] is None or c["params"]["fc.weight"].dtype != np.float64:
            continue
        seen.add((spec["cell"], spec["num_layers"], spec["bidirectional"], spec["output"],
                  spec["loss"], spec["reduction"], c["truncate"] or 0))
    assert len(GRID) == 576
    assert set(GRID) <= seen, f"missing: {sorted(set(GRID) - seen)[:5]}"
    assert len(BY_ID) == len(CONFIGS), "test ids must be unique"
    # and the extras: no fc, bias=False, float32 parameters, for every cell
    for cell in CELLS:
        for tag in ("nofc", "nobias", "f32"):
            assert any(c["id"].startswith(cell + "-") and c["id"].endswith("-" + tag) for c in CONFIGS), (cell, tag)


@pytest.mark.parametrize("cfg", CONFIGS, ids=[c["id"] for c in CONFIGS])
def test_parity(cfg):
    model = rnnsim.Model(rnnsim.ModelSpec.from_json(cfg["spec"]), cfg["params"])
    check_model(model, cfg)


@pytest.mark.parametrize("cfg", ROUND_TRIP, ids=[c["id"] for c in ROUND_TRIP])
def test_parity_through_model_file(cfg, tmp_path):
    """A user's np.savez of a state_dict (float32 or float64) plus spec loads and computes the same."""
    path = tmp_path / "m.npz"
    np.savez(path, spec=np.array(cfg["spec"]), **cfg["params"])
    model = rnnsim.load_model(path)
    check_model(model, cfg)
    # and what the engine saves reads back identically (float64 on disk)
    again = tmp_path / "again.npz"
    model.save(again)
    with np.load(again, allow_pickle=False) as z:
        assert all(z[k].dtype == np.float64 for k in cfg["params"])
    check_model(rnnsim.load_model(again), cfg)
