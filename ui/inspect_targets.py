"""What the inspector shows for a clicked node or arrow of the unrolled graph: the Tape's values (those
known at the cursor; a later one is None) with their names, read through the Tape's index."""
from __future__ import annotations

import numpy as np


def node_entries(session, key):
    """(title, entries, note) for a clicked node ``key``: what the inspector shows (values known at the
    cursor; later ones are None) and a status note; title None when there is nothing to show."""
    s = session
    idx, c = s.index, s.cursor
    if idx is None:
        return None, [], ""
    known = lambda k: idx.value(k) if idx.known_at(k) <= c else None  # noqa: E731
    kind = key[0]
    if kind == "x":
        t = key[1]
        name = idx.input_name(t)
        what = "the decoder's input" if name[0] == "d" else "the input"
        return f"{name} — {what} at step {t + 1}", [(name, idx.x[t], False)], ""
    elif kind == "h":
        _, l, d, t = key
        name = idx.state_name("h", l, d, t)
        entries = [(name, known(key), False), (f"∂L/∂{name}", known(("dh", l, d, t)), True)]
        if s.spec.cell == "lstm":
            cname = idx.state_name("c", l, d, t)
            entries += [(cname, known(("c", l, d, t)), False), (f"∂L/∂{cname}", known(("dc", l, d, t)), True)]
        gates = known(("gates", l, d, t))
        if gates is not None:
            letters = "ifgo" if s.spec.cell == "lstm" else "rzn"
            entries.append((f"gates [{' '.join(letters)}] × units", gates, False))
        note = f"{name} is not computed yet: step forward to reach it" if all(
            a is None for _, a, _ in entries) else ""
        where = s.tape.naming.where(l, d).replace(" · reverse direction", " (reverse)")
        return f"{name} — {where}, t = {t + 1}", entries, note
    elif kind == "h0":
        _, l, d = key
        return "initial state (zeros)", [("h(0)", np.zeros(s.spec.hidden_size), False)], ""
    elif kind == "o":
        t = key[1]
        entries = [(f"o({t + 1})", known(key), False), (f"ŷ({t + 1})", known(("ŷ", t)), False)]
        if t in idx.do and idx.do_known[t] <= c:
            entries.append((f"∂L/∂o({t + 1})", idx.do[t], True))
        return f"o({t + 1}) — the output at step {t + 1}", entries, ""
    elif kind == "L":
        t = key[1]
        v = known(key)
        return f"L({t + 1})", [(f"L({t + 1})", None if v is None else np.array([v]), False)], ""
    elif kind == "loss":
        v = known(key)
        return "L — the loss", [("L", None if v is None else np.array([v]), False)], ""
    return None, [], ""


def arrow_entries(session, key):
    """(title, entries) for a clicked arrow ``key`` (a shared weight: U, W or V, or o → L). A weight's value
    entry carries its parameter name as a fourth element: the inspector lets the learner edit it."""
    s = session
    idx, c, tape = s.index, s.cursor, s.tape
    if idx is None:
        return None, []
    kind = key[0]
    if kind in ("W", "U"):
        l, d, t = key[1], key[2], key[3]
        pname = idx.param_name("weight_hh" if kind == "W" else "weight_ih", l, d)
        sym = tape.symbol(pname)
        entries = [(sym, tape.params[pname], False, pname)]
        bi = idx.event_of.get(("backward", l, d, t))
        if bi is not None and bi <= c:
            q = tape.events[bi].quantities
            entries.append((f"∂L/∂{sym} (step at t = {t + 1})", q.get(f"∂L/∂{kind} (step)"), True))
            entries.append((f"∂L/∂{sym} (sum so far)", q.get(f"∂L/∂{kind} (sum)"), True))
        g = s.tape.state_at(c).get(("grad", pname)) if c >= 0 else None
        if g is not None:
            entries.append((f"∂L/∂{sym} (total)", g, True))
        what = "hidden → hidden" if kind == "W" else "input → hidden"
        return f"{sym} ({pname}) — {what}, shared by every timestep", entries
    elif kind == "V":
        if s.spec.output_size is None:
            return "no output layer", []
        entries = [("V", tape.params["fc.weight"], False, "fc.weight")]
        g = s.tape.state_at(c).get(("grad", "fc.weight")) if c >= 0 else None
        if g is not None:
            entries.append(("∂L/∂V (total)", g, True))
        return "V (fc.weight) — hidden → output, shared by every timestep", entries
    elif kind == "loss":
        t = key[1]
        entries = []
        if t in idx.do and idx.do_known[t] <= c:
            entries.append((f"∂L/∂o({t + 1})", idx.do[t], True))
        return f"o({t + 1}) → L({t + 1})", entries
    return None, []
