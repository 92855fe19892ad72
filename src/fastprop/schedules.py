"""Learning-rate schedules: the rate of each epoch, as ``torch.optim.lr_scheduler`` gives it.

``fit(..., lr_schedule=s)`` trains epoch e at ``s.rate(e, base_lr, n_samples)``, where
``base_lr`` is the optimizer's ``lr`` and e counts the epochs trained with that optimizer
(``optimizer.epochs``): a scheduler stepped once after every epoch, as PyTorch steps
them, that continues where it was when the same optimizer (a saved one too) trains on.
A schedule depends on the epoch number only, so ``fit`` computes the rates of all its
epochs before it starts and the compiled engine runs them without returning to Python.
``history.lr`` records the rate of every epoch. (Rates that react to the validation
loss are a callback: ``fastprop.callbacks.ReduceLROnPlateau``.)

With η the base rate and e the epoch (0, 1, …)::

    StepLR(s, γ)              η·γ^⌊e/s⌋
    MultiStepLR(ms, γ)        η·γ^(number of milestones ≤ e)
    ExponentialLR(γ)          η·γᵉ
    CosineAnnealingLR(T, m)   m + (η − m)·(1 + cos(π·e/T))/2
    LinearLR(f₀, f₁, T)       η·(f₀ + (f₁ − f₀)·min(e, T)/T)          (warm-up)
    InvScaling(p)             η/(e·n + 1)^p   n: the training samples  (scikit-learn's)
    LambdaLR(f)               η·f(e)

>>> import fastprop as fp
>>> [fp.schedules.StepLR(2, gamma=0.5).rate(e, 0.1) for e in range(5)]
[0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence

import numpy as np

from ._validation import check_float, check_int

__all__ = ["CosineAnnealingLR", "ExponentialLR", "InvScaling", "LambdaLR", "LinearLR",
           "MultiStepLR", "Schedule", "StepLR", "check_schedule"]


class Schedule:
    """Base class: ``rate(epoch, base_lr, n_samples)`` is the learning rate of an epoch.

    A subclass defines ``rate``; its hyperparameters are checked in its constructor.
    ``torch`` names the ``torch.optim.lr_scheduler`` class with the same rule.
    """

    torch: str = ""

    def rate(self, epoch: int, base_lr: float, n_samples: int = 1) -> float:
        raise NotImplementedError

    def rates(self, first_epoch: int, epochs: int, base_lr: float,
              n_samples: int = 1) -> np.ndarray:
        """The rates of epochs ``first_epoch`` … ``first_epoch + epochs − 1`` (float64),
        each finite and ≥ 0, or a ValueError naming the first that is not.

        >>> import fastprop as fp
        >>> fp.schedules.ExponentialLR(0.5).rates(1, 3, 1.0).tolist()
        [0.5, 0.25, 0.125]
        """
        out = np.empty(epochs, dtype=np.float64)
        for e in range(epochs):
            try:
                out[e] = self.rate(first_epoch + e, base_lr, n_samples)
            except OverflowError:
                out[e] = np.inf
        bad = ~(np.isfinite(out) & (out >= 0))
        if bad.any():
            e = int(np.argmax(bad))
            raise ValueError(f"lr_schedule {self!r} gives the rate {out[e]!r} at epoch "
                             f"{first_epoch + e}: rates must be finite and >= 0")
        return out

    def __repr__(self):
        import inspect

        args = ", ".join(f"{name}={getattr(self, name)!r}"
                         for name in inspect.signature(type(self)).parameters)
        return f"{type(self).__name__}({args})"


def _gamma(value) -> float:
    return check_float(value, "gamma", positive=True)


class StepLR(Schedule):
    """η·γ^⌊e / step_size⌋: the rate times γ every ``step_size`` epochs.

    >>> StepLR(3).rate(3, 1.0)
    0.1
    """

    torch = "StepLR"

    def __init__(self, step_size: int, gamma: float = 0.1):
        self.step_size = check_int(step_size, "step_size", minimum=1)
        self.gamma = _gamma(gamma)

    def rate(self, epoch, base_lr, n_samples=1):
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(Schedule):
    """η·γ^k, k the number of ``milestones`` (epochs; a repeated one counts twice) ≤ e.

    >>> [MultiStepLR([1, 3], gamma=0.5).rate(e, 1.0) for e in range(4)]
    [1.0, 0.5, 0.5, 0.25]
    """

    torch = "MultiStepLR"

    def __init__(self, milestones: Sequence[int], gamma: float = 0.1):
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise TypeError(f"milestones must be a list of epochs, got {milestones!r}")
        self.milestones = sorted(check_int(m, "milestones[...]", minimum=0)
                                 for m in milestones)
        self.gamma = _gamma(gamma)

    def rate(self, epoch, base_lr, n_samples=1):
        return base_lr * self.gamma ** bisect_right(self.milestones, epoch)


class ExponentialLR(Schedule):
    """η·γᵉ.

    >>> ExponentialLR(0.5).rate(2, 1.0)
    0.25
    """

    torch = "ExponentialLR"

    def __init__(self, gamma: float):
        self.gamma = _gamma(gamma)

    def rate(self, epoch, base_lr, n_samples=1):
        return base_lr * self.gamma ** epoch


class CosineAnnealingLR(Schedule):
    """eta_min + (η − eta_min)·(1 + cos(π·e / T_max))/2: from η down to eta_min at
    epoch T_max (and, as PyTorch's, back up after it).

    >>> CosineAnnealingLR(4).rate(2, 1.0)
    0.5
    """

    torch = "CosineAnnealingLR"

    def __init__(self, T_max: int, eta_min: float = 0.0):  # noqa: N803 (PyTorch's name)
        self.T_max = check_int(T_max, "T_max", minimum=1)
        self.eta_min = check_float(eta_min, "eta_min", non_negative=True)

    def rate(self, epoch, base_lr, n_samples=1):
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class LinearLR(Schedule):
    """η·f, f going linearly from ``start_factor`` to ``end_factor`` over the first
    ``total_iters`` epochs, then staying there (a warm-up when f rises).

    >>> [round(LinearLR(0.25, 1.0, 3).rate(e, 1.0), 4) for e in range(5)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    torch = "LinearLR"

    def __init__(self, start_factor: float = 1 / 3, end_factor: float = 1.0,
                 total_iters: int = 5):
        self.start_factor = check_float(start_factor, "start_factor", positive=True,
                                        at_most=1.0)
        self.end_factor = check_float(end_factor, "end_factor", non_negative=True,
                                      at_most=1.0)
        self.total_iters = check_int(total_iters, "total_iters", minimum=1)

    def rate(self, epoch, base_lr, n_samples=1):
        done = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * done)


class InvScaling(Schedule):
    """η/(e·n + 1)^power_t, n the number of training samples: scikit-learn's
    ``learning_rate="invscaling"`` (its step counter is the samples seen).

    >>> InvScaling(0.5).rate(1, 1.0, n_samples=3)
    0.5
    """

    torch = ""

    def __init__(self, power_t: float = 0.5):
        self.power_t = check_float(power_t, "power_t", non_negative=True)

    def rate(self, epoch, base_lr, n_samples=1):
        return base_lr / (epoch * n_samples + 1) ** self.power_t


class LambdaLR(Schedule):
    """η·lr_lambda(e), for any rule of the epoch number.

    >>> LambdaLR(lambda e: 1 / (e + 1)).rate(3, 1.0)
    0.25
    """

    torch = "LambdaLR"

    def __init__(self, lr_lambda: Callable[[int], float]):
        if not callable(lr_lambda):
            raise TypeError(f"lr_lambda must be a function of the epoch, got {lr_lambda!r}")
        self.lr_lambda = lr_lambda

    def rate(self, epoch, base_lr, n_samples=1):
        return base_lr * float(self.lr_lambda(epoch))


def check_schedule(schedule) -> Schedule | None:
    """``fit``'s ``lr_schedule``: None or a ``Schedule``."""
    if schedule is not None and not isinstance(schedule, Schedule):
        raise TypeError("lr_schedule must be a fastprop.schedules schedule (StepLR, "
                        f"CosineAnnealingLR, …) or None, got {schedule!r}")
    return schedule
