"""Backpropagation checked against central finite differences."""

from __future__ import annotations

import numpy as np

from ._validation import check_float


def gradcheck(net, X, y, eps: float = 1e-6) -> float:
    """Largest relative error between backprop's gradient and central differences.

    Computed on a float64 copy of ``net`` (the network is not changed). For each
    parameter p: g_fd = (L(p + eps) − L(p − eps)) / (2·eps) and the error is
    |g_bp − g_fd| / max(|g_bp|, |g_fd|, 1e-7) — relative for gradients of ordinary
    size, absolute for tiny ones, where finite differences only measure rounding.

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
    Xv, Y = probe._data(X, y)
    engine, arch, params = probe._engine, probe.arch, probe.params
    grad = np.empty_like(params)
    engine.loss_and_grad(arch, params, Xv, Y, grad)
    numeric = np.empty_like(params)
    for i in range(params.size):
        keep = params[i]
        params[i] = keep + eps
        up = engine.loss(arch, params, Xv, Y)
        params[i] = keep - eps
        down = engine.loss(arch, params, Xv, Y)
        params[i] = keep
        numeric[i] = (up - down) / (2 * eps)
    scale = np.maximum(np.maximum(np.abs(grad), np.abs(numeric)), 1e-7)
    return float(np.max(np.abs(grad - numeric) / scale)) if params.size else 0.0
