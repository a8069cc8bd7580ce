"""``rnnsim generate``: a text model (one trained on a text file) writes a continuation of a prime.

Prints the prime followed by the sampled characters; ``--json`` → ``{"text", "prime", "continuation",
"probabilities", "temperature", "seed"}`` (``probabilities``: what each drawn character's probability was).
The same seed gives the same text (rnnsim.generate)."""
from ..generate import generate
from ..limits import MAX_GENERATE_CHARS
from ..model import load_model
from .common import JSON_HELP, bounded_int, positive_float, seed_int, strict_json


def register(sub):
    p = sub.add_parser("generate", help="sample text from a model trained on a text file")
    p.add_argument("--model", required=True, help="model file (.npz) trained on a text")
    p.add_argument("--prime", help="the text to continue (default: a newline, else a space, else the "
                                   "model's first character)")
    p.add_argument("--length", type=bounded_int(MAX_GENERATE_CHARS, low=0), default=200,
                   help=f"characters to sample (default 200, at most {MAX_GENERATE_CHARS})")
    p.add_argument("--temperature", type=positive_float, default=1.0,
                   help="divides the logits before the softmax: below 1 sharper (towards the most likely "
                        "character), above 1 flatter (default 1)")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed of the draws (default 0)")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run)


def run(args, out):
    model = load_model(args.model)
    result = generate(model, args.prime, args.length, args.temperature, args.seed)
    if args.json:
        out(strict_json({"text": result.text, "prime": result.prime, "continuation": result.continuation,
                         "probabilities": result.probabilities, "temperature": result.temperature,
                         "seed": result.seed}))
    else:
        out(result.text)
    return 0
