"""Formulas of the forward phase: each cell's step, the output and the loss."""
from __future__ import annotations

import numpy as np

from .builder import direction_words, gate_block, loss_templates, output_values, ref

GATE_WORDS = {
    "i": "input gate: how much of the candidate g enters the cell (0 … 1)",
    "f": "forget gate: how much of the old cell state is kept (0 = forget all, 1 = keep all)",
    "g": "candidate values for the cell state, squashed into (−1, 1)",
    "o": "output gate (not the network output o(t)): how much of the cell shows in h",
    "r": "reset gate: how much of the old state enters the candidate n",
    "z": "update gate: how much of the old state is kept as it is",
    "n": "candidate state, squashed into (−1, 1)",
}
ACT_TEMPLATE = {"linear": "{0}", "rnn_tanh": "tanh({0})", "rnn_relu": "max(0, {0})", "rnn_sigmoid": "σ({0})",
                "rnn_softplus": "log(1 + exp({0}))", "rnn_hard_sigmoid": "min(max({0}/6 + 1/2, 0), 1)"}
ACT_WORDS = {
    "linear": "no squashing: the linear cell of the bit counter (S(k) = S(k-1)·w_rec + X(k)·w_x)",
    "rnn_tanh": "new hidden state: input and memory squashed together into (−1, 1)",
    "rnn_relu": "new hidden state: negative sums are cut to 0",
    "rnn_sigmoid": "new hidden state: squashed into (0, 1)",
    "rnn_softplus": "new hidden state: softplus, a smooth relu, always positive (PyTorch's softplus: above 20 "
                    "the sum itself)",
    "rnn_hard_sigmoid": "new hidden state: PyTorch's hard sigmoid, a straight line x/6 + 1/2 clipped to [0, 1] "
                        "(not Keras's older 0.2·x + 0.5)",
}


def forward(tape, e, q):
    spec, nm = tape.spec, tape.naming
    tr = tape.traces[e.layer][e.direction]
    s, layer, d = tr.step_of(e.t), e.layer, e.direction
    x = q.seq(nm.layer_input(layer, e.t), tr.x[s], "x(t)")
    prev = q.seq(nm.state("h", layer, d, s), tr.h[s], "h(t-1)")
    cur = nm.state("h", layer, d, s + 1)
    U = q.one(nm.weight("U", layer, d), tr.U, "U")
    W = q.one(nm.weight("W", layer, d), tr.W, "W")
    where = direction_words(tape, tr, s)
    if s == 0 and tr.stack == "decoder":
        also = f" (and {nm.state('c', layer, d, 0)})" if tr.c is not None else ""
        where += (f"; the initial state {prev}{also} is the context: the encoder's final state "
                  f"{nm.state('h', layer - tape.encoder_rows, 0, tape.decoder_t0)}")
    elif s == 0:
        also = f" (and {nm.state('c', layer, d, 0)})" if tr.c is not None else ""
        where += f"; the initial state {prev}{also} is zeros, as PyTorch's default h0"
    if spec.cell == "gru":
        _forward_gru(tape, tr, s, q, x, prev, cur, U, W, where)
    elif spec.cell == "lstm":
        _forward_lstm(tape, tr, s, q, x, prev, cur, U, W, where)
    else:
        b = q.one(nm.weight("b", layer, d), tr.b_ih + tr.b_hh, "b") if spec.bias else None
        q.seq("h_pre", tr.pre[s])
        q.f("h_pre", f"{ref(U)}·{ref(x)} + {ref(W)}·{ref(prev)}" + (f" + {ref(b)}" if b else ""),
            "the input and the memory, each weighted, added" + (" (b = b_ih + b_hh)" if b else ""))
        q.seq(cur, tr.h[s + 1], "h(t)")
        q.f(cur, ACT_TEMPLATE[spec.cell].format("{h_pre}"), ACT_WORDS[spec.cell] + where)


def _gate_formula(tape, tr, q, gate, k, x, prev):
    """The gate's blocks of U, W, b as quantities and its pre-activation's right-hand side."""
    nm = tape.naming
    blk = gate_block(tr, k)
    u = q.one(nm.weight("U", tr.layer, tr.direction, gate), tr.U[blk])
    w = q.one(nm.weight("W", tr.layer, tr.direction, gate), tr.W[blk])
    text = f"{ref(u)}·{ref(x)} + {ref(w)}·{ref(prev)}"
    if tape.spec.bias:
        b = q.one(nm.weight("b", tr.layer, tr.direction, gate), tr.b_ih[blk] + tr.b_hh[blk])
        text += f" + {ref(b)}"
    return u, w, text


def _forward_lstm(tape, tr, s, q, x, prev, cur, U, W, where):
    nm = tape.naming
    layer, d = tr.layer, tr.direction
    cprev = q.seq(nm.state("c", layer, d, s), tr.c[s], "c(t-1)")
    if tape.spec.bias:
        q.one(nm.weight("b", layer, d), tr.b_ih + tr.b_hh, "b")
    for k, gate in enumerate("ifgo"):
        blk = gate_block(tr, k)
        _, _, text = _gate_formula(tape, tr, q, gate, k, x, prev)
        q.seq(f"{gate}_pre", tr.pre[s][:, blk])
        q.f(f"{gate}_pre", text, f"the {gate} gate's input and memory, weighted and added (b_{gate} = "
            f"b_i{gate} + b_h{gate})" if tape.spec.bias else f"the {gate} gate's input and memory, weighted")
        q.seq(gate, tr.act[s][:, blk])
        q.f(gate, ("tanh({%s_pre})" if gate == "g" else "σ({%s_pre})") % gate, GATE_WORDS[gate])
    ccur = q.seq(nm.state("c", layer, d, s + 1), tr.c[s + 1], "c(t)")
    q.f(ccur, f"{{f}} ⊙ {ref(cprev)} + {{i}} ⊙ {{g}}",
        "new cell state: keep part of the old one (f), add the gated candidate (i ⊙ g)")
    q.seq(cur, tr.h[s + 1], "h(t)")
    q.f(cur, f"{{o}} ⊙ tanh({ref(ccur)})", "new hidden state: the output gate times the squashed cell state" + where)


def _forward_gru(tape, tr, s, q, x, prev, cur, U, W, where):
    nm = tape.naming
    layer, d = tr.layer, tr.direction
    if tape.spec.bias:
        q.one(nm.weight("b_ih", layer, d), tr.b_ih, "b_ih")
        q.one(nm.weight("b_hh", layer, d), tr.b_hh, "b_hh")
    for k, gate in enumerate("rz"):
        blk = gate_block(tr, k)
        _, _, text = _gate_formula(tape, tr, q, gate, k, x, prev)
        q.seq(f"{gate}_pre", tr.pre[s][:, blk])
        q.f(f"{gate}_pre", text, f"the {gate} gate's input and memory, weighted and added"
            + (f" (b_{gate} = b_i{gate} + b_h{gate})" if tape.spec.bias else ""))
        q.seq(gate, tr.act[s][:, blk])
        q.f(gate, f"σ({{{gate}_pre}})", GATE_WORDS[gate])
    blk = gate_block(tr, 2)
    u = q.one(nm.weight("U", layer, d, "n"), tr.U[blk])
    w = q.one(nm.weight("W", layer, d, "n"), tr.W[blk])
    hn_text, n_text = f"{ref(w)}·{ref(prev)}", f"{ref(u)}·{ref(x)}"
    if tape.spec.bias:
        hn_text += f" + {ref(q.one(nm.weight('b', layer, d, 'hn'), tr.b_hh[blk]))}"
        n_text += f" + {ref(q.one(nm.weight('b', layer, d, 'in'), tr.b_ih[blk]))}"
    q.seq("hn", tr.rec[s][:, blk])
    q.f("hn", hn_text, "the memory part of the candidate, before the reset gate scales it")
    q.seq("n_pre", tr.pre[s][:, blk])
    q.f("n_pre", n_text + " + {r} ⊙ {hn}", "the candidate's input part plus the reset memory part")
    q.seq("n", tr.act[s][:, blk])
    q.f("n", "tanh({n_pre})", GATE_WORDS["n"])
    q.seq(cur, tr.h[s + 1], "h(t)")
    q.f(cur, f"(1 − {{z}}) ⊙ {{n}} + {{z}} ⊙ {ref(prev)}",
        "new hidden state: a blend of the candidate n and the old state, weighted by the update gate z" + where)


def output(tape, e, q):
    spec, nm, t = tape.spec, tape.naming, e.t
    feat = q.seq(nm.layer_input(tape.rows, t), tape.at_output(tape.features, t), "h(t)")
    o, y, yhat = output_values(tape, q, t)
    if spec.output_size is not None:
        q.one("V", tape.params["fc.weight"])
        q.one("c", tape.params["fc.bias"])
        template = f"{{V}}·{ref(feat)} + {{c}}"
        words = "output: the linear read-out V of the top hidden state, plus the output bias c"
        if spec.cell == "lstm":
            words += " (c here is the output bias, not a cell state c(t))"
    else:
        template, words = ref(feat), "no output layer: the output is the top layer's hidden state itself"
    if spec.output == "last":
        words += "; a many-to-one model reads only the last step"
        if spec.bidirectional:
            top = spec.num_layers - 1
            words += (f". Output 'last' of a bidirectional layer is PyTorch's out[:, -1, :]: the forward "
                      f"direction's last state {nm.state('h', top, 0, tape.T)} and the reverse direction's "
                      f"state after its FIRST step, {nm.state('h', top, 1, 1)}, which has read only x({tape.T}) "
                      f"— not its final state {nm.state('h', top, 1, tape.T)}")
    q.f(o, template, words)
    loss_text, _ = loss_templates(tape, o, y, yhat)
    if yhat is not None and spec.loss == "cross_entropy":
        q.f(yhat, f"softmax({ref(o)})", "the predicted probability of each class")
    elif yhat is not None:
        q.f(yhat, f"σ({ref(o)})", "the sigmoid output layer squashes each output into (0, 1): this is the "
            "network's prediction, and the loss compares it with the target")
    L = q.seq(f"L({t + 1})", tape.at_output(tape.position_loss, t), "L(t)")
    q.f(L, loss_text, "this step's share of the loss L" + (" (ŷ[y]: the probability given to the right class)"
                                                          if spec.loss == "cross_entropy" else ""))


def context(tape, e, q):
    """The hand-over: each decoder layer's initial state is its encoder layer's final state."""
    nm = tape.naming
    for layer in range(tape.encoder_rows):
        enc, dec = tape.traces[layer][0], tape.traces[layer + tape.encoder_rows][0]
        for var, values in (("h", (enc.h, dec.h)), ("c", (enc.c, dec.c))):
            if values[0] is None:
                continue
            src = q.seq(nm.state(var, enc.layer, 0, enc.steps), values[0][-1])
            dst = q.seq(nm.state(var, dec.layer, 0, 0), values[1][0])
            what = "hidden state" if var == "h" else "cell state"
            q.f(dst, ref(src), f"the context: the decoder's initial {what} is the encoder's final {what} "
                f"({nm.where(dec.layer, 0)} starts where {nm.where(enc.layer, 0)} ended); all the decoder knows "
                f"of the input sequence passes through here")


def loss(tape, e, q):
    spec = tape.spec
    q.one("L", tape.loss)
    q.one("reduction", np.array(spec.reduction))
    total = float(np.sum(tape.position_loss)) * (tape.count or 1)
    q.one("sum", total)
    out = "ŷ(t)" if spec.output_activation == "sigmoid" else "o(t)"
    if spec.loss == "mse":
        term = f"Σ({out} − y(t))²"
    elif spec.loss == "mae":
        term = f"Σ|{out} − y(t)|"
    else:
        term = "−log ŷ(t)[y(t)]"
    q.f("sum", f"Σ over sequences and steps of {term}",
        "every position's loss before reduction (see the output events)")
    if spec.output == "sequence":
        q.seq("L(1…T)", np.ascontiguousarray(tape.position_loss.T))
    template = "{sum}"
    if tape.count:
        q.one("count", tape.count)
        template += " / {count}"
        what = "positions" if spec.loss == "cross_entropy" else "elements"
        words = f"reduction 'mean': the sum divided by the number of {what} (PyTorch's meaning)"
    else:
        words = "reduction 'sum': the losses of all positions added"
    if tape.l2:
        q.one("λ", tape.l2)
        q.one("Σw²", sum(float(np.sum(w * w)) for k, w in tape.params.items() if ".weight" in k))
        template += " + {λ}/2 · {Σw²}"
        words += "; plus the L2 term over the weight matrices"
    q.f("L", template, words)
