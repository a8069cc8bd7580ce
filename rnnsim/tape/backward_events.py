"""Formulas of the backward phase: BPTT steps (each rule beside the forward formula it
differentiates), truncation, the L2 term and clipping."""
from __future__ import annotations

import numpy as np

from .builder import batch_words, direction_words, gate_block, loss_templates, output_values, ref


def _stack_name(cell, tag=""):
    if cell == "lstm":
        return f"[i f g o]_pre{tag}"
    if cell == "gru":
        return f"[r z n]_pre{tag}"
    return f"h_pre{tag}"


def _running(q, name, step, direct, alias, step_template, step_words, neighbour=None):
    """∂L/∂θ (step) — this step's contribution — then (sum before) and (sum) of one parameter.

    The sum before this step is the (sum) of the previous backward step of the same direction when
    that event is still built (reading events in order costs one addition); otherwise ``direct()``
    forms (sum, sum before) from the stored arrays.
    """
    key = f"∂L/∂{name} (sum)"
    before = neighbour.quantities.get(key) if neighbour is not None else None
    if before is None:
        total, before = direct()
    else:
        total = before + step
    total.flags.writeable = False              # the next step's "sum before" is this very array
    q.one(f"∂L/∂{name} (step)", step, f"∂L/∂{alias} (step)")
    q.one(f"∂L/∂{name} (sum before)", before, f"∂L/∂{alias} (sum before)")
    q.one(key, total, f"∂L/∂{alias} (sum)")
    q.f(f"∂L/∂{name} (step)", step_template, step_words)
    q.f(key, f"{{∂L/∂{name} (sum before)}} + {{∂L/∂{name} (step)}}",
        f"the running sum over the steps done so far; after the last step it is ∂L/∂{name}")


def _sums(a, b, s):
    """Σ_{k ≥ s} a[k]ᵀ·b[k] over time and batch (a (T,B,m), b (T,B,n)) -> (m, n), and the sum from s+1."""
    m, n = a.shape[2], b.shape[2]
    total = a[s:].reshape(-1, m).T @ b[s:].reshape(-1, n)
    before = a[s + 1:].reshape(-1, m).T @ b[s + 1:].reshape(-1, n) if s + 1 < len(a) else np.zeros((m, n))
    return total, before


def _bias_sums(a, s):
    g = a.shape[2]
    before = a[s + 1:].reshape(-1, g).sum(axis=0) if s + 1 < len(a) else np.zeros(g)
    return a[s:].reshape(-1, g).sum(axis=0), before


def _head_backward(tape, e, q, do, feat, neighbour):
    """The head's gradient contributions at output time t (top layer, forward direction)."""
    t = e.t
    dO, F = tape.d_output, tape.features
    if tape.spec.output == "last":
        step, bstep = dO.T @ F, dO.sum(axis=0)
        direct, bdirect = (lambda: (step, np.zeros_like(step))), (lambda: (bstep, np.zeros_like(bstep)))
    else:
        step, bstep = dO[t].T @ F[t], dO[t].sum(axis=0)
        direct, bdirect = (lambda: _sums(dO, F, t)), (lambda: _bias_sums(dO, t))
    q.one("V", tape.params["fc.weight"])
    _running(q, "V", step, direct, "V", f"{ref(do)}·{ref(feat)}ᵀ",
             "the output layer's weight gradient at this step" + batch_words(tape), neighbour)
    _running(q, "c", bstep, bdirect, "c", ref(do), "the output bias's gradient at this step" + batch_words(tape),
             neighbour)


def backward(tape, e, q):
    spec, nm = tape.spec, tape.naming
    tr = tape.traces[e.layer][e.direction]
    s, layer, d, t = tr.step_of(e.t), e.layer, e.direction, e.t
    hidden = tr.h.shape[2]
    top = layer == tape.rows - 1
    last = s == tr.steps - 1
    prev, cur, nxt = (nm.state("h", layer, d, r) for r in (s, s + 1, s + 2))
    handed_over = last and tr.stack == "encoder"      # the encoder's final state: read by the decoder next
    if handed_over:
        nxt = nm.state("h", layer + tape.encoder_rows, 0, 1)
    dcur = f"∂L/∂{cur}"
    x = q.seq(nm.layer_input(layer, t), tr.x[s], "x(t)")
    q.seq(prev, tr.h[s], "h(t-1)")
    q.seq(cur, tr.h[s + 1], "h(t)")
    W = q.one(nm.weight("W", layer, d), tr.W, "W")
    U = nm.weight("U", layer, d)
    neighbour = tape._cached("backward", layer, d, tr.original_t(s + 1)) if s + 1 < tr.steps else None

    # 1. where ∂L/∂h(t) comes from: the output (or the layer above) and the next step
    if top:
        frm = q.seq(f"{dcur} from output", tr.dh_out[s], "∂L/∂h(t) from output")
        if spec.output == "sequence" or t == tape.T - 1:
            o, y, yhat = output_values(tape, q, t)
            do = q.seq(f"∂L/∂{o}", tape.at_output(tape.d_output, t), "∂L/∂o(t)")
            _, dtext = loss_templates(tape, o, y, yhat)
            error = ("the absolute error: its sign, 0 where the error is 0 (as PyTorch)" if spec.loss == "mae"
                     else "the squared error")
            if tape.activated is not None:
                dy = q.seq(f"∂L/∂{yhat}", tape.at_output(tape.d_activated, t), "∂L/∂ŷ(t)")
                q.f(dy, dtext, f"the derivative of {error} at the sigmoid output ŷ")
                q.f(do, f"{ref(dy)} ⊙ {ref(yhat)} ⊙ (1 − {ref(yhat)})",
                    "back through the sigmoid output layer: σ′(o) = ŷ(1 − ŷ), small where ŷ is near 0 or 1")
            else:
                q.f(do, dtext, "softmax and cross-entropy together: predicted probabilities minus the one-hot "
                    "target" if yhat else f"the derivative of {error}")
            cols = slice(d * hidden, (d + 1) * hidden)
            part = "" if not spec.bidirectional else ("[:, :H]" if d == 0 else "[:, H:]")
            if spec.output_size is not None:
                feat = q.seq(nm.layer_input(tape.rows, t), tape.at_output(tape.features, t))
                if d == 0:
                    _head_backward(tape, e, q, do, feat, neighbour)
                v = q.one("V" + part, tape.params["fc.weight"][:, cols])
                q.f(frm, f"{ref(v)}ᵀ·{ref(do)}", "back through the output layer"
                    + (f" (V{part}: the columns of V that read {cur})" if part else ""))
            else:
                dpart = q.seq(do + part.replace(":, ", ""), tape.at_output(tape.d_output, t)[:, cols]) if part else do
                q.f(frm, ref(dpart), "no output layer: the output is h itself")
        else:
            q.f(frm, "0", f"no output reads {cur}: with output 'last' only the last step has a loss")
    elif tr.stack == "encoder" and layer == tape.encoder_rows - 1:
        frm = q.seq(f"{dcur} from above", tr.dh_out[s], "∂L/∂h(t) from output")
        q.f(frm, "0", f"the encoder has no output layer: {cur} reaches the loss only through the steps after it "
            "and, at the last step, the context")
    else:
        frm = q.seq(f"{dcur} from layer {layer + 2}", tr.dh_out[s], "∂L/∂h(t) from output")
        terms = []
        for ud, utr in enumerate(tape.traces[layer + 1]):
            su = utr.step_of(t)
            part = "" if not spec.bidirectional else ("[:, :H]" if d == 0 else "[:, H:]")
            u = q.one(nm.weight("U", layer + 1, ud) + part, utr.U[:, d * hidden:(d + 1) * hidden])
            dname = q.seq(f"∂L/∂{_stack_name(spec.cell, nm.tag(layer + 1, ud))}({t + 1})", utr.dpre[su])
            terms.append(f"{ref(u)}ᵀ·{ref(dname)}")
        q.f(frm, " + ".join(terms), f"{nm.where(layer + 1, 0)} reads {cur} as its input: the gradient comes "
            f"back through that layer's U")
    fnext = q.seq(f"{dcur} from {nxt}", tr.dh_next[s + 1], "∂L/∂h(t) from t+1")
    q.seq(dcur, tr.dh[s], "∂L/∂h(t)")
    words = f"two paths reach {cur}: from above and from the step after it"
    if handed_over:
        words += f"; {cur} is the context the decoder starts from: the decoder's gradient arrives from {nxt}"
    elif last:
        words += f"; {cur} is the last state, so nothing comes from {nxt}"
    elif tr.cut[s + 1]:
        words += f"; truncated BPTT stopped the flow from {nxt}"
    q.f(dcur, f"{ref(frm)} + {ref(fnext)}", words + direction_words(tape, tr, s))

    # 2. through the cell to its pre-activations
    stack_x = stack_h = "∂L/∂" + _stack_name(spec.cell)
    if spec.cell == "lstm":
        _backward_lstm(tape, tr, s, q, prev, cur, dcur)
    elif spec.cell == "gru":
        stack_h = _backward_gru(tape, tr, s, q, prev, cur, dcur)
    else:
        _backward_elman(tape, tr, s, q, cur, dcur)
    q.seq(stack_x, tr.dpre[s], "∂L/∂pre")

    # 3. this step's parameter gradients and their running sums
    both = batch_words(tape)
    q.one(U, tr.U, "U")
    _running(q, U, tr.dpre[s].T @ tr.x[s], lambda: _sums(tr.dpre, tr.x, s), "U", f"{ref(stack_x)}·{ref(x)}ᵀ",
             f"{U}'s gradient at this step: the outer product{both}", neighbour)
    _running(q, W, tr.drec[s].T @ tr.h[s], lambda: _sums(tr.drec, tr.h[:-1], s), "W", f"{ref(stack_h)}·{ref(prev)}ᵀ",
             f"{W}'s gradient at this step: the outer product{both}", neighbour)
    if spec.bias:
        biases = [("b", tr.dpre, stack_x)] if spec.cell != "gru" else [("b_ih", tr.dpre, stack_x),
                                                                        ("b_hh", tr.drec, stack_h)]
        for letter, arr, src in biases:
            b = nm.weight(letter, layer, d)
            _running(q, b, arr[s].sum(axis=0), lambda arr=arr: _bias_sums(arr, s), letter, ref(src),
                     f"{b}'s gradient at this step{both}" + ("; PyTorch keeps two biases, b_ih and b_hh: each "
                                                             "receives this same gradient" if letter == "b" else ""),
                     neighbour)

    # 4. what flows back to the previous step
    _flow_formulas(tape, tr, s, q, prev, cur, dcur, W, stack_h)


def _flow_formulas(tape, tr, s, q, prev, cur, dcur, W, stack_h, blocked=False):
    spec, nm = tape.spec, tape.naming
    cut = tr.cut[s]
    if spec.cell == "gru":
        rule = f"{ref(W)}ᵀ·{ref(stack_h)} + {ref(dcur)} ⊙ {{z}}"
    else:
        rule = f"{ref(W)}ᵀ·{ref(stack_h)}"
    initial = f"; {prev} is the initial state (zeros, not a parameter): the gradient stops there" if s == 0 else ""
    if s == 0 and tr.stack == "decoder":
        initial = f"; {prev} is the context, the encoder's final state: the gradient goes on into the encoder"
    flow = q.seq(f"∂L/∂{prev} from {cur}", tr.dh_next[s], "∂L/∂h(t-1) from t")
    if spec.cell == "lstm":
        ccur, cprev = nm.state("c", tr.layer, tr.direction, s + 1), nm.state("c", tr.layer, tr.direction, s)
        cflow = q.seq(f"∂L/∂{cprev} from {ccur}", tr.dc_next[s], "∂L/∂c(t-1) from t")
    if cut and blocked:
        dh_b, dc_b = tr.blocked[s]
        name = q.seq(f"blocked ∂L/∂{prev}", dh_b, "blocked ∂L/∂h(t-1)")
        q.f(name, rule, f"what would flow into {prev} without truncation")
        if spec.cell == "lstm":
            cname = q.seq(f"blocked ∂L/∂{cprev}", dc_b, "blocked ∂L/∂c(t-1)")
            q.f(cname, f"{{∂L/∂{ccur}}} ⊙ {{f}}", f"what would flow into {cprev} without truncation")
    if cut:
        words = (f"truncated BPTT (window {tape.truncate}): the flow into {{}} stops here, so the losses "
                 f"from here on do not reach earlier steps through the recurrence")
        q.f(flow, "0", words.format(prev))
        if spec.cell == "lstm":
            q.f(cflow, "0", words.format(cprev))
        return
    q.f(flow, rule, "back through the recurrence: the memory weights, transposed" + initial)
    if spec.cell == "lstm":
        q.f(cflow, f"{{∂L/∂{ccur}}} ⊙ {{f}}", "along the cell-state line: only the forget gate scales it" + initial)


def _backward_elman(tape, tr, s, q, cur, dcur):
    cell = tape.spec.cell
    q.seq("h_pre", tr.pre[s])
    q.seq("∂L/∂h_pre", tr.dpre[s])
    template = {"linear": f"{ref(dcur)}",
                "rnn_tanh": f"{ref(dcur)} ⊙ (1 − {ref(cur)}²)",
                "rnn_relu": f"{ref(dcur)} ⊙ [{{h_pre}} > 0]",
                "rnn_sigmoid": f"{ref(dcur)} ⊙ {ref(cur)} ⊙ (1 − {ref(cur)})",
                "rnn_softplus": f"{ref(dcur)} ⊙ σ({{h_pre}})",
                "rnn_hard_sigmoid": f"{ref(dcur)} ⊙ [−3 < {{h_pre}} < 3] / 6"}[cell]
    words = {"linear": "the identity passes the gradient unchanged",
             "rnn_tanh": "back through tanh: tanh′ = 1 − tanh²",
             "rnn_relu": "back through relu: 1 where the sum was positive, else 0 (relu′(0) = 0)",
             "rnn_sigmoid": "back through σ: σ′ = σ(1 − σ)",
             "rnn_softplus": "back through softplus: its slope is σ of the sum (1 above 20)",
             "rnn_hard_sigmoid": "back through the hard sigmoid: slope 1/6 strictly inside (−3, 3), else 0 "
                                 "(flat where it clips); PyTorch's 1/6 is rounded to float32, 0.16666667"}[cell]
    q.f("∂L/∂h_pre", template, words)


def _backward_lstm(tape, tr, s, q, prev, cur, dcur):
    nm = tape.naming
    layer, d = tr.layer, tr.direction
    ccur, cprev, cnext = (nm.state("c", layer, d, r) for r in (s + 1, s, s + 2))
    if tr.stack == "encoder" and s == tr.steps - 1:
        cnext = nm.state("c", layer + tape.encoder_rows, 0, 1)
    q.seq(ccur, tr.c[s + 1], "c(t)")
    q.seq(cprev, tr.c[s], "c(t-1)")
    for k, gate in enumerate("ifgo"):
        q.seq(gate, tr.act[s][:, gate_block(tr, k)])
        q.seq(f"∂L/∂{gate}_pre", tr.dpre[s][:, gate_block(tr, k)])
    dnext = q.seq(f"∂L/∂{ccur} from {cnext}", tr.dc_next[s + 1], "∂L/∂c(t) from t+1")
    dc = q.seq(f"∂L/∂{ccur}", tr.dc[s], "∂L/∂c(t)")
    q.f(dc, f"{ref(dnext)} + {ref(dcur)} ⊙ {{o}} ⊙ (1 − tanh²({ref(ccur)}))",
        "along the cell-state line from the next step, plus through h = o ⊙ tanh(c)")
    q.f("∂L/∂i_pre", f"{ref(dc)} ⊙ {{g}} ⊙ {{i}} ⊙ (1 − {{i}})", "input gate: c gets i ⊙ g; σ′ = i(1 − i)")
    q.f("∂L/∂f_pre", f"{ref(dc)} ⊙ {ref(cprev)} ⊙ {{f}} ⊙ (1 − {{f}})", "forget gate: c gets f ⊙ c(t-1); σ′ = f(1 − f)")
    q.f("∂L/∂g_pre", f"{ref(dc)} ⊙ {{i}} ⊙ (1 − {{g}}²)", "candidate: c gets i ⊙ g; tanh′ = 1 − g²")
    q.f("∂L/∂o_pre", f"{ref(dcur)} ⊙ tanh({ref(ccur)}) ⊙ {{o}} ⊙ (1 − {{o}})",
        "output gate: h = o ⊙ tanh(c); σ′ = o(1 − o)")
    q.f("∂L/∂[i f g o]_pre", "[{∂L/∂i_pre}; {∂L/∂f_pre}; {∂L/∂g_pre}; {∂L/∂o_pre}]",
        "the four gate gradients stacked in PyTorch's order")


def _backward_gru(tape, tr, s, q, prev, cur, dcur):
    blk = [gate_block(tr, k) for k in range(3)]
    for k, gate in enumerate("rzn"):
        q.seq(gate, tr.act[s][:, blk[k]])
        q.seq(f"∂L/∂{gate}_pre", tr.dpre[s][:, blk[k]])
    q.seq("hn", tr.rec[s][:, blk[2]])
    q.seq("∂L/∂hn", tr.drec[s][:, blk[2]])
    q.f("∂L/∂n_pre", f"{ref(dcur)} ⊙ (1 − {{z}}) ⊙ (1 − {{n}}²)", "h gets (1 − z) ⊙ n; tanh′ = 1 − n²")
    q.f("∂L/∂z_pre", f"{ref(dcur)} ⊙ ({ref(prev)} − {{n}}) ⊙ {{z}} ⊙ (1 − {{z}})",
        "h = n + z ⊙ (h(t-1) − n); σ′ = z(1 − z)")
    q.f("∂L/∂hn", "{∂L/∂n_pre} ⊙ {r}", "n_pre gets r ⊙ hn")
    q.f("∂L/∂r_pre", "{∂L/∂n_pre} ⊙ {hn} ⊙ {r} ⊙ (1 − {r})", "reset gate: n_pre gets r ⊙ hn; σ′ = r(1 − r)")
    q.f("∂L/∂[r z n]_pre", "[{∂L/∂r_pre}; {∂L/∂z_pre}; {∂L/∂n_pre}]",
        "the gradients at U·x + b_ih, stacked in PyTorch's order")
    rec = q.seq("∂L/∂[r_pre z_pre hn]", tr.drec[s])
    q.f(rec, "[{∂L/∂r_pre}; {∂L/∂z_pre}; {∂L/∂hn}]",
        "the gradients at W·h(t-1) + b_hh: the same for r and z, but r scales the n block")
    return rec


def context_back(tape, e, q):
    """Back through the hand-over: what reached each decoder layer's initial state is the encoder's final
    state's gradient from the step after it."""
    nm = tape.naming
    for layer in range(tape.encoder_rows):
        enc, dec = tape.traces[layer][0], tape.traces[layer + tape.encoder_rows][0]
        pairs = [("h", enc.dh_next, dec.dh_next)] + ([("c", enc.dc_next, dec.dc_next)] if enc.c is not None else [])
        for var, enc_next, dec_next in pairs:
            first = nm.state(var, dec.layer, 0, 1)
            src = q.seq(f"∂L/∂{nm.state(var, dec.layer, 0, 0)} from {first}", dec_next[0])
            dst = q.seq(f"∂L/∂{nm.state(var, enc.layer, 0, enc.steps)} from {first}", enc_next[-1])
            q.f(dst, ref(src), f"the context is the same numbers as the encoder's final state, so its gradient "
                f"is the encoder's gradient from the step after its last one: BPTT continues from the decoder "
                f"into {nm.where(enc.layer, 0)}")


def truncate(tape, e, q):
    nm = tape.naming
    tr = tape.traces[e.layer][e.direction]
    s, layer, d = tr.step_of(e.t), e.layer, e.direction
    prev, cur = nm.state("h", layer, d, s), nm.state("h", layer, d, s + 1)
    q.one("window", tape.truncate)
    W = q.one(nm.weight("W", layer, d), tr.W, "W")
    dcur = q.seq(f"∂L/∂{cur}", tr.dh[s], "∂L/∂h(t)")
    stack = q.seq("∂L/∂" + _stack_name(tape.spec.cell), tr.dpre[s], "∂L/∂pre")
    if tape.spec.cell == "gru":
        stack = q.seq("∂L/∂[r_pre z_pre hn]", tr.drec[s])
        q.seq("z", tr.act[s][:, gate_block(tr, 1)])
    if tape.spec.cell == "lstm":
        q.seq("f", tr.act[s][:, gate_block(tr, 1)])
        q.seq(f"∂L/∂{nm.state('c', layer, d, s + 1)}", tr.dc[s], "∂L/∂c(t)")
    _flow_formulas(tape, tr, s, q, prev, cur, dcur, W, stack, blocked=True)


def weight_decay(tape, e, q):
    q.one("λ", tape.l2)
    for name, w in tape.params.items():
        if ".weight" not in name:
            continue
        sym = tape.symbol(name)
        q.one(sym, w)
        bptt = q.one(f"∂L/∂{sym} (BPTT)", tape.bptt_grads[name])
        q.one(f"∂L/∂{sym}", tape.grads[name])
        q.f(f"∂L/∂{sym}", f"{ref(bptt)} + {{λ}}·{ref(sym)}",
            f"{name}: the L2 term λ/2·‖{sym}‖² adds λ·{sym} to the gradient (biases are not decayed)")


def clip(tape, e, q):
    info = tape.clip
    norms = []
    for name, g in tape.grads.items():
        norms.append(q.one(f"‖∂L/∂{tape.symbol(name)}‖", np.sqrt(np.sum(g * g))))
    q.one("norm before", info["before"], "norm before")
    q.one("norm after", info["after"])
    q.one("threshold", info["threshold"])
    q.f("norm before", "√(" + " + ".join(f"{ref(n)}²" for n in norms) + ")",
        "the global norm of the gradient over every parameter")
    if not info["applied"]:
        q.f("norm after", "{norm before}", "the gradient is not finite: clipping is skipped (training would stop here)")
        return
    if info["mode"] == "norm":
        scale = info["threshold"] / (info["before"] + 1e-6)
        q.one("scale", scale)
        q.one("clipped", scale < 1.0)
        q.f("scale", "{threshold} / ({norm before} + 1e-6)",
            "PyTorch's clip_grad_norm_: every gradient is multiplied by this when it is below 1")
        q.f("norm after", "{norm before} · min(1, {scale})",
            "clipped: the whole gradient shrinks to the threshold, its direction kept (the cure for the "
            "cliffs of exploding gradients)"
            if scale < 1.0 else "below the threshold: the gradient is left as it is")
    else:
        q.one("clipped", any(np.abs(g).max() > info["threshold"] for g in tape.grads.values() if g.size))
        q.f("norm after", "‖clamp(∂L/∂θ, −{threshold}, {threshold})‖",
            "clip_grad_value_: every element is clamped into [−threshold, threshold] (the direction may change)")
