"""Each event's formulas and the values to substitute — built when the event is first read.

:func:`build` hands an event to its builder: forward_events (forward, output, loss), backward_events
(backward, truncate, weight decay, clipping) or update_events (the optimizer's update). What the
builders share (the collector ``Collect``, its result ``Built``, ``ref`` and other helpers) lives in
rnnsim.tape.builder, which they import without importing this module.
"""
from __future__ import annotations

from . import backward_events, forward_events, update_events
from .builder import Built, Collect

BUILDERS = {"forward": forward_events.forward, "context": forward_events.context, "output": forward_events.output,
            "loss": forward_events.loss, "backward": backward_events.backward,
            "context_back": backward_events.context_back, "truncate": backward_events.truncate,
            "weight_decay": backward_events.weight_decay, "clip": backward_events.clip,
            "update": update_events.update}


def build(tape, event) -> Built:
    """The formulas and quantities of ``event`` (called by Tape when the event is first read)."""
    q = Collect()
    BUILDERS[event.kind](tape, event, q)
    return q.done()
