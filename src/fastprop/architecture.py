"""The shape of a network and the layout of its one flat parameter buffer.

Layer ``l`` (0-based, ``sizes[l] -> sizes[l+1]``) owns a contiguous slice of the buffer:
its weights W_l, shape (fan_in, fan_out), row-major, then (when ``bias``) its biases b_l,
shape (fan_out,). Gradients and optimizer state are flat buffers with the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .activations import ACTIVATIONS, LEAKY_SLOPE
from .losses import LOSSES


@dataclass(frozen=True)
class Architecture:
    sizes: tuple[int, ...]
    activations: tuple[str, ...]  # one per layer of weights; the last is the output's
    loss: str
    bias: bool
    dtype: np.dtype
    leaky_slope: float = LEAKY_SLOPE
    huber_delta: float = 1.0
    dropout: tuple[float, ...] = ()  # per hidden layer (fastprop.dropout); () for none
    w_offsets: tuple[int, ...] = field(init=False)
    b_offsets: tuple[int, ...] = field(init=False)
    n_params: int = field(init=False)

    def __post_init__(self):
        w_off, b_off, pos = [], [], 0
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            w_off.append(pos)
            pos += fan_in * fan_out
            b_off.append(pos)
            if self.bias:
                pos += fan_out
        object.__setattr__(self, "w_offsets", tuple(w_off))
        object.__setattr__(self, "b_offsets", tuple(b_off))
        object.__setattr__(self, "n_params", pos)

    @property
    def n_layers(self) -> int:
        """Number of weight layers (len(sizes) − 1)."""
        return len(self.sizes) - 1

    @property
    def output(self) -> str:
        return self.activations[-1]

    @property
    def activation_codes(self) -> np.ndarray:
        return np.array([ACTIVATIONS[a].code for a in self.activations], dtype=np.intc)

    @property
    def layer_dropout(self) -> tuple[float, ...]:
        """The dropout rate of each layer's output a_1 … a_L (0 for the output layer and
        for a network without dropout)."""
        rates = self.dropout or (0.0,) * (self.n_layers - 1)
        return tuple(rates) + (0.0,)

    @property
    def keeps_z(self) -> tuple[bool, ...]:
        """Per layer: whether its activation's f′ needs z (the engines keep z then)."""
        return tuple(ACTIVATIONS[a].needs_z for a in self.activations)

    @property
    def loss_code(self) -> int:
        return LOSSES[self.loss].code

    def weight_views(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views W_l (fan_in, fan_out) into a flat buffer with this layout."""
        return [
            flat[off:off + i * o].reshape(i, o)
            for off, i, o in zip(self.w_offsets, self.sizes[:-1], self.sizes[1:])
        ]

    def bias_views(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views b_l (fan_out,) into a flat buffer; empty when the network has no biases."""
        if not self.bias:
            return []
        return [flat[off:off + o] for off, o in zip(self.b_offsets, self.sizes[1:])]

    def to_dict(self) -> dict:
        return {
            "sizes": list(self.sizes),
            "activations": list(self.activations),
            "loss": self.loss,
            "bias": self.bias,
            "dtype": self.dtype.name,
            "leaky_slope": self.leaky_slope,
            "huber_delta": self.huber_delta,
            "dropout": list(self.dropout),
        }
