"""The Tape of an encoder–decoder: one timeline (encoder t = 1..N, decoder t = N+1..N+M), the context
hand-over forward and back, and the same numbers as the fast engine."""
import json

import numpy as np
import pytest

from rnnsim import Model, ModelSpec, optim
from rnnsim.errors import ConfigError, InputError
from rnnsim.spec import GATE_BLOCKS
from rnnsim.tape import record
from rnnsim.tape.render import to_json

N, M = 4, 3


def make(cell="lstm", layers=2, loss="cross_entropy", batch=2):
    spec = ModelSpec(cell=cell, input_size=2, hidden_size=3, num_layers=layers, output_size=3, loss=loss,
                     architecture="encoder_decoder", decoder_input_size=4)
    model = Model.create(spec, seed=1)
    rng = np.random.default_rng(0)
    x, d = rng.standard_normal((batch, N, 2)), rng.standard_normal((batch, M, 4))
    y = rng.integers(0, 3, (batch, M)) if loss == "cross_entropy" else rng.standard_normal((batch, M, 3))
    return model, x, d, y


@pytest.mark.parametrize("cell", tuple(GATE_BLOCKS))
@pytest.mark.parametrize("layers", [1, 2])
def test_the_tape_equals_the_engine(cell, layers):
    model, x, d, y = make(cell, layers, "mse" if cell == "linear" else "cross_entropy")
    tape = record(model, x, y, l2=0.01, decoder_input=d, optimizer=optim.SGD(0.1))
    loss, grads = model.loss_and_grads(x, y, l2=0.01, decoder_input=d)
    assert tape.loss == pytest.approx(loss, rel=1e-12)
    for name, g in grads.items():
        np.testing.assert_allclose(tape.grads[name], g, rtol=1e-10, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(tape.output, model.predict(x, decoder_input=d), rtol=1e-12, atol=1e-14)
    assert tape.T == N + M and tape.output_times == list(range(N, N + M)) and tape.rows == 2 * layers
    for e in tape.events:                                   # every event builds its formulas
        assert e.formulas and all(name in e.quantities for f in e.formulas for name in f.names())


def test_event_order_encoder_context_decoder_then_back():
    model, x, d, y = make("gru", layers=2)
    tape = record(model, x, y, decoder_input=d)
    kinds = [(e.kind, e.layer, e.t) for e in tape.events]
    context, back = tape.find("context"), tape.find("context_back")
    assert [k for k in kinds[:context] if k[0] == "forward"] == [("forward", r, t) for r in (0, 1) for t in range(N)]
    after = [k for k in kinds[context + 1:tape.find("output")]]
    assert after == [("forward", r, t) for r in (2, 3) for t in range(N, N + M)]
    backward = [k for k in kinds if k[0] == "backward"]
    assert backward[:2 * M] == [("backward", r, t) for r in (3, 2) for t in range(N + M - 1, N - 1, -1)]
    assert backward[2 * M:] == [("backward", r, t) for r in (1, 0) for t in range(N - 1, -1, -1)]
    assert tape.find("backward", layer=2) < back < tape.find("backward", layer=1)
    assert tape.events[context].phase == "forward" and tape.events[back].phase == "backward"


def test_the_context_hands_over_states_and_gradients():
    model, x, d, y = make("lstm", layers=2)
    tape = record(model, x, y, decoder_input=d)
    q = tape.events[tape.find("context")].quantities
    for layer, sup in ((0, "¹"), (1, "²")):
        enc, dec = tape.traces[layer][0], tape.traces[layer + 2][0]
        np.testing.assert_array_equal(q[f"hᵈ{sup}({N})"], enc.h[-1, 0])
        np.testing.assert_array_equal(q[f"cᵈ{sup}({N})"], enc.c[-1, 0])
        np.testing.assert_array_equal(dec.h[0], enc.h[-1])
    back = tape.events[tape.find("context_back")].quantities
    for layer, sup in ((0, "¹"), (1, "²")):
        enc, dec = tape.traces[layer][0], tape.traces[layer + 2][0]
        np.testing.assert_array_equal(back[f"∂L/∂hᵉ{sup}({N}) from hᵈ{sup}({N + 1})"], dec.dh_next[0, 0])
        assert np.any(enc.dh_next[-1])
    # the decoder's first step reads d(N+1) and the context; the encoder's last backward step takes the decoder's
    fwd = tape.events[tape.find("forward", layer=2)]
    assert fwd.t == N and "d(5)" in fwd.quantities and "hᵈ¹(4)" in fwd.quantities
    words = " ".join(f.words for f in fwd.formulas)
    assert "the context" in words
    last = tape.events[tape.find("backward", layer=1, t=N - 1)]
    assert any(f.result == f"∂L/∂hᵉ²({N})" and f"from hᵈ²({N + 1})" in f.template for f in last.formulas)


def test_state_at_names_and_json():
    model, x, d, y = make("rnn_tanh", layers=1)
    tape = record(model, x, y, decoder_input=d, optimizer=optim.Adam(0.01))
    end = tape.state_at(len(tape.events) - 1)
    assert ("h", 0, 0, N - 1) in end and ("h", 1, 0, N) in end and ("h", 0, 0, N) not in end
    assert ("o", N) in end and ("o", 0) not in end
    assert tape.symbol("decoder.weight_hh_l0") == "Wᵈ" and tape.symbol("encoder.weight_ih_l0") == "Uᵉ"
    assert np.isnan(tape.dh_norms[(0, 0)][N:]).all() and np.isfinite(tape.dh_norms[(1, 0)][N:]).all()
    text = json.dumps(to_json(tape, values=False), allow_nan=False)
    assert '"T": 7' in text
    titles = [e.title for e in tape.events if e.kind == "update"]
    assert "Update · decoder.weight_hh_l0 (Wᵈ)" in titles


def test_refusals():
    model, x, d, y = make("gru", layers=1)
    with pytest.raises(InputError, match="needs decoder_input"):
        record(model, x, y)
    with pytest.raises(ConfigError, match="truncated BPTT"):
        record(model, x, y, truncate=2, decoder_input=d)
