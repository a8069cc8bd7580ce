"""What the fuzz tests (tests/engine/test_fuzz_*.py) share: the two profiles, the checks every case must
pass, the figures they report, and strategies for the values people and attackers type.

Every case asserts only this: the call succeeds or raises exactly the engine's error type for it; the
message is one printable line of at most ~200 characters; the case took less than its time bound; the
Python memory it allocated (tracemalloc's peak) stayed under its memory bound.

- the short profile runs in every ``pytest`` run: ``SHORT_EXAMPLES`` cases per loader, derandomized (the
  same cases every run);
- the long profile runs under ``pytest -m fuzz``: ``LONG_EXAMPLES`` random cases per loader. Set
  ``RNNSIM_FUZZ_STATS=<file>`` to have each fuzz module append its figures (cases, successes, refusals,
  slowest refusal) to that file as JSON lines; ``RNNSIM_FUZZ_EXAMPLES=<n>`` changes the long profile's count.
"""
from __future__ import annotations

import json
import math
import os
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from rnnsim.limits import MAX_MESSAGE_CHARS

SHORT_EXAMPLES = 30
LONG_EXAMPLES = int(os.environ.get("RNNSIM_FUZZ_EXAMPLES", "10000"))      # the variable: for a quicker look
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
           HealthCheck.function_scoped_fixture, HealthCheck.large_base_example]
SHORT = settings(max_examples=SHORT_EXAMPLES, deadline=None, database=None, derandomize=True,
                 suppress_health_check=_HEALTH, print_blob=False)
LONG = settings(max_examples=LONG_EXAMPLES, deadline=None, database=None, suppress_health_check=_HEALTH,
                print_blob=True)
#: pytest-timeout's bound for one long-profile test (the project default, 900 s, is for ordinary tests)
LONG_TIMEOUT = 4 * 3600


def message_ok(message: str) -> None:
    assert message, "an empty message"
    assert "\n" not in message and "\r" not in message, repr(message)
    assert all(ch.isprintable() for ch in message), repr(message)
    assert len(message) <= MAX_MESSAGE_CHARS + 24, (len(message), message)
    assert "Traceback" not in message, message


class Recorder:
    """Runs cases under the bounds and keeps the figures of one loader."""

    def __init__(self, name, error, seconds, megabytes):
        self.name, self.error, self.seconds, self.limit = name, error, seconds, megabytes * 2 ** 20
        self.cases = self.ok = self.refused = 0
        self.slowest = (0.0, "")
        self.peak = 0
        self.started = time.perf_counter()

    def run(self, call):
        """``call()``; returns its result, or None when it raised ``self.error`` (checked)."""
        tracing = tracemalloc.is_tracing()
        if not tracing:
            tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        start = time.perf_counter()
        result = failure = None
        try:
            result = call()
        except self.error as exc:
            failure = exc
        finally:
            elapsed = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1] - base
            if not tracing:
                tracemalloc.stop()
        self.cases += 1
        self.peak = max(self.peak, peak)
        assert elapsed < self.seconds, f"{self.name}: a case took {elapsed:.2f} s (bound {self.seconds} s)"
        assert peak < self.limit, f"{self.name}: a case allocated {peak / 2 ** 20:.0f} MiB"
        if failure is None:
            self.ok += 1
            return result
        assert type(failure) is self.error, (type(failure), failure)
        message_ok(str(failure))
        self.refused += 1
        if elapsed > self.slowest[0]:
            self.slowest = (elapsed, str(failure))
        return None

    def refusal(self, elapsed, message):
        """Count a refusal checked elsewhere (the command line's exit 2 and stderr line)."""
        self.refused += 1
        if elapsed > self.slowest[0]:
            self.slowest = (elapsed, message)

    def figures(self) -> dict:
        return {"loader": self.name, "cases": self.cases, "succeeded": self.ok, "refused": self.refused,
                "seconds": round(time.perf_counter() - self.started, 1),
                "slowest_refusal_s": round(self.slowest[0], 4), "slowest_refusal": self.slowest[1],
                "peak_MiB": round(self.peak / 2 ** 20, 1)}


def report(recorders) -> None:
    """Append the figures to $RNNSIM_FUZZ_STATS (one JSON object per loader and run) when it is set."""
    path = os.environ.get("RNNSIM_FUZZ_STATS")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for recorder in recorders:
            if recorder.cases:
                fh.write(json.dumps(recorder.figures(), ensure_ascii=False) + "\n")


def profiles(name):
    """(short, long) markers for a pair of tests sharing one property: pytest.param ids and marks."""
    quiet = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")   # a long failing example
    return [pytest.param(SHORT, id=f"{name}-short", marks=[quiet]),
            pytest.param(LONG, id=f"{name}-long", marks=[quiet, pytest.mark.fuzz, pytest.mark.timeout(LONG_TIMEOUT)])]


# ---- values people and attackers type -----------------------------------------------------------------
SPECIAL_INTS = [0, 1, 2, 3, -1, 7, 64, 65, 4095, 4096, 4097, 10 ** 6, 10 ** 7, 2 ** 31, 2 ** 32, 2 ** 63 - 1,
                2 ** 63, 2 ** 64 - 1, 2 ** 64, -2 ** 63, 10 ** 30, 10 ** 400]
SPECIAL_FLOATS = [0.0, -0.0, 0.5, 1e-300, 5e-324, 1e155, 1e300, 1.7976931348623157e308, math.inf, -math.inf,
                  math.nan, 0.1, -1.5, 2.5]

json_scalars = (st.none() | st.booleans() | st.sampled_from(SPECIAL_INTS) | st.integers(-5, 20)
                | st.sampled_from(SPECIAL_FLOATS) | st.floats() | st.text(max_size=12)
                | st.sampled_from(["NaN", "Infinity", "-Infinity", "lstm", "gru", "sequence", "last", "mse",
                                   "cross_entropy", "sgd", "adam", "rprop", "", "\x00", "é\u202e"]))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=8)

number_texts = st.one_of(
    st.sampled_from(["0", "1", "-1", "1.5", "-0", "1e3", "1E-3", ".5", "5.", "+2", "1_000", "0x10", "١٢٣", "nan",
                     "-nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e-400", "9" * 30, "9" * 400,
                     "99999999999999999999999", "1e9", "1e6", "2.5e0", " 3 ", "", "-", "--1", "e5", "1e",
                     "1,2", "-1,2", "0 1, 1 0", "\x00", "\x1b[31m", "3\n4"]),
    st.integers(-10, 10).map(str), st.sampled_from(SPECIAL_INTS).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet="0123456789.-+eE_, x\t", max_size=12))
