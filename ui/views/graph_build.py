"""Building the unrolled graph's scene for one Tape: nodes, arrows, headers and truncation cuts.

``SceneBuilder`` is a mixin of ``UnrolledView`` (it adds to ``self.graph``, ``self.nodes``, ``self.arrows``,
``self.headers``); the view decides when each piece is built (a few timesteps per slice of the event loop).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPen

from .. import theme
from ..tapeindex import NEVER, norm
from .graph_items import Arrow, Header, HeaderBand, Node
from .graph_layout import HALF_W, HEADER_H, NODE_H, NODE_W, OFFSET, PX, Layout
from .graphics import center_text, text_item

LOSS_R = 20           # radius of the loss circles


def loss_words(idx) -> tuple[str, str]:
    """(label, tip) of the total-loss node, from the spec's reduction and the loss event's count."""
    reduction = getattr(idx.spec, "reduction", "mean")
    i = idx.event_of.get(("loss", None, None, None))
    q = idx.tape.events[i].quantities if i is not None else {}
    count = q.get("count")
    if reduction == "sum":
        return "L = sum", "The loss: the sum of every position's loss (reduction 'sum'); the L(t) add up to it"
    n = f" = {int(count)}" if count is not None and np.ndim(count) == 0 else ""
    return "L = mean", (f"The loss: reduction 'mean' — the sum of every position's loss divided by their "
                        f"count{n}. Each L(t) node shows its step's share (its loss divided by the count), "
                        "so the L(t) add up to L.")


def input_mode(session, idx) -> str:
    """Where the Tape's input carries values (rnnsim.data.dataset.INPUT_MODES): the session's data set's mode
    when ``idx`` is the Tape the session built and its probe fits that mode — "first" (x(1), then zeros:
    one-to-many, no input after the first step) or "repeat" (x(1) at every step) — else "every" (a Tape
    made elsewhere, or a typed probe that carries other values)."""
    built = session.built
    if built is None or built.tape is not idx.tape or idx.encoder_rows:
        return "every"
    mode = getattr(built.dataset, "inputs", "every")
    x = idx.x                                              # (T, input_size)
    if mode == "first" and not np.any(x[1:]):
        return "first"
    if mode == "repeat" and np.all(x == x[:1]):
        return "repeat"
    return "every"


def has_input(mode: str, t: int) -> bool:
    """Whether step ``t`` (0-based) has an input node and arrow: not after the first step in mode "first"."""
    return mode != "first" or t == 0


class SceneBuilder:
    """The pieces of the scene (see module doc)."""

    def _node(self, key, kind, x, y, label, tip, **kw):
        if kind == "L":
            rect = QRectF(x - LOSS_R, y - LOSS_R, 2 * LOSS_R, 2 * LOSS_R)
            kw["circle"] = True
        elif kind == "x":
            rect = QRectF(x - 16, y - NODE_H / 2, 32, NODE_H)
            kw["halves"] = False
        else:
            rect = QRectF(x - HALF_W, y - NODE_H / 2, NODE_W, NODE_H)
        n = Node(self, key, rect, label, tip, **kw)
        self.graph.addItem(n)
        self.nodes[key] = n
        return n

    def _build_nodes(self, idx, L: Layout, ts, extras=False):
        """The nodes of timesteps ``ts``; with ``extras`` also the initial states and the total loss."""
        spec, T = idx.spec, idx.T
        sc = idx.scale
        outputs = set(idx.tape.output_times)
        built = self.session.built
        chars = built.input_labels if built is not None and built.tape is idx.tape else None
        mode = input_mode(self.session, idx)
        for t in ts:
            x = L.col_x(t)
            if not has_input(mode, t):                   # one-to-many: nothing enters after the first step
                self._no_input_mark(x, L.y("x"), t)
                continue
            label, tip = f"x({t + 1})", f"x({t + 1}): the input at step {t + 1}"
            if idx.encoder_rows:                         # an encoder–decoder: x(t) for the encoder, then d(t)
                label = idx.input_name(t)
                tip = (f"{label}: the encoder's input at step {t + 1}" if label[0] == "x" else
                       f"{label}: the decoder's input at step {t + 1} — while training, the previous true output "
                       f"(the first: a start symbol); this is teacher forcing")
            if chars and t < len(chars):                 # a text model reads one character per step
                label, tip = f"x({t + 1}) “{chars[t]}”", f"{tip}: the character “{chars[t]}” (one-hot)"
            elif mode == "first":
                tip += " — the only input: one-to-many, the later steps read zeros (no input)"
            elif mode == "repeat" and t > 0:
                tip += " — the same values as x(1), repeated at every step (one-to-many)"
            self._node(("x", t), "x", x, L.y("x"), label, tip, value=idx.x[t], vscale=sc["x"], known_v=-1)
        for layer in range(idx.rows):
            for d in range(L.dirs):
                y = L.y("h", layer, d)
                where = idx.tape.naming.where(layer, d).replace(" · ", ", ")
                for t in ts:
                    if not idx.has_state(layer, t):
                        continue
                    key = ("h", layer, d, t)
                    name = idx.state_name("h", layer, d, t)
                    note = "" if layer or has_input(mode, t) else (
                        "\nNo input at this step (one-to-many): x = 0, so U·x adds nothing — only the biases "
                        "and W·h(t−1) enter")
                    self._node(key, "h", L.node_x("h", layer, d, t), y, name,
                               f"{name}: hidden state of {where} at t = {t + 1}{note}",
                               value=idx.value(key), vscale=sc["h"], grad=idx.value(("dh", layer, d, t)),
                               gscale=sc["dh"], known_v=idx.known_at(key), known_g=idx.known_at(("dh", layer, d, t)))
                if extras and idx.tape.traces[layer][d].t0 == 0:      # a decoder row starts from the context
                    t0 = -1 if d == 0 else T
                    h0 = np.zeros(spec.hidden_size)
                    name0 = f"h{idx.tape.naming.tag(layer, d)}({t0 + 1})"
                    self._node(("h0", layer, d), "h", L.node_x("h", layer, d, t0), y, name0,
                               f"{name0}: the initial state (zeros) the first step reads", value=h0, vscale=sc["h"],
                               known_v=-1)
        for t in ts:
            if t not in outputs:
                continue
            key = ("o", t)
            val = idx.value(key)
            self._node(key, "o", L.col_x(t), L.y("o"), f"o({t + 1})",
                       f"o({t + 1}): the output" + (" (logits; softmax gives ŷ)" if spec.loss == "cross_entropy" else ""),
                       value=val, vscale=sc["o"], grad=idx.do.get(t), gscale=sc["do"], known_v=idx.known_at(key),
                       known_g=idx.do_known.get(t, NEVER))
            lk = ("L", t)
            self._node(lk, "L", L.col_x(t), L.y("L"), f"L({t + 1})", f"L({t + 1}): this step's share of the loss",
                       value=np.array([idx.value(lk) if idx.value(lk) is not None else 0.0]), vscale=sc["L"],
                       known_v=idx.known_at(lk))
        if extras:
            loss = idx.value(("loss",))
            label, tip = loss_words(idx)
            scale = max(sc["L"], abs(loss)) if loss is not None and np.isfinite(loss) else sc["L"]
            self._node(("loss",), "L", L.col_x(T) + 10, L.y("L"), label, tip,
                       value=np.array([loss if loss is not None else 0.0]), vscale=scale,
                       known_v=idx.known_at(("loss",)))

    def _no_input_mark(self, x, y, t):
        """A faint "no input" where x(t) would be (one-to-many, input at the first step only)."""
        mark = text_item("no input", None, 10, theme.readable(theme.EDGE), italic=True)
        self.graph.addItem(mark)
        center_text(mark, x, y)
        mark.setToolTip(f"No input at step {t + 1}: one-to-many, the network read x(1) and now runs on its "
                        "state alone (the computation reads x = 0 here)")

    def _edge(self, key, side):
        """A point on a node's edge: 'top', 'bottom', 'left', 'right'."""
        r = self.nodes[key].rect()
        return {"top": QPointF(r.center().x(), r.top()), "bottom": QPointF(r.center().x(), r.bottom()),
                "left": QPointF(r.left(), r.center().y()), "right": QPointF(r.right(), r.center().y())}[side]

    def _arrow(self, key, points, label, label_at, tip, grad_points=None, flow=None, param=None, max_width=5.5):
        a = Arrow(self, key, points, label, label_at, tip, grad_points, flow, self.session.index.flow_max,
                  max_width=max_width)
        self.graph.addItem(a)
        self.arrows[key] = a
        if param is not None:
            a.param = param
            self.param_arrows.setdefault(param, []).append(a)
        return a

    def _vertical(self, src_key, dst_key, lane_dx, src_dx, dst_dx):
        """Points from the top of src to the bottom of dst, through a vertical lane at x + lane_dx."""
        s = self._edge(src_key, "top")
        d = self._edge(dst_key, "bottom")
        s = QPointF(s.x() + src_dx, s.y())
        d = QPointF(d.x() + dst_dx, d.y())
        if abs(s.x() - d.x()) < 1:
            return [s, d]
        lane = s.x() + lane_dx
        return [s, QPointF(lane, s.y() - 10), QPointF(lane, d.y() + 12), d]

    def _build_arrows(self, idx, L: Layout, ts):
        """The arrows into timesteps ``ts`` (their source nodes must exist: t±1 for the recurrent ones)."""
        spec, T = idx.spec, idx.T
        outputs = [t for t in ts if t in set(idx.tape.output_times)]
        bi = L.dirs == 2
        mode = input_mode(self.session, idx)
        for layer in range(idx.rows):
            for d in range(L.dirs):
                Usym = idx.weight_symbol("U", layer, d)
                Wsym = idx.weight_symbol("W", layer, d)
                pU, pW = idx.param_name("weight_ih", layer, d), idx.param_name("weight_hh", layer, d)
                first_t = idx.tape.traces[layer][d].t0
                for t in ts:
                    if not idx.has_state(layer, t):
                        continue
                    dst = ("h", layer, d, t)
                    if idx.encoder_rows and layer >= idx.encoder_rows and t == first_t:
                        self._context_arrow(idx, layer, t, pW)
                        self._input_arrows(idx, L, layer, d, t, dst, Usym, pU, bi, mode)
                        continue
                    # recurrent arrow from the previous step (processing order)
                    prev_t = t - 1 if d == 0 else t + 1
                    src = ("h", layer, d, prev_t) if 0 <= prev_t < T else ("h0", layer, d)
                    side_out, side_in = ("right", "left") if d == 0 else ("left", "right")
                    a, b = self._edge(src, side_out), self._edge(dst, side_in)
                    gpts = [QPointF(b.x(), b.y() + 8), QPointF(a.x(), a.y() + 8)]
                    flow = idx.flow_w.get((layer, d, prev_t)) if 0 <= prev_t < T else None
                    self._arrow(("W", layer, d, t), [a, b], Wsym, QPointF((a.x() + b.x()) / 2, a.y() - 11),
                                f"{Wsym}: hidden → hidden, the same matrix at every step "
                                f"({idx.state_name('h', layer, d, prev_t) if src[0] == 'h' else 'initial state'} → "
                                f"{idx.state_name('h', layer, d, t)})",
                                gpts, flow, param=pW)
                    self._input_arrows(idx, L, layer, d, t, dst, Usym, pU, bi, mode)
        # head: top layer -> o(t) -> L(t)
        top = idx.rows - 1
        vsym = "V" if spec.output_size is not None else "(no head: o = h)"
        for t in outputs:
            o = ("o", t)
            for d in range(L.dirs):
                src = ("h", top, d, t)
                if bi:
                    src_dx = -12 if d == 0 else 12
                    pts = self._vertical(src, o, -22 if d == 0 else 0, src_dx, -12 if d == 0 else 12)
                    if d == 1:
                        pts = [pts[0], pts[-1]] if len(pts) == 2 else pts
                else:
                    pts = self._vertical(src, o, 0, 0, 0)
                gflow = idx.flow_up.get((top, d, t))
                gpts = [QPointF(p.x() + 7, p.y()) for p in reversed(pts)] if gflow else None
                a, b = pts[-2], pts[-1]
                note = ""
                if spec.output == "last" and d == 1:
                    note = ("\nNote: with many-to-one output the reverse direction contributes its state after its "
                            "FIRST step (it has only read x(T)) — PyTorch's out[:, -1, :].")
                # one V label per output (on the forward direction's arrow): the two arrows share V
                label = vsym if spec.output_size is not None and d == 0 else None
                self._arrow(("V", d, t), pts, label, QPointF(b.x() - 12, (a.y() + b.y()) / 2 + 4),
                            f"{vsym}: hidden → output, the same matrix at every step{note}", gpts, gflow,
                            param="fc.weight" if spec.output_size is not None else None)
            lk = ("L", t)
            a, b = self._edge(o, "top"), self._edge(lk, "bottom")
            flow = None
            if t in idx.do:
                flow = (norm(idx.do[t]), idx.do_known[t])
            gpts = [QPointF(b.x() + 7, b.y()), QPointF(a.x() + 7, a.y())] if flow else None
            self._arrow(("loss", t), [a, b], None, None,
                        "Loss of this step: compares o(t) with the target", gpts, flow)

    def _input_arrows(self, idx, L, layer, d, t, dst, Usym, pU, bi, mode):
        """The arrows into h(t) from below: x(t) (the first row; an encoder–decoder's first decoder row reads d(t)
        from the same input row) or each direction of the layer below."""
        if layer == 0 or layer == idx.encoder_rows:
            sources = [("x", t)] if has_input(mode, t) else []
        else:
            sources = [("h", layer - 1, sd, t) for sd in range(L.dirs)]
        for src_key in sources:
            self._input_arrow(idx, L, src_key, dst, t, Usym, pU, bi)

    def _context_arrow(self, idx, layer, t, pW):
        """The hand-over: the encoder's final state (row ``layer`` − encoder rows, t − 1) starts decoder row
        ``layer`` at t: one arrow up and across, labelled "context", carrying Wᵈ's first product."""
        src, dst = ("h", layer - idx.encoder_rows, 0, t - 1), ("h", layer, 0, t)
        a, b = self._edge(src, "right"), self._edge(dst, "left")
        mid = QPointF((a.x() + b.x()) / 2, (a.y() + b.y()) / 2)
        gpts = [QPointF(b.x() - 6, b.y() + 8), QPointF(a.x() + 6, a.y() - 8)]
        enc, dec = idx.state_name("h", src[1], 0, t - 1), idx.state_name("h", layer, 0, t - 1)
        self._arrow(("W", layer, 0, t), [a, mid, b], "context", QPointF(mid.x() + 8, mid.y() + 4),
                    f"The context: the encoder's final state {enc} is the decoder's initial state {dec}; the decoder's "
                    f"first step reads it through {idx.weight_symbol('W', layer, 0)}. Everything the decoder knows of "
                    "the input passes here; in BPTT the decoder's gradient flows back along it into the encoder.",
                    gpts, idx.flow_w.get((src[1], 0, t - 1)), param=pW)

    def _input_arrow(self, idx, L, src_key, dst, t, Usym, pU, bi):
        """x(t) → h(t) in the first layer, or the layer below's h(t) → h(t)."""
        layer, d = dst[1], dst[2]
        lane_dx, src_dx, dst_dx = 0.0, 0.0, 0.0
        if bi:
            # lanes left of the forward nodes / right of the reverse nodes avoid crossing nodes
            if src_key[0] == "x":
                # from the x node's top (±12 of its centre); to the reverse row: a lane right of the forward node
                src_dx = -OFFSET + 6 if d == 0 else OFFSET - 6
                dst_dx = 0 if d == 0 else 8
                lane_dx = 0.0 if d == 0 else 14
            else:
                sd = src_key[2]
                src_dx = -12 if sd == 0 else 12
                dst_dx = -12 if d == 0 else 12
                lane_dx = -22
                if sd == 1:
                    lane_dx = 22
        pts = self._vertical(src_key, dst, lane_dx, src_dx, dst_dx)
        if bi and len(pts) == 4 and src_key[0] == "h" and src_key[2] == 0 and d == 1:
            # forward-below -> reverse-above: pass left of the reverse node below, then right
            mid_y = (pts[1].y() + pts[2].y()) / 2
            right = self.nodes[dst].rect().center().x() + HALF_W + 6
            pts = [pts[0], pts[1], QPointF(pts[1].x(), mid_y + 8), QPointF(right, mid_y - 8),
                   QPointF(right, pts[2].y()), pts[3]]
        last_a, last_b = pts[-2], pts[-1]
        centre = self.nodes[dst].rect().center().x()
        if not bi:                 # one straight arrow per column: the label half-way, left of it
            lab_at = QPointF(last_b.x() - 11, (last_a.y() + last_b.y()) / 2 + 4)
        else:                      # many arrows cross between the rows: the label just under the node it enters,
            side = 1 if last_a.x() > centre else -1        # beside the arrow, away from the node's centre
            lab_at = QPointF(last_a.x() + side * 12, last_b.y() + 13)
        gflow = idx.flow_up.get(src_key[1:]) if src_key[0] == "h" else None
        gpts = [QPointF(p.x() + 7, p.y()) for p in reversed(pts)] if gflow else None
        src_name = idx.input_name(t) if src_key[0] == "x" else idx.state_name("h", src_key[1], src_key[2], t)
        # one U label per destination (on the first source's arrow): the arrows into one node share U
        first = src_key[0] == "x" or src_key[2] == 0
        self._arrow(("U", layer, d, t) + tuple(src_key), pts, Usym if first else None, lab_at,
                    f"{Usym}: input → hidden, the same matrix at every step ({src_name} → "
                    f"{idx.state_name('h', layer, d, t)})", gpts, gflow, param=pU,
                    max_width=3.0 if bi else 5.5)

    def _build_headers(self, L: Layout, T):
        """The frozen band of timestep headers, and faint column guides."""
        band = HeaderBand(L.width)
        self.graph.addItem(band)
        self.band = band
        for t in range(T):
            x = L.col_x(t)
            h = Header(self, t, QRectF(x - PX / 2 + 2, 4, PX - 4, HEADER_H - 8), band)
            self.headers[t] = h
        for t in range(T + 1):
            x = L.col_x(t) - PX / 2
            line = self.graph.addLine(x, HEADER_H, x, L.height, QPen(theme.LINE, 1))
            line.setZValue(-1)

    def _build_cuts(self, idx, L: Layout):
        """Truncated BPTT: a red dashed mark across each cut recurrent arrow."""
        for layer, d, t, _ in idx.cuts:
            # the flow from step t into its previous step (processing order) is cut
            prev_t = t - 1 if d == 0 else t + 1
            if not (0 <= prev_t < idx.T):
                continue
            x = (L.node_x("h", layer, d, t) + L.node_x("h", layer, d, prev_t)) / 2
            y = L.y("h", layer, d)
            pen = QPen(theme.CUT, 2.2, Qt.PenStyle.DashLine)
            line = self.graph.addLine(x, y - 30, x, y + 30, pen)
            line.setZValue(4)
            line.setToolTip(f"Truncated BPTT (window {idx.tape.truncate}): the gradient stops here and does not "
                            f"flow from t = {t + 1} back to t = {prev_t + 1}. The forward pass still carries h across.")
            lab = text_item("✂ cut", None, 11, theme.readable(theme.CUT), bold=True)
            self.graph.addItem(lab)
            center_text(lab, x, y - 40)
            lab.setZValue(4)
