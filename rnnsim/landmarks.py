"""Weight points worth marking on a cost surface, and the names of its axes.

The one-unit counter of P. Roelants' counting-ones tutorial — S(k) = S(k-1)·w_rec + X(k)·w_x, y = S(n):
the engine's ``linear`` cell with one unit, no bias and no head — has two weights, w_x (``weight_ih_l0``)
and w_rec (``weight_hh_l0``). The tutorial marks six points of its (w_x, w_rec) surface, chosen so that
the gradient over time shows every behaviour: w_rec = 1 keeps it constant, |w_rec| > 1 explodes it
(alternating in sign when negative), |w_rec| < 1 makes it vanish, w_rec = 0 kills it at once.
"""
from __future__ import annotations

from .landscape import ScalarParameter
from .spec import ModelSpec

W_X = ScalarParameter("rnn.weight_ih_l0", (0, 0))
W_REC = ScalarParameter("rnn.weight_hh_l0", (0, 0))
#: (w_x, w_rec) of the six marked points, in the tutorial's order
COUNTER_POINTS = ((2.0, 1.0), (1.0, 2.0), (1.0, -2.0), (1.0, 0.0), (1.0, 0.5), (1.0, -0.5))
#: the tutorial's two views of the surface: the overview and the zoom onto the optimum (1, 1)
COUNTER_RANGES = {"overview": ((-3.0, 3.0), (-3.0, 3.0)), "zoom": ((0.0, 2.0), (0.0, 2.0))}


def is_counter(spec: ModelSpec) -> bool:
    """The model is the tutorial's counter: one linear unit reading one input, no bias, no head, last step."""
    return (spec.cell == "linear" and spec.input_size == 1 and spec.hidden_size == 1 and spec.num_layers == 1
            and not spec.bidirectional and not spec.bias and spec.output_size is None and spec.output == "last")


def marked_points(spec: ModelSpec, first: ScalarParameter, second: ScalarParameter) -> list[tuple[str, float, float]]:
    """[(label, a, b)] to mark on the surface of ``first`` × ``second``: the tutorial's six points when the
    model is the counter and the axes are (w_x, w_rec); none otherwise."""
    if is_counter(spec) and (first, second) == (W_X, W_REC):
        return [(f"({a:g}, {b:g})", a, b) for a, b in COUNTER_POINTS]
    return []


def axis_name(spec: ModelSpec, p: ScalarParameter) -> str:
    """What an axis is called on screen: the lesson's letter (U input→hidden, W hidden→hidden, V
    hidden→output, b, c biases) with the index, and for the counter the tutorial's w_x / w_rec."""
    if is_counter(spec):
        if p == W_X:
            return "w_x = U[0,0]"
        if p == W_REC:
            return "w_rec = W[0,0]"
    kind, _, layer = p.name.partition(".")[2].rpartition("_l")
    letter = {"weight": "V", "bias": "c"}.get(p.name.partition(".")[2]) if p.name.startswith("fc.") else \
        {"weight_ih": "U", "weight_hh": "W", "bias_ih": "b_ih", "bias_hh": "b_hh"}.get(kind, p.name)
    where = ""
    if not p.name.startswith("fc.") and (spec.num_layers > 1 or spec.bidirectional):
        where = f" layer {int(layer.replace('_reverse', '')) + 1}" + (" ←" if layer.endswith("_reverse") else "")
    return f"{letter}{where}[{','.join(str(i) for i in p.index)}]"
