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

from . import allocator, losses, parallel
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

    layers: list = field(default_factory=list)   # [layer][direction] -> DirectionPass (the decoder's, for seq2seq)
    encoder: list | None = None                  # an encoder–decoder's encoder: [layer][0] -> DirectionPass
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
            truncate: int | None = None, decoder_x: np.ndarray | None = None) -> ForwardPass:
    """Run the network on time-major ``x (T, B, input_size)``.

    With ``frozen`` (an earlier pass) and ``truncate``, each truncation window starts from the
    state ``frozen`` recorded there instead of the one just computed: the function whose exact
    gradient truncated BPTT is — what the gradient checker differentiates numerically.

    An encoder–decoder spec also takes ``decoder_x (M, B, decoder_inputs)``: the encoder stack runs on
    ``x`` from zero states, its final (h, c) of each layer — the context — starts the decoder stack on
    ``decoder_x``, and the head reads the decoder's top states (``fp.layers`` is the decoder's,
    ``fp.encoder`` the encoder's).
    """
    fp = ForwardPass()
    if spec.is_seq2seq:
        fp.encoder, _ = stack_forward(spec, params, "encoder", x)
        context = context_of(fp.encoder)
        fp.layers, fp.top = stack_forward(spec, params, "decoder", decoder_x, context)
    else:
        fp.layers, fp.top = stack_forward(spec, params, "rnn", x, frozen=frozen, truncate=truncate)
    fp.features = fp.top[-1] if spec.output == "last" else fp.top
    if spec.output_size is not None:
        fp.logits = fp.features @ params["fc.weight"].T + params["fc.bias"]
        fp.output = sigmoid(fp.logits) if spec.output_activation == "sigmoid" else fp.logits
    else:
        fp.output = fp.features
    return fp


def context_of(encoder_layers: list) -> list:
    """An encoder's context: per layer (h, c or None) at its last step, each (B, H)."""
    return [(p[0].record.h[-1], p[0].record.c[-1] if p[0].record.c is not None else None) for p in encoder_layers]


def stack_forward(spec: ModelSpec, params: dict, stack: str, x: np.ndarray, initial=None,
                  frozen: ForwardPass | None = None, truncate: int | None = None):
    """One recurrent stack (parameters ``{stack}.*``) on time-major x (T, B, I) -> ([layer][direction]
    DirectionPass, top output (T, B, D·H)). ``initial``: per layer (h0, c0 or None), else zeros."""
    cell = CELLS[spec.cell]
    steps, batch, _ = x.shape
    hidden = spec.hidden_size
    gates = cell.gate_blocks * hidden
    cuts = np.flatnonzero(cut_mask(steps, truncate)) if frozen is not None else []
    layers = []
    layer_in = x
    for layer in range(spec.num_layers):
        passes = []
        outputs = []
        for direction in range(spec.directions):
            sfx = spec.suffix(layer, direction)
            w_ih = params[f"{stack}.weight_ih{sfx}"]
            w_hh_t = np.ascontiguousarray(params[f"{stack}.weight_hh{sfx}"].T)
            b_ih = _bias(params, f"{stack}.bias_ih{sfx}", gates)
            b_hh = _bias(params, f"{stack}.bias_hh{sfx}", gates)
            xd = layer_in if direction == 0 else np.ascontiguousarray(layer_in[::-1])
            xproj = np.dot(xd.reshape(steps * batch, -1), w_ih.T).reshape(steps, batch, gates)
            xproj += b_ih                                    # in place: no second (T, B, G·H) array
            h0 = np.zeros((batch, hidden))
            c0 = np.zeros((batch, hidden))
            if initial is not None:
                h0 = np.ascontiguousarray(initial[layer][0])
                if initial[layer][1] is not None:
                    c0 = np.ascontiguousarray(initial[layer][1])
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
        layers.append(passes)
        layer_in = outputs[0] if len(outputs) == 1 else np.concatenate(outputs, axis=2)
    return layers, layer_in


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
    For an encoder–decoder those are the decoder's; the encoder's are under ("encoder", layer, direction).

    An encoder–decoder's gradient reaches the encoder through the context: ∂L/∂h0 (and ∂L/∂c0) of each
    decoder layer is ∂L/∂h (∂L/∂c) at the encoder's last step of that layer.
    """
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
    if spec.is_seq2seq:
        context = _stack_backward(spec, params, "decoder", fp.layers, d_top, None, grads, state_grads)
        d_enc = np.zeros_like(fp.encoder[-1][0].record.h)
        _stack_backward(spec, params, "encoder", fp.encoder, d_enc, None, grads,
                        None if state_grads is None else _Prefixed(state_grads, "encoder"), context)
    else:
        _stack_backward(spec, params, "rnn", fp.layers, d_top, truncate, grads, state_grads)
    return {name: grads[name] for name in spec.param_shapes()}


class _Prefixed:
    """A view of a state_grads dict that files every key under a stack's name first."""

    def __init__(self, target: dict, prefix: str):
        self.target, self.prefix = target, prefix

    def __setitem__(self, key, value):
        self.target[(self.prefix,) + key] = value


def _stack_backward(spec, params, stack, layers, d_top, truncate, grads, state_grads, from_outside=None):
    """BPTT through one stack, top layer first, filling ``grads`` with its ``{stack}.*`` gradients.

    d_top (T, B, D·H): ∂L/∂ of the top layer's output. ``from_outside``: per layer (∂L/∂h, ∂L/∂c or None)
    at the last step, coming from beyond the sequence (the decoder reading the encoder's final state).
    Returns per layer (∂L/∂h0, ∂L/∂c0 or None) of the forward direction: what reaches the initial state.
    """
    cell = CELLS[spec.cell]
    steps, batch, _ = d_top.shape
    hidden = spec.hidden_size
    cut = cut_mask(steps, truncate)
    initial = [None] * spec.num_layers
    for layer in range(spec.num_layers - 1, -1, -1):
        d_in = None
        for direction in range(spec.directions):
            sfx = spec.suffix(layer, direction)
            dp = layers[layer][direction]
            block = d_top[:, :, direction * hidden:(direction + 1) * hidden]
            dh_out = np.ascontiguousarray(block if direction == 0 else block[::-1])
            dc_last = None
            if from_outside is not None:
                dh_out = dh_out.copy()
                dh_out[-1] += from_outside[layer][0]
                dc_last = from_outside[layer][1]
            w_hh = params[f"{stack}.weight_hh{sfx}"]
            w_ih = params[f"{stack}.weight_ih{sfx}"]
            cg = cell.backward(dp.record, dh_out, w_hh, cut, dp.h0, dp.c0, dc_last)
            if direction == 0:
                initial[layer] = (cg.dh0, cg.dc0)
            dxpre, dhpre = cg.dxpre, cg.dhpre
            if state_grads is not None:
                state_grads[(layer, direction)] = cg.dh if direction == 0 else cg.dh[::-1]
                state_grads[(layer, direction, "h0")] = cg.dh0
            gates = dxpre.shape[2]
            dx2 = dxpre.reshape(steps * batch, gates)
            dh2 = dhpre.reshape(steps * batch, gates)
            grads[f"{stack}.weight_ih{sfx}"] = _outer_sum(dx2, dp.x.reshape(steps * batch, -1))
            # Σ_t ∂L/∂pre(t) ⊗ h(t-1); the t = 0 term reads h0: zeros, except a decoder's context
            grads[f"{stack}.weight_hh{sfx}"] = _outer_sum(dh2[batch:], dp.record.h[:-1].reshape(-1, hidden))
            if np.any(dp.h0):
                grads[f"{stack}.weight_hh{sfx}"] += dhpre[0].T @ dp.h0
            if spec.bias:
                grads[f"{stack}.bias_ih{sfx}"] = dx2.sum(axis=0)
                # the two biases get the same gradient except in a GRU's n block: one sum when the arrays agree
                grads[f"{stack}.bias_hh{sfx}"] = (grads[f"{stack}.bias_ih{sfx}"].copy() if dhpre is dxpre
                                                  else dh2.sum(axis=0))
            if layer > 0:
                dx = (dx2 @ w_ih).reshape(steps, batch, -1)
                dx = dx if direction == 0 else dx[::-1]
                d_in = dx if d_in is None else d_in + dx
        d_top = d_in
    return initial


def _outer_sum(d: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Σ_rows d ⊗ v = dᵀ·v, (G, K) C-contiguous, from d (N, G) and v (N, K).

    Computed as (vᵀ·d)ᵀ: OpenBLAS runs that orientation 5–35 % faster at the engine's shapes
    (N = T·B rows, G = gates·hidden columns; bench/bench_speed.py)."""
    return np.ascontiguousarray((v.T @ d).T)


def to_time_major(a: np.ndarray) -> np.ndarray:
    """(B, T, ...) -> contiguous (T, B, ...)."""
    return np.ascontiguousarray(a.swapaxes(0, 1))


def _chunks(spec: ModelSpec, batch: int, steps: int) -> list:
    gate_units = spec.gate_blocks * spec.hidden_size
    n = parallel.chunk_count(batch, steps, gate_units, spec.num_layers * spec.directions)
    return [slice(int(a[0]), int(a[-1]) + 1) for a in np.array_split(np.arange(batch), n)]


def _decoder_rows(decoder_x, rows):
    return None if decoder_x is None else to_time_major(decoder_x[rows])


def predict(spec: ModelSpec, params: dict, x: np.ndarray, decoder_x: np.ndarray | None = None) -> np.ndarray:
    """Batch-first x (B,T,I) -> batch-first output (B,T,out) or (B,out), in parallel chunks when large.
    An encoder–decoder also takes decoder_x (B,M,decoder_inputs) and gives (B,M,out)."""
    def run(rows):
        with np.errstate(all="ignore"):  # overflow is reported by the values (inf/NaN), not warnings
            out = forward(spec, params, to_time_major(x[rows]), decoder_x=_decoder_rows(decoder_x, rows)).output
        return out.swapaxes(0, 1) if spec.output == "sequence" else out

    allocator.keep_freed_memory()
    with parallel.single_threaded_blas():
        return np.concatenate(parallel.map_chunks(run, _chunks(spec, *x.shape[:2])))


def loss_and_grads(spec: ModelSpec, params: dict, x: np.ndarray, target: np.ndarray,
                   truncate: int | None = None, l2: float = 0.0, state_grads: dict | None = None,
                   decoder_x: np.ndarray | None = None):
    """x (B,T,I) and target batch-first, already validated -> (loss, grads, ForwardPass or None).
    An encoder–decoder also takes decoder_x (B,M,decoder_inputs); its target covers the M decoder steps.

    A large batch runs as chunks in parallel, whose losses and gradients add up exactly to the
    whole batch's (the mean's divisor is the whole batch's); the ForwardPass is then None.
    With ``state_grads`` (see ``backward``) it runs as one chunk.
    """
    count = target.size if spec.reduction == "mean" else None  # elements (mse) or positions (cross-entropy)

    def run(rows):
        with np.errstate(all="ignore"):  # a diverging model shows inf/NaN in its results, not warnings
            fp = forward(spec, params, to_time_major(x[rows]), decoder_x=_decoder_rows(decoder_x, rows))
            part = target[rows]
            tgt = to_time_major(part) if spec.output == "sequence" else part
            loss, d_output = losses.compute(spec.loss, fp.output, tgt, spec.reduction, count)
            return loss, backward(spec, params, fp, d_output, truncate, state_grads), fp

    rows = [slice(None)] if state_grads is not None else _chunks(spec, *x.shape[:2])
    allocator.keep_freed_memory()
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
