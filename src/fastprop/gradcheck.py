"""Backpropagation checked against central finite differences."""

from __future__ import annotations

import numpy as np

from . import _inputs
from ._validation import check_float
from .engines import get_engine


def gradcheck(net, X, y, eps: float = 1e-4) -> float:
    """Largest relative error between backprop's gradient and central differences.

    Computed on a float64 copy of ``net`` (the network is not changed). For each
    parameter p, the five-point central difference (truncation error O(eps⁴), so a
    step large enough to keep rounding error near 1e-12)::

        g_fd = (−L(p + 2ε) + 8·L(p + ε) − 8·L(p − ε) + L(p − 2ε)) / (12ε)

    and the error is |g_bp − g_fd| / max(|g_bp|, |g_fd|, 1e-5): relative for gradients
    of ordinary size, absolute for tiny ones, where differences only measure rounding.
    A ReLU kink within 2ε of some pre-activation can make a single entry disagree.

    Examples
    --------
    >>> import numpy as np, fastprop as fp
    >>> rng = np.random.default_rng(0)
    >>> net = fp.Network([3, 4, 2], activation="tanh", loss="mse", seed=0)
    >>> fp.gradcheck(net, rng.normal(size=(5, 3)), rng.normal(size=(5, 2))) < 1e-6
    True
    """
    eps = check_float(eps, "eps", positive=True)
    probe = net.copy(dtype="float64")
    Xv, Y = _inputs.data(probe.arch, X, y)
    engine, arch, params = get_engine(probe.engine), probe.arch, probe.params
    grad = np.empty_like(params)
    engine.loss_and_grad(arch, params, Xv, Y, grad)
    numeric = np.empty_like(params)
    def loss_at(i, value):
        params[i] = value
        return engine.loss(arch, params, Xv, Y)

    for i in range(params.size):
        keep = params[i]
        numeric[i] = (-loss_at(i, keep + 2 * eps) + 8 * loss_at(i, keep + eps)
                      - 8 * loss_at(i, keep - eps) + loss_at(i, keep - 2 * eps)) / (12 * eps)
        params[i] = keep
    scale = np.maximum(np.maximum(np.abs(grad), np.abs(numeric)), 1e-5)
    return float(np.max(np.abs(grad - numeric) / scale)) if params.size else 0.0
