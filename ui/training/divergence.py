"""What the learner reads when training diverges (the debugging advice of the from-scratch XOR article, in its words)."""
from __future__ import annotations

import math



def what_broke(snap) -> str:
    """Which number went non-finite first: the loss, the gradient, or the weights after the update."""
    if not math.isfinite(snap.loss):
        return "loss"
    if not math.isfinite(snap.grad_norm):
        return "gradient"
    return "weights"


def explain(snap, config, num_layers: int = 1, recent_grad_norm: float | None = None,
            rollback_step: int | None = None) -> tuple[str, str]:
    """(title, message) for a diverged snapshot. ``recent_grad_norm``: the largest gradient norm of the
    last finite steps (shows the explosion building up); ``rollback_step``: where a rollback goes."""
    step = snap.step
    broke = what_broke(snap)
    what = {"loss": "the loss", "gradient": "the gradient",
            "weights": "the weights (after the update)"}[broke]
    title = f"Training diverged at step {step}"
    causes = [f"the learning rate ({_fmt(config.lr)}) is too high for this model"]
    grown = ""
    if recent_grad_norm is not None and math.isfinite(recent_grad_norm):
        grown = f" — the gradient norm had reached {_fmt(recent_grad_norm)}"
    if config.clip is None:
        causes.append("exploding gradients" + grown + ", and nothing clips them")
    else:
        causes.append(f"exploding gradients{grown} (clipping at {_fmt(config.clip)} was not enough)")
    if num_layers > 1:
        causes.append(f"{num_layers} stacked layers multiply the gradient at every layer as well as every step")
    fixes = []
    if config.clip is None:
        fixes.append("clip the gradients (Clip gradient norm, e.g. at 1)")
    fixes.append(f"use a smaller learning rate (e.g. {_fmt(config.lr / 10)})")
    if num_layers > 1:
        fixes.append("use fewer layers")
    if config.batch_size is not None:
        fixes.append("a bigger mini-batch reduces the variance of each step")
    text = (f"{what[0].upper() + what[1:]} became NaN or infinite at step {step}, so training paused. "
            f"NaN predictions mean exploding gradients.\n\n"
            f"Likely causes: {'; '.join(causes)}.\n\n"
            f"What to try: {'; '.join(fixes)}.\n\n"
            + _rollback_words(step, broke, rollback_step))
    return title, text


def _rollback_words(step: int, broke: str, rollback_step: int | None) -> str:
    if rollback_step is None:
        rollback_step = step - 1
    if rollback_step == step - 1:
        where = (f"The weights of step {rollback_step} are the last ones where every number was finite "
                 f"(the loss and gradient of step {step} were still finite; the update overflowed).")
    else:
        why = "the loss they give is not" if broke == "loss" else (
            "the gradient they give is not" if broke == "gradient" else "the loss had already shot up before")
        where = (f"The weights of step {step - 1} are the last finite ones, but {why}, so continuing from "
                 f"them would diverge again at once. The newest weights whose loss was still in its normal "
                 f"range (at most 10× the first loss) are those of step {rollback_step}"
                 + (" — the start of this run." if rollback_step <= 0 else "."))
    return (f"{where} Roll back to step {rollback_step} to continue from there: the plots after it are "
            f"dropped and the optimizer's memory (momentum, Adam's averages) starts afresh.")


def _fmt(value: float) -> str:
    return f"{value:.4g}"
