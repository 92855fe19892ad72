"""Adam, AMSGrad and AdamW (PyTorch's ``torch.optim.Adam`` and ``AdamW``)."""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_float
from ._base import Optimizer, _check_betas, _check_bool


class Adam(Optimizer):
    """Adam with bias correction (PyTorch's rules, eps outside the square root).

    Parameters
    ----------
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
        L2 penalty added to the gradient (not decoupled: that is AdamW).
    amsgrad : bool, default False
        Divide by the largest second moment so far (AMSGrad), as PyTorch's ``amsgrad``.

    Examples
    --------
    >>> import fastprop as fp
    >>> fp.Adam(lr=0.01)
    Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08)
    """

    kind, code, torch = "adam", 1, "Adam"
    _checks = {**Optimizer._checks, "betas": lambda v: _check_betas(v),
               "eps": lambda v: check_float(v, "eps", positive=True),
               "amsgrad": lambda v: _check_bool(v, "amsgrad")}
    _decoupled = False

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False):
        super().__init__()
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad

    def _state_names(self):
        return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if self.amsgrad else ())

    def kernel_arguments(self):
        return (self.betas[0], self.betas[1], self.eps, float(self.amsgrad))

    def reference_update(self, params, grad):
        if self._decoupled:  # AdamW: p ← p·(1 − lr·wd), then Adam on the bare gradient
            if self.weight_decay:
                params *= 1 - self.lr * self.weight_decay
            self._rule(params, grad)
        else:
            super().reference_update(params, grad)

    def _rule(self, params, g):
        b1, b2 = self.betas
        m, v = self.state["exp_avg"], self.state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        if self.amsgrad:
            vmax = self.state["max_exp_avg_sq"]
            np.maximum(vmax, v, out=vmax)
            v = vmax
        step_size = self.lr / (1 - b1 ** self.t)  # Python floats: the arrays keep dtype
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** self.t) + self.eps
        params -= step_size * (m / denom)

    symbols = {"exp_avg": "m", "exp_avg_sq": "v", "max_exp_avg_sq": "v_max"}

    def step_note(self, f):
        b1, b2 = self.betas
        return (f"bias corrections 1 − β₁ᵗ = {f(1 - b1 ** self.t)}, "
                f"1 − β₂ᵗ = {f(1 - b2 ** self.t)}")

    def _explain(self, n, w, g, before, after, new, f, p):
        (b1, b2), lr, lines = self.betas, self.lr, []
        if self._decoupled and self.weight_decay:  # AdamW shrinks the weight first
            shrunk = w * (1 - lr * self.weight_decay)
            lines.append(f"{n} ← {n}·(1 − η·λ) = {f(w)}×(1 − {f(lr)}×"
                         f"{f(self.weight_decay)}) = {f(shrunk)}")
            w = shrunk
        m, v = after["exp_avg"], after["exp_avg_sq"]
        lines += [f"m = β₁·m + (1 − β₁)·g = {f(b1)}×{p(before['exp_avg'])} + {f(1 - b1)}×"
                  f"{p(g)} = {f(m)}",
                  f"v = β₂·v + (1 − β₂)·g² = {f(b2)}×{f(before['exp_avg_sq'])} + "
                  f"{f(1 - b2)}×{p(g)}² = {f(v)}"]
        used = "v"
        if self.amsgrad:
            vmax = after["max_exp_avg_sq"]
            lines.append(f"v_max = max(v_max, v) = max({f(before['max_exp_avg_sq'])}, "
                         f"{f(v)}) = {f(vmax)}")
            v, used = vmax, "v_max"
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        m_hat, v_hat = m / c1, v / c2
        lines += [f"m̂ = m/(1 − β₁ᵗ) = {f(m)}/{f(c1)} = {f(m_hat)};  v̂ = {used}/(1 − β₂ᵗ) = "
                  f"{f(v)}/{f(c2)} = {f(v_hat)}",
                  f"{n}_new = {n} − η·m̂/(√v̂ + ε) = {f(w)} − {f(lr)}×{p(m_hat)}/"
                  f"(√{f(v_hat)} + {self.eps:g}) = {f(new)}"]
        return lines

    def __repr__(self):
        wd = f", weight_decay={self.weight_decay}" if self.weight_decay != \
            type(self)._default_weight_decay() else ""
        ams = ", amsgrad=True" if self.amsgrad else ""
        return (f"{type(self).__name__}(lr={self.lr}, betas={self.betas}, eps={self.eps}"
                f"{wd}{ams})")

    @classmethod
    def _default_weight_decay(cls) -> float:
        import inspect

        return inspect.signature(cls).parameters["weight_decay"].default


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's ``AdamW``): each step first shrinks
    the parameters, p ← p·(1 − lr·weight_decay), then takes Adam's step on the bare
    gradient.

    Parameters
    ----------
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
    amsgrad : bool, default False

    Examples
    --------
    >>> import fastprop as fp
    >>> fp.AdamW()
    AdamW(lr=0.001, betas=(0.9, 0.999), eps=1e-08)
    """

    kind, code, torch = "adamw", 2, "AdamW"
    _decoupled = True

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(lr, betas, eps, weight_decay, amsgrad)
