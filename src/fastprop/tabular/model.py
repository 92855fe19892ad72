"""``TabularModel``: a preprocessing schema plus a ``Network``, fitted from raw columns."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ._columns import ColumnSchema, guess_kind, is_missing, read_table

#: Integer targets with at most this many distinct values are classes (task="auto").
MAX_AUTO_CLASSES = 20


class TabularModel:
    """A network trained on a table as it comes: strings, booleans, missing values.

    ``fit`` learns a schema per feature column (``fastprop.tabular.ColumnSchema``: kind,
    imputation, standardization, one-hot categories with an "unknown" slot) and the
    target's classes (any values, in sorted order) or its scaling, then trains a
    ``Network`` on the features. ``predict`` matches columns by name (extra columns and
    the target are ignored; a missing one is an error naming it) and gives labels as
    they were written, or numbers with the target's scaling undone.

    Parameters
    ----------
    hidden : sequence of int, default (64, 64)
    activation : str, default "relu"
    epochs : int, default 50
    batch_size : int, default 32
    optimizer : {"adam", "sgd"}, default "adam"
    lr : float, optional
        Default: the optimizer's (Adam 1e-3, SGD 0.01).
    task : {"auto", "classification", "regression"}, default "auto"
        "auto": classification for text, boolean, or integer targets with at most 20
        distinct values; else regression.
    categorical, numeric : sequence of str
        Columns whose kind overrides the guess.
    seed : int, default 0
    engine : {"cython", "numpy"}, default "cython"

    Examples
    --------
    >>> import fastprop as fp
    >>> data = {"size": [1.0, 2.0, 3.0, 4.0] * 10, "colour": ["red", "blue"] * 20,
    ...         "label": ["small", "small", "big", "big"] * 10}
    >>> model = fp.TabularModel(hidden=(8,), epochs=60, lr=0.05).fit(data, target="label")
    >>> model.predict({"size": [1.5, 3.5], "colour": ["red", "green"]}).tolist()
    ['small', 'big']
    """

    def __init__(self, hidden=(64, 64), activation: str = "relu", epochs: int = 50,
                 batch_size: int = 32, optimizer: str = "adam", lr: float | None = None,
                 task: str = "auto", categorical=(), numeric=(), seed: int = 0,
                 engine: str = "cython"):
        if task not in ("auto", "classification", "regression"):
            raise ValueError(f"task must be 'auto', 'classification' or 'regression', "
                             f"got {task!r}")
        self.hidden = tuple(check_int(h, "hidden", minimum=1) for h in hidden)
        self.activation, self.task, self.seed, self.engine = activation, task, seed, engine
        self.epochs = check_int(epochs, "epochs", minimum=1)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.optimizer, self.lr = optimizer, lr
        self.categorical, self.numeric = tuple(categorical), tuple(numeric)
        self.columns: list[ColumnSchema] = []
        self.target: str | None = None
        self.classes_: np.ndarray | None = None
        self.y_mean, self.y_std = 0.0, 1.0
        self.network = None
        self.history = None

    def __repr__(self):
        state = f"{len(self.columns)} columns → {self.target!r}" if self.network else \
            "not fitted"
        return f"TabularModel(hidden={self.hidden}, {state})"

    # ----------------------------------------------------------------- fitting
    def fit(self, data, target: str) -> TabularModel:
        """Learn the schema from ``data`` (a DataFrame, a mapping of column → values, or a
        CSV path) and train the network to predict column ``target``."""
        from ..network import Network
        from ..optim import by_name

        table = read_table(data)
        if target not in table:
            raise ValueError(f"target column {target!r} is not in the data; columns are "
                             f"{sorted(table)}")
        y_raw = table.pop(target)
        if not table:
            raise ValueError("the data has no feature columns besides the target")
        missing = [i for i, v in enumerate(y_raw) if is_missing(v)]
        if missing:
            raise ValueError(f"target column {target!r} has {len(missing)} missing values "
                             f"(first in row {missing[0] + 1})")
        for name in self.categorical + self.numeric:
            if name not in table:
                raise ValueError(f"column {name!r} (categorical/numeric) is not in the data")
        kinds = {**{n: "categorical" for n in self.categorical},
                 **{n: "numeric" for n in self.numeric}}
        columns = [ColumnSchema.learn(n, v, kinds.get(n)) for n, v in table.items()]
        classes, Y, loss, n_out, y_mean, y_std = self._target(target, y_raw)
        X = _features(columns, table, len(y_raw))
        optimizer = by_name(self.optimizer, self.lr)
        net = Network([X.shape[1], *self.hidden, n_out], activation=self.activation,
                      loss=loss, seed=self.seed, engine=self.engine)
        history = net.fit(X, Y, epochs=self.epochs, batch_size=self.batch_size,
                          optimizer=optimizer, seed=self.seed)
        self.columns, self.target, self.classes_ = columns, target, classes
        self.y_mean, self.y_std, self.network, self.history = y_mean, y_std, net, history
        return self

    def _target(self, name, values):
        kind = guess_kind(values)
        numbers = None if kind != "numeric" else np.array([float(v) for v in values])
        integral = numbers is not None and bool(np.all(numbers == np.round(numbers)))
        task = self.task
        if task == "auto":
            classify = kind != "numeric" or (integral and
                                             len(set(numbers)) <= MAX_AUTO_CLASSES)
            task = "classification" if classify else "regression"
        if task == "regression":
            if numbers is None:
                raise ValueError(f"target column {name!r} is not numeric: it cannot be a "
                                 "regression target (task='classification'?)")
            mean, std = float(numbers.mean()), float(numbers.std()) or 1.0
            return None, (numbers - mean) / std, "mse", 1, mean, std
        if kind == "boolean":
            labels = [str(v).strip().lower() == "true" if isinstance(v, str) else bool(v)
                      for v in values]
        elif integral:
            labels = [int(v) for v in numbers]
        elif numbers is not None:
            labels = [float(v) for v in numbers]
        else:
            labels = [str(v).strip() for v in values]
        classes = np.array(sorted(set(labels)))
        if len(classes) < 2:
            raise ValueError(f"target column {name!r} has a single class "
                             f"({classes[0]!r}): nothing to learn")
        index = {c: i for i, c in enumerate(classes.tolist())}
        ids = np.array([index[v] for v in labels])
        if len(classes) == 2:
            return classes, ids.astype(float), "bce", 1, 0.0, 1.0
        return classes, ids, "cross_entropy", len(classes), 0.0, 1.0

    # ------------------------------------------------------------- predicting
    def _check_fitted(self):
        if self.network is None:
            raise RuntimeError("this TabularModel is not fitted: call fit(data, target) "
                               "first")

    def transform(self, data) -> np.ndarray:
        """The network's input features for ``data`` (rows × features)."""
        self._check_fitted()
        table = read_table(data)
        n = len(next(iter(table.values()))) if table else 0
        return _features(self.columns, table, n)

    def predict_proba(self, data) -> np.ndarray:
        """Class probabilities, one column per class of ``classes_``."""
        self._check_fitted()
        if self.classes_ is None:
            raise AttributeError("predict_proba: this model is a regression")
        out = self.network.predict(self.transform(data))
        return np.column_stack([1 - out[:, 0], out[:, 0]]) if out.shape[1] == 1 else out

    def predict(self, data) -> np.ndarray:
        """Predicted labels (as they were written), or numbers for a regression."""
        self._check_fitted()
        if self.classes_ is None:
            return self.network.predict(self.transform(data))[:, 0] * self.y_std + \
                self.y_mean
        return self.classes_[self.predict_proba(data).argmax(axis=1)]

    def score(self, data, target: str | None = None) -> float:
        """Accuracy (classification) or R² (regression) on ``data``, whose column
        ``target`` (default: the training target) holds the truth."""
        self._check_fitted()
        table = read_table(data)
        name = target or self.target
        if name not in table:
            raise ValueError(f"score: the data has no column {name!r} (the target)")
        truth = table.pop(name)
        predicted = self.predict(table)
        if self.classes_ is None:
            y = np.array([float(v) for v in truth])
            return float(1 - np.sum((y - predicted) ** 2) / np.sum((y - y.mean()) ** 2))
        expected = np.array(truth, dtype=self.classes_.dtype) if \
            self.classes_.dtype.kind != "U" else np.array([str(v).strip() for v in truth])
        return float(np.mean(predicted == expected))

    # ------------------------------------------------------------------- files
    def save(self, path) -> None:
        """Write the schema and the network to one versioned ``.npz`` (``fp.load``
        returns a ``TabularModel`` for it)."""
        from ..io import write_model

        self._check_fitted()
        meta = dict(self.network.metadata(), model="tabular", tabular={
            "columns": [c.to_dict() for c in self.columns], "target": self.target,
            "classes": None if self.classes_ is None else self.classes_.tolist(),
            "y_mean": self.y_mean, "y_std": self.y_std, "hidden": list(self.hidden),
            "activation": self.activation, "task": self.task})
        write_model(path, meta, self.network.params)

    @classmethod
    def _from_saved(cls, arch, meta, params, engine=None) -> TabularModel:
        from ..network import Network

        spec = meta["tabular"]
        model = cls(hidden=spec["hidden"], activation=spec["activation"],
                    task=spec["task"], engine=engine or meta["engine"])
        model.columns = [ColumnSchema.from_dict(c) for c in spec["columns"]]
        model.target = str(spec["target"])
        model.classes_ = None if spec["classes"] is None else np.array(spec["classes"])
        model.y_mean, model.y_std = float(spec["y_mean"]), float(spec["y_std"])
        model.network = Network._from_saved(arch, meta, params, engine)
        if sum(c.width for c in model.columns) != arch.sizes[0]:
            raise ValueError("the schema's features do not match the network's inputs")
        return model


def _features(columns: list[ColumnSchema], table: dict, n: int) -> np.ndarray:
    absent = [c.name for c in columns if c.name not in table]
    if absent:
        raise ValueError(f"the data lacks the column(s) {absent} that the model was "
                         "trained on")
    X = np.empty((n, sum(c.width for c in columns)))
    start = 0
    for column in columns:
        column.transform(table[column.name], X[:, start:start + column.width])
        start += column.width
    return X
