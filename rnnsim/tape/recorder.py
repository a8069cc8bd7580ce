"""Recording a probe batch through a model: plain numpy, one timestep at a time.

This is the readable reference of the engine (the kernels in rnnsim/cells are the fast one, and a
test holds the two together). Each cell has its forward step and, beside it, its backward step —
every backward rule written under the forward formula it differentiates. Everything is kept:

    Trace (one direction of one layer, in its processing order s = 0..T-1, time-major (T, B, ·))
      x      (T, B, I)    the layer's input; time-reversed for the reverse direction
      pre    (T, B, G·H)  pre-activations, PyTorch's gate order
      act    (T, B, G·H)  gate values after their squashing function (Elman: h itself)
      h      (T+1, B, H)  h[0] the initial state (zeros), h[s+1] the state after step s
      c      (T+1, B, H)  LSTM cell state, the same layout
      dh_out (T, B, H)    ∂L/∂h arriving from the output (top layer) or from the layer above
      dh_next(T+1, B, H)  dh_next[k] = ∂L/∂h[k] arriving from the step that reads h[k]
      dh     (T, B, H)    the whole ∂L/∂h after step s: dh_out[s] + dh_next[s+1]
      dpre   (T, B, G·H)  ∂L/∂pre (the U·x + b_ih side)
      drec   (T, B, G·H)  ∂L/∂(W·h(t-1) + b_hh) — the same array as dpre except for the GRU

The reverse direction runs the same steps on the time-reversed input, as network.py does.
Truncated BPTT with window k: counting steps in processing order, the gradient does not flow
from step s into step s-1 when (T − s) is a multiple of k (network.py's definition).
"""
from __future__ import annotations

import copy
import math

import numpy as np

from .. import clip as clipping
from .. import losses, parallel
from ..errors import ConfigError, InputError
from ..model import check_truncate
from ..optim import Optimizer
from ..cells import elman          # loads numba on first use: only a hard-sigmoid Tape reads it
from ..spec import GATE_BLOCKS
from .cursor import Recording, Tape
from .events import PHASE_OF, Event, Naming

MAX_BATCH = 4


def sigmoid(a, out):
    """σ(a) = 1 / (1 + e^(−a)), written into ``out`` (e^(−a) may overflow to inf: σ is then 0)."""
    np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def cuts(steps: int, window: int | None) -> np.ndarray:
    """(T,) bool: True at processing step s when no gradient flows from s into s-1."""
    s = np.arange(steps)
    return (s >= 1) & ((steps - s) % window == 0) if window else np.zeros(steps, dtype=bool)


class Trace:
    """Forward and backward values of one direction of one layer (see the module docstring)."""

    def __init__(self, cell: str, layer: int, direction: int, x: np.ndarray, hidden: int, params: dict, bias: bool,
                 stack: str = "rnn", stack_layer: int | None = None, t0: int = 0):
        """``layer``: the row of the recording (an encoder–decoder's decoder rows follow its encoder rows);
        ``stack``/``stack_layer``: whose parameters (e.g. "decoder", 0); ``t0``: the time of its first step
        on the recording's timeline (a decoder starts after the encoder's N steps)."""
        steps, batch, _ = x.shape
        gates = GATE_BLOCKS[cell] * hidden
        stack_layer = layer if stack_layer is None else stack_layer
        sfx = f"_l{stack_layer}" + ("_reverse" if direction else "")
        self.cell, self.layer, self.direction = cell, layer, direction
        self.stack, self.stack_layer, self.t0 = stack, stack_layer, t0
        self.names = {k: f"{stack}.{k}{sfx}" for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        self.U = params[self.names["weight_ih"]]
        self.W = params[self.names["weight_hh"]]
        self.b_ih = params[self.names["bias_ih"]] if bias else np.zeros(gates)
        self.b_hh = params[self.names["bias_hh"]] if bias else np.zeros(gates)
        self.x = x
        self.pre = np.empty((steps, batch, gates))
        self.h = np.zeros((steps + 1, batch, hidden))
        self.act = self.h[1:] if GATE_BLOCKS[cell] == 1 else np.empty((steps, batch, gates))
        self.c = np.zeros((steps + 1, batch, hidden)) if cell == "lstm" else None
        self.tanh_c = np.empty((steps, batch, hidden)) if cell == "lstm" else None
        self.rec = np.empty((steps, batch, gates)) if cell == "gru" else None   # W·h(t-1) + b_hh
        self.slope = None                       # (T, B, G·H) derivative of each squashing function
        self.dh_out = np.zeros((steps, batch, hidden))
        self.dh_next = np.zeros((steps + 1, batch, hidden))
        self.dh = np.empty((steps, batch, hidden))
        self.dc = np.empty((steps, batch, hidden)) if cell == "lstm" else None
        self.dc_next = np.zeros((steps + 1, batch, hidden)) if cell == "lstm" else None
        self.dpre = np.empty((steps, batch, gates))
        self.drec = np.empty((steps, batch, gates)) if cell == "gru" else self.dpre
        self.cut = None
        self.blocked = {}                       # s -> (∂L/∂h, ∂L/∂c or None) that truncation stopped

    @property
    def steps(self) -> int:
        return self.dpre.shape[0]

    def original_t(self, s: int) -> int:
        """The timeline's time of processing step s."""
        return self.t0 + s if self.direction == 0 else self.steps - 1 - s

    def step_of(self, t: int) -> int:
        """The processing step at timeline time t (the inverse of original_t)."""
        return t - self.t0 if self.direction == 0 else self.steps - 1 - t

    def flip(self, a):
        """A (T, ...) array in processing order -> original time order."""
        return a if self.direction == 0 else a[::-1]


# ---- Elman cells: linear, rnn_tanh, rnn_relu, rnn_sigmoid, rnn_softplus, rnn_hard_sigmoid -----
#   forward   h_pre = U·x(t) + W·h(t-1) + b          h(t) = act(h_pre)
#   backward  ∂L/∂h(t) = from output + from t+1      ∂L/∂h_pre = ∂L/∂h(t) ⊙ act′(h_pre)
#             ∂L/∂h(t-1) from t = Wᵀ·∂L/∂h_pre
ACTIVATIONS = {
    "linear": (lambda a, out: np.copyto(out, a), lambda h, pre: np.ones_like(h)),
    "rnn_tanh": (lambda a, out: np.tanh(a, out=out), lambda h, pre: 1.0 - h * h),
    "rnn_relu": (lambda a, out: np.maximum(a, 0.0, out=out), lambda h, pre: (pre > 0.0).astype(np.float64)),
    "rnn_sigmoid": (lambda a, out: sigmoid(a, out=out), lambda h, pre: h * (1.0 - h)),
    # PyTorch's softplus (beta 1, threshold 20) and hardsigmoid; slopes from the pre-activation
    "rnn_softplus": (lambda a, out: np.copyto(out, np.where(a > 20.0, a, np.log1p(np.exp(np.minimum(a, 20.0))))),
                     lambda h, pre: np.where(pre > 20.0, 1.0, 1.0 / (1.0 + np.exp(-pre)))),
    "rnn_hard_sigmoid": (lambda a, out: np.copyto(out, np.minimum(np.maximum(a + 3.0, 0.0), 6.0) / 6.0),
                         lambda h, pre: np.where((pre > -3.0) & (pre < 3.0), elman.HARD_SIGMOID_SLOPE, 0.0)),
}


def elman_forward(tr: Trace) -> None:
    act, _ = ACTIVATIONS[tr.cell]
    xproj = tr.x @ tr.U.T + (tr.b_ih + tr.b_hh)       # U·x(t) + b for every step at once
    w_t = np.ascontiguousarray(tr.W.T)
    for s in range(len(tr.pre)):
        a = tr.pre[s]
        np.dot(tr.h[s], w_t, out=a)                    # W·h(t-1)
        a += xproj[s]                                  # + U·x(t) + b
        act(a, tr.h[s + 1])                            # h(t) = act(h_pre)
    tr.slope = ACTIVATIONS[tr.cell][1](tr.h[1:], tr.pre)


def elman_backward(tr: Trace) -> None:
    for s in range(len(tr.pre) - 1, -1, -1):
        dh = np.add(tr.dh_out[s], tr.dh_next[s + 1], out=tr.dh[s])   # ∂L/∂h(t)
        d = np.multiply(dh, tr.slope[s], out=tr.dpre[s])            # ∂L/∂h_pre = ∂L/∂h(t) ⊙ act′
        _flow_back(tr, s, d)                                        # ∂L/∂h(t-1) = Wᵀ·∂L/∂h_pre


# ---- LSTM ------------------------------------------------------------------------------------
#   forward   [i f g o]_pre = U·x(t) + W·h(t-1) + b;  i, f, o = σ(·);  g = tanh(·)
#             c(t) = f ⊙ c(t-1) + i ⊙ g;             h(t) = o ⊙ tanh(c(t))
#   backward  ∂L/∂h(t) = from output + from t+1
#             ∂L/∂c(t) = from t+1 (∂L/∂c(t+1) ⊙ f(t+1)) + ∂L/∂h(t) ⊙ o ⊙ (1 − tanh²c(t))
#             ∂L/∂o_pre = ∂L/∂h(t) ⊙ tanh c(t) ⊙ o(1−o);   ∂L/∂i_pre = ∂L/∂c(t) ⊙ g ⊙ i(1−i)
#             ∂L/∂f_pre = ∂L/∂c(t) ⊙ c(t-1) ⊙ f(1−f);      ∂L/∂g_pre = ∂L/∂c(t) ⊙ i ⊙ (1−g²)
#             ∂L/∂c(t-1) from t = ∂L/∂c(t) ⊙ f;            ∂L/∂h(t-1) from t = Wᵀ·∂L/∂[i f g o]_pre
def lstm_forward(tr: Trace) -> None:
    hidden = tr.h.shape[2]
    gi, gf, gg, go = (slice(k * hidden, (k + 1) * hidden) for k in range(4))
    xproj = tr.x @ tr.U.T + (tr.b_ih + tr.b_hh)
    w_t = np.ascontiguousarray(tr.W.T)
    for s in range(len(tr.pre)):
        a = tr.pre[s]
        np.dot(tr.h[s], w_t, out=a)                    # W·h(t-1)
        a += xproj[s]                                  # + U·x(t) + b
        v = tr.act[s]
        sigmoid(a, out=v)                              # i, f, o = σ(·)   (g is overwritten next)
        np.tanh(a[:, gg], out=v[:, gg])                # g = tanh(·)
        c = np.multiply(v[:, gf], tr.c[s], out=tr.c[s + 1])   # c(t) = f ⊙ c(t-1)
        c += v[:, gi] * v[:, gg]                              #        + i ⊙ g
        np.tanh(c, out=tr.tanh_c[s])
        np.multiply(v[:, go], tr.tanh_c[s], out=tr.h[s + 1])  # h(t) = o ⊙ tanh(c(t))
    slope = np.subtract(1.0, tr.act)                   # σ′ = σ(1 − σ) for i, f, o
    slope *= tr.act
    slope[..., gg] = 1.0 - tr.act[..., gg] ** 2        # tanh′ = 1 − tanh² for g
    tr.slope = slope


def lstm_backward(tr: Trace) -> None:
    hidden = tr.h.shape[2]
    gi, gf, gg, go = (slice(k * hidden, (k + 1) * hidden) for k in range(4))
    dtanh_c = 1.0 - tr.tanh_c * tr.tanh_c
    for s in range(len(tr.pre) - 1, -1, -1):
        v = tr.act[s]
        dh = np.add(tr.dh_out[s], tr.dh_next[s + 1], out=tr.dh[s])          # ∂L/∂h(t)
        dc = np.multiply(dh, v[:, go], out=tr.dc[s])                        # ∂L/∂c(t) = ∂L/∂h ⊙ o
        dc *= dtanh_c[s]                                                    #   ⊙ (1 − tanh² c(t))
        dc += tr.dc_next[s + 1]                                             #   + from t+1
        d = tr.dpre[s]
        np.multiply(dc, v[:, gg], out=d[:, gi])                             # ∂L/∂i = ∂L/∂c ⊙ g
        np.multiply(dc, tr.c[s], out=d[:, gf])                              # ∂L/∂f = ∂L/∂c ⊙ c(t-1)
        np.multiply(dc, v[:, gi], out=d[:, gg])                             # ∂L/∂g = ∂L/∂c ⊙ i
        np.multiply(dh, tr.tanh_c[s], out=d[:, go])                         # ∂L/∂o = ∂L/∂h ⊙ tanh c(t)
        d *= tr.slope[s]                                                    # through σ′ / tanh′
        _flow_back(tr, s, d, dc * v[:, gf])                                 # to h(t-1) and c(t-1)


# ---- GRU -------------------------------------------------------------------------------------
#   forward   r = σ(U_r·x + W_r·h(t-1) + b_r);  z = σ(U_z·x + W_z·h(t-1) + b_z)
#             hn = W_n·h(t-1) + b_hn;  n = tanh(U_n·x + b_in + r ⊙ hn)
#             h(t) = (1 − z) ⊙ n + z ⊙ h(t-1)
#   backward  ∂L/∂n_pre = ∂L/∂h(t) ⊙ (1 − z) ⊙ (1 − n²)
#             ∂L/∂z_pre = ∂L/∂h(t) ⊙ (h(t-1) − n) ⊙ z(1 − z)
#             ∂L/∂hn = ∂L/∂n_pre ⊙ r;   ∂L/∂r_pre = ∂L/∂n_pre ⊙ hn ⊙ r(1 − r)
#             ∂L/∂h(t-1) from t = Wᵀ·[∂L/∂r_pre; ∂L/∂z_pre; ∂L/∂hn] + ∂L/∂h(t) ⊙ z
def gru_forward(tr: Trace) -> None:
    hidden = tr.h.shape[2]
    rz, gn = slice(0, 2 * hidden), slice(2 * hidden, 3 * hidden)
    xproj = tr.x @ tr.U.T + tr.b_ih                    # U·x(t) + b_ih (b_hh stays inside r ⊙ (·))
    w_t = np.ascontiguousarray(tr.W.T)
    for s in range(len(tr.pre)):
        hp = tr.h[s]
        rec = np.dot(hp, w_t, out=tr.rec[s])           # W·h(t-1)
        rec += tr.b_hh                                 #   + b_hh
        a, v = tr.pre[s], tr.act[s]
        np.add(xproj[s, :, rz], rec[:, rz], out=a[:, rz])          # [r z]_pre
        sigmoid(a[:, rz], out=v[:, rz])                            # r, z = σ(·)
        r, z = v[:, :hidden], v[:, hidden:2 * hidden]
        np.multiply(r, rec[:, gn], out=a[:, gn])                   # n_pre = r ⊙ hn
        a[:, gn] += xproj[s, :, gn]                                #   + U_n·x + b_in
        n = np.tanh(a[:, gn], out=v[:, gn])                        # n = tanh(n_pre)
        np.add((1.0 - z) * n, z * hp, out=tr.h[s + 1])             # h(t) = (1 − z) ⊙ n + z ⊙ h(t-1)
    slope = np.subtract(1.0, tr.act)                   # σ′ = σ(1 − σ) for r, z
    slope *= tr.act
    slope[..., gn] = 1.0 - tr.act[..., gn] ** 2        # tanh′ = 1 − tanh² for n
    tr.slope = slope


def gru_backward(tr: Trace) -> None:
    hidden = tr.h.shape[2]
    gr, gz, gn = (slice(k * hidden, (k + 1) * hidden) for k in range(3))
    for s in range(len(tr.pre) - 1, -1, -1):
        v, slope, hp = tr.act[s], tr.slope[s], tr.h[s]
        dh = np.add(tr.dh_out[s], tr.dh_next[s + 1], out=tr.dh[s])          # ∂L/∂h(t)
        d, dr = tr.dpre[s], tr.drec[s]
        np.multiply(dh * (1.0 - v[:, gz]), slope[:, gn], out=d[:, gn])     # ∂L/∂n_pre
        np.multiply(dh * (hp - v[:, gn]), slope[:, gz], out=d[:, gz])      # ∂L/∂z_pre
        np.multiply(d[:, gn], v[:, gr], out=dr[:, gn])                     # ∂L/∂hn = ∂L/∂n_pre ⊙ r
        np.multiply(d[:, gn] * tr.rec[s, :, gn], slope[:, gr], out=d[:, gr])  # ∂L/∂r_pre
        dr[:, gr] = d[:, gr]
        dr[:, gz] = d[:, gz]
        _flow_back(tr, s, dr, direct=dh * v[:, gz])                          # Wᵀ·[…] + ∂L/∂h ⊙ z


def _flow_back(tr: Trace, s: int, d, dc_prev=None, direct=None) -> None:
    """Send ∂L/∂h(t-1) = Wᵀ·d (+ ``direct``) and ∂L/∂c(t-1) = ``dc_prev`` to step s-1 — unless
    truncated BPTT cuts the flow there: then they are kept in ``tr.blocked`` and nothing flows."""
    if tr.cut[s]:
        dh = d @ tr.W
        if direct is not None:
            dh += direct
        tr.blocked[s] = (dh, dc_prev)
        return
    dh = np.dot(d, tr.W, out=tr.dh_next[s])
    if direct is not None:
        dh += direct
    if dc_prev is not None:
        tr.dc_next[s] = dc_prev


STEPS = {"lstm": (lstm_forward, lstm_backward), "gru": (gru_forward, gru_backward)}


# ---- the whole recording ---------------------------------------------------------------------
def _check(model, x, target, truncate, l2, clip, clip_mode, optimizer, decoder_input):
    x = np.array(model.check_input(x))                 # a copy: the caller's array may change later
    if x.shape[0] > MAX_BATCH:
        raise InputError(f"a Tape records at most {MAX_BATCH} sequences, got a batch of {x.shape[0]}")
    decoder_x = model.check_decoder_input(decoder_input, x)
    decoder_x = None if decoder_x is None else np.array(decoder_x)
    target = np.array(model.check_target(target, x, decoder_x))
    truncate = check_truncate(truncate)
    if truncate is not None and model.spec.is_seq2seq:
        raise ConfigError("truncated BPTT is not available for an encoder–decoder model")
    if not (np.isfinite(l2) and l2 >= 0):
        raise ConfigError(f"l2 must be a finite number ≥ 0, got {l2!r}")
    clip = clipping.check_threshold(clip)
    clipping.check_mode(clip_mode)
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise ConfigError(f"optimizer must be an rnnsim.optim.Optimizer, got {type(optimizer).__name__}")
    return x, target, truncate, float(l2), clip, decoder_x


def record(model, x, target, truncate=None, l2=0.0, clip=None, clip_mode="norm", optimizer=None,
           decoder_input=None) -> Tape:
    """Record ``model`` on the probe batch ``x`` (batch ≤ 4, T, input_size) against ``target``.

    ``target`` as for ``model.loss_and_grads``; ``truncate`` the truncated-BPTT window in steps (None:
    full BPTT); ``l2`` adds l2/2·Σw² over the weight matrices; ``clip`` (None: no clipping event)
    clips the gradient's global norm (``clip_mode="norm"``) or each element (``"value"``) as
    rnnsim.clip; ``optimizer`` (an rnnsim.optim.Optimizer, or None for no update events) is
    deep-copied: the caller's optimizer and model never change. Clipping then the optimizer's step
    is what rnnsim.train.Trainer.step does. Returns a Tape of every event in execution order.

    An encoder–decoder model also takes ``decoder_input`` (batch, M, decoder_input_size), and ``target``
    covers the M decoder steps. Its recording has one timeline of N + M steps: the encoder's rows at
    t = 1..N, then the context event (each decoder layer starts from its encoder layer's final state),
    the decoder's rows at t = N+1..N+M with the outputs; backward runs through the decoder, hands the
    gradient back through the context, then runs through the encoder.
    """
    x, target, truncate, l2, clip, decoder_x = _check(model, x, target, truncate, l2, clip, clip_mode, optimizer,
                                                      decoder_input)
    spec = model.spec
    params = {k: v.copy() for k, v in model.params.items()}
    # one BLAS thread, as the engine: the products here are small, and a 2-thread pool collapses
    # when another thread (the GUI) is busy (docs/pitfalls.md)
    with parallel.single_threaded_blas(with_scipy=False), np.errstate(over="ignore", invalid="ignore", divide="ignore",
                                                      under="ignore"):
        return _record(spec, params, x, target, truncate, l2, clip, clip_mode, optimizer, decoder_x)


def _forward_stack(spec, params, x_tm, cut, stack="rnn", first_row=0, t0=0, initial=None):
    """Forward through one stack, layer by layer, each direction over its whole sequence.
    Returns ([row][direction] Trace, top output (T, B, D·H)). ``initial``: per layer the Trace whose final
    state starts this layer (an encoder's, for a decoder), else zeros."""
    forward = STEPS.get(spec.cell, (elman_forward, elman_backward))[0]
    rows = []
    layer_in = x_tm
    for layer in range(spec.num_layers):
        row = []
        for direction in range(spec.directions):
            xd = layer_in if direction == 0 else np.ascontiguousarray(layer_in[::-1])
            tr = Trace(spec.cell, first_row + layer, direction, xd, spec.hidden_size, params, spec.bias,
                       stack, layer, t0)
            tr.cut = cut
            if initial is not None:                                 # the context: h(0) = encoder's h(N)
                tr.h[0] = initial[layer].h[-1]
                if tr.c is not None:
                    tr.c[0] = initial[layer].c[-1]
            forward(tr)
            row.append(tr)
        rows.append(row)
        layer_in = np.concatenate([tr.flip(tr.h[1:]) for tr in row], axis=2)
    return rows, layer_in


def _backward_stack(spec, rows, d_top, grads):
    """BPTT through one stack's rows, top layer first (each Trace's dh_next/dc_next at its last step must
    already hold what arrives from beyond the sequence). Fills ``grads`` with the stack's gradients."""
    backward = STEPS.get(spec.cell, (elman_forward, elman_backward))[1]
    hidden = spec.hidden_size
    for row in reversed(rows):
        d_in = None
        for direction, tr in enumerate(row):
            steps, batch = tr.steps, tr.x.shape[1]
            tr.dh_out[...] = tr.flip(d_top[:, :, direction * hidden:(direction + 1) * hidden])
            backward(tr)
            gates = tr.dpre.shape[2]
            dpre2, drec2 = tr.dpre.reshape(-1, gates), tr.drec.reshape(-1, gates)
            grads[tr.names["weight_ih"]] = dpre2.T @ tr.x.reshape(steps * batch, -1)
            grads[tr.names["weight_hh"]] = drec2.T @ tr.h[:-1].reshape(steps * batch, hidden)
            if spec.bias:
                grads[tr.names["bias_ih"]] = dpre2.sum(axis=0)
                grads[tr.names["bias_hh"]] = drec2.sum(axis=0)
            if tr.stack_layer > 0:
                dx = tr.flip((dpre2 @ tr.U).reshape(steps, batch, -1))
                d_in = dx if d_in is None else d_in + dx
        d_top = d_in


def _record(spec, params, x, target, truncate, l2, clip, clip_mode, optimizer, decoder_x=None) -> Tape:
    batch, steps, _ = x.shape
    x_tm = np.ascontiguousarray(x.swapaxes(0, 1))                  # (T, B, I) time-major
    encoder = None
    if spec.is_seq2seq:
        m = decoder_x.shape[1]
        encoder, _ = _forward_stack(spec, params, x_tm, cuts(steps, None), "encoder")
        decoder, top = _forward_stack(spec, params, np.ascontiguousarray(decoder_x.swapaxes(0, 1)), cuts(m, None),
                                      "decoder", spec.num_layers, steps, [row[0] for row in encoder])
        traces = encoder + decoder
        out_t0, timeline = steps, steps + m
    else:
        traces, top = _forward_stack(spec, params, x_tm, cuts(steps, truncate))
        out_t0, timeline = 0, steps

    # output and loss (rnnsim.losses, as the engine)
    features = top[-1] if spec.output == "last" else top
    head = spec.output_size is not None
    logits = features @ params["fc.weight"].T + params["fc.bias"] if head else features     # o(t)
    # the sigmoid output layer: ŷ(t) = σ(o(t)) is the prediction and the loss is taken on it
    activated = sigmoid(logits, np.empty_like(logits)) if spec.output_activation == "sigmoid" else None
    output = logits if activated is None else activated
    tgt = np.ascontiguousarray(target.swapaxes(0, 1)) if spec.output == "sequence" else target
    count = target.size if spec.reduction == "mean" else None
    loss, d_output = losses.compute(spec.loss, output, tgt, spec.reduction, count)
    d_activated = None
    if activated is not None:
        d_activated = d_output                                     # ∂L/∂ŷ(t)
        d_output = d_activated * activated * (1.0 - activated)     # ∂L/∂o(t) = ∂L/∂ŷ ⊙ σ′, σ′ = ŷ(1 − ŷ)
    log_probs = losses.log_softmax(output) if spec.loss == "cross_entropy" else None
    if log_probs is not None:
        position_loss = -np.take_along_axis(log_probs, tgt[..., None], axis=-1)[..., 0]
    else:
        diff = output - tgt
        position_loss = np.sum(np.abs(diff) if spec.loss == "mae" else diff * diff, axis=-1)
    position_loss = position_loss / (count or 1)                    # L(t): Σ over t and batch is L

    # backward: the head, then each layer from the top, each direction from its last step; an encoder–decoder's
    # decoder first, then the gradient at each decoder layer's initial state is the encoder's from its next step
    grads = {}
    if head:
        grads["fc.weight"] = d_output.reshape(-1, spec.output_size).T @ features.reshape(-1, features.shape[-1])
        grads["fc.bias"] = d_output.reshape(-1, spec.output_size).sum(axis=0)
        d_features = d_output @ params["fc.weight"]
    else:
        d_features = d_output
    d_top = np.zeros_like(top)
    if spec.output == "last":
        d_top[-1] = d_features
    else:
        d_top[...] = d_features
    if encoder is None:
        _backward_stack(spec, traces, d_top, grads)
    else:
        _backward_stack(spec, decoder, d_top, grads)
        for enc_row, dec_row in zip(encoder, decoder):             # back through the context
            enc, dec = enc_row[0], dec_row[0]
            enc.dh_next[-1] = dec.dh_next[0]
            if enc.c is not None:
                enc.dc_next[-1] = dec.dc_next[0]
        _backward_stack(spec, encoder, np.zeros_like(encoder[-1][0].h[1:]), grads)
    grads = {name: grads[name] for name in spec.param_shapes()}
    bptt_grads = dict(grads)
    if l2:
        for name, w in params.items():
            if ".weight" in name:
                loss += 0.5 * l2 * float(np.sum(w * w))
                grads[name] = grads[name] + l2 * w

    # clipping, then the optimizer's update (as rnnsim.train.Trainer.step)
    clipped = {k: v.copy() for k, v in grads.items()}
    clip_info = None
    if clip is not None:
        before = clipping.global_norm(grads)
        applied = math.isfinite(before)
        if applied:
            (clipping.clip_by_norm if clip_mode == "norm" else clipping.clip_by_value)(clipped, clip)
        clip_info = {"before": before, "after": clipping.global_norm(clipped), "threshold": clip,
                     "mode": clip_mode, "applied": applied}
    update = None
    if optimizer is not None:
        opt = copy.deepcopy(optimizer)
        state_before = copy.deepcopy(opt.state)
        new_params = {k: v.copy() for k, v in params.items()}
        opt.step(new_params, clipped)
        update = {"optimizer": opt, "state_before": state_before, "new": new_params}

    out = output.swapaxes(0, 1) if spec.output == "sequence" else output
    if out_t0:   # an encoder–decoder: the time-major arrays cover the whole timeline, zeros before the decoder
        features, logits, tgt, d_output, log_probs, position_loss, activated, d_activated = (
            _on_timeline(a, out_t0) for a in (features, logits, tgt, d_output, log_probs, position_loss, activated,
                                              d_activated))
    rec = Recording(spec=spec, x=x, target=target, params=params, traces=traces, features=features,
                output=np.ascontiguousarray(out), output_tm=logits, target_tm=tgt, d_output=d_output,
                log_probs=log_probs, position_loss=position_loss, loss=loss, count=count, grads=grads,
                bptt_grads=bptt_grads,
                clipped_grads=clipped, truncate=truncate, l2=l2, clip=clip_info, update=update,
                activated=activated, d_activated=d_activated, decoder_x=decoder_x, timeline=timeline,
                encoder_rows=0 if encoder is None else len(encoder))
    tape = Tape(rec, _events(rec))
    _freeze(traces, params, x, target, features, logits, tgt, d_output, log_probs, position_loss, activated,
            d_activated)
    return tape


def _on_timeline(a, t0):
    """A time-major (M, ...) array of the decoder's steps placed at t0 … t0+M-1 of a zero-filled timeline."""
    if a is None:
        return None
    full = np.zeros((t0 + a.shape[0],) + a.shape[1:], dtype=a.dtype)
    full[t0:] = a
    return full


def _freeze(traces, *arrays):
    """Make the recorded numbers read-only: quantities are views of them, and replaying must show
    the same numbers however often it runs (the results — grads, new_params — stay writable)."""
    for row in traces:
        for tr in row:
            arrays += tuple(v for v in vars(tr).values() if isinstance(v, np.ndarray))
    for a in arrays:
        if isinstance(a, dict):
            for v in a.values():
                v.flags.writeable = False
        elif a is not None:
            a.flags.writeable = False


def _events(rec) -> list:
    """Every event in execution order (their formulas and quantities are built when read)."""
    spec = rec.spec
    naming: Naming = rec.naming
    events = []
    index = rec.index

    def add(kind, title, layer=None, direction=None, t=None, param=None):
        index.setdefault((kind, layer, direction, t), len(events))
        events.append(Event(len(events), kind, PHASE_OF[kind], layer, direction, t, title, param, rec))

    for row in rec.traces:
        if rec.encoder_rows and row[0].layer == rec.encoder_rows:
            add("context", f"Context · the encoder's final state starts the decoder (t = {rec.decoder_t0})")
        for tr in row:
            where = naming.where(tr.layer, tr.direction)
            for s in range(tr.steps):
                t = tr.original_t(s)
                add("forward", f"Forward · {where} · t = {t + 1}", tr.layer, tr.direction, t)
    for t in rec.output_times:
        add("output", f"Output · t = {t + 1}" + (" (last step)" if spec.output == "last" else ""), t=t)
    add("loss", "Loss")
    for row in reversed(rec.traces):
        if rec.encoder_rows and row[0].layer == rec.encoder_rows - 1:
            add("context_back", f"Context · the gradient goes back into the encoder (t = {rec.decoder_t0})")
        for tr in row:
            where = naming.where(tr.layer, tr.direction)
            for s in range(tr.steps - 1, -1, -1):
                t = tr.original_t(s)
                add("backward", f"Backward · {where} · t = {t + 1}", tr.layer, tr.direction, t)
                if tr.cut[s]:
                    add("truncate", f"Truncation · {where} · t = {t + 1}", tr.layer, tr.direction, t)
    if rec.l2:
        add("weight_decay", "Weight decay (L2)")
    if rec.clip is not None:
        add("clip", "Gradient clipping" + (" (by value)" if rec.clip["mode"] == "value" else ""))
    if rec.update is not None:
        for name in spec.param_shapes():
            layer, direction = (None, None) if name.startswith("fc.") else rec.row_of(name)
            add("update", f"Update · {name} ({rec.symbol(name)})", layer, direction, param=name)
    return events
