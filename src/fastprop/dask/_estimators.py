"""``MLPClassifier`` and ``MLPRegressor`` for data on a Dask cluster: fastprop.sklearn's
estimators, whose ``fit``, ``partial_fit``, ``predict`` and ``score`` also take dask
collections (NumPy data is trained on in this process, as fastprop.sklearn does)."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
from sklearn.base import is_classifier
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.validation import check_is_fitted

from .. import sklearn as fsk
from ..sklearn._base import _STOCHASTIC_SOLVERS
from ..sklearn._solver import Objective
from ._cluster import Encoding, WorkerRows, r2, r2_from_sums
from ._collections import aligned, class_counts, classes, feature_names, map_rows, rows

_NOT_PREDICTING = ("_optimizer", "_best_params", "_random_state", "loss_curve_",
                   "validation_scores_", "feature_names_in_")


def _client():
    """The Dask client this process is connected to."""
    from distributed import get_client

    try:
        return get_client()
    except ValueError:
        raise ValueError("fastprop.dask trains on a Dask cluster: connect a client first "
                         "(distributed.Client(address), or Client() for a cluster on "
                         "this machine)") from None


def _blocks_like(X: da.Array, data, name: str, ndim: tuple[int, ...]) -> da.Array:
    """``data`` (a dask collection or an array-like) in the row blocks of ``X``."""
    if not dask.is_dask_collection(data):
        data = np.asarray(data)
        if data.ndim not in ndim or data.shape[0] != X.shape[0]:
            raise ValueError(f"{name} must have {X.shape[0]} rows (those of X) and "
                             f"{' or '.join(map(str, ndim))} dimensions, got shape "
                             f"{data.shape}")
        return da.from_array(data, chunks=(X.chunks[0],) + data.shape[1:])
    return aligned(X, rows(data, name, ndim=ndim), name)


def _any_dask(*args) -> bool:
    return any(dask.is_dask_collection(a) for a in args)


class DaskMLP:
    """What ``fastprop.dask`` adds to the estimators of ``fastprop.sklearn``."""

    # ------------------------------------------------------------ the data
    def _dask_data(self, X, y, sample_weight, reset: bool):
        """X, y and the sample weights as aligned dask arrays of row blocks; sets (or,
        without ``reset``, checks) n_features_in_ and feature_names_in_."""
        if not dask.is_dask_collection(X):  # NumPy features, dask targets
            y = rows(y, "y", ndim=(1, 2))
            X = da.from_array(np.asarray(X), chunks=(y.chunks[0], -1))
        names, X = feature_names(X), rows(X, "X")
        y = _blocks_like(X, y, "y", (1, 2))
        if sample_weight is not None:
            sample_weight = _blocks_like(X, sample_weight, "sample_weight", (1,))
        if X.shape[0] == 0:
            raise ValueError("X has no rows: fit needs at least one")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if reset:
            self.n_features_in_ = X.shape[1]
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            self._check_columns(X, names)
        return X, y, sample_weight

    def _check_columns(self, X, names) -> None:
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is "
                             f"expecting {self.n_features_in_} features as input.")
        fitted = getattr(self, "feature_names_in_", None)
        if fitted is not None and names is not None and list(names) != list(fitted):
            raise ValueError("The feature names should match those that were passed "
                             f"during fit: {list(fitted)[:5]}…, got {list(names)[:5]}…")

    # ------------------------------------------------------------ training
    def _fit_dask(self, X, y, sample_weight, incremental: bool):
        hidden = self._hidden_sizes()
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        client = _client()
        X, y, w = self._dask_data(X, y, sample_weight, reset=first_pass)
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        encoding, n_outputs = self._encoding(y, incremental, dtype)
        params = self._start([X.shape[1]] + hidden + [n_outputs], first_pass, dtype,
                             n_outputs)
        arch = self._arch()
        encoding.dtype = arch.dtype
        data = WorkerRows(client, X, y, w, encoding)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                if self.solver in _STOCHASTIC_SOLVERS:
                    self._fit_averaged(data, arch, params, incremental)
                else:
                    self._fit_summed(data, arch, params)
        finally:
            data.release()
        self._check_finite(params)
        return self

    def _fit_summed(self, data: WorkerRows, arch, params) -> None:
        """Full-batch L-BFGS: each worker sums the loss and gradient of its rows, this
        process adds the sums, divides by the rows (Σ weights), adds the penalty and
        takes SciPy's step: scikit-learn's objective on all the rows at once."""
        penalty = Objective(arch, self.engine, self.alpha)
        grad = np.empty_like(params)

        def loss_and_grad(p):
            params[...] = p
            loss, total_grad, total = data.gradient_sums(arch, self.engine, params)
            grad[...] = total_grad / total
            loss /= total
            if self.alpha:
                loss += penalty.penalty(params, grad, total)
            return loss, grad.astype(np.float64)

        self._minimize(loss_and_grad, params)

    def _fit_averaged(self, data: WorkerRows, arch, params, incremental: bool) -> None:
        """'adam' and 'sgd': each epoch every worker trains on its own rows from the same
        parameters and optimizer state, which then become the means of the workers'
        (weighted by their rows); scikit-learn's loop decides when to stop."""
        solver = self._stochastic_solver(Objective(arch, self.engine, self.alpha),
                                         incremental)
        n_workers = len(data.rows)
        classifier = is_classifier(self)
        if self.early_stopping:
            data.hold_out(self.validation_fraction, self._seeds(n_workers),
                          stratify=classifier and self.n_outputs_ == 1)
            if data.n_validation < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset.")
        batch_size = self._batch_size(data.n_rows)

        def run_epoch() -> float:
            return data.averaged_epoch(solver, params, self._seeds(n_workers), batch_size,
                                       self.shuffle)

        def validation_score() -> float:
            sums = data.validation_sums(arch, self.engine, params,
                                        self._label_binarizer if classifier else None)
            if sums is None:
                return np.nan
            return float(sums[0] / sums[1]) if classifier else r2_from_sums(sums)

        self._run_epochs(solver, params, data.n_rows, run_epoch,
                         validation_score if self.early_stopping else None, incremental)

    def _seeds(self, n: int) -> np.ndarray:
        """One seed per worker, drawn from the estimator's random state."""
        return self._random_state.randint(np.iinfo(np.int32).max, size=n)

    # ------------------------------------------------------------ predicting
    def to_sklearn(self):
        """The fitted model as the ``fastprop.sklearn`` estimator of the same name (no
        Dask needed to load or use it).

        Returns
        -------
        fastprop.sklearn.MLPClassifier or fastprop.sklearn.MLPRegressor
        """
        check_is_fitted(self)
        local = self._local_class(**self.get_params())
        local.__dict__.update(self.__dict__)
        return local

    def _predictor(self):
        """``to_sklearn()`` without what predicting does not need, and without the
        feature names (the blocks it is given are plain arrays)."""
        local = self.to_sklearn()
        for name in _NOT_PREDICTING:
            local.__dict__.pop(name, None)
        return local

    def _lazily(self, X, method: str, n_columns, dtype):
        check_is_fitted(self)
        self._check_columns(rows(X, "X", lengths=False), feature_names(X))
        return map_rows(self._predictor(), X, method, n_columns, dtype)


class MLPClassifier(DaskMLP, fsk.MLPClassifier):
    """scikit-learn's ``MLPClassifier`` for data on a Dask cluster, trained by fastprop.

    The parameters, their meanings and the fitted attributes are those of
    ``fastprop.sklearn.MLPClassifier``. ``fit`` and ``partial_fit`` take dask arrays,
    DataFrames and Series (with a ``distributed.Client`` connected); ``predict`` and
    ``predict_proba`` of a dask collection are dask arrays, computed block by block where
    the blocks are; NumPy data is handled in this process, as ``fastprop.sklearn`` does.

    ``solver='lbfgs'`` is exact: the loss and gradient of all the rows, summed over the
    workers. ``'adam'`` and ``'sgd'`` average the workers' models after every epoch.

    Examples
    --------
    >>> import dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from sklearn.datasets import load_iris
    >>> from fastprop.dask import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as c, \\
    ...         Client(c):
    ...     Xd, yd = da.from_array(X, chunks=50), da.from_array(y, chunks=50)
    ...     clf = MLPClassifier((16,), solver="lbfgs", random_state=0).fit(Xd, yd)
    ...     accuracy = clf.score(Xd, yd)
    >>> accuracy > 0.9
    True
    """

    _local_class = fsk.MLPClassifier

    def _encoding(self, y, incremental: bool, dtype) -> tuple[Encoding, int]:
        """The label binarizer (fitted on the labels of all the rows on a first fit),
        the class weights as one dict, and the network's outputs."""
        multilabel = y.ndim == 2
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(np.array([[0] * y.shape[1], [1] * y.shape[1]])
                                      if multilabel else classes(y))
            self.classes_ = self._label_binarizer.classes_
        elif self.warm_start and not incremental and not multilabel:
            found = classes(y)
            if set(found) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in "
                    f"the previous call to fit. Previously got {self.classes_}, `y` "
                    f"has {found}")
        weights = self.class_weight
        if weights == "balanced":
            if incremental:
                raise ValueError("class_weight='balanced' is not available with "
                                 "partial_fit (it depends on the whole data): give a dict "
                                 "of weights")
            if multilabel:
                raise ValueError("class_weight='balanced' with multi-label targets: give "
                                 "a list of dicts, one per label")
            counts = class_counts(y, self.classes_)
            present = counts > 0
            weights = dict(zip(self.classes_[present].tolist(),
                               (counts.sum() / (present.sum() * counts[present])).tolist(),
                               strict=True))
        n_outputs = len(self.classes_)
        if not multilabel and self._label_binarizer.y_type_ != "multiclass":
            n_outputs = 1
        return Encoding(dtype, self._label_binarizer, weights), n_outputs

    def fit(self, X, y, sample_weight=None):
        if not _any_dask(X, y, sample_weight):
            return super().fit(X, y, sample_weight)
        self._validate_params()
        return self._fit_dask(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, sample_weight=None, classes=None):
        if not _any_dask(X, y, sample_weight):
            return super().partial_fit(X, y, sample_weight, classes)
        self._check_solver()
        self._validate_params()
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer().fit(classes)
        return self._fit_dask(X, y, sample_weight, incremental=True)

    fit.__doc__, partial_fit.__doc__ = fsk.MLPClassifier.fit.__doc__, \
        fsk.MLPClassifier.partial_fit.__doc__

    def predict(self, X):
        """Predicted class labels (a dask array for a dask collection)."""
        if not dask.is_dask_collection(X):
            return super().predict(X)
        multilabel = self._label_binarizer.y_type_.startswith("multilabel")
        return self._lazily(X, "predict", self.n_outputs_ if multilabel else None,
                            self.classes_.dtype)

    def predict_proba(self, X):
        """Probability of each class (a dask array for a dask collection)."""
        if not dask.is_dask_collection(X):
            return super().predict_proba(X)
        return self._lazily(X, "predict_proba", max(self.n_outputs_, 2),
                            self.coefs_[0].dtype)

    def predict_log_proba(self, X):
        """log(predict_proba(X)) (a dask array for a dask collection)."""
        if not dask.is_dask_collection(X):
            return super().predict_log_proba(X)
        return self._lazily(X, "predict_log_proba", max(self.n_outputs_, 2),
                            self.coefs_[0].dtype)

    def score(self, X, y, sample_weight=None):
        """Accuracy (the share of rows whose labels are all right), computed where the
        blocks are for dask collections."""
        if not _any_dask(X, y, sample_weight):
            return super().score(X, y, sample_weight)
        X, y, w = self._dask_data(X, y, sample_weight, reset=False)
        right = self.predict(X) == y
        if right.ndim == 2:
            right = right.all(axis=1)
        return float(da.average(right, weights=w).compute())


class MLPRegressor(DaskMLP, fsk.MLPRegressor):
    """scikit-learn's ``MLPRegressor`` for data on a Dask cluster, trained by fastprop.

    As ``fastprop.dask.MLPClassifier`` (dask collections in, lazy predictions out, exact
    'lbfgs', per-epoch averaging for 'adam' and 'sgd'), with the parameters and fitted
    attributes of ``fastprop.sklearn.MLPRegressor``.

    Examples
    --------
    >>> import dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from sklearn.datasets import make_regression
    >>> from fastprop.dask import MLPRegressor
    >>> X, y = make_regression(400, 5, noise=0.1, random_state=0)
    >>> with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as c, \\
    ...         Client(c):
    ...     Xd, yd = da.from_array(X, chunks=100), da.from_array(y / 100, chunks=100)
    ...     reg = MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs",
    ...                        random_state=0).fit(Xd, yd)
    ...     r2 = reg.score(Xd, yd)
    >>> r2 > 0.9
    True
    """

    _local_class = fsk.MLPRegressor

    def _encoding(self, y, incremental: bool, dtype) -> tuple[Encoding, int]:
        if not np.issubdtype(y.dtype, np.number) and not np.issubdtype(y.dtype, np.bool_):
            raise ValueError(f"y must hold numbers for a regressor, got dtype {y.dtype}")
        return (Encoding(dtype, nonnegative=self.loss == "poisson"),
                1 if y.ndim == 1 else y.shape[1])

    def fit(self, X, y, sample_weight=None):
        if not _any_dask(X, y, sample_weight):
            return super().fit(X, y, sample_weight)
        self._validate_params()
        return self._fit_dask(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, sample_weight=None):
        if not _any_dask(X, y, sample_weight):
            return super().partial_fit(X, y, sample_weight)
        self._check_solver()
        self._validate_params()
        return self._fit_dask(X, y, sample_weight, incremental=True)

    fit.__doc__, partial_fit.__doc__ = fsk.MLPRegressor.fit.__doc__, \
        fsk.MLPRegressor.partial_fit.__doc__

    def predict(self, X):
        """Predicted values (a dask array for a dask collection)."""
        if not dask.is_dask_collection(X):
            return super().predict(X)
        return self._lazily(X, "predict", None if self.n_outputs_ == 1 else self.n_outputs_,
                            self.coefs_[0].dtype)

    def score(self, X, y, sample_weight=None):
        """R², scikit-learn's (the mean over the outputs), computed on the cluster for
        dask collections."""
        if not _any_dask(X, y, sample_weight):
            return super().score(X, y, sample_weight)
        X, y, w = self._dask_data(X, y, sample_weight, reset=False)
        pred = self.predict(X)
        y2, p2 = (y[:, None], pred[:, None]) if y.ndim == 1 else (y, pred)
        w2 = da.ones(y.shape[0], chunks=y.chunks[0]) if w is None else w
        mean = da.average(y2, axis=0, weights=w2)
        residual, total = dask.compute((w2[:, None] * (y2 - p2) ** 2).sum(axis=0),
                                       (w2[:, None] * (y2 - mean) ** 2).sum(axis=0))
        return r2(residual, total)
