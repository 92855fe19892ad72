"""SGD with momentum, Nesterov and weight decay (PyTorch's ``torch.optim.SGD``)."""

from __future__ import annotations

import numpy as np

from .._validation import check_float
from ._base import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov and weight decay.

    Parameters
    ----------
    lr : float
        Learning rate (> 0).
    momentum : float, default 0
    nesterov : bool, default False
        Nesterov momentum as PyTorch defines it (requires momentum > 0).
    weight_decay : float, default 0
        L2 penalty added to the gradient of every parameter, biases included.

    Examples
    --------
    >>> import fastprop as fp
    >>> opt = fp.SGD(0.1, momentum=0.9)
    >>> opt
    SGD(lr=0.1, momentum=0.9)
    """

    kind, code, torch = "sgd", 0, "SGD"
    _checks = {**Optimizer._checks,
               "momentum": lambda v: check_float(v, "momentum", non_negative=True)}

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        super().__init__()
        self.lr = lr
        self.momentum = momentum
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True requires momentum > 0")
        self.nesterov = bool(nesterov)
        self.weight_decay = weight_decay

    def _state_names(self):
        return ("momentum_buffer",) if self.momentum else ()

    def kernel_arguments(self):
        return (self.momentum, float(self.nesterov))

    def _rule(self, params, g):
        if self.momentum:
            v = self.state["momentum_buffer"]
            v *= self.momentum
            v += g
            g = g + self.momentum * v if self.nesterov else v
        params -= self.lr * g

    symbols = {"momentum_buffer": "v"}

    def _explain(self, n, w, g, before, after, new, f, p):
        lr, mu = f(self.lr), self.momentum
        if not mu:
            return [f"{n}_new = {n} − η·g = {f(w)} − {lr}×{p(g)} = {f(new)}"]
        v = after["momentum_buffer"]
        lines = [f"v = μ·v + g = {f(mu)}×{p(before['momentum_buffer'])} + {p(g)} = {f(v)}"]
        if self.nesterov:
            lines.append(f"{n}_new = {n} − η·(g + μ·v) = {f(w)} − {lr}×({p(g)} + {f(mu)}×"
                         f"{p(v)}) = {f(new)}")
        else:
            lines.append(f"{n}_new = {n} − η·v = {f(w)} − {lr}×{p(v)} = {f(new)}")
        return lines

    def __repr__(self):
        extra = "".join(
            f", {k}={v}" for k, v in
            (("momentum", self.momentum), ("nesterov", self.nesterov),
             ("weight_decay", self.weight_decay)) if v
        )
        return f"SGD(lr={self.lr}{extra})"
