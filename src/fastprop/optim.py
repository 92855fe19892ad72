"""Optimizers: hyperparameters and state, following ``torch.optim`` exactly.

The update arithmetic lives in the engines (one pass over the flat parameter buffer);
an optimizer object holds its hyperparameters, its flat state buffers and its step count.
Reusing an optimizer across ``fit`` calls continues its state, as in PyTorch.

SGD (PyTorch, dampening 0), per parameter p with gradient g::

    g  ← g + weight_decay·p
    v  ← momentum·v + g                      (v = 0 before the first step)
    d  ← g + momentum·v  if nesterov  else  v     (d = g when momentum = 0)
    p  ← p − lr·d

Adam (PyTorch, amsgrad off), at step t = 1, 2, …::

    g  ← g + weight_decay·p
    m  ← β₁·m + (1 − β₁)·g ;  v ← β₂·v + (1 − β₂)·g²
    p  ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + eps)
"""

from __future__ import annotations

import numpy as np

from ._validation import check_float


class Optimizer:
    """Base class: state buffers are allocated on first use for a parameter buffer."""

    kind: str = ""
    lr: float

    def __init__(self) -> None:
        self.state: dict[str, np.ndarray] = {}
        self.t = 0
        self._n_params: int | None = None
        self._dtype: np.dtype | None = None

    def _state_names(self) -> tuple[str, ...]:
        return ()

    def bind(self, n_params: int, dtype: np.dtype) -> None:
        """Allocate (once) flat state buffers for ``n_params`` parameters of ``dtype``."""
        if self._n_params is None:
            self._n_params, self._dtype = n_params, np.dtype(dtype)
            self.state = {k: np.zeros(n_params, dtype=dtype) for k in self._state_names()}
        elif self._n_params != n_params or self._dtype != np.dtype(dtype):
            raise ValueError(
                f"optimizer is already bound to a network with {self._n_params} "
                f"{self._dtype} parameters; this one has {n_params} {np.dtype(dtype)}: "
                "use a new optimizer object for each network"
            )

    def reset(self) -> None:
        """Forget all state (momentum, moments, step count)."""
        self.state, self.t, self._n_params, self._dtype = {}, 0, None, None

    def snapshot(self) -> tuple[int, dict[str, np.ndarray]]:
        return self.t, {k: v.copy() for k, v in self.state.items()}

    def restore(self, snap) -> None:
        t, state = snap
        self.t = t
        for k, v in state.items():
            self.state[k][...] = v


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

    kind = "sgd"

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        super().__init__()
        self.lr = check_float(lr, "lr", positive=True)
        self.momentum = check_float(momentum, "momentum", non_negative=True)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True requires momentum > 0")
        self.nesterov = bool(nesterov)
        self.weight_decay = check_float(weight_decay, "weight_decay", non_negative=True)

    def _state_names(self):
        return ("momentum_buffer",) if self.momentum else ()

    def __repr__(self):
        extra = "".join(
            f", {k}={v}" for k, v in
            (("momentum", self.momentum), ("nesterov", self.nesterov),
             ("weight_decay", self.weight_decay)) if v
        )
        return f"SGD(lr={self.lr}{extra})"


class Adam(Optimizer):
    """Adam with bias correction (PyTorch's rules, eps outside the square root).

    Parameters
    ----------
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
        L2 penalty added to the gradient (not decoupled: that is AdamW).

    Examples
    --------
    >>> import fastprop as fp
    >>> fp.Adam(lr=0.01)
    Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08)
    """

    kind = "adam"

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__()
        self.lr = check_float(lr, "lr", positive=True)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise TypeError(f"betas must be a pair of floats, got {betas!r}") from None
        self.betas = (check_float(b1, "betas[0]", non_negative=True, below=1.0),
                      check_float(b2, "betas[1]", non_negative=True, below=1.0))
        self.eps = check_float(eps, "eps", positive=True)
        self.weight_decay = check_float(weight_decay, "weight_decay", non_negative=True)

    def _state_names(self):
        return ("exp_avg", "exp_avg_sq")

    def __repr__(self):
        wd = f", weight_decay={self.weight_decay}" if self.weight_decay else ""
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}{wd})"


def check_optimizer(optimizer) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be fp.SGD(...) or fp.Adam(...), got {type(optimizer).__name__}"
        )
    return optimizer
