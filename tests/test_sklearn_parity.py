"""fastprop.sklearn gives scikit-learn's answers.

* Trajectories: with the same hyperparameters and ``random_state``, fastprop's
  estimators start from scikit-learn's weights, visit the samples in its order and apply
  its loss, penalty, optimizers, schedules and stopping rules, so they end at its
  weights, loss curve and iteration count (float64, relative 1e-9).
* Scores: on scikit-learn's bundled data sets (digits, breast_cancer, iris, diabetes),
  the test score is within 0.02 of scikit-learn's.
"""

import warnings

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastprop import sklearn as fp_sklearn


def _data(kind):
    if kind == "multiclass":
        X, y = make_classification(150, 8, n_informative=5, n_classes=4, random_state=0)
    elif kind == "binary":
        X, y = make_classification(130, 5, random_state=1)
        y = np.array(["cat", "dog"])[y]
    elif kind == "multilabel":
        X, y = make_multilabel_classification(120, 6, n_classes=3, random_state=2)
    elif kind == "regression":
        X, y = make_regression(140, 6, noise=1.0, random_state=3)
        y = y / 50
    elif kind == "counts":  # Poisson: counts whose log-rate is linear in X
        rng = np.random.default_rng(5)
        X = rng.normal(size=(120, 5))
        y = rng.poisson(np.exp(0.4 * X[:, 0] - 0.3 * X[:, 1] + 0.5)).astype(float)
    elif kind == "multicounts":
        rng = np.random.default_rng(6)
        X = rng.normal(size=(100, 4))
        y = rng.poisson(np.exp(0.3 * X[:, :2] + 0.2)).astype(float)
    else:  # multi-output regression
        X, y = make_regression(110, 4, n_targets=3, noise=1.0, random_state=4)
        y = y / 50
    return StandardScaler().fit_transform(X), y


#: (data kind, hyperparameters): every solver, schedule, activation and stopping rule.
TRAJECTORIES = [
    ("multiclass", {}),
    ("multiclass", {"activation": "tanh", "alpha": 0.01, "batch_size": 32,
                    "early_stopping": True, "validation_fraction": 0.2}),
    ("binary", {"solver": "sgd", "learning_rate_init": 0.05, "alpha": 1e-3}),
    ("binary", {"solver": "sgd", "activation": "logistic", "momentum": 0.5,
                "nesterovs_momentum": False, "learning_rate": "invscaling",
                "learning_rate_init": 0.5, "power_t": 0.25, "shuffle": False}),
    ("multilabel", {"solver": "sgd", "momentum": 0.0, "learning_rate": "adaptive",
                    "learning_rate_init": 0.2, "tol": 0.05, "n_iter_no_change": 2,
                    "batch_size": 50}),
    ("regression", {"activation": "identity", "alpha": 0.1, "batch_size": 64,
                    "learning_rate_init": 0.01}),
    ("regression", {"solver": "sgd", "learning_rate_init": 0.01, "early_stopping": True,
                    "tol": 1e-3}),
    ("multioutput", {"solver": "sgd", "learning_rate": "adaptive", "learning_rate_init": 0.02,
                     "tol": 0.01, "n_iter_no_change": 3, "batch_size": 30}),
    ("multioutput", {"hidden_layer_sizes": (7, 5), "beta_1": 0.8, "beta_2": 0.99,
                     "epsilon": 1e-6, "learning_rate_init": 0.01}),
    ("counts", {"loss": "poisson", "learning_rate_init": 0.01, "batch_size": 16}),
    ("counts", {"loss": "poisson", "solver": "sgd", "learning_rate_init": 0.01,
                "early_stopping": True, "activation": "tanh"}),
    ("multicounts", {"loss": "poisson", "solver": "sgd", "learning_rate": "adaptive",
                     "learning_rate_init": 0.02, "tol": 0.01, "n_iter_no_change": 2,
                     "batch_size": 25}),
]


def _pair(kind, params, engine, max_iter=40):
    classifier = kind in ("multiclass", "binary", "multilabel")
    name = "MLPClassifier" if classifier else "MLPRegressor"
    params = {"hidden_layer_sizes": (10,), "max_iter": max_iter, "random_state": 0, **params}
    return (getattr(neural_network, name)(**params),
            getattr(fp_sklearn, name)(engine=engine, **params))


def _fit_both(pair, method, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for est in pair:
            getattr(est, method)(X, y, **kwargs)


def assert_same_model(sk, fp, rtol=1e-9):
    for name in ("coefs_", "intercepts_"):
        for a, e in zip(getattr(fp, name), getattr(sk, name), strict=True):
            np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * np.abs(e).max())
    for name in ("n_iter_", "t_", "n_layers_", "n_outputs_", "out_activation_"):
        assert getattr(fp, name) == getattr(sk, name), name
    for name in ("loss_curve_", "validation_scores_"):
        if getattr(sk, name, None) is not None:
            np.testing.assert_allclose(getattr(fp, name), getattr(sk, name), rtol=rtol)


@pytest.mark.parametrize("kind, params", TRAJECTORIES,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(TRAJECTORIES)])
def test_fit_follows_scikit_learns_trajectory(engine, kind, params):
    X, y = _data(kind)
    sk, fp = pair = _pair(kind, params, engine)
    _fit_both(pair, "fit", X, y)
    assert_same_model(sk, fp)
    if hasattr(sk, "predict_proba"):
        np.testing.assert_array_equal(fp.predict(X), sk.predict(X))
        np.testing.assert_allclose(fp.predict_proba(X), sk.predict_proba(X), rtol=1e-9)
    else:
        np.testing.assert_allclose(fp.predict(X), sk.predict(X), rtol=1e-9, atol=1e-12)
    assert fp.score(X, y) == pytest.approx(sk.score(X, y), rel=1e-12)


def test_warm_start_and_partial_fit_follow_scikit_learn(engine):
    X, y = _data("multiclass")
    pair = _pair("multiclass", {"warm_start": True, "solver": "sgd"}, engine, max_iter=5)
    _fit_both(pair, "fit", X, y)
    _fit_both(pair, "fit", X, y)
    assert_same_model(*pair)
    pair = _pair("multiclass", {"solver": "sgd", "learning_rate": "invscaling"}, engine)
    _fit_both(pair, "partial_fit", X[:70], y[:70], classes=np.unique(y))
    for _ in range(3):
        _fit_both(pair, "partial_fit", X, y)
    assert_same_model(*pair)


def test_float32_follows_scikit_learn(engine):
    X, y = _data("multiclass")
    pair = _pair("multiclass", {}, engine, max_iter=10)
    _fit_both(pair, "fit", X.astype(np.float32), y)
    assert pair[1].coefs_[0].dtype == pair[0].coefs_[0].dtype == np.float32
    assert_same_model(*pair, rtol=1e-4)


@pytest.mark.parametrize("kind, params", TRAJECTORIES,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(TRAJECTORIES)])
def test_weighted_fit_follows_scikit_learns_trajectory(engine, kind, params):
    """sample_weight: each batch's loss is the weighted mean, the L2 penalty is divided
    by the batch's Σ weights, and early stopping splits the weights with the samples
    and scores with the validation weights."""
    X, y = _data(kind)
    weights = np.random.default_rng(7).uniform(0.1, 3.0, size=len(X))
    sk, fp = pair = _pair(kind, params, engine, max_iter=25)
    _fit_both(pair, "fit", X, y, sample_weight=weights)
    assert_same_model(sk, fp)
    unweighted = _pair(kind, params, engine, max_iter=25)[1]
    _fit_both([unweighted], "fit", X, y)
    assert not np.allclose(unweighted.coefs_[0], fp.coefs_[0])  # the weights mattered


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_weighted_partial_fit_follows_scikit_learn(engine, solver):
    X, y = _data("multiclass")
    weights = np.random.default_rng(8).uniform(0.0, 2.0, size=len(X))
    pair = _pair("multiclass", {"solver": solver}, engine)
    for start in (0, 50, 100):
        part = slice(start, start + 50)
        _fit_both(pair, "partial_fit", X[part], y[part], sample_weight=weights[part],
                  classes=np.unique(y))
    assert_same_model(*pair)


@pytest.mark.parametrize("kind", ["binary", "multioutput"])
def test_weighted_lbfgs_follows_scikit_learn(engine, kind):
    X, y = _data(kind)
    weights = np.random.default_rng(9).uniform(0.1, 3.0, size=len(X))
    sk, fp = pair = _pair(kind, {"solver": "lbfgs", "alpha": 0.01}, engine, max_iter=30)
    _fit_both(pair, "fit", X, y, sample_weight=weights)
    assert fp.n_iter_ == sk.n_iter_
    assert fp.loss_ == pytest.approx(sk.loss_, rel=1e-6)
    assert_same_model(sk, fp, rtol=1e-5)


@pytest.mark.parametrize("kind", ["binary", "multioutput", "counts"])
def test_lbfgs_follows_scikit_learn(engine, kind):
    X, y = _data(kind)
    extra = {"loss": "poisson"} if kind == "counts" else {}
    sk, fp = pair = _pair(kind, {"solver": "lbfgs", "alpha": 0.01, **extra}, engine,
                          max_iter=30)
    _fit_both(pair, "fit", X, y)
    assert fp.n_iter_ == sk.n_iter_
    assert fp.loss_ == pytest.approx(sk.loss_, rel=1e-6)
    assert_same_model(sk, fp, rtol=1e-5)


# ----------------------------------------------------------------- scores
def _load(name):
    loader = {"digits": load_digits, "breast_cancer": load_breast_cancer, "iris": load_iris,
              "diabetes": load_diabetes}[name]
    X, y = loader(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0)


#: The same hyperparameters for both libraries; inputs standardised, and diabetes'
#: target too (a TransformedTargetRegressor around the regressor).
SCORE_SETUPS = {
    "digits": ("MLPClassifier", {"hidden_layer_sizes": (32,), "learning_rate_init": 0.01,
                                 "max_iter": 30}),
    "breast_cancer": ("MLPClassifier", {"hidden_layer_sizes": (32,), "max_iter": 100}),
    "iris": ("MLPClassifier", {"hidden_layer_sizes": (16,), "learning_rate_init": 0.01,
                               "max_iter": 200}),
    "diabetes": ("MLPRegressor", {"hidden_layer_sizes": (16,), "alpha": 10.0,
                                  "learning_rate_init": 0.01, "max_iter": 100}),
}


def make_model(module, dataset, **extra):
    name, params = SCORE_SETUPS[dataset]
    est = getattr(module, name)(random_state=0, **params, **extra)
    if name == "MLPRegressor":
        est = TransformedTargetRegressor(est, transformer=StandardScaler())
    return make_pipeline(StandardScaler(), est)


def test_score(module, dataset, **extra):
    X_train, X_test, y_train, y_test = _load(dataset)
    model = make_model(module, dataset, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return model.score(X_test, y_test)


test_score.__test__ = False  # a helper, not a test


@pytest.fixture(scope="module")
def sklearn_scores():
    return {name: test_score(neural_network, name) for name in SCORE_SETUPS}


@pytest.mark.parametrize("dataset", list(SCORE_SETUPS))
def test_scores_match_scikit_learn(engine, dataset, sklearn_scores):
    score = test_score(fp_sklearn, dataset, engine=engine)
    assert abs(score - sklearn_scores[dataset]) <= 0.02
    assert score > (0.9 if dataset != "diabetes" else 0.3)


@pytest.mark.parametrize("class_weight", ["balanced", {"cat": 3.0}])
def test_class_weight_extension_is_compute_sample_weight(engine, class_weight):
    """fastprop's MLPClassifier(class_weight=...) is scikit-learn's MLPClassifier given
    compute_sample_weight(class_weight, y) as sample_weight."""
    from sklearn.utils.class_weight import compute_sample_weight

    X, y = _data("binary")
    sk = neural_network.MLPClassifier(hidden_layer_sizes=(10,), max_iter=20,
                                      random_state=0)
    fp = fp_sklearn.MLPClassifier(hidden_layer_sizes=(10,), max_iter=20, random_state=0,
                                  engine=engine, class_weight=class_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(X, y, sample_weight=compute_sample_weight(class_weight, y))
        fp.fit(X, y)
    assert_same_model(sk, fp)
    assert fp.get_params()["class_weight"] == class_weight
    if class_weight == "balanced":
        with pytest.raises(ValueError, match="not available with partial_fit"):
            fp.partial_fit(X, y)
