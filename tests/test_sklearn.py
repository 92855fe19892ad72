"""fastprop.sklearn: scikit-learn's own estimator checks, and the API around them."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.base import clone
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastprop.sklearn import MLPClassifier, MLPRegressor

ENGINES = ["numpy", "cython"]


@parametrize_with_checks(
    [MLPClassifier(max_iter=100, engine=e) for e in ENGINES]
    + [MLPRegressor(max_iter=100, engine=e) for e in ENGINES]
)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=100, as sklearn's own
        check(estimator)


@pytest.fixture
def blobs():
    X, y = make_classification(120, 6, n_informative=4, n_classes=3, random_state=0)
    return X, y


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn(*args, **kwargs)


def test_fitted_attributes_are_scikit_learns(engine, blobs):
    X, y = blobs
    clf = quiet(MLPClassifier((7, 5), max_iter=20, random_state=0, engine=engine).fit, X, y)
    assert [W.shape for W in clf.coefs_] == [(6, 7), (7, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (5,), (3,)]
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.n_features_in_ == 6
    assert clf.out_activation_ == "softmax"
    assert clf.n_iter_ == 20 == len(clf.loss_curve_) and clf.t_ == 20 * len(X)
    assert clf.loss_ == clf.loss_curve_[-1] and clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert list(clf.classes_) == [0, 1, 2]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
    assert clf.score(X, y) == np.mean(clf.predict(X) == y)


def test_binary_multilabel_and_string_labels(engine):
    X, y = make_classification(80, 4, random_state=1)
    labels = np.array(["no", "yes"])[y]
    clf = quiet(MLPClassifier((5,), max_iter=30, random_state=0, engine=engine).fit, X, labels)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    assert set(clf.predict(X)) <= {"no", "yes"} and clf.predict_proba(X).shape == (80, 2)
    Xm, Ym = make_multilabel_classification(60, 5, n_classes=3, random_state=0)
    clf = quiet(MLPClassifier((5,), max_iter=30, random_state=0, engine=engine).fit, Xm, Ym)
    assert clf.out_activation_ == "logistic" and clf.predict(Xm).shape == (60, 3)


def test_multi_output_regression(engine):
    X, Y = make_regression(90, 5, n_targets=3, random_state=0)
    reg = quiet(MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0,
                             engine=engine).fit, X, Y / 100)
    assert reg.predict(X).shape == (90, 3) and reg.out_activation_ == "identity"
    reg = quiet(MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0,
                             engine=engine).fit, X, Y[:, 0] / 100)
    assert reg.predict(X).shape == (90,)


def test_lbfgs_solver(engine, blobs):
    X, y = blobs
    clf = quiet(MLPClassifier((8,), solver="lbfgs", max_iter=50, random_state=0,
                              engine=engine).fit, X, y)
    assert 1 <= clf.n_iter_ <= 50 and np.isfinite(clf.loss_)
    assert not hasattr(clf, "loss_curve_")
    assert clf.score(X, y) > 0.8
    assert not hasattr(clf, "partial_fit")  # as in scikit-learn: lbfgs is not stochastic


def test_lbfgs_max_iter_warns(blobs):
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        MLPClassifier((8,), solver="lbfgs", max_iter=2, random_state=0).fit(*blobs)


def test_max_iter_warns_like_scikit_learn(blobs):
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        MLPClassifier((4,), max_iter=3, random_state=0).fit(*blobs)


def test_poisson_refuses_negative_targets():
    est = MLPRegressor(loss="poisson", max_iter=2)
    with pytest.raises(ValueError, match="targets >= 0"):
        est.fit([[0.0], [1.0]], [1.0, -2.0])
    assert not hasattr(est, "coefs_")  # nothing fitted


@pytest.mark.parametrize("params", [
    {"hidden_layer_sizes": 0}, {"activation": "softmax"}, {"solver": "rmsprop"},
    {"alpha": -1.0}, {"batch_size": 0}, {"learning_rate": "cyclic"},
    {"learning_rate_init": 0.0}, {"max_iter": 0}, {"momentum": 1.5},
    {"validation_fraction": 1.0}, {"beta_1": 1.0}, {"epsilon": 0.0}, {"engine": "torch"},
])
def test_invalid_parameters_are_rejected(params, blobs):
    with pytest.raises(InvalidParameterError):
        MLPClassifier(**params).fit(*blobs)


def test_hidden_layer_sizes_must_be_positive(blobs):
    with pytest.raises(ValueError, match="hidden_layer_sizes must be > 0"):
        MLPClassifier((4, 0)).fit(*blobs)


def test_not_fitted():
    with pytest.raises(NotFittedError):
        MLPClassifier().predict([[0.0]])


def test_partial_fit(engine, blobs):
    X, y = blobs
    clf = MLPClassifier((6,), random_state=0, engine=engine)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    for _ in range(10):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 11 and clf.t_ == 60 + 10 * 120
    assert clf.loss_ < clf.loss_curve_[1]
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, y + 3)
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


def test_warm_start_continues(engine, blobs):
    X, y = blobs
    clf = MLPClassifier((6,), max_iter=5, warm_start=True, random_state=0, engine=engine)
    quiet(clf.fit, X, y)
    first = [W.copy() for W in clf.coefs_]
    quiet(clf.fit, X, y)
    assert len(clf.loss_curve_) == 10
    assert not np.array_equal(first[0], clf.coefs_[0])
    clf.set_params(hidden_layer_sizes=(3,))
    with pytest.raises(ValueError, match="warm_start=False"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="same classes"):
        clf.set_params(hidden_layer_sizes=(6,)).fit(X, np.where(y == 2, 1, y))


def test_early_stopping(engine, blobs):
    X, y = blobs
    clf = quiet(MLPClassifier((6,), early_stopping=True, max_iter=200, random_state=0,
                              engine=engine).fit, X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    with pytest.raises(ValueError, match="validation set is too small"):
        MLPClassifier(early_stopping=True, validation_fraction=0.01).fit(X[:20], y[:20])


def test_sparse_input_matches_dense(engine, blobs):
    X, y = blobs
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    dense = quiet(MLPClassifier((6,), max_iter=10, random_state=0, engine=engine).fit, X, y)
    sparse = quiet(MLPClassifier((6,), max_iter=10, random_state=0, engine=engine).fit,
                   scipy.sparse.csr_matrix(X), y)
    for a, b in zip(dense.coefs_, sparse.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sparse.predict_proba(scipy.sparse.csc_matrix(X)),
                               dense.predict_proba(X), rtol=1e-12)


def test_float32_stays_float32(engine, blobs):
    X, y = blobs
    clf = quiet(MLPClassifier((6,), max_iter=10, random_state=0, engine=engine).fit,
                X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32


def test_pickle_then_keep_training(engine, blobs):
    X, y = blobs
    clf = MLPClassifier((6,), random_state=0, engine=engine).partial_fit(X, y, classes=[0, 1, 2])
    clone_ = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone_.predict_proba(X), clf.predict_proba(X))
    clf.partial_fit(X, y)
    clone_.partial_fit(X, y)
    np.testing.assert_array_equal(clone_.coefs_[0], clf.coefs_[0])


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_a_fitted_estimator_pickles_about_as_small_as_scikit_learns(solver):
    """No scratch buffers in the pickle: at most 1.2× scikit-learn's for the same model
    (both keep the optimizer's state, for warm starts), and the loaded one trains on
    exactly as the original does."""
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    kwargs = dict(hidden_layer_sizes=(100,), solver=solver, max_iter=3, random_state=0)
    ours = quiet(MLPClassifier(**kwargs).fit, X, y)
    theirs = quiet(SkMLPClassifier(**kwargs).fit, X, y)
    size, reference = len(pickle.dumps(ours)), len(pickle.dumps(theirs))
    assert size <= 1.2 * reference, (size, reference)
    loaded = pickle.loads(pickle.dumps(ours))
    ours.partial_fit(X, y)
    loaded.partial_fit(X, y)
    for a, b in zip(ours.coefs_ + ours.intercepts_, loaded.coefs_ + loaded.intercepts_,
                    strict=True):
        np.testing.assert_array_equal(a, b)


def test_edited_coefs_are_used(blobs):
    X, y = blobs
    clf = quiet(MLPClassifier((6,), max_iter=5, random_state=0).fit, X, y)
    clf.coefs_[-1][...] = 0.0
    clf.intercepts_[-1][...] = [0.0, 5.0, 0.0]
    assert (clf.predict(X) == 1).all()


def test_in_pipeline_and_grid_search(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), MLPClassifier(learning_rate_init=0.01, max_iter=100,
                                                       random_state=0))
    search = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(4,), (8,)]}, cv=2)
    quiet(search.fit, X, y)
    assert search.best_estimator_.score(X, y) > 0.8
    assert clone(search.best_estimator_).get_params()["mlpclassifier__engine"] == "cython"


def test_verbose_prints_like_scikit_learn(capsys, blobs):
    quiet(MLPClassifier((4,), max_iter=2, verbose=True, random_state=0).fit, *blobs)
    assert capsys.readouterr().out.startswith("Iteration 1, loss = ")


def test_feature_names_in():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    reg = quiet(MLPRegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit,
                X, [0.0, 1.0, 2.0, 3.0])
    assert list(reg.feature_names_in_) == ["a", "b"]


def test_diverging_training_raises_scikit_learns_error():
    X = np.array([[1e150, -1e150], [-1e150, 1e150]] * 10)
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        quiet(MLPRegressor(hidden_layer_sizes=(4,), solver="sgd", learning_rate_init=1.0,
                           max_iter=5, random_state=0).fit, X, np.arange(20.0) * 1e150)


@pytest.mark.parametrize("solver, extra", [
    ("sgd", dict(momentum=0.9, nesterovs_momentum=True, alpha=1e-3)),
    ("sgd", dict(momentum=0.0, learning_rate="invscaling", alpha=0.0, shuffle=False)),
    ("adam", dict(alpha=1e-2)),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["multiclass", "multilabel", "regression"])
@pytest.mark.parametrize("weighted", [False, True])
def test_compiled_epoch_is_the_python_loop_bit_for_bit(monkeypatch, solver, extra, dtype, kind,
                                                       weighted):
    """The compiled engine runs a whole scikit-learn epoch in one call; it must compute
    exactly what the loop of per-batch steps computes (the reference path, still used
    for sparse X and the NumPy engine) on the same engine."""
    from fastprop.engines.cython_engine import CythonEngine

    if kind == "multiclass":
        X, y = make_classification(157, 7, n_informative=5, n_classes=3, random_state=1)
        Est = MLPClassifier
    elif kind == "multilabel":
        X, y = make_multilabel_classification(157, 7, n_classes=3, random_state=1)
        Est = MLPClassifier
    else:
        X, y = make_regression(157, 7, n_targets=2, random_state=1)
        Est = MLPRegressor
    X = X.astype(dtype)
    weights = np.random.default_rng(2).uniform(0, 2, size=len(X)) if weighted else None
    fits = []
    for compiled in (True, False):
        with monkeypatch.context() as m:
            if not compiled:  # no compiled epoch: the solver falls back to its step loop
                m.setattr(CythonEngine, "sklearn_epoch", None)
            est = Est(hidden_layer_sizes=(9, 5), solver=solver, batch_size=20, max_iter=6,
                      random_state=0, tol=0, engine="cython", **extra)
            quiet(est.fit, X, y, sample_weight=weights)
        fits.append(est)
    a, b = fits
    assert a.loss_curve_ == b.loss_curve_ and a.n_iter_ == b.n_iter_ == 6
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert wa.dtype == dtype and wa.tobytes() == wb.tobytes()


def test_compiled_epoch_rejects_an_order_out_of_range():
    from fastprop.engines import get_engine
    from fastprop.optim import SGD

    est = quiet(MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit,
                np.eye(5), [0, 1, 0, 1, 1])
    arch = est._arch()
    params = est._pack(arch)
    before = params.copy()
    opt = SGD(0.1)
    opt.bind(arch.n_params, arch.dtype)
    X, Y = np.eye(5), np.ones((5, 1))
    for order in (np.array([0, 1, 2, 3, 5]), np.array([0, 1, -1, 3, 4]), np.arange(4)):
        with pytest.raises(ValueError, match="order"):
            get_engine("cython").sklearn_epoch(arch, params, X, Y, order, 2, opt,
                                               loss_scale=1.0, grad_scale=1.0, alpha=0.0,
                                               sk_eps=-1.0)
        assert params.tobytes() == before.tobytes()
