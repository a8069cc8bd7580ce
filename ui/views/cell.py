"""The cell's insides, drawn like the familiar diagrams, for the current event's layer and t.

LSTM: the cell-state line along the top (c(t−1) → × f → + i ⊙ g → c(t)), the forget, input,
candidate and output gates below it, h(t) leaving on the right. GRU: the state line h(t−1) → × z →
+ (1 − z) ⊙ n → h(t), with the reset gate feeding the candidate. Elman / linear: one path through
U·x + W·h + b and the squashing function (or none). The diagrams themselves: ``cell_scene``.

Every gate shows one bar per hidden unit — its fill level for the (0, 1) gates, a signed bar for
tanh values and states — and the flows' opacity follows the gates' mean opening. The bars glide to
their new values when the cursor moves (a QVariantAnimation drives the interpolation). During
BPTT the same diagram shows the gradients (green–purple) at the same places, flowing right to left.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QEasingCurve, QVariantAnimation
from PySide6.QtGui import QBrush, QPainter, QTransform
from PySide6.QtWidgets import QGraphicsView, QLabel, QVBoxLayout, QWidget

from .. import theme
from ..livetext import LiveText
from .cell_scene import (CAPTION_PX, FLOW_GATES, GATE_KEYS, SLOTS, STRIP_H, STRIP_W, W_SCENE, CellScene,  # noqa: F401
                         Flow, UnitStrip, bar_rects, caption_for, gradient_caption)

GLIDE_MS = 260        # how long the bars glide to their new values


class FitView(QGraphicsView):
    """A view that shows its whole scene — but never so small that the captions drop below 9 px on screen:
    in a very small dock it scrolls instead."""

    min_scale = 9.0 / CAPTION_PX

    def fit(self):
        scene = self.scene()
        if scene is None:
            return
        r, vp = scene.sceneRect(), self.viewport().rect()
        m = max(min(vp.width() / r.width(), vp.height() / r.height()), self.min_scale)
        if abs(self.transform().m11() - m) > 1e-6:
            self.setTransform(QTransform.fromScale(m, m))
        self.centerOn(r.center())

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self.fit()

    def showEvent(self, ev):
        super().showEvent(ev)
        self.fit()


class CellView(QWidget):
    """Bottom dock: the cell's internals at the current event, animated."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setAutoFillBackground(True)          # opaque: its repaints stop here, not at the window
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        self.title = LiveText("title")             # changes at every step: no re-layout (see LiveText)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        lay.addWidget(self.title)
        lay.addWidget(self.hint)
        self.view = FitView(self)
        self.view.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.view.setBackgroundBrush(QBrush(theme.CANVAS))
        self.view.setFrameShape(QGraphicsView.Shape.NoFrame)
        # a step changes strips and flows all over the diagram: one rectangle to repaint (a simple clip) is
        # cheaper than the minimal region's many small rectangles (a complex clip for every antialiased path)
        self.view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        lay.addWidget(self.view, 1)
        self.cell_scene = None
        self.kind = None
        self.where = None                # (layer, direction, t) shown
        self.backward = False
        self.glide_ms = GLIDE_MS
        self._last_show = 0.0
        self.anim = QVariantAnimation(self)
        self.anim.setStartValue(0.0)
        self.anim.setEndValue(1.0)
        self.anim.setDuration(GLIDE_MS)
        self.anim.setEasingCurve(QEasingCurve.Type.OutCubic)
        self.anim.valueChanged.connect(self._frame)
        session.tapeChanged.connect(lambda _: self.rebuild())
        session.cursorChanged.connect(lambda _: self.show_event(session.current))

    def set_animated(self, on: bool):
        self.glide_ms = GLIDE_MS if on else 0

    def rebuild(self):
        spec = self.session.spec
        if spec is None:
            return
        kind = spec.cell if spec.cell in ("lstm", "gru") else "elman"
        if self.cell_scene is None or self.cell_scene.cell != spec.cell:
            old = self.cell_scene
            self.cell_scene = CellScene(spec.cell, self.view)     # parented to the view: it must not outlive it
            self.view.setScene(self.cell_scene)
            if old is not None:
                old.deleteLater()
        self.kind = kind
        self.where = None
        self.show_event(self.session.current, animate=False)
        self.fit()

    def fit(self):
        self.view.fit()

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self.fit()

    def showEvent(self, ev):
        super().showEvent(ev)
        self.fit()

    def _where_for(self, event):
        """Which cell to show: the event's own; for output events the top layer at that t."""
        spec = self.session.spec
        if event is None:
            return (0, 0, 0), False
        if event.kind in ("forward", "backward", "truncate"):
            return (event.layer, event.direction, event.t), event.phase == "backward"
        if event.kind == "output":
            return (spec.num_layers - 1, 0, event.t), False
        if self.where is not None:
            return self.where, event.phase in ("backward", "update")
        return (spec.num_layers - 1, 0, self.session.tape.T - 1), event.phase in ("backward", "update")

    def show_event(self, event, animate=True):
        s = self.session
        if self.cell_scene is None or s.tape is None:
            return
        idx = s.index
        (layer, d, t), backward = self._where_for(event)
        self.where = (layer, d, t)
        self.backward = backward
        fwd_i = idx.event_of.get(("forward", layer, d, t))
        bwd_i = idx.event_of.get(("backward", layer, d, t))
        cursor = s.cursor
        fq = s.tape.events[fwd_i].quantities if fwd_i is not None and fwd_i <= cursor else None
        bq = s.tape.events[bwd_i].quantities if backward and bwd_i is not None and bwd_i <= cursor else None
        name = {"lstm": "LSTM", "gru": "GRU"}.get(s.spec.cell, {"linear": "Linear", "rnn_tanh": "Elman (tanh)",
                                                                 "rnn_relu": "Elman (ReLU)",
                                                                 "rnn_sigmoid": "Elman (σ)",
                                                                 "rnn_softplus": "Elman (softplus)",
                                                                 "rnn_hard_sigmoid": "Elman (hard σ)"}.get(s.spec.cell))
        where = s.tape.naming.where(layer, d).replace(" · reverse direction", " (reverse)")
        mode = "gradients flowing back (∂L/∂·, green–purple)" if bq is not None else (
            "values" if fq is not None else "not computed yet")
        _set_text(self.title, f"{name} cell · {where} · t = {t + 1} · {mode}")
        if bq is not None:
            _set_text(self.hint, "During BPTT each bar is the gradient at that place: the gates show ∂L/∂(gate "
                              "pre-activation), the states ∂L/∂h and ∂L/∂c; the lines turn purple and the "
                              "gradient travels right to left.")
        elif self.kind == "lstm":
            _set_text(self.hint, "Bars: one per hidden unit. Gates σ fill from 0 (closed) to 1 (open); tanh values "
                              "and states go up (positive, red) or down (negative, blue). Lines fade as gates close.")
        elif self.kind == "gru":
            _set_text(self.hint, "Bars: one per hidden unit. r and z fill from 0 to 1; z = 1 keeps the old state, "
                              "z = 0 takes the candidate n. Lines fade as gates close.")
        else:
            _set_text(self.hint, "One path: the weighted sum of input and memory, squashed. Bars: one per hidden unit, "
                              "up for positive (red), down for negative (blue).")
        slots = SLOTS[self.kind]
        sc = self.cell_scene
        for key, strip in sc.slots.items():
            fname, bname = slots.get(key, (None, None))
            if bq is not None and bname is not None and bname in bq:
                v = np.asarray(bq[bname])
                strip.set_values(v, gradient=True, caption=gradient_caption(key, v))
            elif fq is not None and fname is not None and fname in fq:
                v = np.asarray(fq[fname])
                scale = idx.scale["h"] if key in ("h", "h_prev") else (idx.scale["c"] if key.startswith("c") else None)
                cap = caption_for(key)
                if strip.mode == "level":
                    cap += f"\nmean {theme.fmt(np.mean(v), 2)}"
                strip.set_values(v, gradient=False, scale=scale, caption=cap)
            elif bq is not None and key == "x" and fq is not None:
                strip.set_values(np.asarray(fq["x(t)"]), gradient=False, caption="x(t)")
            else:
                strip.set_values(None, caption=caption_for(key))
        # flows follow the gates' mean opening (forward) or carry the gradient (backward)
        for key, flows in sc.flows.items():
            gate = FLOW_GATES[self.kind].get(key)
            strength = 1.0
            if fq is None:
                strength = 0.25
            elif gate is not None:
                g = "z" if gate == "1-z" else gate
                if g in fq:
                    m = float(np.mean(fq[g]))
                    strength = 1.0 - m if gate == "1-z" else m
            for f in flows:
                f.set_strength(strength, backward=bq is not None)
        now = time.perf_counter()
        gap_ms = (now - self._last_show) * 1000
        self._last_show = now
        # glide over most of the time until the next step (Play at speed): never lag behind the cursor
        duration = min(self.glide_ms, int(0.7 * gap_ms))
        if animate and self.glide_ms > 0 and duration >= 40:
            self.anim.stop()
            self.anim.setDuration(duration)
            self.anim.start()
        else:
            self.anim.stop()
            self._frame(1.0)

    def _frame(self, p):
        p = float(p)
        sc = self.cell_scene
        if sc is None or p <= 0.0:
            return                   # frame 0 looks like the previous state: nothing to repaint
        for strip in sc.slots.values():
            strip.progress = p
            strip.update()
        for flows in sc.flows.values():
            for f in flows:
                f.progress = p
                f._apply()
        # frames in motion are drafts (no antialiasing, half the paint time); the last one is exact
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing, p >= 1.0)

    def displayed(self) -> dict:
        """slot -> (values shown when the animation ends, gradient?) (for tests)."""
        if self.cell_scene is None:
            return {}
        return {k: (s.new, s.gradient) for k, s in self.cell_scene.slots.items()}


def _set_text(label, text):
    if label.text() != text:          # a word-wrapped label re-lays out its dock on every setText
        label.setText(text)

