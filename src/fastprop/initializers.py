"""Parameter initialisation schemes (seeded through ``numpy.random.default_rng``).

======================  ==========================================  ==============
init                    weights W_l (fan_in × fan_out)              biases
======================  ==========================================  ==============
``"he"``                N(0, 2/fan_in)          (Kaiming normal)    0
``"xavier"``            U(±√(6/(fan_in+fan_out)))  (Glorot uniform) 0
``"normal"``            N(0, 1/fan_in)          (LeCun normal)      0
``"uniform"``           U(±1/√fan_in)           (PyTorch Linear)    U(±1/√fan_in)
a number c              c                                           0
======================  ==========================================  ==============
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .architecture import Architecture

INITS = ("he", "xavier", "normal", "uniform")


def check_init(init):
    if isinstance(init, bool):
        raise TypeError(f"init must be one of {INITS} or a number, got {init!r}")
    if isinstance(init, numbers.Real):
        if not math.isfinite(init):
            raise ValueError(f"init must be a finite number, got {init}")
        return float(init)
    if not isinstance(init, str):
        raise TypeError(f"init must be one of {INITS} or a number, got {init!r}")
    if init not in INITS:
        raise ValueError(
            f"init={init!r} is not an initialiser; expected one of {INITS} or a number"
        )
    return init


def initialize(arch: Architecture, params: np.ndarray, init, rng: np.random.Generator) -> None:
    """Fill the flat buffer ``params`` in place, layer by layer, input to output."""
    weights, biases = arch.weight_views(params), arch.bias_views(params)
    for layer, W in enumerate(weights):
        fan_in, fan_out = W.shape
        if isinstance(init, float):
            W[...] = init
        elif init == "he":
            W[...] = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=W.shape)
        elif init == "xavier":
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            W[...] = rng.uniform(-bound, bound, size=W.shape)
        elif init == "normal":
            W[...] = rng.normal(0.0, math.sqrt(1.0 / fan_in), size=W.shape)
        elif init == "uniform":
            bound = 1.0 / math.sqrt(fan_in)
            W[...] = rng.uniform(-bound, bound, size=W.shape)
        if biases:
            if init == "uniform":
                bound = 1.0 / math.sqrt(fan_in)
                biases[layer][...] = rng.uniform(-bound, bound, size=fan_out)
            else:
                biases[layer][...] = 0.0
