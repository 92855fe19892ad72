"""Many models on a Dask cluster: a scikit-learn search over fastprop's estimators under
joblib's Dask backend, and an ensemble trained with ``client.map``, both equal to the same
work done in this process, on the two-worker cluster of the ``client`` fixture."""

import pickle

import numpy as np
import pytest

import fastprop as fp
from fastprop.sklearn import MLPClassifier

distributed = pytest.importorskip("distributed", reason="dask[distributed] is not "
                                  "installed: pip install 'fastprop-mlp[dask]'")
joblib = pytest.importorskip("joblib")
GRID = {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1e-2]}


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


def _search(X, y, **kwargs):
    import warnings

    from sklearn.model_selection import GridSearchCV

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the short fits' ConvergenceWarning
        return GridSearchCV(MLPClassifier(max_iter=15, random_state=0), GRID, cv=2,
                            **kwargs).fit(X, y)


def _same_search(a, b):
    np.testing.assert_array_equal(a.cv_results_["mean_test_score"],
                                  b.cv_results_["mean_test_score"])
    assert a.best_params_ == b.best_params_
    for W, V in zip(a.best_estimator_.coefs_, b.best_estimator_.coefs_, strict=True):
        np.testing.assert_array_equal(W, V)


def test_a_search_on_the_cluster_equals_one_process(client, digits):
    X, y = digits
    alone = _search(X, y, n_jobs=1)
    with joblib.parallel_backend("dask"):
        spread = _search(X, y)
    _same_search(spread, alone)
    assert len(client.scheduler_info()["workers"]) == 2


def test_a_search_in_threads_equals_one_process(digits):
    """fit releases the GIL: the threading backend uses the cores, same results."""
    X, y = digits
    with joblib.parallel_backend("threading", n_jobs=2):
        threaded = _search(X, y)
    _same_search(threaded, _search(X, y, n_jobs=1))


def _train(seed, X, y):
    net = fp.Network([X.shape[1], 12, 10], loss="cross_entropy", seed=seed)
    net.fit(X, y, epochs=5, batch_size=32, optimizer=fp.Adam(0.01), seed=seed)
    return net


def test_an_ensemble_with_client_map_equals_training_here(client, digits):
    X, y = digits
    X_there, y_there = client.scatter([X, y], broadcast=True)
    futures = client.map(_train, range(4), X=X_there, y=y_there)
    nets = client.gather(futures)
    for seed, net in enumerate(nets):
        here = _train(seed, X, y)
        assert net.params.tobytes() == here.params.tobytes()
    votes = np.mean([net.predict(X) for net in nets], axis=0)  # the ensemble's vote
    assert votes.shape == (len(X), 10)
    assert len(pickle.dumps(nets[0])) < 4 * nets[0].params.nbytes + 20_000
