"""Raw columns in, numbers out: reading a table (a pandas DataFrame, a mapping of column
name → 1-D values, or a CSV path) into named columns of Python values, telling each
column's kind, and the ``ColumnSchema`` that turns one column into features.

A cell is *missing* when it is None, NaN, pandas' NA or NaT, or (in text) one of
``MISSING`` — "", "NA", "N/A", "nan", "NaN", "null", "None", "?" (as in the UCI files).
A column is *boolean* when every present value is
True/False (or the text "true"/"false", any case), *numeric* when every present value
is a number, else *categorical* (its values compared as text).

A CSV file's first row is its header, unless every cell of it is a number: then the file
has no header and its columns are named by position, "0", "1", … (as pandas names them).
"""

from __future__ import annotations

import csv
import decimal
import io
import math
import numbers
import os
from dataclasses import dataclass, field

import numpy as np

from .._validation import not_utf8

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
KINDS = ("numeric", "boolean", "categorical")


def is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() in MISSING
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return math.isnan(float(value))
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas.NA, pandas.NaT
        return True
    try:  # Decimal("NaN"), numpy.datetime64("NaT") and the like
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _bool(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _number(value):
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def guess_kind(values) -> str:
    """The kind of a column from its present values (see the module's docstring).

    >>> guess_kind(["1.5", "NA", "2"]), guess_kind(["True", "false", ""]), guess_kind(["a", 1])
    ('numeric', 'boolean', 'categorical')
    """
    return cells(values).kind


@dataclass
class Cells:
    """One column read once: which cells are missing, and the present cells as numbers
    (when every one is a number), as flags (when every one is true/false) and as text
    (stripped). Whole-column NumPy operations where the cells are text, numbers or None;
    cell by cell otherwise (pandas.NA, Decimal, mixed objects)."""

    missing: np.ndarray               # bool, per cell
    numbers: np.ndarray | None        # float64 (NaN where missing)
    flags: np.ndarray | None          # bool (False where missing)
    raw: np.ndarray                   # the cells, as objects

    @property
    def kind(self) -> str:
        if self.missing.all():
            return "categorical"
        if self.flags is not None:
            return "boolean"
        return "numeric" if self.numbers is not None else "categorical"

    def text(self) -> np.ndarray:
        """Each cell as stripped text (what a categorical column compares); a number
        with an integral value as an integer ("12345", whether it came as 12345 or as
        12345.0 from a column that NaN made float)."""
        if not len(self.raw):
            return np.array([], dtype=str)
        return np.array([_text(v) for v in self.raw], dtype=str)


_NUMBER_TYPES = (int, float, np.floating, np.integer)


def _text(value) -> str:
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and \
            float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def cells(values) -> Cells:
    raw = values if isinstance(values, np.ndarray) and values.dtype == object else \
        np.asarray(list(values) if not isinstance(values, np.ndarray) else values,
                   dtype=object)
    kinds = set(map(type, raw))
    none = raw == None  # noqa: E711  (element-wise on an object array)
    if all(issubclass(t, _NUMBER_TYPES) and not issubclass(t, (bool, np.bool_)) or
           t is type(None) for t in kinds):
        x = np.where(none, np.nan, raw).astype(np.float64)
        return Cells(np.isnan(x), x, None, raw)
    if all(issubclass(t, (bool, np.bool_)) or t is type(None) for t in kinds):
        return Cells(none, None, np.where(none, False, raw).astype(bool), raw)
    if all(issubclass(t, (str,) + _NUMBER_TYPES) or t is type(None) for t in kinds) and \
            not any(issubclass(t, (bool, np.bool_)) for t in kinds):
        text = np.char.strip(raw.astype(str))
        lowered = np.char.lower(text)
        missing = np.isin(lowered, sorted(MISSING))
        present = lowered[~missing]
        flags = None
        if len(present) and np.isin(present, ["true", "false"]).all():
            flags = lowered == "true"
        try:
            x = np.where(missing, "nan", text).astype(np.float64)
        except ValueError:
            x = None
        if x is not None:  # "inf" as text is not a number; a float inf is (as per cell)
            odd = np.flatnonzero(~np.isfinite(x) & ~missing)
            if any(isinstance(raw[i], str) for i in odd):
                x = None
        return Cells(missing, x, flags, raw)
    # cell by cell: objects NumPy cannot compare or convert as a whole
    missing = np.array([is_missing(v) for v in raw], dtype=bool)
    present = [v for v, m in zip(raw, missing) if not m]
    numbers = [_number(v) for v in present]
    x = None
    if all(n is not None for n in numbers):
        x = np.full(len(raw), np.nan)
        x[~missing] = numbers
    bools = [_bool(v) for v in present]
    flags = None
    if present and all(b is not None for b in bools):
        flags = np.zeros(len(raw), dtype=bool)
        flags[~missing] = bools
    return Cells(missing, x, flags, raw)


def read_table(data, name: str = "data", delimiter: str | None = None) -> dict[str, list]:
    """``{column: [values]}`` from a DataFrame, a mapping of 1-D values, or a CSV path.

    A CSV's delimiter is sniffed among , ; tab | unless ``delimiter`` is given; a BOM,
    CRLF line ends, quoted cells and blank lines are fine.

    Examples
    --------
    >>> read_table({"x": [1.5, 2.0], "colour": ["red", None]})
    {'x': [1.5, 2.0], 'colour': ['red', None]}
    """
    if isinstance(data, (str, os.PathLike)):
        return _read_csv(os.fspath(data), name, delimiter)
    if hasattr(data, "columns") and hasattr(data, "__getitem__"):  # a DataFrame
        return {str(c): list(data[c].to_numpy(dtype=object)) for c in data.columns}
    if isinstance(data, dict):
        table = {}
        for column, values in data.items():
            arr = np.asarray(values, dtype=object)
            if arr.ndim != 1:
                raise ValueError(f"{name}[{column!r}] must be 1-D, got shape {arr.shape}")
            table[str(column)] = list(arr)
        lengths = {len(v) for v in table.values()}
        if len(lengths) > 1:
            raise ValueError(f"{name}: columns have different lengths {sorted(lengths)}")
        return table
    raise TypeError(f"{name} must be a pandas DataFrame, a mapping of column name to "
                    f"values, or a CSV path; got {type(data).__name__}")


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text, sniffed among , ; tab | from its first lines ("," when
    none stands out)."""
    sample = "\n".join(line for line in text[:65536].splitlines()[:50] if line.strip())
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def split_table(table: dict[str, list], fraction: float, seed: int = 0):
    """``(rest, held_out)``: ``round(fraction · rows)`` rows, drawn with ``seed``, held out.

    Examples
    --------
    >>> rest, held_out = split_table({"x": list(range(10))}, 0.2, seed=0)
    >>> len(rest["x"]), len(held_out["x"])
    (8, 2)
    """
    from ..shuffle import epoch_order

    n = len(next(iter(table.values()))) if table else 0
    n_out = int(round(fraction * n))
    if not 0 < fraction < 1 or n_out < 1 or n_out > n - 1:
        raise ValueError(f"a held-out fraction of {fraction} of {n} rows leaves an empty "
                         "part")
    order = epoch_order(n, seed, 0)
    keep, out = np.sort(order[: n - n_out]), np.sort(order[n - n_out:])
    return ({k: [v[i] for i in keep] for k, v in table.items()},
            {k: [v[i] for i in out] for k, v in table.items()})


def _read_csv(path: str, name: str, delimiter: str | None = None) -> dict[str, list]:
    if not os.path.isfile(path):
        raise ValueError(f"{name}: {path!r} is not a file")
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    elif len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character, got {delimiter!r}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, line_numbers = [], []
    try:
        for row in reader:  # quoted cells may hold delimiters and line breaks
            if any(cell.strip() for cell in row):  # (blank lines are skipped)
                rows.append(row)
                line_numbers.append(reader.line_num)
    except csv.Error as exc:
        raise ValueError(f"{path}: line {reader.line_num}: {exc}") from None
    if all(_number(cell) is not None for cell in rows[0]):  # no header row
        rows.insert(0, [str(j) for j in range(len(rows[0]))])
        line_numbers.insert(0, 0)
    header = [h.strip() or f"Unnamed: {j}" for j, h in enumerate(rows[0])]  # (pandas')
    if len(set(header)) != len(header):
        twice = sorted({h for h in header if header.count(h) > 1})
        raise ValueError(f"{path}: column names appear more than once: {twice}")
    if len(rows) < 2:
        raise ValueError(f"{path}: no data rows (only a header)")
    for row, line in zip(rows[1:], line_numbers[1:]):
        if len(row) != len(header):
            raise ValueError(f"{path}: line {line} has {len(row)} cells, the header "
                             f"{len(header)}")
    return {h: [row[j] for row in rows[1:]] for j, h in enumerate(header)}


@dataclass
class ColumnSchema:
    """How one raw column becomes features, learned from the training data.

    numeric: the value, missing → the median, standardized ((x − mean)/std);
    boolean: 0/1, missing → the most frequent; categorical: one-hot over ``categories``
    plus an "unknown" slot for values not seen in training, missing → the most frequent.
    A column with missing values in training also gets a 0/1 missing indicator.
    """

    name: str
    kind: str
    fill: object = None                 # what a missing value becomes
    mean: float = 0.0
    std: float = 1.0
    categories: list = field(default_factory=list)
    indicator: bool = False

    @classmethod
    def learn(cls, name: str, values: list, kind: str | None = None) -> ColumnSchema:
        if kind is not None and kind not in KINDS:
            raise ValueError(f"column {name!r}: kind must be one of {KINDS}, got {kind!r}")
        column_cells = cells(values)
        kind = kind or column_cells.kind
        present = ~column_cells.missing
        if not present.any():
            raise ValueError(f"column {name!r} has no values (every cell is missing)")
        column = cls(name, kind, indicator=bool(column_cells.missing.any()))
        if kind == "numeric":
            numbers_ = _numbers(name, column_cells)[present]
            _finite(name, numbers_)
            column.fill = float(np.median(numbers_))
            column.mean = float(numbers_.mean())
            column.std = float(numbers_.std()) or 1.0
        elif kind == "boolean":
            flags = _flags(name, column_cells)[present]
            column.fill = bool(flags.sum() * 2 >= len(flags))
        else:
            labels, counts = np.unique(column_cells.text()[present], return_counts=True)
            column.categories = labels.tolist()
            column.fill = column.categories[int(counts.argmax())]  # ties: the first
        return column

    @property
    def width(self) -> int:
        """How many features the column becomes."""
        base = len(self.categories) + 1 if self.kind == "categorical" else 1
        return base + int(self.indicator)

    def feature_names(self) -> list[str]:
        if self.kind == "categorical":
            names = [f"{self.name}={c}" for c in self.categories] + [f"{self.name}=?"]
        else:
            names = [self.name]
        return names + ([f"{self.name} missing"] if self.indicator else [])

    def transform(self, values: list, out: np.ndarray) -> None:
        """Write the column's features for ``values`` into ``out`` (rows × width)."""
        column_cells = cells(values)
        missing = column_cells.missing
        if self.kind == "numeric":
            x = np.where(missing, self.fill, _numbers(self.name, column_cells))
            _finite(self.name, x)
            out[:, 0] = (x - self.mean) / self.std
        elif self.kind == "boolean":
            out[:, 0] = np.where(missing, bool(self.fill), _flags(self.name, column_cells))
        else:
            categories = np.array(self.categories, dtype=str)
            text = np.where(missing, str(self.fill), column_cells.text())
            unknown = len(self.categories)
            slots = np.searchsorted(categories, text)  # categories are sorted
            known = slots < unknown
            known[known] = categories[slots[known]] == text[known]
            out[:, :unknown + 1] = 0
            out[np.arange(len(text)), np.where(known, slots, unknown)] = 1
        if self.indicator:
            out[:, -1] = missing

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "fill": self.fill, "mean": self.mean,
                "std": self.std, "categories": list(self.categories),
                "indicator": self.indicator}

    @classmethod
    def from_dict(cls, d: dict) -> ColumnSchema:
        return cls(str(d["name"]), str(d["kind"]), d["fill"], float(d["mean"]),
                   float(d["std"]), list(d["categories"]), bool(d["indicator"]))


def _numbers(name: str, column_cells: Cells) -> np.ndarray:
    """The column as float64 (NaN where missing), or a ValueError naming the first cell
    that is not a number."""
    if column_cells.numbers is not None:
        return column_cells.numbers
    for value, gap in zip(column_cells.raw, column_cells.missing):
        if not gap and _number(value) is None:
            raise ValueError(f"column {name!r}: {value!r} is not a number")
    raise ValueError(f"column {name!r} is not numeric")  # (not reached)


def _flags(name: str, column_cells: Cells) -> np.ndarray:
    if column_cells.flags is not None:
        return column_cells.flags
    for value, gap in zip(column_cells.raw, column_cells.missing):
        if not gap and _bool(value) is None:
            raise ValueError(f"column {name!r}: {value!r} is not true or false")
    return np.zeros(len(column_cells.raw), dtype=bool)  # every cell is missing


def _finite(name: str, x: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(x))
    if len(bad):
        raise ValueError(f"column {name!r}: row {bad[0] + 1} is {x[bad[0]]} (not finite)")
