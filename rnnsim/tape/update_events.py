"""Formulas of the optimizer's update, one event per parameter, with the optimizer's state."""
from __future__ import annotations

import numpy as np


def update(tape, e, q):
    name = e.param
    opt = tape.update["optimizer"]
    before = tape.update["state_before"].get(name, {})
    after = opt.state.get(name, {})
    old = tape.params[name]
    q.one("old", old)
    q.one("grad", tape.clipped_grads[name])
    q.one("new", tape.update["new"][name])
    q.one("lr", opt.lr)
    sym = tape.symbol(name)
    grad_words = " (after clipping)" if tape.clip is not None else ""
    kind = getattr(opt, "name", "")
    if kind == "sgd":
        if opt.momentum:
            q.one("μ", opt.momentum)
            q.one("momentum", after["momentum_buffer"], "momentum")
            if "momentum_buffer" in before:
                q.one("momentum before", before["momentum_buffer"])
                q.one("dampening", opt.dampening)
                q.f("momentum", "{μ}·{momentum before} + (1 − {dampening})·{grad}",
                    "the momentum buffer: a running, decaying sum of gradients")
            else:
                q.f("momentum", "{grad}", "the first step starts the momentum buffer at the gradient (as PyTorch)")
            if opt.nesterov:
                q.f("new", "{old} − {lr}·({grad} + {μ}·{momentum})", f"Nesterov momentum step for {sym}")
            else:
                q.f("new", "{old} − {lr}·{momentum}", f"SGD with momentum: {sym} moves along the buffer")
        else:
            q.f("new", "{old} − {lr}·{grad}", f"plain gradient descent: {sym} moves against its gradient{grad_words}")
    elif kind == "rprop":
        q.one("previous grad", before.get("prev", np.zeros_like(old)))
        q.one("Rprop Δ before", before.get("step_size", np.full_like(old, opt.lr)))
        q.one("Rprop sign", np.sign(tape.clipped_grads[name] * before.get("prev", np.zeros_like(old))))
        q.one("η+", opt.eta_plus)
        q.one("η−", opt.eta_minus)
        q.one("Δmin", opt.step_min)
        q.one("Δmax", opt.step_max)
        q.one("Rprop Δ", after["step_size"])
        q.one("grad used", after["prev"])
        first = " (first step: Δ starts at lr, the previous gradient is 0)" if not before else ""
        q.f("Rprop sign", "sign({grad} ⊙ {previous grad})",
            "+1: the gradient kept its sign, −1: it flipped (we jumped over a minimum)" + first)
        q.f("Rprop Δ", "clamp({Rprop Δ before} × ({η+} where sign > 0, {η−} where sign < 0, else 1), {Δmin}, {Δmax})",
            "each weight's own step size grows while the sign holds and shrinks when it flips")
        q.f("grad used", "{grad}, with 0 where {Rprop sign} < 0",
            "a flipped gradient is skipped for this step (as PyTorch)")
        q.f("new", "{old} − sign({grad used}) ⊙ {Rprop Δ}", "Rprop uses only the gradient's sign, each weight with its own step Δ")
    elif kind == "adam":
        q.one("β1", opt.beta1)
        q.one("β2", opt.beta2)
        q.one("ε", opt.eps)
        q.one("step", after["step"])
        q.one("Adam m before", before.get("exp_avg", np.zeros_like(old)))
        q.one("Adam v before", before.get("exp_avg_sq", np.zeros_like(old)))
        q.one("Adam m", after["exp_avg"])
        q.one("Adam v", after["exp_avg_sq"])
        q.f("Adam m", "{β1}·{Adam m before} + (1 − {β1})·{grad}", "first moment: a running mean of the gradient")
        q.f("Adam v", "{β2}·{Adam v before} + (1 − {β2})·{grad}²", "second moment: a running mean of its square")
        q.f("new", "{old} − {lr}/(1 − {β1}^{step}) · {Adam m} / (√{Adam v}/√(1 − {β2}^{step}) + {ε})",
            "the step: the mean over the root mean square, bias-corrected for the first steps")
    elif kind == "rmsprop":
        q.one("α", opt.alpha)
        q.one("ε", opt.eps)
        q.one("RMSprop v before", before.get("square_avg", np.zeros_like(old)))
        q.one("RMSprop v", after["square_avg"])
        q.f("RMSprop v", "{α}·{RMSprop v before} + (1 − {α})·{grad}²", "a running mean of the squared gradient")
        if opt.momentum:
            q.one("μ", opt.momentum)
            q.one("momentum before", before.get("momentum_buffer", np.zeros_like(old)))
            q.one("momentum", after["momentum_buffer"])
            q.f("momentum", "{μ}·{momentum before} + {grad} / (√{RMSprop v} + {ε})", "momentum over the scaled steps")
            q.f("new", "{old} − {lr}·{momentum}", "RMSprop with momentum")
        else:
            q.f("new", "{old} − {lr}·{grad} / (√{RMSprop v} + {ε})",
                "each weight's step is scaled by its recent gradient size")
    elif kind == "adagrad":
        q.one("ε", opt.eps)
        q.one("lr_decay", opt.lr_decay)
        q.one("step", after["step"])
        q.one("Adagrad sum before", before.get("sum", np.full_like(old, opt.initial)))
        q.one("Adagrad sum", after["sum"])
        q.f("Adagrad sum", "{Adagrad sum before} + {grad}²", "the sum of all squared gradients so far")
        q.f("new", "{old} − {lr} / (1 + ({step} − 1)·{lr_decay}) · {grad} / (√{Adagrad sum} + {ε})",
            "steps shrink for weights that have had large gradients")
    else:
        for key, value in after.items():
            q.one(f"{kind or type(opt).__name__} {key}", value)
        q.one("Δ", tape.update["new"][name] - old)
        q.f("new", "{old} + {Δ}", f"the {type(opt).__name__} update of {sym}")
