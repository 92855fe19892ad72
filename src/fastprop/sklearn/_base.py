"""The training logic shared by ``MLPClassifier`` and ``MLPRegressor``.

It follows ``sklearn/neural_network/_multilayer_perceptron.py`` step for step (the
random draws of the initial weights, the shuffles and the validation split come from
the same generator in the same order; ``tol``, ``n_iter_no_change``, early stopping and
the learning-rate schedules decide the same way), so that fastprop's estimators reach
scikit-learn's weights; the forward and backward passes and the updates run in a fastprop
engine over one flat parameter buffer.
"""

from __future__ import annotations

from itertools import pairwise
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse
from sklearn.base import BaseEstimator, is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight

from ..activations import ACTIVATIONS
from ..architecture import Architecture
from ..engines import get_engine
from ..losses import LOSSES
from ._epochs import EpochLoop
from ._solver import Objective

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    def validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

_STOCHASTIC_SOLVERS = ("sgd", "adam")
#: scikit-learn's activation names -> fastprop's.
ACTIVATION_NAMES = {a.sklearn: a.name for a in ACTIVATIONS.values() if a.sklearn is not None}
#: scikit-learn's output activation -> the fastprop loss that goes with it.
OUTPUT_LOSS = {loss.sklearn_output: loss.name for loss in LOSSES.values()
               if loss.sklearn_output is not None}


def _lbfgs_iprint(iprint: int) -> dict:
    try:
        from sklearn.utils.fixes import _get_additional_lbfgs_options_dict

        return _get_additional_lbfgs_options_dict("iprint", iprint)
    except ImportError:  # pragma: no cover - older scikit-learn
        return {"iprint": iprint}


def _store_init_args(estimator, init_args: dict) -> None:
    """Store each constructor argument as the attribute of the same name, and nothing
    else (scikit-learn's rule for ``__init__``; ``get_params`` reads the signature)."""
    for name, value in init_args.items():
        if name != "self":
            setattr(estimator, name, value)


class BaseMLP(EpochLoop, BaseEstimator):
    """Base class of the fastprop MLP estimators; use the subclasses."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({a.sklearn for a in ACTIVATIONS.values()
                                   if a.sklearn is not None and not a.output_only})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "engine": [StrOptions({"cython", "numpy"})],
    }

    # ------------------------------------------------------------ parameters
    def _arch(self) -> Architecture:
        """The fastprop architecture of the fitted coefs_ (shapes and dtype from them)."""
        sizes = (self.coefs_[0].shape[0],) + tuple(W.shape[1] for W in self.coefs_)
        hidden = (ACTIVATION_NAMES[self.activation],) * (len(self.coefs_) - 1)
        output = ACTIVATION_NAMES[self.out_activation_]
        return Architecture(sizes, hidden + (output,), OUTPUT_LOSS[self.out_activation_],
                            True, np.dtype(self.coefs_[0].dtype))

    def _pack(self, arch: Architecture) -> np.ndarray:
        """coefs_ and intercepts_ copied into one flat buffer (fastprop's layout)."""
        params = np.empty(arch.n_params, dtype=arch.dtype)
        for dst, src in zip(arch.weight_views(params), self.coefs_, strict=True):
            dst[...] = src
        for dst, src in zip(arch.bias_views(params), self.intercepts_, strict=True):
            dst[...] = src
        return params

    def _unpack(self, arch: Architecture, params: np.ndarray) -> None:
        """coefs_ and intercepts_ become views into ``params``."""
        self.coefs_ = arch.weight_views(params)
        self.intercepts_ = arch.bias_views(params)

    def _forward(self, X, params=None) -> np.ndarray:
        """Network outputs for validated X (dense or sparse)."""
        arch = self._arch()
        if params is None:
            params = self._pack(arch)
        engine = get_engine(self.engine)
        if scipy.sparse.issparse(X):
            X = scipy.sparse.csr_matrix(X)
            chunks = [engine.predict(arch, params, X[i:i + 4096].toarray())
                      for i in range(0, X.shape[0], 4096)]
            return np.concatenate(chunks) if chunks else np.empty((0, arch.sizes[-1]),
                                                                  arch.dtype)
        return engine.predict(arch, params, np.ascontiguousarray(X, dtype=arch.dtype))

    def _validate_predict(self, X):
        return validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                             dtype=self.coefs_[0].dtype, order="C")

    # -------------------------------------------------------------- training
    def _initialize(self, y, layer_units, dtype) -> None:
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        if not is_classifier(self):  # poisson: the rate exp(z) of the log-rate z
            self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        elif self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in pairwise(layer_units):
            # Glorot uniform, factor 6 (2 for logistic), drawn as scikit-learn draws it
            factor = 2.0 if self.activation == "logistic" else 6.0
            bound = np.sqrt(factor / (fan_in + fan_out))
            coef = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
            intercept = self._random_state.uniform(-bound, bound, fan_out)
            self.coefs_.append(coef.astype(dtype, copy=False))
            self.intercepts_.append(intercept.astype(dtype, copy=False))
        self._best_params = self._pack(self._arch())
        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_: list[float] = []
            self._no_improvement_count = 0
            # as scikit-learn: the validation scores with early stopping, else the loss
            self.validation_scores_: list[float] | None
            self.best_validation_score_: float | None
            self.best_loss_: float | None
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _hidden_sizes(self) -> list[int]:
        hidden = self.hidden_layer_sizes
        hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
        if np.any(np.array(hidden) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden}.")
        return hidden

    def _start(self, layer_units, first_pass: bool, dtype, n_outputs: int) -> np.ndarray:
        """The flat parameters training starts from: drawn (first pass) or the fitted
        ones, which must have the shapes of ``layer_units``; coefs_ and intercepts_
        become views into them, so that they follow training as scikit-learn's do."""
        self._random_state = check_random_state(self.random_state)
        self.n_outputs_ = n_outputs
        if first_pass:
            self._initialize(np.empty((0, n_outputs)), layer_units, dtype)
        elif [W.shape for W in self.coefs_] != list(pairwise(layer_units)):
            raise ValueError(
                f"the fitted layers {[W.shape for W in self.coefs_]} do not match "
                f"hidden_layer_sizes={layer_units[1:-1]} with {layer_units[0]} features "
                f"and {layer_units[-1]} outputs: fit again with warm_start=False")
        arch = self._arch()
        params = self._pack(arch)
        self._unpack(arch, params)
        return params

    def _check_finite(self, params) -> None:
        if not np.isfinite(params).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed.")

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self._hidden_sizes()
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        if scipy.sparse.issparse(X):
            X = scipy.sparse.csr_matrix(X)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        if getattr(self, "loss", None) == "poisson" and (y < 0).any():
            raise ValueError("loss='poisson' needs targets >= 0 (counts or rates), got "
                             f"{float(y.min())}")
        layer_units = [X.shape[1]] + hidden + [y.shape[1]]
        params = self._start(layer_units, first_pass, X.dtype, y.shape[1])
        arch = self._arch()
        if X.dtype != arch.dtype:
            X = X.astype(arch.dtype)
        if sample_weight is not None:
            sample_weight = np.ascontiguousarray(sample_weight, dtype=arch.dtype)
        objective = Objective(arch, self.engine, self.alpha)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.solver in _STOCHASTIC_SOLVERS:
                self._fit_stochastic(X, y, sample_weight, params, objective, incremental)
            else:
                self._fit_lbfgs(X, y, sample_weight, params, objective)
        self._check_finite(params)
        return self

    def _fit_lbfgs(self, X, y, sample_weight, params, objective) -> None:
        Xd = X.toarray() if scipy.sparse.issparse(X) else X
        Y = np.ascontiguousarray(y, dtype=params.dtype)
        grad = np.empty_like(params)

        def loss_and_grad(p):
            params[...] = p
            return objective(params, Xd, Y, grad, sample_weight), grad.astype(np.float64)

        self._minimize(loss_and_grad, params)

    def _minimize(self, loss_and_grad, params) -> None:
        """SciPy's L-BFGS-B from ``params`` (set to the result) with scikit-learn's
        options; ``loss_and_grad(p)`` returns the loss and its float64 gradient."""
        iprint = 1 if self.verbose is True or self.verbose >= 1 else -1
        result = scipy.optimize.minimize(
            loss_and_grad, params.astype(np.float64), method="L-BFGS-B", jac=True,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol,
                     **_lbfgs_iprint(iprint)})
        self.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        self.loss_ = result.fun
        params[...] = result.x

    def _fit_stochastic(self, X, y, sample_weight, params, objective, incremental) -> None:
        solver = self._stochastic_solver(objective, incremental)
        early_stopping = self.early_stopping
        if early_stopping:
            # don't stratify in multilabel classification (as scikit-learn)
            stratify = y if is_classifier(self) and self.n_outputs_ == 1 else None
            if sample_weight is None:
                X_train, X_val, y_train, y_val = train_test_split(
                    X, y, random_state=self._random_state,
                    test_size=self.validation_fraction, stratify=stratify)
                sw_train = sw_val = None
            else:
                X_train, X_val, y_train, y_val, sw_train, sw_val = train_test_split(
                    X, y, sample_weight, random_state=self._random_state,
                    test_size=self.validation_fraction, stratify=stratify)
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset.")
            if is_classifier(self):
                y_val = self._label_binarizer.inverse_transform(y_val)
        else:
            X_train, y_train, X_val, y_val = X, y, None, None
            sw_train, sw_val = sample_weight, None
        Y_train = np.ascontiguousarray(y_train, dtype=params.dtype)
        n_samples = X_train.shape[0]
        batch_size = self._batch_size(n_samples)
        if not scipy.sparse.issparse(X_train):
            X_train = np.ascontiguousarray(X_train, dtype=params.dtype)
        sample_idx = np.arange(n_samples, dtype=int)

        def run_epoch() -> float:
            nonlocal sample_idx
            if self.shuffle:  # sklearn.utils.shuffle(sample_idx, random_state=…)
                order = np.arange(n_samples)
                self._random_state.shuffle(order)
                sample_idx = sample_idx[order]
            return solver.epoch(params, X_train, Y_train,
                                sample_idx if self.shuffle else None, batch_size, sw_train)

        def validation_score() -> float:
            return self._score_with_params(X_val, y_val, params, sw_val)

        self._run_epochs(solver, params, n_samples, run_epoch,
                         validation_score if early_stopping else None, incremental)

    def _score_with_params(self, X, y, params, sample_weight=None) -> float:
        out = self._forward(X, params)
        if not np.isfinite(out).all():
            return np.nan
        return self._score_function(y, self._outputs_to_predictions(out), sample_weight)

    def _check_solver(self) -> bool:
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic.")
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
