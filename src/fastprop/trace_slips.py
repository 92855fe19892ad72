"""The slips a learner makes working out a training step by hand, for ``trace_check``:
for one number of the step, each slip's description and the number it would give.

A gradient is the sum over the batch of δ·a (δ already holds the loss's mean over the
samples), so each slip is that sum with one factor changed: δ without f′, the input
left out, a sign, the loss's ½ or mean; a new weight's slips are the step w − η·g with
a slipped g, or with η left out or the step added.
"""

from __future__ import annotations

import math

import numpy as np


def _scales(trace):
    """(what, factor) of the loss's conventions: its ½, its mean over samples and outputs."""
    n, k = trace.y.shape
    out = [("the loss's ½ was left out (twice the number)", 2.0),
           ("the loss's ½ was used where this loss has none (half the number)", 0.5)]
    if n > 1:
        out += [(f"summed over the {n} samples instead of their mean", float(n)),
                (f"divided by the {n} samples once too often", 1.0 / n)]
    if k > 1 and trace.arch.loss in ("mse", "mae", "huber", "bce", "poisson"):
        out += [(f"summed over the {k} outputs instead of their mean", float(k)),
                (f"divided by the {k} outputs once too often", 1.0 / k)]
    return out


def factor_slips(value, trace):
    yield "the sign is wrong", -value
    for what, factor in _scales(trace):
        yield what, value * factor


def loss_slips(trace):
    loss = float(trace.loss)
    yield from factor_slips(loss, trace)
    if trace.arch.loss in ("bce", "cross_entropy"):
        yield "the logarithm was taken to base 10, not the natural one", loss / math.log(10)


def forward_slips(trace, k, j, f, r):
    if k == 0:
        return
    if f == "a":
        yield "the activation was not applied: that is z, and a = f(z)", \
            float(trace.z[k - 1][r, j])
    else:
        yield "that is a = f(z); z is the weighted sum before the activation", \
            float(trace.a[k - 1][r, j])


def delta_slips(trace, k, j, r, delta):
    fprime = trace.fprime[k - 1]
    if fprime is not None:
        da = float(trace.dloss_da[k - 1][r, j])
        yield (f"the activation's derivative was left out: δ = ∂L/∂a·f′(z) = {da:.3g}…·"
               f"{float(fprime[r, j]):.3g}… = {delta:.3g}…", da)
    yield from factor_slips(delta, trace)


def weight_slips(trace, li, i, j, f):
    """Slips for weight (li, i, j) — or the bias of node j of layer li + 1 when i is None —
    and its gradient or new value."""
    if f in ("weight", "bias"):
        return
    inputs = trace.inputs[li] if i is not None else np.ones((trace.n_samples, 1))
    a_i = inputs[:, i if i is not None else 0]
    delta, grad = trace.deltas[li][:, j], _grad(trace, li, i, j)
    # each slip as a gradient; a new value's slip is the same gradient in w − η·g
    grads = []
    if trace.fprime[li] is not None:
        grads.append(("the activation's derivative was left out of δ (∂L/∂a used for "
                      "δ = ∂L/∂a·f′(z))", float(np.sum(trace.dloss_da[li][:, j] * a_i))))
    if i is not None:
        grads.append(("the input factor was left out: ∂L/∂w = δ·a (the input at the "
                      "edge's start), not δ alone", float(np.sum(delta))))
    grads += [(what, grad * factor) for what, factor in
              [("the sign is wrong", -1.0), *_scales(trace)]]
    if f in ("grad", "grad_bias"):
        yield from grads
        return
    w = float(trace.weights[li][i, j]) if i is not None else float(trace.biases[li][j])
    lr = trace.lr
    if trace.optimizer is None:
        yield "the step was added, not subtracted: w_new = w − η·∂L/∂w", w + lr * grad
        yield f"the learning rate was left out: w_new = w − η·∂L/∂w with η = {lr:g}", \
            w - grad
        yield "that is the step η·∂L/∂w; the new weight is w − η·∂L/∂w", lr * grad
        for what, g in grads:
            yield f"in the gradient: {what}", w - lr * g


def _grad(trace, li, i, j):
    return float(trace.grad_weights[li][i, j] if i is not None else trace.grad_biases[li][j])
