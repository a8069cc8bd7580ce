"""Simple recurrent cells: h(t) = act(U·x(t) + b_ih + W·h(t-1) + b_hh).

``act`` is identity (the bit counter of the Chinese linear-RNN tutorial), tanh, relu, sigmoid, softplus or
hard sigmoid — one kernel pair serves all six, chosen by an integer code. Softplus and hard sigmoid are
PyTorch's: softplus(v) = log(1 + eᵛ), v itself above 20 (beta 1, threshold 20); hardsigmoid(v) =
min(max(v + 3, 0), 6) / 6, i.e. v/6 + 1/2 clipped to [0, 1] (not Keras's older 0.2·v + 0.5). Arrays are time-major inside the engine:
``xproj (T, batch, H)`` already holds U·x(t) + b_ih for every step.
"""
import math

import numpy as np

from .._jit import kernel

IDENTITY, TANH, RELU, SIGMOID, SOFTPLUS, HARD_SIGMOID = 0, 1, 2, 3, 4, 5
SOFTPLUS_THRESHOLD = 20.0      # PyTorch's default: above it softplus(v) is v and its slope is 1
# PyTorch's hardsigmoid backward multiplies by the float literal 1.0f/6.0f even in float64, so its slope
# is 1/6 rounded to float32 (0.1666666716…, 3e-8 relative above 1/6); the engine uses the same number.
HARD_SIGMOID_SLOPE = 0.1666666716337204


# ---- activations: exp-based and branch-free, so the gate loops compile to SIMD -----------
# This block is identical in elman.py, lstm.py and gru.py (tests/engine/test_kernels_source.py
# keeps it so): numba's on-disk cache does not notice edits to jitted helpers imported from
# another file, so each kernel module carries its own copy.
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01    # ln 2 split in two (Cody–Waite): k·_LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_ROUND = 6755399441055744.0             # 1.5·2^52: adding then subtracting it rounds to an integer


@kernel
def _exp_parts(x):
    """exp(x) = s·(1 + q) with s = 2^k exact and q = expm1(r), |r| ≤ ln2/2 (Taylor, degree 13)."""
    x = min(max(x, -708.0), 709.0)
    k = (x * _LOG2E + _ROUND) - _ROUND
    r = (x - k * _LN2_HI) - k * _LN2_LO
    q = 1.0 / 6227020800.0
    q = q * r + 1.0 / 479001600.0
    q = q * r + 1.0 / 39916800.0
    q = q * r + 1.0 / 3628800.0
    q = q * r + 1.0 / 362880.0
    q = q * r + 1.0 / 40320.0
    q = q * r + 1.0 / 5040.0
    q = q * r + 1.0 / 720.0
    q = q * r + 1.0 / 120.0
    q = q * r + 1.0 / 24.0
    q = q * r + 1.0 / 6.0
    q = q * r + 0.5
    q = (q * r) * r + r
    s = np.int64((np.int64(k) + 1023) << 52).view(np.float64)
    return s, q


@kernel
def _sigmoid(v):
    s, q = _exp_parts(-v)
    return 1.0 / (1.0 + (s * q + s))


@kernel
def _tanh(v):
    s, q = _exp_parts(-2.0 * abs(v))
    e = s * q + (s - 1.0)          # expm1(-2|v|) ≤ 0, accurate near 0
    t = abs(e) / (e + 2.0)
    return t if v >= 0.0 else -t


@kernel
def _activate(v, act):
    if act == TANH:
        return _tanh(v)
    if act == RELU:
        return v if v > 0.0 else 0.0
    if act == SIGMOID:
        return _sigmoid(v)
    if act == SOFTPLUS:
        return v if v > SOFTPLUS_THRESHOLD else math.log1p(math.exp(v))
    if act == HARD_SIGMOID:
        return min(max(v + 3.0, 0.0), 6.0) / 6.0       # PyTorch's order of operations, for equal rounding
    return v


@kernel
def _slope(h, act):
    """act'(pre) written in terms of the output h = act(pre); relu'(0) = 0 as in PyTorch.

    softplus' = σ(pre) = 1 − e^(−h) (1 above the threshold, where h = pre); hardsigmoid' = 1/6 (PyTorch's
    float32 rounding of it) where 0 < h < 1 (−3 < pre < 3), else 0."""
    if act == TANH:
        return 1.0 - h * h
    if act == RELU:
        return 1.0 if h > 0.0 else 0.0
    if act == SIGMOID:
        return h * (1.0 - h)
    if act == SOFTPLUS:
        return 1.0 if h > SOFTPLUS_THRESHOLD else -math.expm1(-h)
    if act == HARD_SIGMOID:
        return HARD_SIGMOID_SLOPE if 0.0 < h < 1.0 else 0.0
    return 1.0


@kernel
def forward(xproj, w_hh_t, b_hh, h0, act, h):
    """Run T steps. xproj (T,B,H); w_hh_t = W_hhᵀ (H,H); b_hh (H,); h0 (B,H) -> h (T,B,H)."""
    steps, batch, hidden = xproj.shape
    h_prev = h0
    for t in range(steps):
        ht = h[t]
        np.dot(h_prev, w_hh_t, ht)
        xt = xproj[t]
        for b in range(batch):
            hr = ht[b]
            xr = xt[b]
            for j in range(hidden):
                hr[j] = _activate(hr[j] + xr[j] + b_hh[j], act)
        h_prev = ht


@kernel
def backward(dh_out, h, w_hh, act, cut, dpre, dh0, dh_total):
    """BPTT from t = T-1 down to 0.

    dh_out (T,B,H): ∂L/∂h(t) arriving from above (outputs or the next layer).
    cut (T,) uint8: 1 where the recurrent gradient into step t-1 is cut (truncated BPTT).
    Writes dpre (T,B,H) = ∂L/∂(pre-activation), dh_total (T,B,H) = the whole ∂L/∂h(t)
    (from above plus from step t+1) and dh0 (B,H) = ∂L/∂h(-1).
    """
    steps, batch, hidden = h.shape
    carry = np.zeros((batch, hidden))
    for t in range(steps - 1, -1, -1):
        ht = h[t]
        dt = dpre[t]
        gt = dh_out[t]
        tot = dh_total[t]
        for b in range(batch):
            for j in range(hidden):
                dh = gt[b, j] + carry[b, j]
                tot[b, j] = dh
                dt[b, j] = dh * _slope(ht[b, j], act)
        if cut[t]:
            carry[:, :] = 0.0
        else:
            np.dot(dt, w_hh, carry)
    dh0[:, :] = carry
