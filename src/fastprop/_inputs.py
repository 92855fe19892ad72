"""The arrays a network's methods take, checked against its architecture: inputs X,
targets y for its loss, sample weights and validation data. Each check raises
``TypeError``/``ValueError`` naming the argument, before anything is computed.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_matrix, as_sample_weights, check_pair, numeric_array
from .architecture import Architecture
from .dataset import Dataset
from .losses import prepare_targets


def inputs(arch: Architecture, X, name: str = "X") -> tuple[np.ndarray, bool]:
    """Validated (n, n_in) array in the network's dtype; also tells whether X was one 1-D
    sample."""
    arr = numeric_array(X, name)
    single = arr.ndim == 1
    return as_float_matrix(arr, name, arch.dtype, arch.sizes[0], allow_1d_as_row=single), \
        single


def data(arch: Architecture, X, y, name_x: str = "X", name_y: str = "y"):
    """Validated (X, Y) for the network's loss (``X`` may be a ``fp.Dataset``, then ``y``
    is None); Y is (n, n_out) in the dtype."""
    if isinstance(X, Dataset):
        if y is not None:
            raise TypeError(f"{name_x} is a Dataset: pass {name_y}=None (it holds the targets)")
        X, y = X.X, X.y
    elif y is None:
        raise TypeError(f"{name_y} is required (the targets) unless {name_x} is a fp.Dataset")
    Xv, single = inputs(arch, X, name_x)
    if single:
        y = np.asarray(y) if not isinstance(y, np.ndarray) else y
        if y.dtype != object:
            y = y.reshape(1) if y.ndim == 0 else y.reshape(1, -1)
    Y = prepare_targets(y, arch.loss, arch.sizes[-1], Xv.shape[0], arch.dtype, name_y)
    return Xv, Y


def sample_weights(arch: Architecture, sample_weight, n: int):
    """Validated weights, one per sample, in the dtype; None stays None."""
    return None if sample_weight is None else \
        as_sample_weights(sample_weight, n, arch.dtype)


def validation(arch: Architecture, validation_data):
    """``fit``'s ``validation_data`` — a pair (X, y), a ``fp.Dataset`` or None — as
    validated (X, Y), or None."""
    if validation_data is None:
        return None
    if isinstance(validation_data, Dataset):
        return data(arch, validation_data, None, "validation_data", "validation_data")
    Xval, yval = check_pair(validation_data, "validation_data")
    return data(arch, Xval, yval, "validation_data[0]", "validation_data[1]")
