"""RMSprop and Adagrad (PyTorch's ``torch.optim.RMSprop`` and ``Adagrad``)."""

from __future__ import annotations

import numpy as np

from .._validation import check_float
from ._base import Optimizer, _check_bool


class RMSprop(Optimizer):
    """RMSprop (PyTorch's rules), per parameter p with gradient g::

        g ← g + weight_decay·p ;  s ← α·s + (1 − α)·g²
        centered: ḡ ← ḡ + (1 − α)·(g − ḡ), d = √(s − ḡ²) + eps ;  else d = √s + eps
        momentum: u ← μ·u + g/d, p ← p − lr·u ;  else p ← p − lr·g/d

    Parameters
    ----------
    lr : float, default 1e-2
    alpha : float, default 0.99
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum : float, default 0
    centered : bool, default False

    Examples
    --------
    >>> import fastprop as fp
    >>> fp.RMSprop(momentum=0.9)
    RMSprop(lr=0.01, alpha=0.99, eps=1e-08, momentum=0.9)
    """

    kind, code, torch = "rmsprop", 3, "RMSprop"
    _checks = {**Optimizer._checks,
               "alpha": lambda v: check_float(v, "alpha", non_negative=True, below=1.0),
               "eps": lambda v: check_float(v, "eps", positive=True),
               "momentum": lambda v: check_float(v, "momentum", non_negative=True),
               "centered": lambda v: _check_bool(v, "centered")}

    def __init__(self, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__()
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.weight_decay, self.momentum, self.centered = weight_decay, momentum, centered

    def _state_names(self):
        return ("square_avg", "momentum_buffer" if self.momentum else None,
                "grad_avg" if self.centered else None)

    def kernel_arguments(self):
        return (self.alpha, self.eps, self.momentum)

    def _rule(self, params, g):
        a = self.alpha
        s = self.state["square_avg"]
        s *= a
        s += (1 - a) * g * g
        if self.centered:
            ga = self.state["grad_avg"]
            ga += (1 - a) * (g - ga)
            avg = np.sqrt(s - ga * ga) + self.eps
        else:
            avg = np.sqrt(s) + self.eps
        if self.momentum:
            b = self.state["momentum_buffer"]
            b *= self.momentum
            b += g / avg
            params -= self.lr * b
        else:
            params -= self.lr * (g / avg)

    symbols = {"square_avg": "s", "grad_avg": "ḡ", "momentum_buffer": "u"}

    def _explain(self, n, w, g, before, after, new, f, p):
        a, s = self.alpha, after["square_avg"]
        lines = [f"s = α·s + (1 − α)·g² = {f(a)}×{f(before['square_avg'])} + {f(1 - a)}×"
                 f"{p(g)}² = {f(s)}"]
        if self.centered:
            ga = after["grad_avg"]
            lines.append(f"ḡ = ḡ + (1 − α)·(g − ḡ) = {p(before['grad_avg'])} + {f(1 - a)}×"
                         f"({p(g)} − {p(before['grad_avg'])}) = {f(ga)}")
            d = np.sqrt(s - ga * ga) + self.eps
            lines.append(f"d = √(s − ḡ²) + ε = √({f(s)} − {p(ga)}²) + {self.eps:g} = {f(d)}")
        else:
            d = np.sqrt(s) + self.eps
            lines.append(f"d = √s + ε = √{f(s)} + {self.eps:g} = {f(d)}")
        lr = f(self.lr)
        if self.momentum:
            u = after["momentum_buffer"]
            lines += [f"u = μ·u + g/d = {f(self.momentum)}×{p(before['momentum_buffer'])} + "
                      f"{p(g)}/{f(d)} = {f(u)}",
                      f"{n}_new = {n} − η·u = {f(w)} − {lr}×{p(u)} = {f(new)}"]
        else:
            lines.append(f"{n}_new = {n} − η·g/d = {f(w)} − {lr}×{p(g)}/{f(d)} = {f(new)}")
        return lines

    def __repr__(self):
        extra = "".join(f", {k}={v}" for k, v in (("weight_decay", self.weight_decay),
                                                   ("momentum", self.momentum),
                                                   ("centered", self.centered)) if v)
        return f"RMSprop(lr={self.lr}, alpha={self.alpha}, eps={self.eps}{extra})"


class Adagrad(Optimizer):
    """Adagrad (PyTorch's rules), at step t = 1, 2, …::

        g ← g + weight_decay·p ;  η = lr / (1 + (t − 1)·lr_decay)
        Σ ← Σ + g² ;  p ← p − η·g / (√Σ + eps)

    Parameters
    ----------
    lr : float, default 1e-2
    lr_decay : float, default 0
    weight_decay : float, default 0
    initial_accumulator_value : float, default 0
        Σ before the first step.
    eps : float, default 1e-10

    Examples
    --------
    >>> import fastprop as fp
    >>> fp.Adagrad()
    Adagrad(lr=0.01, eps=1e-10)
    """

    kind, code, torch = "adagrad", 4, "Adagrad"
    _checks = {**Optimizer._checks,
               "lr_decay": lambda v: check_float(v, "lr_decay", non_negative=True),
               "eps": lambda v: check_float(v, "eps", positive=True),
               "initial_accumulator_value": lambda v: check_float(
                   v, "initial_accumulator_value", non_negative=True)}

    def __init__(self, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10):
        super().__init__()
        self.lr, self.lr_decay, self.weight_decay = lr, lr_decay, weight_decay
        self.initial_accumulator_value, self.eps = initial_accumulator_value, eps

    def _state_names(self):
        return ("sum",)

    def _new_state(self, name, n_params, dtype):
        return np.full(n_params, self.initial_accumulator_value, dtype=dtype)

    def kernel_arguments(self):
        return (self.lr_decay, self.eps)

    def _rule(self, params, g):
        clr = self.lr / (1 + (self.t - 1) * self.lr_decay)
        total = self.state["sum"]
        total += g * g
        params -= clr * (g / (np.sqrt(total) + self.eps))

    symbols = {"sum": "Σ"}

    def step_note(self, f):
        return (f"η_t = η/(1 + (t − 1)·lr_decay) = "
                f"{f(self.lr / (1 + (self.t - 1) * self.lr_decay))}")

    def _explain(self, n, w, g, before, after, new, f, p):
        total, eta = after["sum"], self.lr / (1 + (self.t - 1) * self.lr_decay)
        return [f"Σ = Σ + g² = {f(before['sum'])} + {p(g)}² = {f(total)}",
                f"{n}_new = {n} − η_t·g/(√Σ + ε) = {f(w)} − {f(eta)}×{p(g)}/(√{f(total)} + "
                f"{self.eps:g}) = {f(new)}"]

    def __repr__(self):
        extra = "".join(f", {k}={v}" for k, v in (
            ("lr_decay", self.lr_decay), ("weight_decay", self.weight_decay),
            ("initial_accumulator_value", self.initial_accumulator_value)) if v)
        return f"Adagrad(lr={self.lr}{extra}, eps={self.eps})"
