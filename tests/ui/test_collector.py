"""Garbage collection on the GUI thread only (ui.app.GuiThreadCollector, collect_due)."""
import gc
import weakref

from ui.app import GuiThreadCollector, collect_due


class Node:
    pass


def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_collect_due_collects_what_automatic_collection_would():
    thresholds = gc.get_threshold()
    try:
        gc.disable()
        gc.collect()
        gc.set_threshold(10_000, 10, 10)
        gone = cycle()
        assert collect_due() == 0 and gone() is not None          # below the threshold: nothing yet
        gc.set_threshold(1, 10, 10)
        gone_too = cycle()
        assert collect_due() >= 2 and gone() is None and gone_too() is None
    finally:
        gc.set_threshold(*thresholds)


def test_the_collector_turns_automatic_collection_off_and_collects_on_its_timer(qtbot):
    thresholds = gc.get_threshold()
    try:
        gc.enable()
        collector = GuiThreadCollector(interval_ms=10)
        assert not gc.isenabled() and collector.timer.isActive()
        gc.set_threshold(1, 10, 10)
        gone = cycle()
        qtbot.waitUntil(lambda: gone() is None, timeout=5000)
        collector.timer.stop()
    finally:
        gc.set_threshold(*thresholds)
        gc.disable()
