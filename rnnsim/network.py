"""The whole network — layers × directions × head — composed around the cell kernels.

Everything here is time-major, ``(T, batch, ·)``: a time step is then one contiguous
``(batch, ·)`` block for the kernels. The input projections of all steps are one matrix product
before a kernel runs, the weight gradients of all steps one product after it; only the recurrent
product h(t-1)·W_hhᵀ and its backward run inside the compiled time loop.

The backward direction of a bidirectional layer runs the same kernel on the time-reversed input;
its outputs are flipped back, so ``top[-1]`` holds the backward direction's state after its
*first* step, exactly as PyTorch's ``out[:, -1, :]``.

Truncated BPTT with window k detaches the recurrent state: counting steps in each direction's
own processing order s = 0..T-1, the gradient does not flow from step s into step s-1 when
(T - s) is a multiple of k. The last k steps therefore form one whole window (the one a
many-to-one loss sees), and no gradient travels more than k-1 recurrent links.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import losses, parallel
from .cells import CELLS, Record
from .spec import ModelSpec


@dataclass
class DirectionPass:
    """One direction of one layer: its input in processing order and what the kernel recorded."""

    x: np.ndarray            # (T, B, I) input, time-reversed for the backward direction
    h0: np.ndarray           # (B, H)
    c0: np.ndarray           # (B, H) (zeros; used by LSTM only)
    record: Record


@dataclass
class ForwardPass:
    """Everything a forward pass computed, time-major."""

    layers: list = field(default_factory=list)   # [layer][direction] -> DirectionPass
    top: np.ndarray | None = None                # (T, B, D·H) top layer output, original time order
    features: np.ndarray | None = None           # top, or top[-1] (B, D·H) for output "last"
    logits: np.ndarray | None = None             # the head's fc(features), (T, B, out) or (B, out); None without a head
    output: np.ndarray | None = None             # the network's output: logits, σ(logits) for output_activation
                                                 # "sigmoid", or the features themselves without a head


def cut_mask(steps: int, truncate: int | None) -> np.ndarray:
    """(T,) uint8: 1 at step s when the gradient must not flow from s into s-1."""
    mask = np.zeros(steps, dtype=np.uint8)
    if truncate:
        s = np.arange(1, steps)
        mask[1:] = ((steps - s) % truncate == 0)
    return mask


def _bias(params, name, size):
    b = params.get(name)
    return b if b is not None else np.zeros(size)


def forward(spec: ModelSpec, params: dict, x: np.ndarray, frozen: ForwardPass | None = None,
            truncate: int | None = None) -> ForwardPass:
    """Run the network on time-major ``x (T, B, input_size)``.

    With ``frozen`` (an earlier pass) and ``truncate``, each truncation window starts from the
    state ``frozen`` recorded there instead of the one just computed: the function whose exact
    gradient truncated BPTT is — what the gradient checker differentiates numerically.
    """
    cell = CELLS[spec.cell]
    steps, batch, _ = x.shape
    hidden = spec.hidden_size
    gates = cell.gate_blocks * hidden
    cuts = np.flatnonzero(cut_mask(steps, truncate)) if frozen is not None else []
    fp = ForwardPass()
    layer_in = x
    for layer in range(spec.num_layers):
        passes = []
        outputs = []
        for direction in range(spec.directions):
            sfx = spec.suffix(layer, direction)
            w_ih = params["rnn.weight_ih" + sfx]
            w_hh_t = np.ascontiguousarray(params["rnn.weight_hh" + sfx].T)
            b_ih = _bias(params, "rnn.bias_ih" + sfx, gates)
            b_hh = _bias(params, "rnn.bias_hh" + sfx, gates)
            xd = layer_in if direction == 0 else np.ascontiguousarray(layer_in[::-1])
            xproj = (xd.reshape(steps * batch, -1) @ w_ih.T + b_ih).reshape(steps, batch, gates)
            h0 = np.zeros((batch, hidden))
            c0 = np.zeros((batch, hidden))
            rec = cell.allocate(steps, batch, hidden)
            start = 0
            for stop in list(cuts) + [steps]:
                if start == 0:
                    hs, cs = h0, c0
                else:
                    old = frozen.layers[layer][direction].record
                    hs = old.h[start - 1]
                    cs = old.c[start - 1] if old.c is not None else c0
                cell.forward(rec, xproj, w_hh_t, b_hh, hs, cs, start, stop)
                start = stop
            passes.append(DirectionPass(xd, h0, c0, rec))
            outputs.append(rec.h if direction == 0 else rec.h[::-1])
        fp.layers.append(passes)
        layer_in = outputs[0] if len(outputs) == 1 else np.concatenate(outputs, axis=2)
    fp.top = layer_in
    fp.features = fp.top[-1] if spec.output == "last" else fp.top
    if spec.output_size is not None:
        fp.logits = fp.features @ params["fc.weight"].T + params["fc.bias"]
        fp.output = sigmoid(fp.logits) if spec.output_activation == "sigmoid" else fp.logits
    else:
        fp.output = fp.features
    return fp


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)) elementwise (torch.sigmoid); e^(−z) overflowing to inf gives σ = 0."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def head_gradient(spec: ModelSpec, output: np.ndarray, d_output: np.ndarray) -> np.ndarray:
    """∂L/∂z at the head's fc output z from ∂L/∂ŷ at the network's output ŷ (same shapes):
    ∂L/∂z = ∂L/∂ŷ ⊙ ŷ(1 − ŷ) for output_activation "sigmoid", ∂L/∂ŷ itself for "identity"."""
    if spec.output_activation == "sigmoid":
        return d_output * (output * (1.0 - output))
    return d_output


def backward(spec: ModelSpec, params: dict, fp: ForwardPass, d_output: np.ndarray,
             truncate: int | None = None, state_grads: dict | None = None) -> dict:
    """Gradients of every parameter given ∂L/∂output (same shape as ``fp.output``; with a sigmoid head
    that is ∂L/∂ŷ, taken back through σ by :func:`head_gradient`).

    With a ``state_grads`` dict, also stores ∂L/∂h(t) (T, B, H), original time order, under
    (layer, direction) — the gradient-over-time view of vanishing and exploding gradients — and
    ∂L/∂h0 (B, H), the gradient reaching the initial state, under (layer, direction, "h0").
    """
    cell = CELLS[spec.cell]
    steps, batch, _ = fp.top.shape
    hidden = spec.hidden_size
    grads = {}
    if spec.output_size is not None:
        d_logits = head_gradient(spec, fp.output, d_output)
        feats = fp.features.reshape(-1, fp.features.shape[-1])
        d_out2 = d_logits.reshape(-1, spec.output_size)
        grads["fc.weight"] = d_out2.T @ feats
        grads["fc.bias"] = d_out2.sum(axis=0)
        d_features = d_logits @ params["fc.weight"]
    else:
        d_features = d_output
    if spec.output == "last":
        d_top = np.zeros_like(fp.top)
        d_top[-1] = d_features
    else:
        d_top = d_features
    cut = cut_mask(steps, truncate)
    for layer in range(spec.num_layers - 1, -1, -1):
        d_in = None
        for direction in range(spec.directions):
            sfx = spec.suffix(layer, direction)
            dp = fp.layers[layer][direction]
            block = d_top[:, :, direction * hidden:(direction + 1) * hidden]
            dh_out = np.ascontiguousarray(block if direction == 0 else block[::-1])
            w_hh = params["rnn.weight_hh" + sfx]
            w_ih = params["rnn.weight_ih" + sfx]
            cg = cell.backward(dp.record, dh_out, w_hh, cut, dp.h0, dp.c0)
            dxpre, dhpre = cg.dxpre, cg.dhpre
            if state_grads is not None:
                state_grads[(layer, direction)] = cg.dh if direction == 0 else cg.dh[::-1]
                state_grads[(layer, direction, "h0")] = cg.dh0
            gates = dxpre.shape[2]
            dx2 = dxpre.reshape(steps * batch, gates)
            dh2 = dhpre.reshape(steps * batch, gates)
            grads["rnn.weight_ih" + sfx] = dx2.T @ dp.x.reshape(steps * batch, -1)
            # Σ_t ∂L/∂pre(t) ⊗ h(t-1); the t = 0 term vanishes because h(-1) = h0 = 0
            grads["rnn.weight_hh" + sfx] = dh2[batch:].T @ dp.record.h[:-1].reshape(-1, hidden)
            if spec.bias:
                grads["rnn.bias_ih" + sfx] = dx2.sum(axis=0)
                grads["rnn.bias_hh" + sfx] = dh2.sum(axis=0)
            if layer > 0:
                dx = (dx2 @ w_ih).reshape(steps, batch, -1)
                dx = dx if direction == 0 else dx[::-1]
                d_in = dx if d_in is None else d_in + dx
        d_top = d_in
    return {name: grads[name] for name in spec.param_shapes()}


def to_time_major(a: np.ndarray) -> np.ndarray:
    """(B, T, ...) -> contiguous (T, B, ...)."""
    return np.ascontiguousarray(a.swapaxes(0, 1))


def _chunks(spec: ModelSpec, batch: int, steps: int) -> list:
    gate_units = spec.gate_blocks * spec.hidden_size
    n = parallel.chunk_count(batch, steps, gate_units, spec.num_layers * spec.directions)
    return [slice(int(a[0]), int(a[-1]) + 1) for a in np.array_split(np.arange(batch), n)]


def predict(spec: ModelSpec, params: dict, x: np.ndarray) -> np.ndarray:
    """Batch-first x (B,T,I) -> batch-first output (B,T,out) or (B,out), in parallel chunks when large."""
    def run(rows):
        with np.errstate(all="ignore"):  # overflow is reported by the values (inf/NaN), not warnings
            out = forward(spec, params, to_time_major(x[rows])).output
        return out.swapaxes(0, 1) if spec.output == "sequence" else out

    with parallel.single_threaded_blas():
        return np.concatenate(parallel.map_chunks(run, _chunks(spec, *x.shape[:2])))


def loss_and_grads(spec: ModelSpec, params: dict, x: np.ndarray, target: np.ndarray,
                   truncate: int | None = None, l2: float = 0.0, state_grads: dict | None = None):
    """x (B,T,I) and target batch-first, already validated -> (loss, grads, ForwardPass or None).

    A large batch runs as chunks in parallel, whose losses and gradients add up exactly to the
    whole batch's (the mean's divisor is the whole batch's); the ForwardPass is then None.
    With ``state_grads`` (see ``backward``) it runs as one chunk.
    """
    count = target.size if spec.reduction == "mean" else None  # elements (mse) or positions (cross-entropy)

    def run(rows):
        with np.errstate(all="ignore"):  # a diverging model shows inf/NaN in its results, not warnings
            fp = forward(spec, params, to_time_major(x[rows]))
            part = target[rows]
            tgt = to_time_major(part) if spec.output == "sequence" else part
            loss, d_output = losses.compute(spec.loss, fp.output, tgt, spec.reduction, count)
            return loss, backward(spec, params, fp, d_output, truncate, state_grads), fp

    rows = [slice(None)] if state_grads is not None else _chunks(spec, *x.shape[:2])
    with parallel.single_threaded_blas():
        results = parallel.map_chunks(run, rows)
    loss, grads, fp = results[0]
    if len(results) > 1:
        fp = None
        for part_loss, part_grads, _ in results[1:]:
            loss += part_loss
            for name, g in part_grads.items():
                grads[name] += g
    if l2:
        for name, w in params.items():
            if ".weight" in name:
                loss += 0.5 * l2 * float(np.sum(w * w))
                grads[name] = grads[name] + l2 * w
    return loss, grads, fp
