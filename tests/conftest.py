"""Shared by the engine and UI tests.

Qt must render offscreen when there is no display: without it a pytest-qt run aborts the whole process
(docs/pitfalls.md). pytest-qt creates the QApplication lazily, so setting the platform here, before any
test runs, is enough.

After a test has failed, pytest (faulthandler_timeout) and pytest-timeout cancel their timers for the rest
of it, so a teardown that then hangs — a window whose closeEvent opens a modal dialog — would stall the run
with no word. A watchdog armed on failure prints the failure and every thread's stack and ends the run
after ``AFTER_FAILURE_TIMEOUT`` seconds.

Under CI (``CI=true``, as .ci/run is run) a test that needs PyTorch may not skip: the live comparisons
with PyTorch would otherwise vanish unseen when its install broke. A module skipped because
``pytest.importorskip("torch")`` failed, and a test marked ``torch`` that skipped, fail there instead.
"""
import faulthandler
import os
import sys
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TORCH_MISSING = "could not import 'torch'"       # pytest.importorskip's reason
NOT_SKIPPED_IN_CI = ("PyTorch is needed here and CI=true: a test that compares with PyTorch may not skip "
                     "in CI (.ci/run installs torch==2.13.0). Skip reason: ")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:       # (path, line, "Skipped: reason")
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    if in_ci() and report.skipped and TORCH_MISSING in _skip_reason(report):
        report.outcome = "failed"
        report.longrepr = NOT_SKIPPED_IN_CI + _skip_reason(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if in_ci() and report.skipped and not hasattr(report, "wasxfail") and (
            item.get_closest_marker("torch") is not None or TORCH_MISSING in _skip_reason(report)):
        report.outcome = "failed"
        report.longrepr = NOT_SKIPPED_IN_CI + _skip_reason(report)
    return report


AFTER_FAILURE_TIMEOUT = 120
_watchdog = None


def _hung_after_failure(config, nodeid, text):
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.suspend_global_capture(in_=True)     # the terminal again, as pytest-timeout does
    err = sys.stderr
    err.write(f"\n\n{nodeid} failed, then hung for {AFTER_FAILURE_TIMEOUT} s (in its teardown?); the failure:\n"
              f"{text}\n\nevery thread's stack:\n")
    err.flush()
    faulthandler.dump_traceback(file=err, all_threads=True)
    err.flush()
    os._exit(1)


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node, call, report):
    global _watchdog
    if node.config.getoption("usepdb", False) or _watchdog is not None:
        return
    _watchdog = threading.Timer(AFTER_FAILURE_TIMEOUT, _hung_after_failure,
                                (node.config, node.nodeid, report.longreprtext))
    _watchdog.daemon = True
    _watchdog.start()


def pytest_runtest_logfinish(nodeid, location):
    global _watchdog
    if _watchdog is not None:
        _watchdog.cancel()
        _watchdog = None
