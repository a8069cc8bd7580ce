"""``rnnsim predict``: a model's output for an input sequence (a file or inline values)."""
import json

import numpy as np

from ..inputs import as_batch, read_values
from ..model import load_model


def register(sub):
    p = sub.add_parser("predict", help="print a model's output for an input sequence")
    p.add_argument("--model", required=True, help="model file (.npz)")
    p.add_argument("--input", required=True,
                   help="a .npy/.csv file, or inline values: commas separate timesteps, spaces features")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def run(args, out):
    model = load_model(args.model)
    x = as_batch(read_values(args.input), model.spec.input_size)
    y = model.predict(x)
    if args.json:
        out(json.dumps({"output": y.tolist(), "shape": list(y.shape)}))
    else:
        with np.printoptions(precision=6, suppress=True, linewidth=100):
            out(str(y[0] if y.shape[0] == 1 else y))
    return 0
