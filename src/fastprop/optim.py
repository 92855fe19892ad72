"""Optimizers: hyperparameters and state, following ``torch.optim`` exactly.

The catalogue of optimizers: one class per optimizer, and ``OPTIMIZERS`` by name. A class
is the record the rest of the package derives from: its ``code`` in the compiled kernels
(the ``OptimizerCode`` member of the same name in ``csrc/_codes.pxd``), its state buffers,
the arguments its kernel takes (``kernel_arguments``), its ``torch.optim`` counterpart,
and its rule in NumPy (``reference_update``, what the reference engine runs). A new
optimizer is one class here plus its kernel in ``csrc/_optim.pxd`` and its line in
``update`` (``csrc/_step.pxd``).

An optimizer object holds its hyperparameters, its flat state buffers and its step
count. Reusing an optimizer across ``fit`` calls continues its state, as in PyTorch.

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

import math

import numpy as np

from ._validation import check_float


class Optimizer:
    """Base class: state buffers are allocated on first use for a parameter buffer.

    Subclasses set ``kind`` (the name), ``code`` (the kernels' code), ``torch`` (the
    ``torch.optim`` class with the same rule), and define ``_state_names``,
    ``kernel_arguments`` and ``_rule``.

    Examples
    --------
    >>> import fastprop as fp
    >>> opt = fp.Adam(0.01)
    >>> opt.bind(n_params=3, dtype="float64")
    >>> sorted(opt.state), opt.t
    (['exp_avg', 'exp_avg_sq'], 0)
    """

    kind: str = ""
    code: int = -1
    torch: str = ""
    lr: float
    weight_decay: float

    #: Checks of the hyperparameters, applied on every assignment (``opt.lr = -0.5``
    #: raises, as the constructor would): name -> function(value) -> checked value.
    _checks: dict = {"lr": lambda v: check_float(v, "lr", positive=True),
                     "weight_decay": lambda v: check_float(v, "weight_decay",
                                                           non_negative=True)}

    def __init__(self) -> None:
        self.state: dict[str, np.ndarray] = {}
        self.t = 0
        self._n_params: int | None = None
        self._dtype: np.dtype | None = None
        self._layout: tuple | None = None

    def __setattr__(self, name, value):
        check = self._checks.get(name)
        object.__setattr__(self, name, value if check is None else check(value))

    def _state_names(self) -> tuple[str, ...]:
        return ()

    def kernel_arguments(self) -> tuple[float, ...]:
        """The hyperparameters the compiled kernel takes besides lr and weight_decay, in
        its order (``update`` in ``csrc/_step.pxd``)."""
        return ()

    def reference_update(self, params: np.ndarray, grad: np.ndarray) -> None:
        """One step of the rule in NumPy, in place (the reference engine's update; the
        caller has counted the step in ``t``): the gradient plus weight decay, then the
        optimizer's own rule.

        Examples
        --------
        >>> import numpy as np
        >>> opt, p = SGD(0.5), np.array([1.0, 2.0])
        >>> opt.reference_update(p, np.array([1.0, -1.0])); p.tolist()
        [0.5, 2.5]
        """
        g = grad + self.weight_decay * params if self.weight_decay else grad
        self._rule(params, g)

    def _rule(self, params: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError

    def bind(self, n_params: int, dtype: np.dtype, layout: tuple | None = None) -> None:
        """Allocate (once) flat state buffers for ``n_params`` parameters of ``dtype``;
        ``layout`` (a network's sizes and bias) must then stay the same too."""
        if self._n_params is None:
            self._n_params, self._dtype, self._layout = n_params, np.dtype(dtype), layout
            self.state = {k: np.zeros(n_params, dtype=dtype) for k in self._state_names()}
            return
        if layout is not None and self._layout is not None and layout != self._layout:
            raise ValueError(
                f"optimizer is already bound to a network of layout {self._layout}; this "
                f"one is {layout}: use a new optimizer object for each network")
        if self._n_params != n_params or self._dtype != np.dtype(dtype):
            raise ValueError(
                f"optimizer is already bound to a network with {self._n_params} "
                f"{self._dtype} parameters; this one has {n_params} {np.dtype(dtype)}: "
                "use a new optimizer object for each network"
            )
        for name in self._state_names():  # (momentum turned on after the first fit)
            if name not in self.state:
                self.state[name] = np.zeros(n_params, dtype=dtype)

    def reset(self) -> None:
        """Forget all state (momentum, moments, step count).

        Examples
        --------
        >>> opt = SGD(0.1, momentum=0.9); opt.bind(2, "float64"); opt.reset()
        >>> opt.state, opt.t
        ({}, 0)
        """
        self.state, self.t, self._n_params, self._dtype = {}, 0, None, None
        self._layout = None

    def state_is_finite(self) -> bool:
        """Whether every state buffer holds finite numbers only (an overflowed moment
        would freeze its parameter)."""
        return all(np.isfinite(buffer).all() for buffer in self.state.values())

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

    kind, code, torch = "adam", 1, "Adam"
    _checks = {**Optimizer._checks, "betas": lambda v: _check_betas(v),
               "eps": lambda v: check_float(v, "eps", positive=True)}

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__()
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay

    def _state_names(self):
        return ("exp_avg", "exp_avg_sq")

    def kernel_arguments(self):
        return (self.betas[0], self.betas[1], self.eps)

    def _rule(self, params, g):
        b1, b2 = self.betas
        m, v = self.state["exp_avg"], self.state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        step_size = self.lr / (1 - b1 ** self.t)  # Python floats: the arrays keep dtype
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** self.t) + self.eps
        params -= step_size * (m / denom)

    def __repr__(self):
        wd = f", weight_decay={self.weight_decay}" if self.weight_decay else ""
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}{wd})"


def _check_betas(betas) -> tuple[float, float]:
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise TypeError(f"betas must be a pair of floats, got {betas!r}") from None
    return (check_float(b1, "betas[0]", non_negative=True, below=1.0),
            check_float(b2, "betas[1]", non_negative=True, below=1.0))


#: Every optimizer class by its name (``kind``).
OPTIMIZERS: dict[str, type[Optimizer]] = {cls.kind: cls for cls in (SGD, Adam)}


def by_name(name: str, lr: float | None = None) -> Optimizer:
    """The optimizer called ``name`` (``OPTIMIZERS``) with learning rate ``lr``, or its
    class's default rate (PyTorch's: Adam 1e-3), or 0.01 where the class has none (SGD).

    >>> by_name("adam"), by_name("sgd")
    (Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08), SGD(lr=0.01))
    """
    import inspect

    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    kind = OPTIMIZERS[name]
    if lr is None:
        default = inspect.signature(kind).parameters["lr"].default
        lr = 0.01 if default is inspect.Parameter.empty else default
    return kind(lr)


def check_optimizer(optimizer) -> Optimizer:
    """``optimizer`` if it is one of fastprop's optimizers, else a ``TypeError``.

    >>> check_optimizer(SGD(0.1))
    SGD(lr=0.1)
    """
    if not isinstance(optimizer, Optimizer):
        names = " or ".join(f"fp.{cls.__name__}(...)" for cls in OPTIMIZERS.values())
        raise TypeError(f"optimizer must be {names}, got {type(optimizer).__name__}")
    return optimizer
