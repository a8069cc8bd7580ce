"""GRU kernels, PyTorch's equations and gate order (r, z, n):

    r = σ(U_r·x + b_ir + W_r·h(t-1) + b_hr)
    z = σ(U_z·x + b_iz + W_z·h(t-1) + b_hz)
    n = tanh(U_n·x + b_in + r ⊙ (W_n·h(t-1) + b_hn))
    h(t) = (1 − z) ⊙ n + z ⊙ h(t-1)

Time-major arrays: xproj (T,B,3H) holds U·x + b_ih; gates (T,B,3H) holds r, z, n;
hn (T,B,H) holds W_n·h(t-1) + b_hn, which the backward pass needs for ∂L/∂r.
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
def forward(xproj, w_hh_t, b_hh, h0, h, gates, hn):
    """Run T steps. w_hh_t = W_hhᵀ (H,3H); h0 (B,H) -> h (T,B,H), gates (T,B,3H), hn (T,B,H).

    Row by row in short single-purpose loops, which LLVM vectorises.
    """
    steps, batch, three_h = xproj.shape
    hidden = three_h // 3
    h_prev = h0
    for t in range(steps):
        gt = gates[t]
        np.dot(h_prev, w_hh_t, gt)
        xt = xproj[t]
        hnt = hn[t]
        ht = h[t]
        for b in range(batch):
            row = gt[b]
            xr = xt[b]
            hnr = hnt[b]
            for k in range(2 * hidden):
                row[k] = _sigmoid(row[k] + xr[k] + b_hh[k])
            for j in range(hidden):
                hnr[j] = row[2 * hidden + j] + b_hh[2 * hidden + j]
            for j in range(hidden):
                row[2 * hidden + j] = _tanh(xr[2 * hidden + j] + row[j] * hnr[j])
            hr = ht[b]
            hp = h_prev[b]
            for j in range(hidden):
                z = row[hidden + j]
                hr[j] = (1.0 - z) * row[2 * hidden + j] + z * hp[j]
        h_prev = ht


@kernel
def backward(dh_out, h0, h, gates, hn, w_hh, cut, dxpre, dhpre, dh0, dh_total):
    """BPTT from t = T-1 down to 0.

    dh_out (T,B,H): ∂L/∂h(t) from above; cut (T,) uint8: 1 cuts the flow into step t-1.
    Writes dxpre (T,B,3H) = ∂L/∂(U·x + b_ih), dhpre (T,B,3H) = ∂L/∂(W·h(t-1) + b_hh) —
    they differ in the n block, where r multiplies the recurrent part —, dh_total (T,B,H) = the
    whole ∂L/∂h(t), and dh0 (B,H). Row by row in short single-purpose loops, like the forward pass.
    """
    steps, batch, hidden = h.shape
    carry = np.zeros((batch, hidden))
    direct = np.zeros((batch, hidden))
    for t in range(steps - 1, -1, -1):
        h_prev = h[t - 1] if t > 0 else h0
        for b in range(batch):
            gate = gates[t, b]
            r = gate[:hidden]
            z = gate[hidden:2 * hidden]
            n = gate[2 * hidden:]
            hp = h_prev[b]
            hnr = hn[t, b]
            dx = dxpre[t, b]
            dhp = dhpre[t, b]
            dh = dh_total[t, b]
            up = dh_out[t, b]
            cr = carry[b]
            for j in range(hidden):
                dh[j] = up[j] + cr[j]
            for j in range(hidden):
                dx[2 * hidden + j] = dh[j] * (1.0 - z[j]) * (1.0 - n[j] * n[j])       # ∂L/∂n_pre
            for j in range(hidden):
                dx[hidden + j] = dh[j] * (hp[j] - n[j]) * z[j] * (1.0 - z[j])          # ∂L/∂z_pre
            for j in range(hidden):
                dx[j] = dx[2 * hidden + j] * hnr[j] * r[j] * (1.0 - r[j])              # ∂L/∂r_pre
            for j in range(2 * hidden):
                dhp[j] = dx[j]
            for j in range(hidden):
                dhp[2 * hidden + j] = dx[2 * hidden + j] * r[j]
            dr = direct[b]
            for j in range(hidden):
                dr[j] = dh[j] * z[j]
        if cut[t]:
            carry[:, :] = 0.0
        else:
            np.dot(dhpre[t], w_hh, carry)
            carry += direct
    dh0[:, :] = carry
