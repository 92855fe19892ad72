"""``TabularModel``: a preprocessing schema plus a ``Network``, fitted from raw columns."""

from __future__ import annotations

import numpy as np

from .._limits import check_bytes
from .._validation import check_int
from ._columns import ColumnSchema, is_missing, read_table
from ._target import _Target


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
    loss : str, optional
        Default: from the target — "bce" for two classes, "cross_entropy" for more,
        "mse" for a number. A regression loss ("mse", "mae", "huber", "poisson") makes
        the task a regression ("poisson": counts ≥ 0, not standardized); "bce" needs two
        classes; "cross_entropy" takes two or more (one output per class).
    task : {"auto", "classification", "regression"}, default "auto"
        "auto": classification for text, boolean, or integer targets with at most 20
        distinct values; else regression.
    categorical, numeric : sequence of str
        Columns whose kind overrides the guess.
    dtype : {"float64", "float32"}, default "float64"
        The network's parameters and features.
    seed : int, default 0
        Seeds the weights and the order of the samples.
    engine : {"cython", "numpy"}, default "cython"

    Attributes
    ----------
    columns : list of ColumnSchema
        One per feature column, in the order their features enter the network.
    target : str
    classes_ : ndarray or None
        The class labels, sorted; None for a regression.
    network : Network
    history : History
        The training history of the last ``fit``.

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
                 loss: str | None = None, task: str = "auto", categorical=(), numeric=(),
                 dtype: str = "float64", seed: int = 0, engine: str = "cython"):
        from ..activations import ACTIVATIONS
        from ..losses import LOSSES

        if task not in ("auto", "classification", "regression"):
            raise ValueError(f"task must be 'auto', 'classification' or 'regression', "
                             f"got {task!r}")
        if loss is not None and loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)}, got {loss!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got "
                             f"{activation!r}")
        if str(dtype) not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        self.hidden = tuple(check_int(h, "hidden", minimum=1) for h in hidden)
        between = zip(self.hidden[:-1], self.hidden[1:])  # the least the network holds
        n_params = sum(a * b + b for a, b in between) + sum(self.hidden[-1:])
        check_bytes(n_params * np.dtype(str(dtype)).itemsize, f"{n_params:,} parameters",
                    "hidden")
        self.activation, self.task, self.seed, self.engine = activation, task, seed, engine
        self.epochs = check_int(epochs, "epochs", minimum=1)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.optimizer, self.lr, self.loss, self.dtype = optimizer, lr, loss, str(dtype)
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

    @property
    def loss_name(self) -> str | None:
        """The loss the network was trained with (None before ``fit``)."""
        return None if self.network is None else self.network.loss_name

    # ----------------------------------------------------------------- fitting
    def fit(self, data, target: str, *, validation_data=None, progress: bool | str = False,
            callbacks=None, lr_schedule=None, clip_norm: float | None = None,
            clip_value: float | None = None, metrics=()) -> TabularModel:
        """Learn the schema from ``data`` and train the network to predict ``target``.

        Parameters
        ----------
        data : pandas DataFrame, mapping of column name → 1-D values, or CSV path
        target : str
            The column to predict; every other column is a feature.
        validation_data : same kinds as ``data``, optional
            Rows held out from training (with the target column), evaluated after every
            epoch into ``history.val_loss`` / ``val_accuracy``.
        progress : bool or "auto", default False
            Show a progress bar over epochs ("auto": only on a terminal).
        callbacks, lr_schedule, clip_norm, clip_value, metrics
            As ``Network.fit`` takes them (``fastprop.callbacks``, ``fastprop.schedules``);
            callbacks see the network being trained.
        """
        from ..network import Network
        from ..optim import by_name

        optimizer = by_name(self.optimizer, self.lr)
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
        task = self.task
        if target in self.categorical + self.numeric:  # the target's kind: the task
            forced = "classification" if target in self.categorical else "regression"
            if task not in ("auto", forced):
                raise ValueError(f"target column {target!r} is listed as "
                                 f"{'categorical' if forced == 'classification' else 'numeric'}"
                                 f" but task={task!r}")
            task = forced
        for name in self.categorical + self.numeric:
            if name not in table and name != target:
                raise ValueError(f"column {name!r} (categorical/numeric) is not in the data")
        kinds = {**{n: "categorical" for n in self.categorical},
                 **{n: "numeric" for n in self.numeric}}
        columns = [ColumnSchema.learn(n, v, kinds.get(n)) for n, v in table.items()]
        held, truth = None, None
        if validation_data is not None:
            held = read_table(validation_data, "validation_data")
            if target not in held:
                raise ValueError(f"validation_data has no column {target!r} (the target)")
            truth = held.pop(target)
        goal = _Target.learn(target, y_raw, task, self.loss)
        if goal.classes is not None and truth is not None:  # every class, held out or not
            goal = _Target.learn(target, y_raw + [v for v in truth if not is_missing(v)],
                                 task, self.loss)
        X = _features(columns, table, len(y_raw), self.dtype)
        validation = None
        if held is not None:
            validation = (_features(columns, held, len(truth), self.dtype),
                          goal.encode(truth, "validation_data"))
        net = Network([X.shape[1], *self.hidden, goal.n_outputs], activation=self.activation,
                      loss=goal.loss, seed=self.seed, dtype=self.dtype, engine=self.engine)
        history = net.fit(X, goal.encode(y_raw), epochs=self.epochs,
                          batch_size=self.batch_size, optimizer=optimizer, seed=self.seed,
                          validation_data=validation, progress=progress, callbacks=callbacks,
                          lr_schedule=lr_schedule, clip_norm=clip_norm,
                          clip_value=clip_value, metrics=metrics)
        self.columns, self.target, self.classes_ = columns, target, goal.classes
        self.y_mean, self.y_std, self.network, self.history = goal.mean, goal.std, net, history
        return self

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
        return _features(self.columns, table, n, self.network.dtype.name)

    def feature_names(self) -> list[str]:
        """The name of each of the network's inputs, e.g. ``island=Dream``."""
        self._check_fitted()
        return [name for c in self.columns for name in c.feature_names()]

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
            return self.network.predict(self.transform(data))[:, 0].astype(np.float64) * \
                self.y_std + self.y_mean
        return self.classes_[self.predict_proba(data).argmax(axis=1)]

    def evaluate(self, data, target: str | None = None) -> dict[str, float]:
        """Scores on ``data``, whose column ``target`` (default: the training target)
        holds the truth: ``accuracy`` and ``loss`` (the network's) for a classifier —
        the loss only when every label is one of ``classes_`` —, and ``r2``, ``rmse``,
        ``mae`` (in the target's units) for a regression. Rows whose target is missing
        are not scored."""
        self._check_fitted()
        table = read_table(data)
        name = target or self.target
        if name not in table:
            raise ValueError(f"the data has no column {name!r} (the target)")
        truth = table.pop(name)
        present = [i for i, v in enumerate(truth) if not is_missing(v)]
        if not present:
            raise ValueError(f"column {name!r} (the target) has no values to score against")
        if len(present) < len(truth):  # rows without a truth are not scored
            table = {k: [v[i] for i in present] for k, v in table.items()}
            truth = [truth[i] for i in present]
        if self.classes_ is None:
            y = np.array([_Target.number(name, v) for v in truth])
            error = y - self.predict(table)
            total = np.sum((y - y.mean()) ** 2)
            return {"r2": float(1 - np.sum(error ** 2) / total) if total > 0 else float("nan"),
                    "rmse": float(np.sqrt(np.mean(error ** 2))),
                    "mae": float(np.mean(np.abs(error)))}
        labels = _Target.labels(truth, self.classes_)
        proba = self.predict_proba(table)
        predicted = self.classes_[proba.argmax(axis=1)].tolist()
        scores = {"accuracy": float(np.mean([p == t for p, t in zip(predicted, labels)]))}
        index = {c: i for i, c in enumerate(self.classes_.tolist())}
        if all(v in index for v in labels):
            ids = np.array([index[v] for v in labels])
            y = ids.astype(float) if self.network.sizes[-1] == 1 else ids
            scores["loss"] = self.network.loss(self.transform(table), y)
        return scores

    def score(self, data, target: str | None = None) -> float:
        """Accuracy (classification) or R² (regression) on ``data``, whose column
        ``target`` (default: the training target) holds the truth."""
        scores = self.evaluate(data, target)
        return scores["accuracy"] if self.classes_ is not None else scores["r2"]

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
            "activation": self.activation, "task": self.task, "epochs": self.epochs,
            "batch_size": self.batch_size, "optimizer": self.optimizer, "lr": self.lr})
        optimizer = self.network.optimizer
        write_model(path, meta, self.network.params,
                    None if optimizer is None else optimizer.state_dict())

    @classmethod
    def _from_saved(cls, arch, meta, params, engine=None) -> TabularModel:
        from ..network import Network

        spec = meta["tabular"]
        model = cls(hidden=spec["hidden"], activation=spec["activation"],
                    task=spec["task"], epochs=spec.get("epochs", 50),
                    batch_size=spec.get("batch_size", 32),
                    optimizer=spec.get("optimizer", "adam"), lr=spec.get("lr"),
                    dtype=arch.dtype, seed=meta.get("seed") or 0,
                    engine=engine or meta["engine"])
        model.columns = [ColumnSchema.from_dict(c) for c in spec["columns"]]
        model.target = str(spec["target"])
        model.classes_ = None if spec["classes"] is None else np.array(spec["classes"])
        model.y_mean, model.y_std = float(spec["y_mean"]), float(spec["y_std"])
        model.network = Network._from_saved(arch, meta, params, engine)
        model.loss = model.network.loss_name
        if sum(c.width for c in model.columns) != arch.sizes[0]:
            raise ValueError("the schema's features do not match the network's inputs")
        return model


def _features(columns: list[ColumnSchema], table: dict, n: int, dtype="float64") -> np.ndarray:
    absent = [c.name for c in columns if c.name not in table]
    if absent:
        raise ValueError(f"the data lacks the column(s) {absent} that the model was "
                         "trained on")
    X = np.empty((n, sum(c.width for c in columns)), dtype=dtype)
    start = 0
    for column in columns:
        column.transform(table[column.name], X[:, start:start + column.width])
        start += column.width
    return X
