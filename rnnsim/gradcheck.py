"""Gradient checking: BPTT gradients against central differences, parameter by parameter.

With truncated BPTT the engine's gradient is the exact gradient of a slightly different
function — the loss with the hidden state held fixed where each window starts. The numeric side
differentiates exactly that function (``network.forward(frozen=...)``), so truncation is checked
as strictly as full BPTT. The L2 term l2/2·Σw² over the weight matrices (training's weight_decay)
is part of both sides.

Two entry points:

- :func:`gradcheck` (and :func:`numeric_grads`, :func:`compare`): every element of every parameter,
  a :class:`GradcheckResult` of one relative error per parameter — the grid tests and the command
  line's random problems;
- :func:`check_gradients`: the check a learner runs on a model's own data, as P. Roelants'
  counting-ones tutorial does it (central differences, eps = 1e-7, "No gradient errors found"). It
  reports per parameter how many elements were checked, the relative error, the worst element with
  its analytic and numeric values, and pass or fail (:class:`GradientReport`). For large models it
  checks a seeded sample of ``max_elements`` elements per parameter and the first ``max_sequences``
  sequences, and it reports progress through a callback that can stop it.

A central difference costs two forward passes over all the sequences used, per element checked.

An encoder–decoder model is checked the same way with its ``decoder_input`` (batch, M,
decoder_input_size): the function is ``Model.loss(x, target, decoder_input=d)`` — teacher forcing, the
gradient flowing from the decoder through the context into the encoder; truncation is refused for it
(ConfigError), as ``Model.loss_and_grads`` refuses it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import losses, network
from .errors import ConfigError, shown
from .model import Model, check_truncate

# eps 1e-4 balances the two errors of a central difference in float64: truncation ~eps² and
# round-off ~1e-16·|L|/eps, which at 1e-6 already rivals the tiny gradients of deep stacks.
EPS = 1e-4
TOLERANCE = 1e-6
#: the step of P. Roelants' counting-ones tutorial, which the app offers first
LESSON_EPS = 1e-7
#: the tutorial's words when every gradient agrees
NO_ERRORS = "No gradient errors found"
#: a failing parameter whose largest difference is within this many times the round-off of a central
#: difference (:attr:`GradientReport.round_off`) is reported as probably round-off, not a wrong gradient;
#: measured on the built-in tasks' models at eps 1e-7…1e-9, round-off alone reached 0.3–1.3 times it
ROUND_OFF_MARGIN = 4.0


@dataclass
class GradcheckResult:
    parameters: dict          # name -> relative error
    max_rel_error: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return bool(self.max_rel_error <= self.tolerance)

    def to_json(self) -> dict:
        return {"max_rel_error": self.max_rel_error, "tolerance": self.tolerance,
                "passed": self.passed, "parameters": self.parameters}


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖a − n‖ / max(‖a‖ + ‖n‖, 1e-12): 0 for equal arrays, ~1 for unrelated ones."""
    return float(np.linalg.norm(analytic - numeric) / max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-12))


def _l2_term(l2, params) -> float:
    return 0.5 * l2 * sum(float(np.sum(w * w)) for k, w in params.items() if ".weight" in k) if l2 else 0.0


def _refuse_truncation(model: Model, truncate) -> None:
    if truncate is not None and model.spec.is_seq2seq:
        raise ConfigError("truncated BPTT is not available for an encoder–decoder model (it trains with full "
                          "BPTT through the decoder and the encoder)")


def loss_function(model: Model, x, target, truncate=None, l2=0.0, decoder_input=None):
    """The scalar function whose gradient ``loss_and_grads`` returns, as a closure over params."""
    spec = model.spec
    x = model.check_input(x)
    decoder_x = model.check_decoder_input(decoder_input, x)
    target = model.check_target(target, x, decoder_x)
    _refuse_truncation(model, truncate)
    if decoder_x is not None:                       # an encoder–decoder: L(fc(decoder(d; encoder(x)))) + L2
        x_tm, d_tm, tgt = network.to_time_major(x), network.to_time_major(decoder_x), network.to_time_major(target)

        def f_seq2seq(params):
            output = network.forward(spec, params, x_tm, decoder_x=d_tm).output
            return losses.compute(spec.loss, output, tgt, spec.reduction)[0] + _l2_term(l2, params)

        return f_seq2seq
    x_tm = network.to_time_major(x)
    tgt = network.to_time_major(target) if spec.output == "sequence" else target
    frozen = network.forward(spec, model.params, x_tm) if truncate else None

    def f(params):
        fp = network.forward(spec, params, x_tm, frozen=frozen, truncate=truncate)
        loss, _ = losses.compute(spec.loss, fp.output, tgt, spec.reduction)
        return loss + _l2_term(l2, params)

    return f


def _central_difference(f, params: dict, flat: np.ndarray, i: int, eps: float) -> float:
    """(f(θ + ε·e_i) − f(θ − ε·e_i)) / 2ε, where ``flat`` is a flat view of one array of ``params``;
    the element is restored afterwards."""
    keep = flat[i]
    flat[i] = keep + eps
    up = f(params)
    flat[i] = keep - eps
    down = f(params)
    flat[i] = keep
    return (up - down) / (2 * eps)


def numeric_grads(model: Model, x, target, truncate=None, l2=0.0, eps=EPS, decoder_input=None) -> dict:
    """Central differences (f(θ+ε) − f(θ−ε)) / 2ε for every element of every parameter."""
    truncate = check_truncate(truncate)
    f = loss_function(model, x, target, truncate, l2, decoder_input)
    params = {k: v.copy() for k, v in model.params.items()}
    grads = {}
    for name, value in params.items():
        g = np.empty_like(value)
        flat, gflat = value.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            gflat[i] = _central_difference(f, params, flat, i, eps)
        grads[name] = g
    return grads


def compare(analytic: dict, numeric: dict, tolerance=TOLERANCE) -> GradcheckResult:
    errors = {name: relative_error(analytic[name], numeric[name]) for name in numeric}
    return GradcheckResult(errors, max(errors.values(), default=0.0), tolerance)


def gradcheck(model: Model, x, target, truncate=None, l2=0.0, eps=EPS, tolerance=TOLERANCE,
              decoder_input=None) -> GradcheckResult:
    """Check ``model.loss_and_grads`` against central differences on (x, target) (and ``decoder_input``
    (batch, M, decoder_input_size) for an encoder–decoder model)."""
    seq2seq = {} if decoder_input is None else {"decoder_input": decoder_input}
    _, analytic = analytic_grads(model, x, target, truncate=truncate, l2=l2, **seq2seq)
    return compare(analytic, numeric_grads(model, x, target, truncate, l2, eps, decoder_input), tolerance)


def random_problem(model: Model, batch=2, steps=5, seed=0, decoder_steps=None):
    """A random input (batch, steps, input_size) and a target of the right kind for ``model``.

    Returns (x, target) for a plain model; for an encoder–decoder model (x, target, decoder_input) with a
    random decoder_input (batch, M, decoder_input_size), M = ``decoder_steps`` (default: ``steps`` + 1, so
    that N ≠ M), and the target over the M decoder steps."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, model.spec.input_size))
    seq2seq = model.spec.is_seq2seq
    out_steps = (decoder_steps or steps + 1) if seq2seq else steps
    decoder_input = rng.standard_normal((batch, out_steps, model.spec.decoder_inputs)) if seq2seq else None
    shape = model.output_shape(batch, out_steps)
    if model.spec.loss != "cross_entropy":
        target = rng.standard_normal(shape)
    else:
        target = rng.integers(0, model.spec.output_size, size=shape[:-1])
    return (x, target, decoder_input) if seq2seq else (x, target)


# ---- the check on a model's own data, with a report --------------------------------------------

class GradcheckCancelled(Exception):
    """``check_gradients`` stopped because its progress callback returned False (not an error)."""

    def __init__(self, done: int, total: int):
        super().__init__(f"gradient check cancelled after {done} of {total} elements")
        self.done, self.total = done, total


@dataclass(frozen=True)
class ParameterCheck:
    """One parameter's line of the report.

    ``rel_error`` = ‖a − n‖ / (‖a‖ + ‖n‖) over the ``checked`` elements (a: BPTT, n: central
    differences), the parameter's verdict: it passes when ``rel_error ≤ tolerance``. The worst element
    is the one with the largest |a_i − n_i| (``max_abs_error``), at ``worst_index`` into ``shape``;
    ``analytic`` and ``numeric`` are the two gradients there.
    """

    name: str
    shape: tuple
    checked: int
    rel_error: float
    max_abs_error: float
    worst_index: tuple
    analytic: float
    numeric: float
    tolerance: float

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def passed(self) -> bool:
        return bool(self.rel_error <= self.tolerance)          # NaN fails

    def to_json(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "size": self.size, "checked": self.checked,
                "rel_error": self.rel_error, "max_abs_error": self.max_abs_error,
                "worst_index": list(self.worst_index), "analytic": self.analytic, "numeric": self.numeric,
                "passed": self.passed}


@dataclass(frozen=True)
class GradientReport:
    """What :func:`check_gradients` found: one :class:`ParameterCheck` per parameter (the model's order)
    and the conditions of the check — ``sequences`` × ``steps`` of data, the step ``eps``, the
    ``tolerance``, the BPTT window ``truncate`` (None: full), the L2 factor ``l2``, ``max_elements``
    (None: every element) and the ``seed`` of the sample; for an encoder–decoder model ``steps`` are the
    encoder's N and ``decoder_steps`` the decoder's M (None for a plain model)."""

    parameters: tuple
    eps: float
    tolerance: float
    sequences: int
    steps: int
    truncate: int | None
    l2: float
    max_elements: int | None
    seed: int
    loss: float
    decoder_steps: int | None = None
    failing: tuple = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "failing", tuple(p.name for p in self.parameters if not p.passed))

    @property
    def passed(self) -> bool:
        return not self.failing

    @property
    def max_rel_error(self) -> float:
        errors = [p.rel_error for p in self.parameters]
        return float("nan") if any(math.isnan(e) for e in errors) else max(errors, default=0.0)

    @property
    def checked(self) -> int:
        return sum(p.checked for p in self.parameters)

    @property
    def size(self) -> int:
        return sum(p.size for p in self.parameters)

    @property
    def forward_passes(self) -> int:
        """Forward passes the central differences ran (two per element checked)."""
        return 2 * self.checked

    @property
    def verdict(self) -> str:
        """"No gradient errors found" (the tutorial's words), or which parameter fails and where:
        "Gradient error in rnn.weight_hh_l0: the numerical gradient 0.5 is not close to the
        backpropagation gradient 0.6 at [0, 0] (relative error 9.1e-02 > tolerance 1e-06)"."""
        if self.passed:
            return NO_ERRORS
        failing = [p for p in self.parameters if not p.passed]
        worst = max(failing, key=lambda p: -math.inf if math.isnan(p.rel_error) else p.rel_error)
        if math.isnan(worst.rel_error):
            worst = next(p for p in failing if math.isnan(p.rel_error))
        where = ", ".join(str(i) for i in worst.worst_index)
        names = ", ".join(p.name for p in failing)
        return (f"Gradient error{'s' if len(failing) > 1 else ''} in {names}: the numerical gradient "
                f"{worst.numeric:.6g} is not close to the backpropagation gradient {worst.analytic:.6g} at "
                f"{worst.name}[{where}] (relative error {worst.rel_error:.1e} > tolerance {self.tolerance:.0e})")

    @property
    def round_off(self) -> float:
        """The error rounding alone gives a central difference, per element: about u·|L|/eps (u = 2.2e-16,
        float64's relative precision; L the loss) — the reason a very small eps fails on large losses."""
        return float(np.finfo(np.float64).eps * abs(self.loss) / self.eps)

    @property
    def advice(self) -> str:
        """Empty when the check passed or a failure is larger than round-off; else why a smaller
        difference than the tolerance allows is probably rounding, and what to try."""
        failing = [p for p in self.parameters if not p.passed]
        if not failing or not all(p.max_abs_error <= ROUND_OFF_MARGIN * self.round_off for p in failing):
            return ""
        largest = max(p.max_abs_error for p in failing)
        return (f"The differences (at most {largest:.1e}) are no larger than rounding alone gives at eps "
                f"{self.eps:g} (about 2.2e-16·|L|/eps = {self.round_off:.1e}): check again with a larger eps, "
                f"e.g. 1e-4, before suspecting the gradient")

    @property
    def summary(self) -> str:
        """What was checked, in one line: elements, sequences, eps, truncation and L2."""
        sample = "" if self.checked == self.size else f" (a sample of at most {self.max_elements} per parameter, seed {self.seed})"
        window = f", truncated BPTT every {self.truncate} steps" if self.truncate else ""
        decay = f", L2 {self.l2:g}" if self.l2 else ""
        return (f"{self.checked} of {self.size} elements{sample} in {len(self.parameters)} parameters, on "
                f"{self.sequences} sequence{'s' * (self.sequences != 1)} of {self._steps_words}; "
                f"eps {self.eps:g}{window}{decay}; {self.forward_passes} forward passes")

    @property
    def _steps_words(self) -> str:
        if self.decoder_steps is None:
            return f"{self.steps} steps"
        return f"{self.steps} encoder and {self.decoder_steps} decoder steps (teacher forcing)"

    def result(self) -> GradcheckResult:
        """The same check as a :class:`GradcheckResult` (one relative error per parameter)."""
        return GradcheckResult({p.name: p.rel_error for p in self.parameters}, self.max_rel_error, self.tolerance)

    def to_json(self) -> dict:
        """``GradcheckResult.to_json``'s keys, plus the verdict, the conditions and every parameter's line."""
        return {**self.result().to_json(), "passed": self.passed, "verdict": self.verdict, "advice": self.advice,
                "eps": self.eps, "round_off": self.round_off,
                "sequences": self.sequences, "steps": self.steps,
                "decoder_steps": self.decoder_steps, "truncate": self.truncate, "l2": self.l2,
                "max_elements": self.max_elements, "seed": self.seed, "loss": self.loss, "checked": self.checked,
                "size": self.size, "forward_passes": self.forward_passes,
                "details": [p.to_json() for p in self.parameters]}


def analytic_grads(model: Model, x, target, truncate=None, l2=0.0, decoder_input=None) -> tuple[float, dict]:
    """The gradient under test: BPTT, ``model.loss_and_grads`` → (loss, {name: array}); ``decoder_input``
    only for an encoder–decoder model (a plain model's call is unchanged)."""
    if decoder_input is None:
        return model.loss_and_grads(x, target, truncate=truncate, l2=l2)
    return model.loss_and_grads(x, target, truncate=truncate, l2=l2, decoder_input=decoder_input)


def sample_indices(size: int, max_elements: int | None, seed: int, position: int) -> np.ndarray:
    """The flat indices checked in a parameter of ``size`` elements: all of them when ``max_elements`` is
    None or ≥ size; else ``max_elements`` distinct ones drawn by ``default_rng([seed, position])``
    (``position``: the parameter's place in the model), sorted — the same seed, the same sample."""
    if max_elements is None or max_elements >= size:
        return np.arange(size)
    rng = np.random.default_rng([seed, position])
    return np.sort(rng.choice(size, size=max_elements, replace=False))


def elements_to_check(model: Model, max_elements: int | None = None) -> int:
    """How many elements :func:`check_gradients` checks in ``model`` (two forward passes each)."""
    sizes = [value.size for value in model.params.values()]
    return sum(sizes) if max_elements is None else sum(min(s, max_elements) for s in sizes)


def _positive_whole(name, value):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be a whole number ≥ 1 (or None for all), got {shown(value)}")
    return int(value)


def _positive_finite(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a finite number > 0, got {shown(value)}")
    return float(value)


def check_gradients(model: Model, x, target, *, truncate=None, l2=0.0, eps=LESSON_EPS, tolerance=TOLERANCE,
                    max_elements: int | None = None, max_sequences: int | None = None, seed: int = 0,
                    progress=None, decoder_input=None) -> GradientReport:
    """BPTT against central differences on the model's own data, every parameter.

    x (N, T, input_size), target as ``model.loss_and_grads`` takes it (and ``decoder_input`` (N, M,
    decoder_input_size) for an encoder–decoder model, the target then over the M decoder steps); the first ``max_sequences``
    sequences are used (None: all), so the check is reproducible and the first sequence is always in it.
    For each parameter θ and each checked element i:  n_i = (L(θ + ε·e_i) − L(θ − ε·e_i)) / 2ε, with L
    the training loss (``truncate``: the truncated objective; ``l2``: plus l2/2·Σw²), against the BPTT
    gradient a_i. ``max_elements``: check at most this many elements per parameter, a sample seeded by
    ``seed`` (:func:`sample_indices`). ``progress(done, total)`` is called after each element (total:
    elements to check); when it returns False the check stops with :class:`GradcheckCancelled`.

    Refusals (one line, before any work): ConfigError for eps, tolerance, max_elements, max_sequences,
    truncate or l2 out of range, or a loss that is not finite at these weights; InputError when (x,
    target) does not fit the model.
    """
    eps = _positive_finite("eps", eps)
    tolerance = _positive_finite("tolerance", tolerance)
    max_elements = _positive_whole("max_elements", max_elements)
    max_sequences = _positive_whole("max_sequences", max_sequences)
    truncate = check_truncate(truncate)
    if isinstance(l2, (bool, np.bool_)) or not isinstance(l2, (int, float, np.integer, np.floating)) \
            or not (math.isfinite(l2) and l2 >= 0):
        raise ConfigError(f"l2 must be a finite number ≥ 0, got {shown(l2)}")
    x = model.check_input(x)
    decoder_x = model.check_decoder_input(decoder_input, x)
    target = model.check_target(target, x, decoder_x)
    _refuse_truncation(model, truncate)
    if max_sequences is not None:
        x, target = x[:max_sequences], target[:max_sequences]
        decoder_x = None if decoder_x is None else decoder_x[:max_sequences]
    seq2seq = {} if decoder_x is None else {"decoder_input": decoder_x}
    loss, analytic = analytic_grads(model, x, target, truncate=truncate, l2=float(l2), **seq2seq)
    if not math.isfinite(loss):
        raise ConfigError(f"the loss at these weights is {loss}: there are no gradients to check "
                          "(go back to finite weights first)")
    f = loss_function(model, x, target, truncate, float(l2), decoder_x)
    params = {k: v.copy() for k, v in model.params.items()}
    chosen = [sample_indices(value.size, max_elements, seed, position)
              for position, value in enumerate(params.values())]
    total, done = sum(len(c) for c in chosen), 0
    lines = []
    for (name, value), indices in zip(params.items(), chosen):
        flat = value.reshape(-1)
        numeric = np.empty(len(indices))
        for k, i in enumerate(indices):
            numeric[k] = _central_difference(f, params, flat, int(i), eps)
            done += 1
            if progress is not None and progress(done, total) is False:
                raise GradcheckCancelled(done, total)
        a = np.asarray(analytic[name], dtype=np.float64).reshape(-1)[indices]
        diff = np.abs(a - numeric)
        worst = int(np.nanargmax(diff)) if np.any(np.isfinite(diff)) else 0
        lines.append(ParameterCheck(
            name=name, shape=tuple(value.shape), checked=len(indices), rel_error=relative_error(a, numeric),
            max_abs_error=float(diff[worst]), worst_index=tuple(int(j) for j in np.unravel_index(indices[worst], value.shape)),
            analytic=float(a[worst]), numeric=float(numeric[worst]), tolerance=tolerance))
    return GradientReport(tuple(lines), eps, tolerance, int(x.shape[0]), int(x.shape[1]), truncate, float(l2),
                          max_elements, int(seed), float(loss),
                          None if decoder_x is None else int(decoder_x.shape[1]))
