"""Losses with PyTorch's meaning (nn.MSELoss, nn.L1Loss, nn.CrossEntropyLoss), each returning the loss and ∂L/∂output."""
import numpy as np


def mse(output, target, reduction, count=None):
    """output, target: same shape. Mean divides by the number of elements (or ``count``)."""
    diff = output - target
    loss = float(np.sum(diff * diff))
    grad = 2.0 * diff
    if reduction == "mean":
        count = count or diff.size
        loss /= count
        grad /= count
    return loss, grad


def mae(output, target, reduction, count=None):
    """nn.L1Loss. output, target: same shape. L = Σ|output − target| (÷ the number of elements, or
    ``count``, for "mean"); ∂L/∂output = sign(output − target), which is 0 at zero error as in PyTorch."""
    diff = output - target
    loss = float(np.sum(np.abs(diff)))
    grad = np.sign(diff)
    if reduction == "mean":
        count = count or diff.size
        loss /= count
        grad /= count
    return loss, grad


def log_softmax(logits):
    """Stable log-softmax over the last axis."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy(logits, target, reduction, count=None):
    """logits (..., C); target (...) integer class indices. Mean divides by the number of positions
    (or ``count``)."""
    classes = logits.shape[-1]
    flat = logits.reshape(-1, classes)
    idx = target.reshape(-1)
    logp = log_softmax(flat)
    rows = np.arange(flat.shape[0])
    loss = float(-np.sum(logp[rows, idx]))
    grad = np.exp(logp)
    grad[rows, idx] -= 1.0
    if reduction == "mean":
        count = count or flat.shape[0]
        loss /= count
        grad /= count
    return loss, grad.reshape(logits.shape)


def compute(kind, output, target, reduction, count=None):
    """(loss, ∂L/∂output). ``count``: the mean's divisor when ``output`` is one chunk of a larger batch."""
    if kind == "mse":
        return mse(output, target, reduction, count)
    if kind == "mae":
        return mae(output, target, reduction, count)
    return cross_entropy(output, target, reduction, count)
