"""Debugger controls: the actions (with shortcuts), the toolbar, the timeline over every Tape event,
and Play with adjustable speed. The controls only move the Session's cursor."""
from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QSlider, QStyle, QToolBar, QToolTip, QWidget)

from . import theme
from .session import Session


class Timeline(QWidget):
    """A strip over every event of the Tape, coloured by phase; click or drag to move the cursor."""

    seekRequested = Signal(int)

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setMinimumHeight(30)
        self.setMinimumWidth(240)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("The timeline: every event of the Tape in order — forward (blue), loss (orange), "
                        "backpropagation (purple), update (green).\nClick or drag to jump; red ticks are breakpoints.")
        self._phases: list[tuple[int, int, str]] = []
        self._bp_events: list[int] = []
        session.tapeChanged.connect(self._on_tape)
        session.cursorChanged.connect(lambda _: self.update())
        session.breakpointsChanged.connect(lambda _: self._on_breakpoints())

    def _on_tape(self, session):
        events = session.tape.events
        runs = []
        for e in events:
            if runs and runs[-1][2] == e.phase:
                runs[-1][1] = e.index
            else:
                runs.append([e.index, e.index, e.phase])
        self._phases = [tuple(r) for r in runs]
        self._on_breakpoints()

    def _on_breakpoints(self):
        tape = self.session.tape
        bps = self.session.breakpoints
        self._bp_events = [e.index for e in tape.events if e.t is not None and e.t in bps] if tape else []
        self.update()

    def _count(self):
        tape = self.session.tape
        return len(tape.events) if tape is not None else 0

    def _x(self, index):
        n = self._count()
        w = self.width() - 12
        return 6 + (index + 0.5) / max(n, 1) * w

    def _index_at(self, x):
        n = self._count()
        if n == 0:
            return -1
        w = self.width() - 12
        return max(0, min(n - 1, int((x - 6) / w * n)))

    def paintEvent(self, _):
        p = QPainter(self)
        p.fillRect(self.rect(), theme.PAPER)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        n = self._count()
        h = self.height()
        bar = QRectF(6, 8, self.width() - 12, h - 14)
        p.fillRect(bar, theme.SOFT)
        if n == 0:
            return
        w = bar.width() / n
        cursor = self.session.cursor
        font = theme.ui_font(8)
        p.setFont(font)
        for start, stop, phase in self._phases:
            r = QRectF(bar.left() + start * w, bar.top(), (stop - start + 1) * w, bar.height())
            col = QColor(theme.PHASE[phase])
            done = QColor(col)
            col.setAlpha(70)
            p.fillRect(r, col)
            if cursor >= start:
                upto = min(cursor, stop)
                p.fillRect(QRectF(r.left(), r.top(), (upto - start + 1) * w, r.height()), done)
            label = {"forward": "forward", "loss": "L", "backward": "BPTT", "update": "update"}[phase]
            if p.fontMetrics().horizontalAdvance(label) + 6 < r.width():
                p.setPen(theme.INK if cursor < start else QColor("white"))
                p.drawText(r, Qt.AlignmentFlag.AlignCenter, label)
        p.setPen(QPen(theme.BREAKPOINT, 2))
        for i in self._bp_events:
            x = self._x(i)
            p.drawLine(int(x), 1, int(x), 7)
        if cursor >= 0:
            x = self._x(cursor)
            p.setPen(QPen(theme.INK, 2))
            p.drawLine(int(x), int(bar.top()) - 2, int(x), int(bar.bottom()) + 2)
            p.setBrush(theme.ACCENT)
            p.setPen(QPen(theme.INK, 1))
            p.drawPolygon(QPolygonF([_pt(x - 5, h), _pt(x + 5, h), _pt(x, h - 6)]))

    def mousePressEvent(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            self.session.seek(self._index_at(ev.position().x()))

    def mouseMoveEvent(self, ev):
        if ev.buttons() & Qt.MouseButton.LeftButton:
            self.session.seek(self._index_at(ev.position().x()))
        tape = self.session.tape
        if tape is not None and tape.events:
            e = tape.events[self._index_at(ev.position().x())]
            QToolTip.showText(ev.globalPosition().toPoint(), f"{e.index + 1}: {e.title}", self)

    def sizeHint(self):
        return QSize(600, 30)


def _pt(x, y):
    from PySide6.QtCore import QPointF
    return QPointF(x, y)


class Debugger(QToolBar):
    """The debugger toolbar: actions, timeline, event label and Play speed."""

    def __init__(self, session: Session, parent=None):
        super().__init__("Debugger", parent)
        self.session = session
        self.setObjectName("debugger")
        self.setMovable(False)
        self.setIconSize(QSize(16, 16))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style = self.style()
        sp = QStyle.StandardPixmap

        def action(text, slot, keys, tip, icon=None, checkable=False):
            a = QAction(text, self)
            if icon is not None:
                a.setIcon(style.standardIcon(icon))
            if keys:
                seqs = [QKeySequence(k) for k in (keys if isinstance(keys, (list, tuple)) else [keys])]
                a.setShortcuts(seqs)
                a.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
                tip = f"{tip}  ({seqs[0].toString()})"
            a.setToolTip(tip)
            a.setStatusTip(tip)
            a.setCheckable(checkable)
            a.triggered.connect(slot)
            return a

        self.reset = action("Reset", session.reset_cursor, "Home",
                            "Back to the start: before the first forward step (nothing computed yet)",
                            sp.SP_MediaSkipBackward)
        self.back = action("Back", session.step_back, "Shift+F10",
                           "Step back one event (rewinds the recording; nothing is recomputed)",
                           sp.SP_MediaSeekBackward)
        self.step = action("Step", session.step, "F10",
                           "Step one event: one timestep of one layer forward, or one step of BPTT backward",
                           sp.SP_MediaSeekForward)
        self.continue_ = action("Continue", session.continue_, "F5",
                                "Run to the next breakpoint, or else to the end of the current phase",
                                sp.SP_MediaSkipForward)
        self.to_loss = action("To loss", session.run_to_loss, "Ctrl+L",
                              "Run the forward pass to the end and compute the loss L")
        self.to_bptt = action("To end of BPTT", session.run_to_end_of_backward, "Ctrl+B",
                              "Run backpropagation through time all the way back to t = 1")
        self.to_end = action("To end", lambda: session.seek(len(session.tape.events) - 1) if session.tape else None,
                             "End", "Jump to the last event (the last parameter update)")
        self.apply = action("Apply update", session.apply_update, "Ctrl+U",
                            "Make the recorded update real: the weights change and a new Tape is recorded "
                            "(the loss should drop)", sp.SP_DialogApplyButton)
        self.play = action("Play", self.toggle_play, "Space",
                           "Play the Tape event by event at the chosen speed; stops at breakpoints",
                           sp.SP_MediaPlay, checkable=True)
        self.breakpoint = action("Breakpoint", self.toggle_breakpoint_here, "F9",
                                 "Toggle a breakpoint at the current timestep (or click a timestep header)")
        self.clear_bps = action("Clear breakpoints", session.clear_breakpoints, "Ctrl+Shift+F9",
                                "Remove every breakpoint")
        self.new_weights = action("⟳ New weights", session.accept_offer, None,
                                  "Training has changed the weights: step through them (a new Tape; you lose your "
                                  "place in this one)")
        for a in (self.reset, self.back, self.step, self.continue_, self.play):
            self.addAction(a)
        self.addSeparator()
        for a in (self.to_loss, self.to_bptt, self.apply):
            self.addAction(a)
        self.new_weights_item = self.addAction(self.new_weights)
        self.new_weights.setVisible(False)
        session.weightsOffered.connect(self._on_offer)
        self.addSeparator()
        self.timeline = Timeline(session, self)
        self.addWidget(self.timeline)
        speed_box = QWidget(self)
        lay = QHBoxLayout(speed_box)
        lay.setContentsMargins(6, 0, 6, 0)
        lbl = QLabel("Speed")
        lbl.setObjectName("hint")
        lay.addWidget(lbl)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(1, 60)
        self.speed.setValue(6)
        self.speed.setFixedWidth(90)
        self.speed.setToolTip("Play speed: events per second")
        self.speed.valueChanged.connect(self._speed_changed)
        lay.addWidget(self.speed)
        self.speed_label = QLabel()
        self.speed_label.setMinimumWidth(44)
        lay.addWidget(self.speed_label)
        self.addWidget(speed_box)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self._speed_changed(self.speed.value())
        self.all_actions = [self.reset, self.back, self.step, self.continue_, self.play, self.to_loss,
                            self.to_bptt, self.to_end, self.apply, self.breakpoint, self.clear_bps]
        session.cursorChanged.connect(self._update_enabled)
        session.tapeChanged.connect(lambda _: self._update_enabled())
        session.busyChanged.connect(lambda _: self._update_enabled())
        session.training.stateChanged.connect(lambda _: self._update_enabled())
        self._update_enabled()

    def _on_offer(self, text: str):
        """The session offers the weights training reached ('' withdraws the offer)."""
        self.new_weights.setVisible(bool(text))
        if text:
            self.new_weights.setToolTip(f"{text}: step through them (a new Tape; you lose your place in this one)")

    # ---- play -----------------------------------------------------------------------------------
    def _speed_changed(self, v):
        self.speed_label.setText(f"{v}/s")
        self.timer.setInterval(int(1000 / v))

    def toggle_play(self, checked=None):
        playing = self.timer.isActive()
        if checked is None:
            checked = not playing
        if checked and not self.session.at_end:
            self.timer.start()
            self.play.setChecked(True)
            self.play.setText("Pause")
            self.play.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        else:
            self.stop_play()

    def stop_play(self):
        self.timer.stop()
        self.play.setChecked(False)
        self.play.setText("Play")
        self.play.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))

    def _tick(self):
        s = self.session
        if s.tape is None or s.at_end:
            self.stop_play()
            return
        s.step()
        if s.at_end or s.is_breakpoint_event(s.current):
            self.stop_play()

    def toggle_breakpoint_here(self):
        e = self.session.current
        if e is not None and e.t is not None:
            self.session.toggle_breakpoint(e.t)

    def _update_enabled(self, *_):
        s = self.session
        has = s.tape is not None
        busy = s.recorder.busy
        at_start = not has or s.cursor < 0
        self.reset.setEnabled(has and not at_start)
        self.back.setEnabled(has and not at_start)
        for a in (self.step, self.continue_, self.play, self.to_end):
            a.setEnabled(has and not s.at_end)
        if self.timer.isActive() and s.at_end:
            self.stop_play()
        self.play.setEnabled(has and (not s.at_end or self.timer.isActive()))
        phases = {e.phase for e in s.tape.events} if has else set()
        self.to_loss.setEnabled(has and "loss" in phases)
        self.to_bptt.setEnabled(has and "backward" in phases)
        self.apply.setEnabled(has and "update" in phases and not busy and not s.training.running)
        self.breakpoint.setEnabled(has and s.current is not None and s.current.t is not None)
