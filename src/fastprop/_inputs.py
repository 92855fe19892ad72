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


def check_columns(X, columns, name: str = "X") -> None:
    """A DataFrame's columns must be the ones the network was fitted on, in their order
    (``columns``, or None when it was not fitted on named columns)."""
    if columns is None or not hasattr(X, "columns"):
        return
    given = [str(c) for c in X.columns]
    if given != list(columns):
        missing = [c for c in columns if c not in given]
        extra = [c for c in given if c not in columns]
        detail = f"missing {missing}" if missing else f"unexpected {extra}" if extra else \
            "in another order"
        raise ValueError(f"{name} has columns {given}, but the network was fitted on "
                         f"{list(columns)} ({detail}): pass the same columns in the same "
                         "order")


def inputs(arch: Architecture, X, name: str = "X", columns=None) -> tuple[np.ndarray, bool]:
    """Validated (n, n_in) array in the network's dtype; also tells whether X was one 1-D
    sample. A DataFrame's columns are checked against ``columns`` (``check_columns``)."""
    check_columns(X, columns, name)
    arr = numeric_array(X, name)
    single = arr.ndim == 1
    return as_float_matrix(arr, name, arch.dtype, arch.sizes[0], allow_1d_as_row=single), \
        single


def data(arch: Architecture, X, y, name_x: str = "X", name_y: str = "y", columns=None):
    """Validated (X, Y) for the network's loss (``X`` may be a ``fp.Dataset``, then ``y``
    is None); Y is (n, n_out) in the dtype."""
    if isinstance(X, Dataset):
        if y is not None:
            raise TypeError(f"{name_x} is a Dataset: pass {name_y}=None (it holds the targets)")
        X, y = X.X, X.y
    elif y is None:
        raise TypeError(f"{name_y} is required (the targets) unless {name_x} is a fp.Dataset")
    Xv, single = inputs(arch, X, name_x, columns)
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
