"""Where the unrolled graph puts everything, from the spec and T alone (scene coordinates at 100 %)."""
from __future__ import annotations

PX = 124              # column pitch
PY = 104              # row pitch
NODE_W, NODE_H = 56, 44
HALF_W = NODE_W // 2
HEADER_H = 40         # the frozen band of "t = …" headers at the top
GUTTER = 84           # the frozen column of row labels at the left (pixels, at every zoom)
LEFT = 96             # room for the row labels before the initial-state column
OFFSET = 18           # bidirectional: horizontal shift of the two direction rows


class Layout:
    """Rows top to bottom — L, o, each layer (top first; a bidirectional layer's reverse row above its
    forward row), x — and one column per timestep, with a column for the initial states on each side."""

    def __init__(self, spec, T, layers: int | None = None, naming=None):
        """``layers``: rows of states (default the spec's layers; an encoder–decoder has its encoder's and its
        decoder's); ``naming``: the Tape's Naming, for the row labels."""
        self.spec, self.T = spec, T
        self.dirs = spec.directions
        self.naming = naming
        self.rows = []                                   # (kind, layer, direction), top to bottom
        self.rows.append(("L", None, None))
        self.rows.append(("o", None, None))
        for layer in range((layers or spec.num_layers) - 1, -1, -1):
            for d in range(self.dirs - 1, -1, -1):
                self.rows.append(("h", layer, d))
        self.rows.append(("x", None, None))
        self.row_y = {r: HEADER_H + 44 + i * PY for i, r in enumerate(self.rows)}
        self.width = LEFT + (T + 2) * PX + 140
        self.height = HEADER_H + 44 + (len(self.rows) - 1) * PY + 56

    def col_x(self, t):
        """Column centre of original time t (t = −1: initial states of the forward rows; t = T:
        of the reverse rows)."""
        return LEFT + (t + 1) * PX + PX / 2

    def node_x(self, kind, layer, direction, t):
        x = self.col_x(t)
        if kind == "h" and self.dirs == 2:
            x += OFFSET if direction == 1 else -OFFSET
        return x

    def y(self, kind, layer=None, direction=None):
        return self.row_y[(kind, layer, direction)]

    def column_at(self, x) -> int | None:
        """The timestep whose column contains scene x (None outside 0..T−1)."""
        t = int((x - LEFT) // PX) - 1
        return t if 0 <= t < self.T else None

    def row_label(self, row) -> tuple[str, str]:
        """(text, kind) of a row's label in the frozen gutter; kind "h" rows are drawn in the forward colour."""
        kind, layer, d = row
        seq2seq = self.naming is not None and self.naming.rows[0][0] == "encoder"
        if kind == "x":
            return ("inputs\nx(t), d(t)" if seq2seq else "input\nx(t)"), kind
        if kind == "o":
            return "output\no(t)", kind
        if kind == "L":
            return "loss\nL(t)", kind
        if seq2seq:
            stack, stack_layer, _ = self.naming.rows[layer]
            return f"{stack}" + (f" {stack_layer + 1}" if self.spec.num_layers > 1 else "") + \
                f"\nh{self.naming.tag(layer, 0)}(t)", kind
        if d == 1:
            return f"layer {layer + 1}\n← reverse", kind
        return f"layer {layer + 1}\n" + ("→ forward" if self.dirs == 2 else "h(t)"), kind
