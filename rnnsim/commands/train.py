"""``rnnsim train``: train headless on a built-in task or a data file, with a progress bar; save the model."""
from __future__ import annotations

import math
import os
import re
import signal
import sys
import tempfile
import threading
import time

from .. import clip as clipping
from .. import recipe
from ..data import TASKS, describe_dataset, load_data, make_task, spec_data
from ..errors import ModelFileError, RnnsimError, one_line, shown
from ..init import SCHEMES
from ..inputs import strict_float
from ..io import check_output_path
from ..limits import MAX_HIDDEN_SIZE, MAX_LAYERS, MAX_MESSAGE_CHARS
from ..model import load_model
from ..optim import OPTIMIZERS
from ..reading import display_name
from ..schedules import SCHEDULES
from ..spec import GATE_BLOCKS
from ..train import Trainer
from .common import (JSON_HELP, TERMINATED, UsageError, bounded_int, clip_threshold, finite_float,
                     nonnegative_float, number_pair, positive_float, positive_int, seed_int, steps_int, strict_json)


def register(sub):
    p = sub.add_parser("train", help="train on a built-in task or a data file and save the model")
    src = p.add_argument_group("data")
    src.add_argument("--task", help=f"built-in task: {', '.join(TASKS)}")
    src.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                     help="a task option, e.g. --option delay=30 (repeatable)")
    src.add_argument("--data", help="data file: .npz (arrays x, y), .csv time series, or .txt text")
    src.add_argument("--columns", help="CSV: comma-separated input columns (default: all numeric)")
    src.add_argument("--target-columns", help="CSV: comma-separated target columns (default: the last)")
    src.add_argument("--window", type=steps_int, help="CSV/text: steps per training sequence")
    src.add_argument("--horizon", type=steps_int, help="CSV: how many rows ahead to forecast")
    arch = p.add_argument_group("model (default: the task's suggestion)")
    arch.add_argument("--model", help="start from this saved model instead of a fresh one")
    arch.add_argument("--cell", choices=sorted(GATE_BLOCKS))
    arch.add_argument("--hidden", type=bounded_int(MAX_HIDDEN_SIZE), help="hidden units per layer")
    arch.add_argument("--layers", type=bounded_int(MAX_LAYERS))
    arch.add_argument("--bidirectional", action="store_true", default=None)
    arch.add_argument("--init", choices=SCHEMES, help="initialisation (default: pytorch)")
    arch.add_argument("--forget-bias", type=finite_float, help="LSTM: initial forget-gate bias")
    tr = p.add_argument_group("training (default: the task's suggestion)")
    tr.add_argument("--optimizer", choices=sorted(OPTIMIZERS))
    tr.add_argument("--lr", type=positive_float, help="learning rate (Rprop: the initial step Δ0)")
    tr.add_argument("--momentum", type=nonnegative_float)
    tr.add_argument("--nesterov", action="store_true", default=None)
    tr.add_argument("--dampening", type=nonnegative_float,
                    help="SGD with momentum: the share of each new gradient left out of the running average")
    tr.add_argument("--betas", type=number_pair, metavar="B1,B2",
                    help="Adam: how much of the gradient's and the squared gradient's running averages each "
                         "step keeps (default 0.9,0.999)")
    tr.add_argument("--eps", type=positive_float,
                    help="Adam, RMSprop, Adagrad: added to the divisor so that it is never zero "
                         "(default: 1e-8, 1e-8, 1e-10)")
    tr.add_argument("--alpha", type=nonnegative_float,
                    help="RMSprop: how much of the squared gradient's running average each step keeps (default 0.99)")
    tr.add_argument("--etas", type=number_pair, metavar="ETA_MINUS,ETA_PLUS",
                    help="Rprop: step-size factors when a gradient flips sign / keeps it (default 0.5,1.2)")
    tr.add_argument("--step-sizes", type=number_pair, metavar="MIN,MAX",
                    help="Rprop: the smallest and largest step size (default 1e-6,50)")
    tr.add_argument("--lr-decay", type=nonnegative_float,
                    help="Adagrad: the learning rate is divided by 1 + (step − 1)·lr_decay (default 0)")
    tr.add_argument("--initial-accumulator-value", type=nonnegative_float,
                    help="Adagrad: the starting sum of squared gradients (default 0)")
    tr.add_argument("--schedule", choices=SCHEDULES)
    tr.add_argument("--gamma", type=positive_float, help="schedule decay factor")
    tr.add_argument("--step-size", type=positive_int, help="step schedule: epochs per decay")
    tr.add_argument("--epochs", type=positive_int)
    tr.add_argument("--steps", type=positive_int, dest="max_steps", help="stop after this many updates")
    tr.add_argument("--batch-size", type=positive_int, help="mini-batch size (default: full batch)")
    tr.add_argument("--clip", type=clip_threshold, help="clip the gradient's global norm to this")
    tr.add_argument("--clip-mode", choices=clipping.MODES)
    tr.add_argument("--truncate", type=steps_int, help="truncated BPTT window (steps)")
    tr.add_argument("--weight-decay", type=nonnegative_float, help="L2 term λ/2·Σw² added to the loss")
    tr.add_argument("--validation-split", type=finite_float, help="fraction held out for validation")
    tr.add_argument("--patience", type=positive_int, help="early stopping: epochs without improvement")
    tr.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--out", help="save the trained model here (.npz); checked before training starts")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run)


def _task_options(items):
    """--option KEY=VALUE items → {key: value}: a whole number (``1e9`` too) as int, another number as
    float, anything else as text; the task checks each value and its limits."""
    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"rnnsim train: --option takes KEY=VALUE, got {shown(item)}")
        if _WHOLE_TEXT.fullmatch(value.strip()):
            options[key] = int(value)
            continue
        number = strict_float(value)
        if number is None:
            options[key] = value
        elif "e" in value.lower() and number.is_integer() and abs(number) < 2 ** 63:
            options[key] = int(number)                     # 1e9: a whole number in exponent notation
        else:
            options[key] = number
    return options


_WHOLE_TEXT = re.compile(r"[+-]?\d{1,30}", re.ASCII)


def _columns(text):
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def load_inputs(args):
    """(dataset, task or None) from --task or --data."""
    if bool(args.task) == bool(args.data):
        raise UsageError("rnnsim train: give exactly one of --task NAME or --data FILE (see --help)")
    if args.task:
        return make_task(args.task, seed=args.seed, **_task_options(args.option))
    options = {"inputs": _columns(args.columns), "targets": _columns(args.target_columns),
               "window": args.window, "horizon": args.horizon}
    return load_data(args.data, **{k: v for k, v in options.items() if v is not None}), None


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most 10 times a second."""

    def __init__(self, total_epochs, stream=None):
        self.total, self.stream, self.last = total_epochs, stream or sys.stderr, 0.0

    def update(self, snap, force=False):
        now = time.monotonic()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        done = min(snap.epoch + (1 if snap.epoch_done else 0), self.total)
        filled = int(30 * done / self.total)
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] epoch {done}/{self.total} "
                          f"step {snap.step} loss {snap.loss:.6g}   ")
        self.stream.flush()

    def close(self):
        self.stream.write("\n")
        self.stream.flush()


def run(args, out):
    if args.out is not None:
        check_output_path(args.out)                    # before any work: a bad --out must not cost a training
    data, task = load_inputs(args)
    overrides = {"optimizer": args.optimizer, "lr": args.lr, "momentum": args.momentum,
                 "nesterov": args.nesterov, "dampening": args.dampening, "betas": args.betas, "eps": args.eps,
                 "alpha": args.alpha, "etas": args.etas, "step_sizes": args.step_sizes, "lr_decay": args.lr_decay,
                 "initial_accumulator_value": args.initial_accumulator_value,
                 "schedule": args.schedule, "gamma": args.gamma,
                 "step_size": args.step_size, "epochs": args.epochs, "max_steps": args.max_steps,
                 "batch_size": args.batch_size, "clip": args.clip, "clip_mode": args.clip_mode,
                 "truncate": args.truncate, "weight_decay": args.weight_decay, "seed": args.seed,
                 "validation_split": args.validation_split, "patience": args.patience}
    config = recipe.build_config(task.training if task else None, overrides)
    if args.model:
        given = [f"--{n}" for n in ("cell", "hidden", "layers", "init") if getattr(args, n) is not None]
        if given:
            raise UsageError(f"rnnsim train: {', '.join(given)} cannot change a model loaded with --model")
        model = load_model(args.model)
        recipe.check_fits(model, data)
    else:
        arch = {"cell": args.cell, "hidden_size": args.hidden, "num_layers": args.layers,
                "bidirectional": args.bidirectional}
        spec = recipe.build_spec(data, task.model if task else None, arch)
        # a lesson's start point (bitcount's (-1.5, 2)) only fits the task's own architecture and init
        untouched = args.init is None and args.forget_bias is None and all(v is None for v in arch.values())
        start = task.initial_params if task and untouched else None
        init = args.init or (task.training.get("init", "pytorch") if task else "pytorch")
        model = recipe.build_model(spec, init, args.seed, args.forget_bias, start)
    trainer = Trainer(model, data, config)
    if args.data and not args.json:
        for line in describe_dataset(data):
            print(line, file=sys.stderr)
    bar = None if args.json else ProgressBar(config.epochs)
    # Ctrl-C (SIGINT) and SIGTERM stop training after the current step; the handlers stay until the model
    # is saved, so that a second signal cannot interrupt the save (the trained work is never lost).
    received = []
    with _stop_signals(lambda signum: (received.append(signum), trainer.request_stop())):
        try:
            trainer.run(callback=bar.update if bar else None)
        finally:
            if bar:
                bar.close()
        # the saved model says what its numbers mean (scaling, columns, vocabulary) and how it was trained
        model.spec = recipe.spec_with_record(model.spec, data, config, trainer)
        if args.out:
            save_or_rescue(model, args.out)
    h = trainer.history
    final = h.loss[-1] if h.loss else math.nan
    if args.json:
        out(strict_json({"final_loss": final, "epochs": trainer.epoch, "steps": trainer.step_count,
                         "stop_reason": trainer.stop_reason, "saved": args.out, "data": spec_data(data),
                         "history": h.to_dict()}))
    else:
        out(f"final loss {final:.6g} after {trainer.epoch} epochs ({trainer.step_count} steps): "
            f"{trainer.stop_reason}" + _accuracy_words(h, model.spec) + (f"; saved {args.out}" if args.out else ""))
        if trainer.stop_reason == "diverged":
            out("the loss or weights became NaN/inf: lower the learning rate, clip gradients (--clip), "
                "or use fewer layers; the last finite weights were kept")
    if signal.SIGTERM in received:
        return TERMINATED
    return 130 if trainer.stop_reason == "stopped" or received else 0


def _accuracy_words(history, spec) -> str:
    """"; accuracy 97.0 % (validation 96.5 %)" from the last epoch that measured it, else ""; an encoder–decoder
    model's accuracy is that of teacher forcing (the decoder reading the true previous outputs)."""
    train = next((a for a in reversed(history.accuracy) if a is not None), None)
    if train is None:
        return ""
    val = next((a for a in reversed(history.val_accuracy) if a is not None), None)
    teacher = " with teacher forcing" if spec.is_seq2seq else ""
    return f"; accuracy{teacher} {train:.1%}" + (f" (validation {val:.1%})" if val is not None else "")


class _stop_signals:
    """Within the block, SIGINT and SIGTERM call ``handler(signum)`` instead of ending the program (only in
    the main thread, where Python delivers signals); the previous handlers come back afterwards."""

    def __init__(self, handler):
        self.handler, self.previous = handler, {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.previous[signum] = signal.signal(signum, lambda n, _frame: self.handler(n))
        return self

    def __exit__(self, *exc):
        for signum, previous in self.previous.items():
            signal.signal(signum, previous)
        return False


def save_or_rescue(model, path) -> None:
    """Save ``model`` to ``path``; when that fails (a full disk, a folder removed while training), save it to
    a recovery file instead and raise ModelFileError naming both: trained work is never lost."""
    try:
        model.save(path)
        return
    except RnnsimError as exc:
        reason = str(exc)
    shown_path = display_name(path)
    if reason.startswith(shown_path + ": "):                 # the folder is in the rescue path: the name will do
        reason = os.path.basename(os.fspath(path)) + reason[len(shown_path):]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    here = os.path.dirname(os.path.abspath(os.fspath(path)))
    for folder in dict.fromkeys([here, tempfile.gettempdir(), os.path.expanduser("~")]):
        rescue = os.path.join(folder, f"rnnsim-recovered-{stamp}-{os.getpid()}.npz")
        tail = f"; the trained model was saved to {rescue} instead"
        if len(tail) > MAX_MESSAGE_CHARS - 40:
            continue                                # the message must show the whole path: a shorter one
        try:
            model.save(rescue)
        except RnnsimError:
            continue
        raise ModelFileError(one_line(reason, MAX_MESSAGE_CHARS - len(tail)) + tail)
    raise ModelFileError(f"{reason}; the trained model could not be saved anywhere (also tried "
                         f"{display_name(tempfile.gettempdir())})")
