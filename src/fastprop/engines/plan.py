"""The compiled engine's plan of an architecture: the layout arrays its kernels read
(sizes, activation codes, offsets, dropout rates) and the workspace offsets for a number
of rows. Checked here, once per architecture, so the kernels can trust them."""

from __future__ import annotations

import numpy as np

from .._codes import ActivationCode, LossCode
from .._products import PACK_BYTES


class Plan:
    """The layout arrays of an architecture, and workspace offsets for a number of rows."""

    def __init__(self, arch):
        self.sizes = np.asarray(arch.sizes, dtype=np.intp)
        self.act = np.asarray(arch.activation_codes, dtype=np.intc)
        self.w_off = np.asarray(arch.w_offsets, dtype=np.intp)
        self.b_off = np.asarray(arch.b_offsets, dtype=np.intp)
        self.bias, self.loss, self.slope = arch.bias, arch.loss_code, arch.leaky_slope
        self.loss_param = arch.huber_delta
        self.keeps_z = tuple(bool(k) for k in arch.keeps_z)  # per layer: f′ needs z
        # dropout rate of each layer's output a_l (index l = 1 … L; 0: none)
        self.dropout = np.asarray((0.0,) + arch.layer_dropout, dtype=np.float64)
        self.has_dropout = bool(arch.dropout)
        self.n_params, self.dtype = arch.n_params, arch.dtype
        self.n_in, self.n_out = arch.sizes[0], arch.sizes[len(arch.sizes) - 1]
        if (self.sizes <= 0).any() or len(self.sizes) < 2 or len(self.act) != len(self.sizes) - 1:
            raise ValueError("invalid architecture")
        if not set(self.act.tolist()) <= {int(c) for c in ActivationCode} or \
                self.loss not in {int(c) for c in LossCode}:
            raise ValueError("invalid activation or loss code")
        expected, pos = [], 0
        for i, o in zip(arch.sizes[:len(arch.sizes) - 1], arch.sizes[1:]):
            expected.append(pos)
            pos += i * o + (o if self.bias else 0)
        if pos != self.n_params or list(self.w_off) != expected:
            raise ValueError("layout does not match the architecture")

    def workspace(self, rows: int):
        """(buffer, a_off, z_off, m_off, h_off, (z_out, a_out, d0, d1, xb, yb)) for
        ``rows`` samples: a hidden layer's z is kept beside its a only when its f′ needs
        z, its dropout mask and masked a only with dropout there (else −1). The buffer
        starts with the matrix products' packing scratch (PACK_BYTES)."""
        sizes = self.sizes
        pos = -(-PACK_BYTES // np.dtype(self.dtype).itemsize)
        a_off = np.zeros(len(sizes), dtype=np.intp)
        z_off = np.full(len(sizes), -1, dtype=np.intp)
        m_off = np.full(len(sizes), -1, dtype=np.intp)
        h_off = np.full(len(sizes), -1, dtype=np.intp)
        for layer in range(1, len(sizes) - 1):
            a_off[layer] = pos
            pos += rows * sizes[layer]
            if self.keeps_z[layer - 1]:
                z_off[layer] = pos
                pos += rows * sizes[layer]
            if self.dropout[layer] > 0:
                m_off[layer], h_off[layer] = pos, pos + rows * sizes[layer]
                pos += 2 * rows * sizes[layer]
        k, width = self.n_out, max(sizes[1:])
        offs = []
        for size in (rows * k, rows * k, rows * width, rows * width, rows * sizes[0], rows * k):
            offs.append(pos)
            pos += size
        return np.zeros(pos, dtype=self.dtype), a_off, z_off, m_off, h_off, tuple(offs)
