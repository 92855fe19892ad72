"""``Dataset``: validated training data, batches, shuffling, splitting, loading."""

from __future__ import annotations

import os
import warnings

import numpy as np

from ._validation import (
    as_float_matrix,
    as_label_array,
    check_dtype,
    check_finite,
    check_float,
    check_int,
    check_seed,
    not_utf8,
)
from .shuffle import epoch_order


class Dataset:
    """Samples ``X`` (n, features) and targets ``y`` (n,) or (n, outputs).

    ``X`` is validated (2-D, finite) and kept C-contiguous in ``dtype`` — a memory-mapped
    array of that dtype is used in place, not copied. ``y`` keeps its values (class ids
    stay integers); the network checks them against its loss when it trains.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
    y : array-like, shape (n_samples,) or (n_samples, n_outputs)
    dtype : {"float64", "float32"}, default "float64"

    Examples
    --------
    >>> import fastprop as fp
    >>> ds = fp.Dataset([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0])
    >>> train, test = ds.split(0.25, seed=0)
    >>> len(train), len(test)
    (3, 1)
    """

    def __init__(self, X, y, dtype="float64") -> None:
        self.dtype = check_dtype(dtype)
        self.X = as_float_matrix(X, "X", self.dtype)
        if self.X.shape[1] == 0:
            raise ValueError(f"X has no feature columns (shape {self.X.shape})")
        y = as_label_array(y, "y")
        if y.ndim not in (1, 2):
            raise ValueError(
                f"y must be 1-D or 2-D (samples first), got {y.ndim}-D shape {y.shape}"
            )
        if y.shape[0] != self.X.shape[0]:
            raise ValueError(
                f"y has {y.shape[0]} samples but X has {self.X.shape[0]}; they must match"
            )
        if y.dtype.kind == "f":
            check_finite(y, "y")
        self.y = np.ascontiguousarray(y)
        # Column names, set by ``from_csv``; None for data given as arrays.
        self.feature_names: list[str] | None = None
        self.target_names: list[str] | None = None

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def __len__(self) -> int:
        return self.X.shape[0]

    def __repr__(self):
        return (f"Dataset(n_samples={self.n_samples}, n_features={self.n_features}, "
                f"y_shape={self.y.shape}, dtype={self.dtype.name})")

    def _subset(self, idx) -> Dataset:
        out = Dataset.__new__(Dataset)
        out.dtype, out.X, out.y = self.dtype, np.ascontiguousarray(self.X[idx]), self.y[idx]
        out.feature_names, out.target_names = self.feature_names, self.target_names
        return out

    def batches(self, batch_size: int, shuffle: bool = False, seed: int | None = None,
                epoch: int = 0):
        """Yield ``(X_batch, y_batch)`` in order, or in epoch ``epoch``'s shuffled order.

        The last partial batch is kept. The order is ``fastprop.shuffle.epoch_order``,
        the same one ``Network.fit`` uses.

        Examples
        --------
        >>> ds = Dataset([[0.0], [1.0], [2.0]], [0, 1, 0])
        >>> [len(X) for X, y in ds.batches(2)]
        [2, 1]
        """
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        seed = check_seed(seed)
        if shuffle:
            if seed is None:
                raise ValueError("shuffle=True needs a seed (an int) to define the order")
            order = epoch_order(len(self), seed, epoch)
        else:
            order = np.arange(len(self))
        for start in range(0, len(self), batch_size):
            rows = order[start:start + batch_size]
            yield self.X[rows], self.y[rows]

    def split(self, fraction: float, seed: int | None = None) -> tuple[Dataset, Dataset]:
        """Split into ``(train, test)``; ``test`` holds round(fraction·n) samples.

        The samples are shuffled first (with ``seed``) unless ``seed`` is None, in which
        case the last samples form the test part.

        Examples
        --------
        >>> ds = Dataset([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
        >>> [len(part) for part in ds.split(0.5, seed=0)]
        [2, 2]
        """
        fraction = check_float(fraction, "fraction")
        if not 0 < fraction < 1:
            raise ValueError(f"fraction must be between 0 and 1 (exclusive), got {fraction}")
        seed = check_seed(seed)
        n = len(self)
        n_test = int(round(fraction * n))
        if n_test < 1 or n_test > n - 1:
            raise ValueError(f"fraction={fraction} of {n} samples leaves an empty part")
        order = np.arange(n) if seed is None else epoch_order(n, seed, 0)
        return self._subset(order[: n - n_test]), self._subset(order[n - n_test:])

    # ----------------------------------------------------------------- loading
    @classmethod
    def from_csv(cls, path, target=-1, delimiter: str = ",", header: bool | None = None,
                 dtype="float64") -> Dataset:
        """Load a numeric CSV file; ``target`` is the target column (name or index)
        or a list of them. A first row that is not numeric is read as a header."""
        path = os.fspath(path)
        names, data = read_numeric_csv(path, delimiter, header)
        names = names or [str(i) for i in range(data.shape[1])]
        targets = target if isinstance(target, (list, tuple)) else [target]
        cols = [_column_index(t, names, path) for t in targets]
        for t in targets:
            if isinstance(t, str) and names.count(t) > 1:
                raise ValueError(f"{path}: the column name {t!r} appears {names.count(t)} "
                                 "times; the target must be one column")
        keep = [i for i in range(len(names)) if i not in cols]
        if not keep:
            raise ValueError(f"{path}: no feature columns left besides the target")
        y = data[:, cols[0]] if len(cols) == 1 else data[:, cols]
        ds = cls(data[:, keep], y, dtype=dtype)
        ds.feature_names = [names[i] for i in keep]
        ds.target_names = [names[i] for i in cols]
        return ds

    @classmethod
    def from_npy(cls, X_path, y_path, mmap: bool = True, dtype=None) -> Dataset:
        """Load ``X`` and ``y`` from ``.npy`` files, memory-mapped by default (for data
        larger than memory: training reads batches straight from the file when X is
        already float32/float64 and C-contiguous). ``dtype`` defaults to X's own.

        A memory-mapped file must not shrink while it is in use: if another process
        truncates it, reading the missing pages kills this process with SIGBUS (the
        operating system's rule for mapped files, which no library can turn into an
        exception). For files that may change, pass ``mmap=False``: the data is read into
        memory once.

        >>> import numpy as np, os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> np.save(os.path.join(folder, "X.npy"), np.ones((4, 2)))
        >>> np.save(os.path.join(folder, "y.npy"), np.array([0, 1, 0, 1]))
        >>> ds = Dataset.from_npy(os.path.join(folder, "X.npy"), os.path.join(folder, "y.npy"))
        >>> len(ds), ds.n_features, isinstance(ds.X, np.memmap)
        (4, 2, True)
        """
        mode = "r" if mmap else None
        X, y = _load_npy(X_path, mode, "X_path"), _load_npy(y_path, mode, "y_path")
        if dtype is None:
            dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        dtype = check_dtype(dtype)
        if X.ndim == 2 and X.shape[1] == 0:
            raise ValueError(f"X_path: X has no feature columns (shape {X.shape})")
        if X.ndim == 2 and X.dtype == dtype and X.flags.c_contiguous and mmap:
            ds = cls.__new__(cls)
            ds.dtype = dtype
            for start in range(0, X.shape[0], 65536):  # finite check, a chunk at a time
                check_finite(np.asarray(X[start:start + 65536]), "X")
            ds.X = X
            y = as_label_array(y, "y")
            if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
                raise ValueError(
                    f"y must have {X.shape[0]} samples (1-D or 2-D), got shape {y.shape}"
                )
            ds.y = y
            ds.feature_names = ds.target_names = None
            return ds
        return cls(X, y, dtype=dtype)


def _load_npy(path, mode, name):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"{name} {path!r} is not a file")
    try:
        return np.load(path, mmap_mode=mode, allow_pickle=False)
    except ValueError as exc:
        if "object" in str(exc) or "pickle" in str(exc):
            raise ValueError(f"{name} {path!r} holds Python objects, which would need "
                             "pickle: fastprop only loads numeric arrays") from None
        raise ValueError(f"{name} {path!r} is not a readable .npy file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{name} {path!r} is not a readable .npy file ({exc})") from None


#: The longest first line read (a header, or a row): wider tables are not what a CSV of
#: features is, and reading them whole would cost seconds before any check.
MAX_LINE_BYTES = 4 << 20


def read_numeric_csv(path, delimiter: str = ",", header: bool | None = None):
    """``(names, data)`` of a numeric CSV file: the header's column names (None without
    a header; by default a first row that is not all numbers is the header) and a 2-D
    float64 array. Every failure is a one-line ``ValueError`` naming the file.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(path, "w").write("a,b\\n1,2\\n3,4\\n")
    >>> read_numeric_csv(path)[0], read_numeric_csv(path)[1].tolist()
    (['a', 'b'], [[1.0, 2.0], [3.0, 4.0]])
    """
    path = os.fspath(path)
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"":
        raise ValueError(f"delimiter must be one character (not a quote or a line break), "
                         f"got {delimiter!r}")
    if not os.path.isfile(path):
        raise ValueError(f"path {path!r} is not a file")
    try:
        with open(path, encoding="utf-8-sig") as fh:
            first = fh.readline(MAX_LINE_BYTES + 1)
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    if len(first) > MAX_LINE_BYTES:
        raise ValueError(f"{path}: the first line is longer than {MAX_LINE_BYTES >> 20} MiB: "
                         "not a table of features")
    if not first.strip():
        raise ValueError(f"{path}: the file is empty" if not first else
                         f"{path}: the first line is empty")
    cells = [c.strip().strip('"') for c in first.strip().split(delimiter)]
    if header is None:
        header = not all(_is_number(c) for c in cells if c != "")
    try:
        with warnings.catch_warnings():  # no rows: said below, in the file's own words
            warnings.filterwarnings("ignore", "loadtxt: input contained no data")
            data = np.loadtxt(path, delimiter=delimiter, skiprows=1 if header else 0,
                              dtype=np.float64, ndmin=2, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    except ValueError as exc:
        raise ValueError(f"{path}: not a numeric CSV file ({exc})") from None
    if data.shape[0] == 0:
        raise ValueError(f"{path}: no data rows" + (" (only a header)" if header else ""))
    if header and data.shape[1] != len(cells):
        raise ValueError(f"{path}: rows have {data.shape[1]} columns, header has {len(cells)}")
    if not np.isfinite(data).all():
        r, c = (int(i) for i in np.argwhere(~np.isfinite(data))[0])
        column = repr(cells[c]) if header else str(c)
        raise ValueError(f"{path}: row {r + 1 + int(header)}, column {column} is not a finite "
                         f"number ({data[r, c]}): too large for float64, or NaN")
    return (cells if header else None), data


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _column_index(target, names, path) -> int:
    if isinstance(target, str):
        if target in names:
            return names.index(target)
        if target.lstrip("-").isdigit():
            target = int(target)
        else:
            raise ValueError(f"{path}: no column named {target!r}; columns are {names}")
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise TypeError(f"target must be a column name or index, got {target!r}")
    if not -len(names) <= target < len(names):
        raise ValueError(f"target column {target} is out of range for {len(names)} columns")
    return int(target) % len(names)
