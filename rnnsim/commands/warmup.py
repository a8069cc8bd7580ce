"""``rnnsim warmup``: compile every kernel family ahead of time (one line per family with its seconds).

An installer or a bundle can run it once so that the app's first start does not compile (~10 s)."""
from .. import warmup
from .common import JSON_HELP, strict_json


def register(sub):
    p = sub.add_parser("warmup", help="compile the numba kernels ahead of time (or load them from the cache)")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run)


def run(args, out):
    warmed = warmup.warm_kernels()
    if args.json:
        out(strict_json({"families": [{"family": w.label, "cell": w.cell, "seconds": w.seconds} for w in warmed]}))
    else:
        for w in warmed:
            out(f"{w.label} kernels: {w.seconds:.2f} s")
    return 0
