"""A failed test whose teardown hangs ends the run with the failure and every stack (tests/conftest.py),
instead of stalling it: run pytest on a small folder that uses the suite's conftest with a 2 s watchdog."""
import os
import pathlib
import subprocess
import sys

CONFTEST = pathlib.Path(__file__).resolve().parents[1] / "conftest.py"

HANGS = '''import threading

import pytest


@pytest.fixture
def stuck_teardown():
    yield
    threading.Event().wait()          # a modal dialog in a closeEvent, say: never returns


def test_fails_then_hangs(stuck_teardown):
    assert 1 + 1 == 3, "the failure the watchdog must print"


def test_never_reached():
    pass
'''

FAILS_CLEANLY = '''def test_fails():
    assert 1 + 1 == 3


def test_passes_after_the_failure():
    pass
'''


def _run(tmp_path, test_text):
    source = CONFTEST.read_text(encoding="utf-8")
    assert "AFTER_FAILURE_TIMEOUT = 120" in source
    (tmp_path / "conftest.py").write_text(source.replace("AFTER_FAILURE_TIMEOUT = 120", "AFTER_FAILURE_TIMEOUT = 2"),
                                          encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_it.py").write_text(test_text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST_")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:timeout",
                           "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_a_hang_after_a_failure_ends_the_run_with_the_failure(tmp_path):
    proc = _run(tmp_path, HANGS)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "test_it.py::test_fails_then_hangs failed, then hung for 2 s" in out, out
    assert "the failure the watchdog must print" in out and "every thread's stack" in out, out
    assert "in stuck_teardown" in out, out            # the stack shows where it hung


def test_a_failure_that_does_not_hang_is_reported_as_usual(tmp_path):
    proc = _run(tmp_path, FAILS_CLEANLY)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "1 failed, 1 passed" in out and "then hung" not in out, out
