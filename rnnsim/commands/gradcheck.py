"""``rnnsim gradcheck``: BPTT gradients against central differences, every parameter."""
from .. import gradcheck
from ..errors import ConfigError
from ..limits import MAX_GRADCHECK_WORK, MAX_SEQUENCES, MAX_STEPS
from ..model import Model, load_model
from .common import (JSON_HELP, add_architecture, bounded_int, nonnegative_float, positive_float, seed_int,
                     spec_from_args, steps_int, strict_json)


def register(sub):
    p = sub.add_parser("gradcheck", help="compare BPTT gradients with central differences")
    add_architecture(p)
    p.add_argument("--model", help="check this model file instead of a random one")
    p.add_argument("--steps", type=bounded_int(MAX_STEPS), default=5, help="sequence length T")
    p.add_argument("--batch", type=bounded_int(MAX_SEQUENCES), default=2)
    p.add_argument("--truncate", type=steps_int, default=None, help="truncated BPTT window (steps)")
    p.add_argument("--l2", type=nonnegative_float, default=0.0, help="L2 weight-decay term")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--eps", type=positive_float, default=gradcheck.EPS, help="central-difference step")
    p.add_argument("--tolerance", type=positive_float, default=gradcheck.TOLERANCE)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run)


def run(args, out):
    model = load_model(args.model) if args.model else Model.create(spec_from_args(args), seed=args.seed)
    work = model.spec.parameter_count * args.batch * args.steps
    if work > MAX_GRADCHECK_WORK:
        raise ConfigError(f"gradcheck runs two forward passes per parameter: {model.spec.parameter_count} "
                          f"parameters × batch {args.batch} × {args.steps} steps = {work}, over the limit of "
                          f"{MAX_GRADCHECK_WORK}; check a smaller model or a shorter sequence")
    x, target = gradcheck.random_problem(model, batch=args.batch, steps=args.steps, seed=args.seed)
    result = gradcheck.gradcheck(model, x, target, truncate=args.truncate, l2=args.l2,
                                 eps=args.eps, tolerance=args.tolerance)
    if args.json:
        out(strict_json(result.to_json()))
    else:
        for name, err in result.parameters.items():
            out(f"{name:28} {err:.3e}")
        verdict = "passed" if result.passed else "FAILED"
        out(f"worst relative error {result.max_rel_error:.3e} (tolerance {result.tolerance:.0e}): {verdict}")
    return 0 if result.passed else 1
