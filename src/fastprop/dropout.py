"""Dropout: the documented generator of each training step's masks.

Inverted dropout on the hidden activations, during ``fit`` only: unit i of hidden layer
l (the activations a_l, l = 1 … L−1) is kept with probability 1 − p_l and then scaled
by 1/(1 − p_l), so that its expected value is unchanged; ``predict``, ``loss``,
``evaluate`` and ``gradients`` use every unit (``gradients(..., training=True)`` draws
the masks of the next training step).

Both engines draw exactly these masks (the compiled engine in C, tested against this
module), so the engines still agree with dropout on. For seed s, epoch e, batch b (its
index in the epoch), layer l and element i = row·width + unit of the batch's a_l (all
unsigned 64-bit, mod 2⁶⁴; ``mix`` and γ as in ``fastprop.shuffle``)::

    stream = mix(mix(mix((s ⊕ σ) + γ·(e + 1)) + γ·(b + 1)) + γ·(l + 1))
    u_i    = (mix(stream + γ·(i + 1)) >> 11) · 2⁻⁵³          uniform in [0, 1)
    keep_i = u_i ≥ p_l ;  scale_i = 1/(1 − p_l) if keep_i else 0   σ = 0xD1B54A32D192ED03

The seed and the epochs are those of the shuffle: ``fit``'s ``seed`` with epochs counted
from 0 in that call, else the network's seed with epochs counted over all its fits.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .shuffle import _MASK, GAMMA, _mix

SALT = 0xD1B54A32D192ED03


def check_dropout(dropout, n_hidden: int) -> tuple[float, ...]:
    """One rate in [0, 1) per hidden layer (one number: the same for all); () when every
    rate is 0.

    >>> check_dropout(0.2, 2), check_dropout([0.5, 0], 2), check_dropout(0, 3)
    ((0.2, 0.2), (0.5, 0.0), ())
    """
    if isinstance(dropout, (numbers.Real, np.floating)) and not isinstance(dropout, bool):
        rates = [float(dropout)] * n_hidden
    elif isinstance(dropout, Sequence) and not isinstance(dropout, str):
        rates = list(dropout)
        if len(rates) != n_hidden:
            raise ValueError(f"dropout must be one rate or {n_hidden} rates (one per "
                             f"hidden layer), got {len(rates)}")
    else:
        raise TypeError(f"dropout must be a rate in [0, 1) or one per hidden layer, got "
                        f"{dropout!r}")
    for k, rate in enumerate(rates):
        if isinstance(rate, bool) or not isinstance(rate, (numbers.Real, np.floating)) or \
                not 0 <= float(rate) < 1:
            raise ValueError(f"dropout[{k}] must be in [0, 1), got {rate!r}")
    rates = [float(r) for r in rates]
    return tuple(rates) if any(rates) else ()


def keep_scales(rate: float, shape: tuple[int, int], seed: int, epoch: int, batch: int,
                layer: int, dtype) -> np.ndarray:
    """The mask of hidden layer ``layer`` (its a_l, l ≥ 1) for one batch: 1/(1 − rate)
    where a unit is kept, 0 where it is dropped, of ``shape`` (rows, width), in ``dtype``.

    >>> m = keep_scales(0.5, (2, 3), seed=0, epoch=0, batch=0, layer=1, dtype="float64")
    >>> sorted(set(m.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    """
    with np.errstate(over="ignore"):
        stream = np.array([((seed ^ SALT) + GAMMA * (epoch + 1)) & _MASK], dtype=np.uint64)
        for step in (batch, layer):
            stream = _mix(stream) + np.uint64(GAMMA) * np.uint64(step + 1)
        stream = _mix(stream)[0]
        n = shape[0] * shape[1]
        h = _mix(np.arange(1, n + 1, dtype=np.uint64) * np.uint64(GAMMA) + stream)
    u = (h >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    scale = np.asarray(1 / (1 - rate), dtype=dtype)
    return np.where(u >= rate, scale, np.zeros((), dtype=dtype)).astype(dtype).reshape(shape)
