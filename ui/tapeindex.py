"""What the views need from a Tape, looked up once per recording (on the worker thread, no Qt):
when each node becomes known, colour scales, gradient magnitudes along the arrows, cut marks.

Only lookups and norms/maxima for colour scaling happen here — the numbers themselves are the
Tape's (its ``state_at`` and each event's ``quantities``).
"""
from __future__ import annotations

import numpy as np

NEVER = 1 << 30       # "known at" of something the Tape never reaches


def norm(v) -> float:
    """‖v‖₂; NaN when v holds NaN or ±inf (a diverged model), without overflow warnings for huge values."""
    a = np.asarray(v, dtype=np.float64)
    if not a.size:
        return 0.0
    if not np.isfinite(a).all():
        return float("nan")
    with np.errstate(over="ignore"):
        return float(np.linalg.norm(a.ravel()))


def _maxabs(values) -> float:
    m = 0.0
    for v in values:
        a = np.abs(np.asarray(v, dtype=np.float64))
        if a.size:
            finite = a[np.isfinite(a)]
            if finite.size:
                m = max(m, float(finite.max()))
    return m or 1.0


class TapeIndex:
    """Lookups over one Tape.

    ``final``: ``tape.state_at(last)`` (every value the Tape holds, first sequence);
    ``known[key]``: the index of the event that makes ``final[key]`` known;
    ``event_of[(kind, layer, direction, t)]``: event index;
    ``scale[kind]``: max |value| over the Tape per kind ("x", "h", "c", "o", "L", "dh", "do");
    ``flow_w[(l, d, t)]``: ‖∂L/∂h(t) from the next step‖ (the W arrow into h(t), travelled
    backwards) and ``flow_up[(l, d, t)]``: ‖∂L/∂h(t) from the output or the layer above‖, each
    with the event index at which it is known.
    """

    def __init__(self, tape):
        self.tape = tape
        self.spec = tape.spec
        self.T = tape.T
        events = tape.events
        self.count = len(events)
        self.final = tape.state_at(self.count - 1) if events else {}
        self.event_of: dict = {}
        for e in events:
            self.event_of.setdefault((e.kind, e.layer, e.direction, e.t), e.index)
        self.known: dict = {}
        for key in self.final:
            self.known[key] = self._event_for(key)
        self.names = {}                      # node key -> display name ("h²←(3)")
        self.rows = tape.rows                # rows of states (an encoder–decoder: encoder rows, then decoder rows)
        self.encoder_rows = tape.encoder_rows
        self.row_times = [set(tape.row_times(r)) for r in range(self.rows)]
        if tape.decoder_x is not None:       # the timeline's input column by column: x(t), then the decoder's d(t)
            self.x = [np.asarray(v, dtype=np.float64) for v in tape.x[0]] + \
                     [np.asarray(v, dtype=np.float64) for v in tape.decoder_x[0]]
        else:
            self.x = np.asarray(tape.x[0], dtype=np.float64)   # (T, input_size)
        finals = self.final
        self.scale = {
            "x": _maxabs(self.x if isinstance(self.x, list) else [self.x]),
            "h": _maxabs(v for k, v in finals.items() if k[0] == "h"),
            "c": _maxabs(v for k, v in finals.items() if k[0] == "c"),
            "o": _maxabs(v for k, v in finals.items() if k[0] == "o"),
            "L": _maxabs(v for k, v in finals.items() if k[0] == "L"),
            "dh": _maxabs(v for k, v in finals.items() if k[0] == "dh"),
            "dc": _maxabs(v for k, v in finals.items() if k[0] == "dc"),
        }
        # gradient flows along the arrows, from the backward events' quantities
        self.flow_w: dict = {}               # (l, d, t) -> (‖∂L/∂h(t) from the next step‖, known at)
        self.flow_up: dict = {}              # (l, d, t) -> (‖∂L/∂h(t) from the output / layer above‖, known at)
        self.do: dict = {}                   # t -> ∂L/∂o(t) (top layer's backward events)
        self.do_known: dict = {}
        self.cuts: list = []                 # (layer, direction, t, event index)
        for e in events:
            if e.kind == "backward":
                q = e.quantities
                key = (e.layer, e.direction, e.t)
                nxt_t = e.t + 1 if e.direction == 0 else e.t - 1
                sent = self.event_of.get(("backward", e.layer, e.direction, nxt_t),
                                         self.event_of.get(("context_back", None, None, None), e.index)
                                         if self.encoder_rows and e.layer < self.encoder_rows else e.index)
                nxt = q.get("∂L/∂h(t) from t+1")
                if nxt is not None and 0 <= nxt_t < self.T:
                    self.flow_w[key] = (norm(nxt), sent)
                up = q.get("∂L/∂h(t) from output")
                if up is not None:
                    self.flow_up[key] = (norm(up), e.index)
                do = q.get("∂L/∂o(t)")
                if do is not None and e.t not in self.do:
                    self.do[e.t] = np.asarray(do, dtype=np.float64)
                    self.do_known[e.t] = e.index
            elif e.kind == "truncate":
                self.cuts.append((e.layer, e.direction, e.t, e.index))
        self.scale["do"] = _maxabs(self.do.values()) if self.do else 1.0
        flows = [v for v, _ in self.flow_w.values()] + [v for v, _ in self.flow_up.values()]
        flows = [v for v in flows if np.isfinite(v) and v > 0]
        self.flow_max = max(flows) if flows else 1.0
        self.phase_start = {}
        for e in events:
            self.phase_start.setdefault(e.phase, e.index)

    def _event_for(self, key) -> int:
        kind = key[0]
        if kind in ("h", "c", "gates"):
            return self.event_of.get(("forward",) + tuple(key[1:]), NEVER)
        if kind in ("o", "ŷ", "L"):
            return self.event_of.get(("output", None, None, key[1]), NEVER)
        if kind == "loss":
            return self.event_of.get(("loss", None, None, None), NEVER)
        if kind in ("dh", "dc"):
            return self.event_of.get(("backward",) + tuple(key[1:]), NEVER)
        if kind == "cut":
            return self.event_of.get(("truncate",) + tuple(key[1:]), NEVER)
        # anything else: search (monotone: once known, a key stays known)
        lo, hi = 0, self.count - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if key in self.tape.state_at(mid):
                hi = mid
            else:
                lo = mid + 1
        return lo

    # ---- helpers the views use -----------------------------------------------------------------
    def value(self, key):
        return self.final.get(key)

    def known_at(self, key) -> int:
        return self.known.get(key, NEVER)

    def state_name(self, var: str, layer: int, direction: int, t: int) -> str:
        """'h(3)', 'h²←(3)': the Tape's name of a state at original time t."""
        return f"{var}{self.tape.naming.tag(layer, direction)}({t + 1})"

    def input_name(self, t: int) -> str:
        """The input of column t: x(t), or the decoder's d(t) on an encoder–decoder's decoder steps."""
        return f"{'d' if self.encoder_rows and t >= self.tape.decoder_t0 else 'x'}({t + 1})"

    def param_name(self, kind: str, layer: int, direction: int = 0) -> str:
        """The PyTorch name of a row's parameter: kind "weight_ih", "weight_hh", "bias_ih" or "bias_hh"."""
        return self.tape.traces[layer][direction].names[kind]

    def has_state(self, layer: int, t: int) -> bool:
        """Whether row ``layer`` has a state at time t (an encoder–decoder's rows cover part of the timeline)."""
        return t in self.row_times[layer]

    def weight_symbol(self, letter: str, layer: int | None = None, direction: int = 0) -> str:
        if layer is None:
            return letter
        return f"{letter}{self.tape.naming.tag(layer, direction)}"
