"""The unrolled graph's view: one column per timestep — x(t) → cell → h(t) → o(t) → L(t) — with the
recurrent arrows h(t−1) → h(t) and the shared weights U, W, V labelled on every copy; stacked
layers as rows; a bidirectional layer's reverse direction as a row whose arrows point left.

Each node is a small grid of its units: the left half its value (blue–white–red), the right half
its gradient ∂L/∂· once backpropagation has reached it (green–white–purple). During BPTT a purple
arrow beside each forward arrow carries the gradient's size (width and opacity, log scale, so a
vanishing gradient visibly fades); red dashed marks are truncated BPTT's cuts.

Everything is built once per Tape; moving the cursor only toggles the few items whose state
changes (bisect over the precomputed "known at" indices), moves the highlight and scrolls. The
"t = …" headers stay at the top and the row labels at the left whatever the scroll (the frozen
parts, see graph_items); following the cursor keeps the current node clear of both.
"""
from __future__ import annotations

import bisect
import time

from PySide6.QtCore import QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsView

from .. import theme
from ..tapeindex import NEVER
from .graph_build import SceneBuilder
from .graph_items import Arrow, Header, Node, RowGutter  # noqa: F401  (re-exported)
from .graph_layout import GUTTER, HEADER_H, PX, Layout  # noqa: F401
from .graphics import arrow_path, center_text, setup_canvas, strength, text_item  # noqa: F401  (re-exported)

LABEL_LOD = 0.55      # below this zoom, per-copy labels are hidden
FIT_MIN = 0.75        # "Fit" never zooms out further (12 px labels stay ≥ 9 px): it scrolls instead
ZOOM_MIN, ZOOM_MAX = 0.15, 3.0
CHUNK = 12            # timesteps built per slice of the event loop
BUILD_FIRST_S = 0.05  # a new Tape's first slice (what is in view at once) ...
BUILD_SLICE_S = 0.03  # ... then slices this long, so the window stays responsive
FOLLOW_BAND = 0.15    # following the cursor: the node stays this far (share of the free width) from either side
MARGIN = 10           # pixels between a revealed node and the frozen parts / the view's edges


def build_order(n_chunks: int, first: int) -> list:
    """Chunk indices nearest ``first`` first: first, first+1, first−1, first+2, …"""
    order, k = [first], 1
    while len(order) < n_chunks:
        for c in (first + k, first - k):
            if 0 <= c < n_chunks:
                order.append(c)
        k += 1
    return order


class UnrolledView(SceneBuilder, QGraphicsView):
    nodeClicked = Signal(object)
    arrowClicked = Signal(object)
    zoomChanged = Signal(float)
    built = Signal()                 # the scene of a new Tape is complete

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.graph = setup_canvas(self, session)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setToolTip("")
        self.follow = True
        self.layout_ = None
        self.nodes: dict = {}
        self.arrows: dict = {}
        self.headers: dict = {}
        self.param_arrows: dict = {}
        self.band = self.gutter = self.ring = None
        self._toggles = []
        self._toggle_keys = []
        self._cursor = -1
        self._active = []
        self._active_header = None
        self._param_active = []
        self._shared_marked = []
        self.labels_visible = True
        self.building = False
        self._reveal_pending = False
        self._generation = 0
        self._jobs = []
        session.tapeChanged.connect(lambda _: self.rebuild())
        session.cursorChanged.connect(self.on_cursor)
        session.breakpointsChanged.connect(self.on_breakpoints)

    # ---- building ----------------------------------------------------------------------------------
    def rebuild(self):
        """Build the scene for a new Tape: the frame at once, the columns a few at a time.

        A long, deep sequence has thousands of items (T = 200 with two bidirectional layers: ~14 000,
        ~1 s to create); they are built in chunks of CHUNK timesteps from the event loop, so the window
        never freezes. The chunk at the cursor comes first, each with its arrows as soon as the nodes they
        join exist; ``building`` is True until the last chunk. The view scrolls to the cursor (or the start)
        at once and repaints whole (nothing of the old Tape's picture may survive).
        """
        s = self.session
        idx = s.index
        if idx is None:
            return
        self._generation += 1
        self.graph.clear()
        self.band = self.gutter = self.ring = None   # deleted with the scene's items
        self.nodes.clear()
        self.arrows.clear()
        self._arrow_index_n = None                   # the arrows' lookup is rebuilt on first use
        self.headers.clear()
        self.param_arrows = {}
        self._toggles, self._toggle_keys = [], []
        self._active, self._param_active, self._active_header = [], [], None
        self._shared_marked = []
        spec, T = idx.spec, idx.T
        L = self.layout_ = Layout(spec, T, idx.rows, idx.tape.naming)
        self.graph.setSceneRect(QRectF(0, 0, L.width, L.height))
        self._build_headers(L, T)
        self.gutter = RowGutter(self)
        self.graph.addItem(self.gutter)
        ring = QGraphicsPathItem()
        ring.setPen(QPen(theme.ACCENT, 3.5))
        ring.setZValue(5)
        ring.setVisible(False)
        ring.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.graph.addItem(ring)
        self.ring = ring
        self._cursor = s.cursor
        self.on_breakpoints(s.breakpoints)
        event = s.current
        target = event.t if event is not None and event.t is not None else None
        self._scroll_to_column(target)
        self._reveal_pending = target is not None
        chunks = [list(range(a, min(a + CHUNK, T))) for a in range(0, T, CHUNK)]
        first = (target // CHUNK) if target is not None else 0
        jobs, made = [], set()
        for k in build_order(len(chunks), min(first, len(chunks) - 1)):
            for c in (k, k - 1, k + 1):                 # arrows into chunk k start at k − 1 or k + 1
                if 0 <= c < len(chunks) and c not in made:
                    made.add(c)
                    jobs.append(lambda ts=chunks[c], e=not jobs: self._build_nodes(idx, L, ts, extras=e))
            jobs.append(lambda ts=chunks[k]: self._build_arrows(idx, L, ts))
        jobs.append(lambda: self._build_cuts(idx, L))
        self._jobs = jobs
        self.building = True
        self.place_frozen()
        self.viewport().update()
        self._build_more(self._generation, first=True)

    def _build_more(self, generation, first=False):
        if generation != self._generation:
            return                                   # a newer Tape arrived: this build is abandoned
        t0 = time.perf_counter()
        budget = BUILD_FIRST_S if first else BUILD_SLICE_S
        while self._jobs and time.perf_counter() - t0 < budget:
            before_n, before_a = len(self.nodes), len(self.arrows)
            self._jobs.pop(0)()
            for item in list(self.nodes.values())[before_n:] + list(self.arrows.values())[before_a:]:
                item.apply(self._cursor)
        labels = self.transform().m11() >= LABEL_LOD
        if not labels:
            self._set_labels_visible(False)
        if self._jobs:
            QTimer.singleShot(0, self, lambda g=generation: self._build_more(g))   # dropped if the view is deleted
            self._highlight(self.session.current, scroll=False)
            return
        toggles = []
        for item in list(self.nodes.values()) + list(self.arrows.values()):
            for k in {getattr(item, "known_v", NEVER), item.known_g}:
                if k < NEVER:
                    toggles.append((k, id(item), item))
        toggles.sort(key=lambda x: (x[0], x[1]))
        self._toggles = toggles
        self._toggle_keys = [k for k, _, _ in toggles]
        self.building = False
        self._set_labels_visible(labels)
        self.on_cursor(self.session.cursor, scroll=False)
        self.built.emit()

    # ---- cursor ------------------------------------------------------------------------------------
    def on_cursor(self, cursor: int, scroll: bool = True):
        if self.layout_ is None or self.session.tape is None:
            return
        old = self._cursor
        if self.building:                             # no index yet: every item built so far
            for item in list(self.nodes.values()) + list(self.arrows.values()):
                item.apply(cursor)
        else:
            lo, hi = (old, cursor) if old < cursor else (cursor, old)
            i = bisect.bisect_right(self._toggle_keys, lo)
            j = bisect.bisect_right(self._toggle_keys, hi)
            for _, _, item in self._toggles[i:j]:
                item.apply(cursor)
        self._cursor = cursor
        self._highlight(self.session.current, scroll)

    def _arrow_index(self) -> dict:
        """("h", l, d, t) -> the W and U arrows into that cell; ("o", t) -> the V arrows and the loss arrow
        at t (in the arrows' order). Arrows are only ever added or all cleared: rebuilt when the count changes."""
        if getattr(self, "_arrow_index_n", None) != len(self.arrows) or self._arrow_index_of is not self.arrows:
            index: dict = {}
            for key, a in self.arrows.items():
                k0 = key[0]
                if (k0 == "W" and len(key) == 4) or (k0 == "U" and len(key) >= 4):
                    index.setdefault(("h",) + tuple(key[1:4]), []).append(a)
                elif (k0 == "V" and len(key) >= 3) or (k0 == "loss" and len(key) == 2):
                    index.setdefault(("o", key[2] if k0 == "V" else key[1]), []).append(a)
            self._arrow_index_cache, self._arrow_index_n, self._arrow_index_of = index, len(self.arrows), self.arrows
        return self._arrow_index_cache

    def mark_shared(self, param):
        """Mark every copy of one weight matrix (``param``, e.g. "rnn.weight_hh_l0"; None: unmark) — the
        unrolled graph repeats U, W and V at every step, and hovering one copy shows they are all the same."""
        for a in self._shared_marked:
            a.set_param_highlight(a in self._param_active)       # an update event's own mark stays
        self._shared_marked = list(self.param_arrows.get(param, ())) if param is not None else []
        for a in self._shared_marked:
            a.set_param_highlight(True)

    def _highlight(self, event, scroll):
        for a in self._active:
            a.set_active(False)
        self._active = []
        for a in self._param_active:
            a.set_param_highlight(False)
        self._param_active = []
        if self._active_header is not None:
            self._active_header.set_current(False)
            self._active_header = None
        focus = []
        if event is not None:
            k, l, d, t = event.kind, event.layer, event.direction, event.t
            if k in ("forward", "backward", "truncate"):
                focus = [("h", l, d, t)]
                self._active = list(self._arrow_index().get(("h", l, d, t), ()))
            elif k == "output":
                focus = [("o", t), ("L", t)]
                self._active = list(self._arrow_index().get(("o", t), ()))
            elif k in ("context", "context_back"):         # the hand-over from the encoder to the decoder
                n0 = idx_t0 = self.session.index.tape.decoder_t0
                rows = self.session.index.encoder_rows
                focus = [f for r in range(rows) for f in (("h", r, 0, n0 - 1), ("h", r + rows, 0, idx_t0))]
                self._active = [self.arrows[("W", r + rows, 0, n0)] for r in range(rows)
                                if ("W", r + rows, 0, n0) in self.arrows]
            elif k in ("loss", "clip", "weight_decay"):
                focus = [("loss",)]
            elif k == "update" and event.param:
                self._param_active = list(self.param_arrows.get(event.param, []))
                for a in self._param_active:
                    a.set_param_highlight(True)
            for a in self._active:
                a.set_active(True)
            if t is not None and t in self.headers:
                self._active_header = self.headers[t]
                self._active_header.set_current(True)
        focus = [self.nodes[f] for f in focus if f in self.nodes]
        if focus:
            path = QPainterPath()
            rect = QRectF()
            for n in focus:
                r = n.rect().adjusted(-5, -5, 5, 5)
                if n.circle:
                    path.addEllipse(r)
                else:
                    path.addRoundedRect(r, 8, 8)
                rect = rect.united(r)
            self.ring.setPath(path)
            self.ring.setVisible(True)
            if (scroll or self._reveal_pending) and self.follow:
                self._reveal_pending = False
                self.reveal(rect)
        else:
            self.ring.setVisible(False)

    # ---- what is in view -------------------------------------------------------------------------------
    def free_rect(self) -> QRectF:
        """The part of the scene in view and not under the frozen header band or row gutter."""
        vp = self.viewport().rect()
        band = int(round(HEADER_H * self.transform().m22()))
        free = QRect(vp.left() + GUTTER, vp.top() + band, max(vp.width() - GUTTER, 1), max(vp.height() - band, 1))
        return self.mapToScene(free).boundingRect()

    def reveal(self, rect: QRectF):
        """Bring ``rect`` into the free part of the view. Horizontally it stays in the middle 70 % of it; when
        it leaves that band the view scrolls so that it sits a quarter in from the side it left by (the
        steps that follow in the same direction have most of the view ahead of them: fewer scrolls).
        Vertically it is kept clear of the header band."""
        free = self.free_rect()
        m = self.transform().m11()
        pad = MARGIN / max(m, 1e-6)
        dx = dy = 0.0
        x = rect.center().x()
        inner_l, inner_r = free.left() + FOLLOW_BAND * free.width(), free.right() - FOLLOW_BAND * free.width()
        if rect.width() + 2 * pad > free.width():
            dx = rect.left() - pad - free.left()
        elif x > inner_r or rect.right() + pad > free.right():
            dx = x - (free.left() + 0.25 * free.width())
        elif x < inner_l or rect.left() - pad < free.left():
            dx = x - (free.left() + 0.75 * free.width())
        if rect.top() - pad < free.top() or rect.height() + 2 * pad > free.height():
            dy = rect.top() - pad - free.top()
        elif rect.bottom() + pad > free.bottom():
            dy = rect.bottom() + pad - free.bottom()
        self._scroll_by(dx * m, dy * self.transform().m22())

    def _scroll_by(self, dx_px: float, dy_px: float):
        for bar, d in ((self.horizontalScrollBar(), dx_px), (self.verticalScrollBar(), dy_px)):
            if abs(d) >= 0.5:
                bar.setValue(bar.value() + int(round(d)))

    def _scroll_to_column(self, t):
        """Scroll so that column ``t`` sits a quarter into the free area (None: to the start, top-left)."""
        if self.layout_ is None:
            return
        if t is None:
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().minimum())
            self.verticalScrollBar().setValue(self.verticalScrollBar().minimum())
            return
        free = self.free_rect()
        x = self.layout_.col_x(t)
        self._scroll_by((x - (free.left() + 0.25 * free.width())) * self.transform().m11(), 0)

    def on_breakpoints(self, bps):
        for t, h in self.headers.items():
            h.set_breakpoint(t in bps)

    # ---- the frozen parts: kept at the top and the left edge ------------------------------------------
    def place_frozen(self):
        """Move the header band to the view's top and the row gutter to its left edge (after every scroll,
        zoom and resize). They are items: Qt repaints where they were and where they are."""
        if self.band is None or self.layout_ is None:
            return
        tl = self.mapToScene(0, 0)
        top = max(tl.y(), 0.0)
        if self.band.pos().y() != top:
            self.band.setPos(0, top)
        self.gutter.setPos(tl)
        self.gutter.sync(self.layout_, tl.y(), self.transform().m22(), self.viewport().height())

    def scrollContentsBy(self, dx, dy):
        super().scrollContentsBy(dx, dy)
        self.place_frozen()
        self._repaint_blitted_frozen(dx, dy)

    def _repaint_blitted_frozen(self, dx, dy):
        """Repaint where Qt's scroll blit copied the frozen gutter (content moved right, dx > 0) or header
        band (content moved down, dy > 0). Qt repaints the items' old and new places itself, yet a copy of the
        gutter was seen once on X, ~510 px into the graph, after the view followed the cursor back to t = 1
        while kernels compiled."""
        if self.band is None or self.gutter is None:
            return
        viewport = self.viewport().rect()
        if dx > 0:
            width = int(self.gutter.boundingRect().width()) + 2
            self.viewport().update(QRect(dx, 0, width, viewport.height()))
        if dy > 0:
            height = int(self.band.rect().height() * self.transform().m22()) + 2
            self.viewport().update(QRect(0, dy, viewport.width(), height))

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self.place_frozen()

    def showEvent(self, ev):
        super().showEvent(ev)
        self.place_frozen()

    # ---- zoom and pan --------------------------------------------------------------------------------
    def wheelEvent(self, ev):
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = 1.15 if ev.angleDelta().y() > 0 else 1 / 1.15
            self.zoom(factor)
            ev.accept()
            return
        if not ev.modifiers() & Qt.KeyboardModifier.ShiftModifier and self.verticalScrollBar().maximum() == 0:
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - ev.angleDelta().y())
            ev.accept()
            return
        super().wheelEvent(ev)

    def zoom(self, factor):
        m = self.transform().m11()
        new = max(ZOOM_MIN, min(ZOOM_MAX, m * factor))
        self.scale(new / m, new / m)
        self._zoomed(new)

    def set_zoom(self, m: float):
        self.setTransform(self.transform().fromScale(m, m))
        self._zoomed(m)

    def _zoomed(self, m):
        self._set_labels_visible(m >= LABEL_LOD)
        self.place_frozen()
        self.zoomChanged.emit(m)

    def zoom_reset(self):
        self.set_zoom(1.0)
        if self.ring is not None and self.ring.isVisible():
            self.reveal(self.ring.boundingRect())

    def fit_all(self):
        """Fit the whole sequence — but never smaller than FIT_MIN: a long one is shown at that zoom and
        scrolled to the current node (or the start)."""
        if self.layout_ is None:
            return
        vp = self.viewport().rect()
        L = self.layout_
        m = min(vp.width() / L.width, vp.height() / L.height)
        self.set_zoom(max(FIT_MIN, min(1.0, m)))
        if self.ring is not None and self.ring.isVisible():
            self.reveal(self.ring.boundingRect())
        else:
            self._scroll_to_column(None)

    def _set_labels_visible(self, on):
        self.labels_visible = on
        for n in self.nodes.values():
            n.label.setVisible(on)
        for a in self.arrows.values():
            if a.label is not None:
                a.label.setVisible(on)

    def center_on_column(self, t):
        if self.layout_ is None:
            return
        x = self.layout_.col_x(t)
        c = self.mapToScene(self.viewport().rect().center())
        self.centerOn(x, c.y())

