"""Activation functions: names, and which of them may go where.

The math lives in the engines (``fastprop.engines``); this module is the catalogue the
rest of the package validates names against. A new activation is one entry here and one
entry in each engine's table.
"""

from __future__ import annotations

#: Hidden or output activations, with their integer codes for the compiled kernels.
ACTIVATIONS = {
    "identity": 0,
    "relu": 1,
    "leaky_relu": 2,
    "sigmoid": 3,
    "tanh": 4,
    "softmax": 5,
}
#: Activations that make sense only on the output layer.
OUTPUT_ONLY = {"softmax"}
#: Slope of leaky_relu for z < 0 (PyTorch's default ``negative_slope``).
LEAKY_SLOPE = 0.01

#: Short symbols used in reprs and printed traces.
SYMBOLS = {
    "identity": "id",
    "relu": "relu",
    "leaky_relu": "lrelu",
    "sigmoid": "σ",
    "tanh": "tanh",
    "softmax": "softmax",
}


def check_activation(name, argument: str, *, output: bool) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{argument} must be an activation name (str), got {name!r}")
    if name not in ACTIVATIONS:
        raise ValueError(
            f"{argument}={name!r} is not an activation; expected one of {sorted(ACTIVATIONS)}"
        )
    if not output and name in OUTPUT_ONLY:
        raise ValueError(f"{argument}={name!r}: {name} can only be the output activation")
    return name
