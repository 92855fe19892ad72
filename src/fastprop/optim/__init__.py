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

Adam (PyTorch), at step t = 1, 2, …::

    g  ← g + weight_decay·p            (AdamW instead: p ← p·(1 − lr·weight_decay))
    m  ← β₁·m + (1 − β₁)·g ;  v ← β₂·v + (1 − β₂)·g²
    v̂  ← max(v̂, v) with amsgrad, else v̂ = v
    p  ← p − lr/(1 − β₁ᵗ) · m / (√v̂/√(1 − β₂ᵗ) + eps)

RMSprop and Adagrad: see their classes.
"""

from __future__ import annotations

from ._adam import Adam, AdamW
from ._adaptive import Adagrad, RMSprop
from ._base import Optimizer
from ._sgd import SGD

__all__ = ["OPTIMIZERS", "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop",
           "by_name", "check_optimizer", "from_state_dict"]


#: Every optimizer class by its name (``kind``).
OPTIMIZERS: dict[str, type[Optimizer]] = {cls.kind: cls for cls in (SGD, Adam, AdamW,
                                                                      RMSprop, Adagrad)}


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


def from_state_dict(saved: dict, n_params: int, dtype, layout=None) -> Optimizer:
    """The optimizer ``Optimizer.state_dict`` described, bound to ``n_params`` parameters
    of ``dtype`` (``layout``: the network's sizes and bias), its state buffers, step count
    and epoch count restored; a ValueError names what does not fit.

    >>> import fastprop as fp
    >>> opt = fp.SGD(0.1, momentum=0.9); opt.bind(3, "float64"); opt.t = 7
    >>> again = from_state_dict(opt.state_dict(), 3, "float64")
    >>> again, again.t, sorted(again.state)
    (SGD(lr=0.1, momentum=0.9), 7, ['momentum_buffer'])
    """
    import numpy as np

    kind = saved.get("kind")
    if kind not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {kind!r}")
    config = dict(saved["config"])
    if "betas" in config:
        config["betas"] = tuple(config["betas"])
    optimizer = OPTIMIZERS[kind](**config)
    t, epochs = saved["t"], saved["epochs"]
    for name, value in (("t", t), ("epochs", epochs)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
            raise ValueError(f"optimizer {name} must be an integer in [0, 2**53), got "
                             f"{value!r}")
    state = saved["state"]
    if set(state) != {name for name in optimizer._state_names() if name is not None}:
        raise ValueError(f"optimizer {kind!r} state holds {sorted(state)}")
    if state or t:
        optimizer.bind(n_params, dtype, layout)
        for name, buffer in state.items():
            buffer = np.asarray(buffer)
            if buffer.shape != (n_params,) or not np.isfinite(buffer).all():
                raise ValueError(f"optimizer state {name!r} must be {n_params} finite "
                                 f"numbers, got shape {buffer.shape}")
            optimizer.state[name][...] = buffer
    optimizer.t, optimizer.epochs = t, epochs
    return optimizer
