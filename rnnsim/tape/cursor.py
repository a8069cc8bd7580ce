"""The Tape: a finished recording and a cursor over its events.

Moving the cursor never recomputes anything: every number was stored when the Tape was recorded.
An event's ``quantities`` are views into those arrays, built the first time the event is read and
kept for the most recently read events; only the running sums of parameter gradients
(∂L/∂W (sum) ...) are products of stored arrays, formed when shown — storing them for every
step would cost O(T · parameters) memory.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .events import PHASES, Naming
from .formulas import build

CACHE = 16          # events whose built quantities are kept


class Recording:
    """Everything recorded — the numbers, names and results — and the lazily built event contents.

    Events refer to the Recording, never to the Tape that holds them, so a dropped Tape is freed at
    once by reference counting (no cycle for the garbage collector to find later).
    """

    def __init__(self, *, spec, x, target, params, traces, features, output, output_tm, target_tm, d_output,
                 log_probs, position_loss, loss, count, grads, bptt_grads, clipped_grads, truncate, l2, clip, update,
                 activated=None, d_activated=None, decoder_x=None, timeline=None, encoder_rows=0):
        self.spec = spec
        self.x = x                              # (batch, T, input_size) as given (an encoder–decoder's: (batch, N, ·))
        self.decoder_x = decoder_x              # an encoder–decoder's decoder input (batch, M, ·), else None
        self.target = target
        self.params = params                    # copies of the model's parameters when recorded
        self.traces = traces                    # [row][direction] -> recorder.Trace: a row per layer (an
                                                # encoder–decoder's encoder rows, then its decoder rows)
        self.features = features                # (T, B, D·H) top layer output, or (B, D·H) for "last"
        self.output = output                    # as model.predict: (B, T, out) or (B, out)
        self.output_tm = output_tm              # time-major o(t): the head's output V·h + c (before σ when
                                                # output_activation is "sigmoid"), or the top states without a head
        self.target_tm = target_tm
        self.d_output = d_output                # ∂L/∂o(t), time-major
        self.log_probs = log_probs              # cross-entropy: log ŷ, time-major
        self.activated = activated              # sigmoid head: ŷ(t) = σ(o(t)), time-major (None otherwise)
        self.d_activated = d_activated          # sigmoid head: ∂L/∂ŷ(t), time-major (None otherwise)
        self.position_loss = position_loss      # L(t) (T, B) or (B,): Σ over t and batch = data loss
        self.loss = float(loss)
        self.count = count                      # the mean's divisor (None for reduction "sum")
        self.grads = grads                      # = model.loss_and_grads(x, target, truncate, l2)[1]
        self.bptt_grads = bptt_grads            # the weights' gradients before the L2 term
        self.clipped_grads = clipped_grads      # after clipping: what the optimizer receives
        self.truncate = truncate
        self.l2 = l2
        self.clip = clip                        # None or {"before", "after", "threshold", "mode", "applied"}
        self.update = update                    # None or {"optimizer", "state_before", "new"}
        self.batch = x.shape[0]
        self.T = x.shape[1] if timeline is None else timeline    # timeline: N + M steps for an encoder–decoder
        self.encoder_rows = encoder_rows        # rows before the decoder's (0: not an encoder–decoder)
        self.decoder_t0 = x.shape[1] if encoder_rows else 0      # the decoder's first step on the timeline
        self.naming = Naming(spec, self.T, [(tr[0].stack, tr[0].stack_layer, tr[0].t0) for tr in traces])
        if spec.output == "sequence":
            self.output_times = list(range(self.decoder_t0, self.T))
        else:
            self.output_times = [self.T - 1]
        self.index = {}                         # (kind, layer, direction, t) -> first event index
        self._cache = OrderedDict()

    @property
    def new_params(self):
        """The parameters after the optimizer's update (None when recorded without an optimizer)."""
        return None if self.update is None else self.update["new"]

    @property
    def optimizer(self):
        """The deep copy of the optimizer after its step (None without an optimizer)."""
        return None if self.update is None else self.update["optimizer"]

    @property
    def rows(self) -> int:
        """Rows of states: the layers (an encoder–decoder: its encoder's, then its decoder's)."""
        return len(self.traces)

    def row_of(self, name: str):
        """(row, direction) of a recurrent parameter's name ('decoder.weight_hh_l1' -> (L + 1, 0))."""
        stack, rest = name.split(".", 1)
        tail = rest.rsplit("_l", 1)[1]
        layer, direction = int(tail.split("_")[0]), 1 if tail.endswith("_reverse") else 0
        return layer + (self.encoder_rows if stack == "decoder" else 0), direction

    def row_times(self, row: int) -> range:
        """The timeline's times at which a row has a state."""
        tr = self.traces[row][0]
        return range(tr.t0, tr.t0 + tr.steps)

    def symbol(self, name: str) -> str:
        """The symbol of a parameter in the app's notation: 'U', 'W²←', 'b_ih', 'V', 'c', 'Wᵈ'."""
        if name == "fc.weight":
            return "V"
        if name == "fc.bias":
            return "c"
        row, direction = self.row_of(name)
        kind = name.split(".", 1)[1].rsplit("_l", 1)[0]
        letter = {"weight_ih": "U", "weight_hh": "W", "bias_ih": "b_ih", "bias_hh": "b_hh"}[kind]
        return self.naming.weight(letter, row, direction)

    def at_output(self, a, t):
        """The row of a time-major output-sized array at output time t ((B, ·)); the arrays span the whole
        timeline (an encoder–decoder's are zeros before the decoder)."""
        return a[t] if self.spec.output == "sequence" else a

    def event_index(self, kind, layer=None, direction=None, t=None) -> int:
        """Index of the event of this kind at (layer, direction, t) — exact match — or −1."""
        return self.index.get((kind, layer, direction, t), -1)

    def _cached(self, kind, layer, direction, t):
        """The built contents of that event if it is among the recently read ones, else None."""
        return self._cache.get(self.event_index(kind, layer, direction, t))

    def _built(self, event):
        built = self._cache.get(event.index)
        if built is None:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                built = build(self, event)
            self._cache[event.index] = built
            if len(self._cache) > CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(event.index)
        return built


def _timeline(tr, values, steps):
    """(tr.steps, ...) values of a row placed at its times on a NaN-filled (steps, ...) timeline."""
    if tr.steps == steps:
        return values
    full = np.full((steps,) + values.shape[1:], np.nan)
    full[tr.t0:tr.t0 + tr.steps] = values
    return full


class Tape:
    """A recording of one probe batch through a model and a cursor over its events; see docs/tape.md.

    The recorded numbers and results (``spec``, ``x``, ``target``, ``T``, ``output``, ``loss``,
    ``grads``, ``new_params``, ...) are those of its Recording, readable as the Tape's own attributes.
    """

    def __init__(self, recording: Recording, events: list):
        self.recording = recording
        self.events = events
        self.cursor = -1
        self.breakpoints: set = set()
        traces, spec, steps = recording.traces, recording.spec, recording.T
        # per row, over the whole timeline (NaN where a row has no state: an encoder–decoder's other part)
        self.dh_norms = {(tr.layer, tr.direction): _timeline(tr, np.sqrt(np.sum(tr.flip(tr.dh[:, 0]) ** 2, axis=1)),
                                                             steps)
                         for row in traces for tr in row}
        self.gate_means = {}
        if spec.gate_blocks > 1:
            for row in traces:
                for tr in row:
                    g = tr.flip(tr.act[:, 0])
                    means = g.reshape(tr.steps, spec.gate_blocks, -1).mean(axis=2)
                    self.gate_means[(tr.layer, tr.direction)] = _timeline(tr, means, steps)

    def __getattr__(self, name):
        if name.startswith("__") or name == "recording":
            raise AttributeError(name)
        return getattr(self.recording, name)

    @property
    def phases(self) -> list:
        """The phases present, in order ("update" only with an optimizer)."""
        present = {e.phase for e in self.events}
        return [p for p in PHASES if p in present]

    @property
    def _grads_done(self) -> int:
        done = [e.index for e in self.events if e.kind in ("backward", "truncate", "weight_decay")]
        return done[-1] if done else -1

    # ---- cursor ------------------------------------------------------------------------------
    @property
    def current(self):
        return self.events[self.cursor] if self.cursor >= 0 else None

    def next(self):
        """One event forward (stays on the last event at the end); returns the new current event."""
        if self.cursor < len(self.events) - 1:
            self.cursor += 1
        return self.current

    def prev(self):
        """One event back (to −1, before the first event); returns the new current event or None."""
        if self.cursor > -1:
            self.cursor -= 1
        return self.current

    def seek(self, index, layer=None, t=None, *, direction=0):
        """Move to event ``index`` (−1: before the first event). With a phase (or kind) name instead
        of an index — ``seek("backward", 0, 3)`` — the same as ``seek_to(phase, layer, direction, t)``."""
        if isinstance(index, str):
            return self.seek_to(index, layer, direction, t)
        if isinstance(index, bool) or int(index) != index or not -1 <= index < len(self.events):
            raise IndexError(f"event index must be in -1..{len(self.events) - 1}, got {index!r}")
        self.cursor = int(index)
        return self.current

    def find(self, phase, layer=None, direction=0, t=None) -> int:
        """Index of the first event of ``phase`` (or kind: "output", "truncate", ...) at the given
        layer, direction and original t (None: any); −1 when there is none. ``direction`` only
        filters events that have one."""
        for e in self.events:
            if phase not in (e.phase, e.kind):
                continue
            if layer is not None and e.layer != layer:
                continue
            if direction is not None and e.direction is not None and e.direction != direction:
                continue
            if t is not None and e.t != t:
                continue
            return e.index
        return -1

    def seek_to(self, phase, layer=None, direction=0, t=None):
        """Move to the first matching event (see ``find``); LookupError when none matches."""
        index = self.find(phase, layer, direction, t)
        if index < 0:
            raise LookupError(f"no {phase} event at layer={layer}, direction={direction}, t={t}")
        self.cursor = index
        return self.current

    def run_to_end_of(self, phase):
        """Move to the last event of ``phase`` ("forward", "loss", "backward", "update");
        LookupError when the Tape has none (e.g. "update" without an optimizer)."""
        last = [e.index for e in self.events if e.phase == phase or e.kind == phase]
        if not last:
            raise LookupError(f"this Tape has no {phase} events")
        self.cursor = last[-1]
        return self.current

    def continue_(self):
        """Forward to the next event at a breakpoint t (original index), or else to the end of the
        phase of the next event; returns the new current event."""
        start = self.cursor + 1
        if start >= len(self.events):
            return self.current
        phase = self.events[start].phase
        for e in self.events[start:]:
            if e.phase != phase:
                break
            self.cursor = e.index
            if e.t is not None and e.t in self.breakpoints:
                break
        return self.current

    # ---- what the app draws ------------------------------------------------------------------
    def state_at(self, cursor=None) -> dict:
        """Everything known after the event at ``cursor`` (default: the current one), first sequence:

        ("h", layer, direction, t), ("c", ...), ("gates", ...) (gates × H, LSTM/GRU) after forward
        events; ("o", t), ("ŷ", t) (cross-entropy, sigmoid head), ("L", t) after output events; ("loss",) after the
        loss event; ("dh", layer, direction, t) = the whole ∂L/∂h(t), ("dc", ...) after backward
        events; ("cut", layer, direction, t) after truncation events; ("grad", name) for every
        parameter once the gradient is complete (from the last BPTT / weight-decay event on);
        ("clip",) = (norm before, norm after); ("new", name) after each update event.
        """
        cursor = self.cursor if cursor is None else cursor
        rec = self.recording
        state = {}
        gates = rec.spec.gate_blocks
        done = self._grads_done
        for e in self.events[:cursor + 1]:
            kind = e.kind
            if kind == "forward":
                tr = rec.traces[e.layer][e.direction]
                s = tr.step_of(e.t)
                key = (e.layer, e.direction, e.t)
                state[("h",) + key] = tr.h[s + 1, 0]
                if tr.c is not None:
                    state[("c",) + key] = tr.c[s + 1, 0]
                if gates > 1:
                    state[("gates",) + key] = tr.act[s, 0].reshape(gates, -1)
            elif kind == "output":
                state[("o", e.t)] = rec.at_output(rec.output_tm, e.t)[0]
                if rec.log_probs is not None:
                    state[("ŷ", e.t)] = np.exp(rec.at_output(rec.log_probs, e.t)[0])
                elif rec.activated is not None:
                    state[("ŷ", e.t)] = rec.at_output(rec.activated, e.t)[0]
                state[("L", e.t)] = float(rec.at_output(rec.position_loss, e.t)[0])
            elif kind == "loss":
                state[("loss",)] = rec.loss
            elif kind == "backward":
                tr = rec.traces[e.layer][e.direction]
                s = tr.step_of(e.t)
                key = (e.layer, e.direction, e.t)
                state[("dh",) + key] = tr.dh[s, 0]
                if tr.dc is not None:
                    state[("dc",) + key] = tr.dc[s, 0]
            elif kind == "truncate":
                state[("cut", e.layer, e.direction, e.t)] = True
            if e.index == done:
                state.update({("grad", k): v for k, v in rec.grads.items()})
            if kind == "clip":
                state[("clip",)] = (rec.clip["before"], rec.clip["after"])
            elif kind == "update":
                state[("new", e.param)] = rec.update["new"][e.param]
        return state

    def __len__(self):
        return len(self.events)

    def __repr__(self):
        s = self.recording.spec
        return (f"Tape({s.cell}, layers={s.num_layers}, directions={s.directions}, T={self.T}, "
                f"batch={self.batch}, events={len(self.events)}, cursor={self.cursor})")
