"""The Tape: a step-through recording of one probe batch through a model (docs/tape.md).

    from rnnsim.tape import record
    tape = record(model, x, target, truncate=None, l2=0.0, clip=None, optimizer=None)
    tape.next(); tape.current.formulas; tape.current.quantities

Modules: recorder (the numerics, plain numpy, one timestep at a time), events (Event, Formula,
Quantities, names), formulas (each event's formulas and values), cursor (Tape), render (text, JSON).
"""
from .cursor import Tape
from .events import Event, Formula, Quantities
from .recorder import MAX_BATCH, record
from .render import render_event, render_text, to_json, format_value

__all__ = ["record", "Tape", "Event", "Formula", "Quantities", "MAX_BATCH", "render_event", "render_text",
           "to_json", "format_value"]
