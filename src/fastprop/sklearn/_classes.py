"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's estimators, trained by fastprop."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted

from ._base import BaseMLP, _store_init_args, validate_data

_PARAMETERS = """
    Parameters
    ----------
{loss}    hidden_layer_sizes : array-like of int, default=(100,)
        Units of each hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Hidden activation.
    solver : {'adam', 'sgd', 'lbfgs'}, default='adam'
        'sgd' (with ``momentum``, ``nesterovs_momentum``, ``learning_rate``), 'adam', or
        full-batch L-BFGS (scipy's, on fastprop's loss and gradient).
    alpha : float, default=1e-4
        L2 penalty: ½·alpha·Σ‖W‖²/n_samples, on the weights only (scikit-learn's).
    batch_size : int or 'auto', default='auto'
        'auto' is min(200, n_samples).
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule of the 'sgd' solver: 'invscaling' is learning_rate_init/(t+1)^power_t with
        t the samples seen; 'adaptive' divides by 5 when the loss stops improving.
    learning_rate_init : float, default=1e-3
    power_t : float, default=0.5
    max_iter : int, default=200
        Epochs (stochastic solvers) or iterations ('lbfgs').
    shuffle : bool, default=True
    random_state : int, RandomState instance or None, default=None
        Initial weights, shuffles and validation split, drawn exactly as scikit-learn
        draws them: the same ``random_state`` starts from the same weights.
    tol : float, default=1e-4
    verbose : bool, default=False
    warm_start : bool, default=False
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's.
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
        Loss evaluations of 'lbfgs'.
    engine : {'cython', 'numpy'}, default='cython'
        The fastprop engine that computes the passes and updates.

    The parameters mean what they mean in scikit-learn's estimator of the same name. The
    difference: the extra ``engine``. ``sample_weight`` in ``fit``/``partial_fit`` weights
    each sample's loss as scikit-learn's does (each batch's loss is the weighted mean, and
    the L2 penalty is divided by the batch's Σ weights).
"""

_ATTRIBUTES = """
    Attributes
    ----------
    coefs_, intercepts_ : list of ndarray
        Weights (n_in, n_out) and biases (n_out,) of each layer.
    loss_, best_loss_, loss_curve_ : float, float, list of float
        scikit-learn's loss (with its ½ for squared error and its L2 penalty).
    validation_scores_, best_validation_score_ : list of float, float
        With ``early_stopping=True``.
    n_iter_, t_ : int
        Epochs run, and training samples seen.
    n_features_in_, feature_names_in_, n_layers_, n_outputs_, out_activation_
        As in scikit-learn.
"""


class MLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = ("""Multi-layer perceptron classifier: scikit-learn's ``MLPClassifier``, trained
    by fastprop.

    Binary and multi-label targets get a logistic output layer and log-loss, multi-class
    targets a softmax layer and cross-entropy; the same hyperparameters and
    ``random_state`` train to scikit-learn's weights (up to rounding).
""" + _PARAMETERS.replace("{loss}", "") + """\
    class_weight : dict, list of dict or 'balanced', default=None
        A fastprop extension (scikit-learn's MLPClassifier has none): each sample's
        weight is multiplied by ``sklearn.utils.class_weight.compute_sample_weight(
        class_weight, y)``. 'balanced' is refused by ``partial_fit`` (it depends on the
        whole data).
""" + _ATTRIBUTES + """    classes_ : ndarray
        The class labels.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastprop.sklearn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier((16,), learning_rate_init=0.01, max_iter=1000,
    ...                     random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """)

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change=10, max_fun=15000, engine="cython", class_weight=None):
        _store_init_args(self, locals())

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
    }

    def _with_class_weight(self, y, sample_weight, incremental: bool):
        """``sample_weight`` times the class weights of ``y`` (scikit-learn's
        ``compute_sample_weight``)."""
        if self.class_weight is None:
            return sample_weight
        if incremental and self.class_weight == "balanced":
            raise ValueError("class_weight='balanced' is not available with partial_fit "
                             "(it depends on the whole data): give a dict of weights")
        from sklearn.utils.class_weight import compute_sample_weight

        weights = compute_sample_weight(self.class_weight, y)
        return weights if sample_weight is None else \
            np.asarray(sample_weight, dtype=np.float64) * weights

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), order="C", reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` "
                        f"has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(bool)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to X and the class labels (or label-indicator matrix) y,
        optionally weighting each sample (``sample_weight``, shape (n_samples,)).

        Returns
        -------
        self : MLPClassifier
        """
        return self._fit(X, y, self._with_class_weight(y, sample_weight, False),
                         incremental=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over (X, y). ``classes`` (all labels) is required on the first call.

        Returns
        -------
        self : MLPClassifier
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, self._with_class_weight(y, sample_weight, True),
                         incremental=True)

    def _outputs_to_predictions(self, out):
        if self.n_outputs_ == 1:
            out = out.ravel()
        return self._label_binarizer.inverse_transform(out)

    def _score_function(self, y, y_pred, sample_weight=None):
        return accuracy_score(y, y_pred, sample_weight=sample_weight)

    def predict(self, X):
        """Predicted class labels, shape (n_samples,) or (n_samples, n_classes) for
        multi-label targets."""
        check_is_fitted(self)
        return self._outputs_to_predictions(self._forward(self._validate_predict(X)))

    def predict_proba(self, X):
        """Probability of each class (columns ordered as ``classes_``)."""
        check_is_fitted(self)
        out = self._forward(self._validate_predict(X))
        if self.n_outputs_ == 1:
            out = out.ravel()
        return np.vstack([1 - out, out]).T if out.ndim == 1 else out

    def predict_log_proba(self, X):
        """log(predict_proba(X)) (−inf where a probability is exactly 0)."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = ("""Multi-layer perceptron regressor: scikit-learn's ``MLPRegressor``, trained by
    fastprop.

    Identity output layer and scikit-learn's squared error (with its ½), or with
    loss='poisson' an exponential output and half the Poisson deviance; one or
    several outputs.
""" + _PARAMETERS.replace("{loss}", """\
    loss : {'squared_error', 'poisson'}, default='squared_error'
        As scikit-learn's. 'poisson' refuses negative targets (scikit-learn's loss is
        NaN for them).
""") + _ATTRIBUTES + """
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from fastprop.sklearn import MLPRegressor
    >>> X, y = make_regression(200, 5, noise=0.1, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01,
    ...                    max_iter=1000, random_state=0).fit(X, y / 100)
    >>> reg.score(X, y / 100) > 0.9
    True
    """)

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu",
                 *, solver="adam", alpha=0.0001, batch_size="auto",
                 learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True,
                 early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, max_fun=15000, engine="cython"):
        _store_init_args(self, locals())

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), order="C",
                             reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to X and the targets y, shape (n_samples,) or (n_samples, n_outputs),
        optionally weighting each sample (``sample_weight``, shape (n_samples,)).

        Returns
        -------
        self : MLPRegressor
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y).

        Returns
        -------
        self : MLPRegressor
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _outputs_to_predictions(self, out):
        return out.ravel() if out.shape[1] == 1 else out

    def _score_function(self, y, y_pred, sample_weight=None):
        return r2_score(y, y_pred, sample_weight=sample_weight)

    def predict(self, X):
        """Predicted values, shape (n_samples,) or (n_samples, n_outputs)."""
        check_is_fitted(self)
        return self._outputs_to_predictions(self._forward(self._validate_predict(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
