"""Argument checks shared by every public entry point.

Every check raises ``TypeError`` (wrong kind of thing) or ``ValueError`` (right kind,
wrong value) with a message that names the argument and what was expected. Nothing
here mutates its inputs; conversions return new arrays only when needed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

FLOAT_DTYPES = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32)}


def check_dtype(dtype) -> np.dtype:
    """Return the numpy dtype for ``"float64"``/``"float32"`` (or the equivalent dtype)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be 'float64' or 'float32', got {dtype!r}") from None
    if dt not in FLOAT_DTYPES.values():
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return dt


def check_int(value, name: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_float(value, name: str, *, positive=False, non_negative=False, below=None,
                at_most=None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if non_negative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    if below is not None and not value < below:
        raise ValueError(f"{name} must be < {below}, got {value}")
    if at_most is not None and not value <= at_most:
        raise ValueError(f"{name} must be <= {at_most}, got {value}")
    return value


def check_seed(seed, name: str = "seed") -> int | None:
    if seed is None:
        return None
    seed = check_int(seed, name, minimum=0)
    if seed >= 2**64:
        raise ValueError(f"{name} must be < 2**64, got {seed}")
    return seed


def numeric_array(value, name: str) -> np.ndarray:
    if value is None:
        raise TypeError(f"{name} must be an array of numbers, got None")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got a string")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be a rectangular array of numbers: {exc}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold real numbers (bool, int or float), got dtype {arr.dtype}"
        )
    return arr


def as_float_matrix(value, name: str, dtype: np.dtype, n_columns: int | None = None,
                    allow_1d_as_row: bool = False) -> np.ndarray:
    """Validate ``value`` as a finite 2-D array and return it C-contiguous in ``dtype``.

    A 1-D input is one sample (a row) when ``allow_1d_as_row``; otherwise 1-D is an error.
    Memory-mapped and already-clean arrays are returned without a copy.
    """
    arr = numeric_array(value, name)
    if arr.ndim == 1 and allow_1d_as_row:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (samples, features), got {arr.ndim}-D shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has no samples (shape {arr.shape})")
    if n_columns is not None and arr.shape[1] != n_columns:
        raise ValueError(f"{name} must have {n_columns} columns (features), got {arr.shape[1]}")
    if arr.dtype.kind == "f" and arr.dtype.itemsize > dtype.itemsize:
        with np.errstate(over="ignore"):
            out = np.ascontiguousarray(arr, dtype=dtype)
    else:
        out = np.ascontiguousarray(arr, dtype=dtype)
    check_finite(out, name)
    return out


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ValueError naming ``name`` if ``arr`` holds NaN or inf (checked in chunks,
    so a memory-mapped array is never loaded whole)."""
    if arr.dtype.kind not in "fc":
        return
    rows = max(1, (1 << 20) // max(1, arr[0].size if arr.ndim > 1 and len(arr) else 1))
    for start in range(0, max(len(arr), 1) if arr.ndim else 1, rows):
        chunk = np.asarray(arr[start:start + rows] if arr.ndim else arr)
        if not np.isfinite(chunk).all():
            bad = np.argwhere(~np.isfinite(chunk))[0]
            if arr.ndim:
                bad[0] += start
            raise ValueError(
                f"{name} contains NaN or infinity (first at index {tuple(bad.tolist())})"
            )


def as_label_array(value, name: str) -> np.ndarray:
    """A numeric array of targets (any dimension checked by the caller)."""
    return numeric_array(value, name)


def as_sample_weights(value, n: int, dtype: np.dtype, name: str = "sample_weight") -> np.ndarray:
    """Validate per-sample weights: 1-D, one per sample, finite, ≥ 0 and not all 0;
    returned C-contiguous in ``dtype``."""
    arr = numeric_array(value, name)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be 1-D with one weight per sample ({n}), "
                         f"got shape {arr.shape}")
    out = np.ascontiguousarray(arr, dtype=dtype)
    check_finite(out, name)
    if (out < 0).any():
        raise ValueError(f"{name} must be >= 0, got {out.min()} at index {int(out.argmin())}")
    if not out.any():
        raise ValueError(f"{name} is 0 for every sample: nothing to learn from")
    info = np.finfo(dtype)
    with np.errstate(over="ignore"):
        total = out.sum(dtype=np.float64)
    if out[out > 0].min() < info.tiny or total > info.max / 4:
        # Subnormal weights are flushed to 0 by the compiled engine, and a sum that
        # overflows is inf: the losses are weighted means, so only the weights' ratios
        # count, and these are kept with the largest weight scaled to 1.
        out = out / out.max()
    return out


def check_bool(value, name: str) -> bool:
    """``value`` as a bool if it is True or False (NumPy's included), else TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_sizes(sizes) -> list[int]:
    """Layer sizes, input first: a sequence of at least two positive integers."""
    from collections.abc import Sequence

    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) and \
            not isinstance(sizes, np.ndarray):
        raise TypeError(f"sizes must be a sequence of layer sizes like [3, 2, 1], got {sizes!r}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least 2 layers (inputs and outputs), got {sizes}")
    return [check_int(s, f"sizes[{i}]", minimum=1) for i, s in enumerate(sizes)]


def check_layer_arrays(arrays, name: str, shapes, dtype: np.dtype) -> list[np.ndarray]:
    """One finite real array per layer with the given shapes, converted to ``dtype``
    (``set_weights``'s weights and biases)."""
    if arrays is None or isinstance(arrays, (str, bytes)):
        raise TypeError(f"{name} must be a list of {len(shapes)} arrays, got {arrays!r}")
    try:
        arrays = list(arrays)
    except TypeError:
        raise TypeError(f"{name} must be a list of {len(shapes)} arrays, "
                        f"got {type(arrays).__name__}") from None
    if len(arrays) != len(shapes):
        raise ValueError(
            f"{name} must hold {len(shapes)} arrays (one per layer), got {len(arrays)}"
        )
    out = []
    for i, (arr, shape) in enumerate(zip(arrays, shapes)):
        if arr is None or isinstance(arr, (str, bytes)):
            raise TypeError(f"{name}[{i}] must be an array of numbers, got {arr!r}")
        try:
            a = np.asarray(arr)
        except ValueError:
            raise ValueError(f"{name}[{i}] must be a rectangular array") from None
        if a.dtype == object or a.dtype.kind not in "biuf":
            raise TypeError(f"{name}[{i}] must hold real numbers, got dtype {a.dtype}")
        if a.shape != shape:
            raise ValueError(f"{name}[{i}] must have shape {shape}, got {a.shape}")
        a = a.astype(dtype)
        if not np.isfinite(a).all():
            raise ValueError(f"{name}[{i}] contains NaN or infinity")
        out.append(a)
    return out


def check_network(net, name: str = "net") -> None:
    """A TypeError unless ``net`` is a network: what the views and the interchange read
    of one (its architecture, sizes, weights, biases and predictions)."""
    if not all(hasattr(net, a) for a in ("arch", "sizes", "weights", "biases", "predict")):
        raise TypeError(f"{name} must be a fp.Network, got {type(net).__name__}")


def check_pair(value, name: str) -> tuple:
    """``value`` as a pair (X, y), else TypeError (``validation_data``)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (X, y) or a fp.Dataset, "
                        f"got {type(value).__name__}")
    return tuple(value)


def not_utf8(path, exc: UnicodeDecodeError) -> ValueError:
    """The error for a text file that is not UTF-8, naming the file and the byte."""
    return ValueError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                      f"position {exc.start}); save it as UTF-8")
