"""LSTM kernels, PyTorch's equations and gate order (i, f, g, o):

    [i f g o]_pre = U·x(t) + b_ih + W·h(t-1) + b_hh        (xproj holds U·x(t) + b_ih)
    i, f, o = σ(·),  g = tanh(·)
    c(t) = f ⊙ c(t-1) + i ⊙ g,   h(t) = o ⊙ tanh(c(t))

Time-major arrays: xproj (T,B,4H), gates (T,B,4H) after their nonlinearity, c and tanh(c) (T,B,H).
"""
import numpy as np

from .._jit import kernel


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
def forward(xproj, w_hh_t, b_hh, h0, c0, h, c, gates, tanh_c):
    """Run T steps. w_hh_t = W_hhᵀ (H,4H); h0, c0 (B,H) -> h, c, tanh_c (T,B,H), gates (T,B,4H).

    Each step works row by row in short single-purpose loops: LLVM vectorises a loop only
    when it can rule out aliasing between the few arrays it touches.
    """
    steps, batch, four_h = xproj.shape
    hidden = four_h // 4
    h_prev = h0
    c_prev = c0
    for t in range(steps):
        gt = gates[t]
        np.dot(h_prev, w_hh_t, gt)
        xt = xproj[t]
        ct = c[t]
        tct = tanh_c[t]
        ht = h[t]
        for b in range(batch):
            row = gt[b]
            xr = xt[b]
            for k in range(four_h):
                row[k] += xr[k] + b_hh[k]
            for k in range(2 * hidden):
                row[k] = _sigmoid(row[k])
            for k in range(2 * hidden, 3 * hidden):
                row[k] = _tanh(row[k])
            for k in range(3 * hidden, four_h):
                row[k] = _sigmoid(row[k])
            cp = c_prev[b]
            cr = ct[b]
            for j in range(hidden):
                cr[j] = row[hidden + j] * cp[j] + row[j] * row[2 * hidden + j]
            tr = tct[b]
            for j in range(hidden):
                tr[j] = _tanh(cr[j])
            hr = ht[b]
            for j in range(hidden):
                hr[j] = row[3 * hidden + j] * tr[j]
        h_prev = ht
        c_prev = ct


@kernel
def backward(dh_out, c0, c, gates, tanh_c, w_hh, cut, dc_last, dpre, dh0, dc0, dh_total):
    """BPTT from t = T-1 down to 0.

    dh_out (T,B,H): ∂L/∂h(t) from above; cut (T,) uint8: 1 cuts the flow into step t-1; dc_last (B,H):
    ∂L/∂c(T-1) from outside the sequence (an encoder's final cell state read by a decoder), else zeros.
    Writes dpre (T,B,4H) = ∂L/∂[i f g o]_pre, dh_total (T,B,H) = the whole ∂L/∂h(t), and dh0, dc0 (B,H).
    Row by row in short single-purpose loops, like the forward pass.
    """
    steps, batch, hidden = c.shape
    carry_h = np.zeros((batch, hidden))
    carry_c = dc_last.copy()
    for t in range(steps - 1, -1, -1):
        c_prev = c[t - 1] if t > 0 else c0
        for b in range(batch):
            gate = gates[t, b]
            i = gate[:hidden]
            f = gate[hidden:2 * hidden]
            g = gate[2 * hidden:3 * hidden]
            o = gate[3 * hidden:]
            tc = tanh_c[t, b]
            cp = c_prev[b]
            d = dpre[t, b]
            dh = dh_total[t, b]
            up = dh_out[t, b]
            ch = carry_h[b]
            dc = carry_c[b]            # ∂L/∂c(t) from step t+1, then the whole ∂L/∂c(t), then ∂L/∂c(t-1)
            for j in range(hidden):
                dh[j] = up[j] + ch[j]
            for j in range(hidden):
                dc[j] = dc[j] + dh[j] * o[j] * (1.0 - tc[j] * tc[j])
            for j in range(hidden):
                d[j] = dc[j] * g[j] * i[j] * (1.0 - i[j])
            for j in range(hidden):
                d[hidden + j] = dc[j] * cp[j] * f[j] * (1.0 - f[j])
            for j in range(hidden):
                d[2 * hidden + j] = dc[j] * i[j] * (1.0 - g[j] * g[j])
            for j in range(hidden):
                d[3 * hidden + j] = dh[j] * tc[j] * o[j] * (1.0 - o[j])
            for j in range(hidden):
                dc[j] = dc[j] * f[j]
        if cut[t]:
            carry_h[:, :] = 0.0
            carry_c[:, :] = 0.0
        else:
            np.dot(dpre[t], w_hh, carry_h)
    dh0[:, :] = carry_h
    dc0[:, :] = carry_c
