"""Shared by the engine and UI tests.

Qt must render offscreen when there is no display: without it a pytest-qt run aborts the whole process
(docs/pitfalls.md). pytest-qt creates the QApplication lazily, so setting the platform here, before any
test runs, is enough.

Under CI (``CI=true``, as .ci/run is run) a test that needs PyTorch may not skip: the live comparisons
with PyTorch would otherwise vanish unseen when its install broke. A module skipped because
``pytest.importorskip("torch")`` failed, and a test marked ``torch`` that skipped, fail there instead.
"""
import os

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
