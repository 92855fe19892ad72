"""Dask collections in, row blocks out: what ``fastprop.dask`` accepts as data, and its
predictions as lazy dask arrays, one block per block of the input."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np


def _is_frame(obj) -> bool:
    """A dask DataFrame or Series (imported only when one may be there: dask.dataframe
    needs pandas)."""
    if not dask.is_dask_collection(obj) or isinstance(obj, da.Array):
        return False
    import dask.dataframe as dd

    return isinstance(obj, dd.DataFrame | dd.Series)


def feature_names(X) -> np.ndarray | None:
    """The column names of a dask DataFrame when they are all strings (scikit-learn's
    ``feature_names_in_``), else None."""
    if not _is_frame(X) or X.ndim != 2:
        return None
    names = [str(c) if isinstance(c, str) else None for c in X.columns]
    return None if None in names else np.asarray(names, dtype=object)


def rows(data, name: str, *, ndim: tuple[int, ...] = (2,), lengths: bool = True):
    """``data`` (dask array, DataFrame or Series) as a dask array cut into blocks of rows
    only (a block holds whole rows). With ``lengths`` the rows of every block are known
    (a DataFrame's partitions are counted)."""
    if _is_frame(data):
        if data.ndim == 2:
            from pandas.api.types import is_bool_dtype, is_numeric_dtype

            bad = [str(c) for c, t in data.dtypes.items()
                   if not (is_numeric_dtype(t) or is_bool_dtype(t))]
            if bad:
                raise ValueError(f"{name} has columns that are not numbers: "
                                 f"{', '.join(bad[:5])}: encode them first (for "
                                 "example with fastprop.tabular)")
        data = data.to_dask_array(lengths=True if lengths else None)
    elif not isinstance(data, da.Array):
        raise TypeError(f"{name} must be a dask array, DataFrame or Series, got "
                        f"{type(data).__name__}")
    if data.ndim not in ndim:
        raise ValueError(f"{name} must have {' or '.join(map(str, ndim))} dimensions, "
                         f"got shape {data.shape}")
    if lengths and any(np.isnan(c) for c in data.chunks[0]):
        data = data.compute_chunk_sizes()
    if data.ndim == 2 and len(data.chunks[1]) > 1:
        data = data.rechunk({1: -1})
    return data


def aligned(X: da.Array, other: da.Array | None, name: str) -> da.Array | None:
    """``other`` cut into the row blocks of ``X`` (the same rows in the same block)."""
    if other is None:
        return None
    if other.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but {name} has {other.shape[0]}")
    if other.chunks[0] != X.chunks[0]:
        other = other.rechunk({0: X.chunks[0]})
    return other


def classes(y: da.Array) -> np.ndarray:
    """The sorted distinct labels of ``y`` (computed on the cluster)."""
    return np.unique(da.unique(y).compute())


def class_counts(y: da.Array, labels: np.ndarray) -> np.ndarray:
    """How many rows of ``y`` have each of ``labels`` (computed on the cluster)."""
    codes = y.map_blocks(_codes, labels, dtype=np.intp)
    return da.bincount(codes, minlength=len(labels)).compute()


def _codes(block, labels):
    """Each label of ``block`` as its index in the sorted ``labels``."""
    return np.searchsorted(labels, block)


def map_rows(estimator, X, method: str, n_columns: int | None, dtype) -> da.Array:
    """``estimator.<method>`` applied to each row block of ``X``, lazily: a dask array
    with ``n_columns`` columns (None: one value per row)."""
    X = rows(X, "X", lengths=False)
    if n_columns is None:
        return X.map_blocks(_apply, estimator, method, drop_axis=1, dtype=dtype,
                            meta=np.empty((0,), dtype))
    return X.map_blocks(_apply, estimator, method, chunks=(X.chunks[0], (n_columns,)),
                        dtype=dtype, meta=np.empty((0, n_columns), dtype))


def _apply(block, estimator, method: str):
    return getattr(estimator, method)(block)
