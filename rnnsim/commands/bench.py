"""``rnnsim bench``: training steps/s beside PyTorch eager (when installed), same weights, same process."""
from .. import bench
from .common import JSON_HELP, positive_float, strict_json


def register(sub):
    p = sub.add_parser("bench", help="training throughput beside PyTorch (when installed)")
    p.add_argument("--seconds", type=positive_float, default=1.0, help="time per measurement")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run)


def run(args, out):
    with_torch = False if args.no_torch else None
    if args.json:
        results = bench.run(min_time=args.seconds, with_torch=with_torch)
        out(strict_json({"results": results, "unit": "training steps/s (forward + BPTT + SGD), float64"}))
    else:
        out("training steps/s (forward + BPTT + SGD update), float64")
        out(bench.HEADER)
        bench.run(min_time=args.seconds, with_torch=with_torch, progress=lambda r: out(bench.format_row(r)))
    return 0
