"""fastprop.dask: estimators fitted on dask collections across the two workers of the
``client`` fixture. 'lbfgs' equals fastprop.sklearn on the concatenated rows; 'adam' and
'sgd' on one partition equal it step for step and on several reach its accuracy; the
predictions are lazy and equal the local model's; bad input fails with a clear error."""

import os
import pickle
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed: "
                    "pip install 'fastprop-mlp[dask]'")
da = pytest.importorskip("dask.array")
import dask  # noqa: E402

import fastprop.sklearn as fsk  # noqa: E402
from fastprop.dask import MLPClassifier, MLPRegressor  # noqa: E402
from fastprop.dask._cluster import Encoding, WorkerRows  # noqa: E402

pytestmark = pytest.mark.filterwarnings(  # the short fits' ConvergenceWarning
    "ignore::sklearn.exceptions.ConvergenceWarning")
UNEVEN = (100, 250, 150, 100)  # four partitions of unequal size


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


def _same_model(a, b, atol):
    for name in ("coefs_", "intercepts_"):
        for u, v in zip(getattr(a, name), getattr(b, name), strict=True):
            np.testing.assert_allclose(u, v, rtol=0, atol=atol)


def _dask(*arrays, chunks=UNEVEN):
    return [da.from_array(a, chunks=(chunks,) + a.shape[1:]) for a in arrays]


@pytest.mark.parametrize("kind", ["multiclass", "binary-weighted", "balanced"])
def test_lbfgs_equals_one_machine_on_the_concatenated_rows(client, digits, kind):
    X, y = digits
    kwargs, fit = {}, {}
    if kind != "multiclass":
        y = (y > 4).astype(int)
    if kind == "binary-weighted":
        fit["sample_weight"] = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    if kind == "balanced":
        y = np.where(y == 1, "odd", "even")
        y[:400] = "even"  # unequal classes
        kwargs["class_weight"] = "balanced"
    args = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=40, alpha=1e-3,
                random_state=0, **kwargs)
    here = fsk.MLPClassifier(**args).fit(X, y, **fit)
    Xd, yd = _dask(X, y)
    wd = {k: _dask(v)[0] for k, v in fit.items()}
    there = MLPClassifier(**args).fit(Xd, yd, **wd)
    assert there.n_iter_ == here.n_iter_
    assert there.loss_ == pytest.approx(here.loss_, rel=1e-9)
    np.testing.assert_array_equal(there.classes_, here.classes_)
    _same_model(there, here, 1e-6)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_lbfgs_regression_equals_one_machine(client, loss):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 6))
    Y = np.column_stack([X[:, 0] - X[:, 1], np.sin(X[:, 2])])
    if loss == "poisson":
        Y = rng.poisson(np.exp(0.5 * Y)).astype(float)
    args = dict(loss=loss, hidden_layer_sizes=(12,), solver="lbfgs", max_iter=30,
                random_state=3)
    here = fsk.MLPRegressor(**args).fit(X, Y)
    there = MLPRegressor(**args).fit(*_dask(X, Y, chunks=(120, 380)))
    assert there.loss_ == pytest.approx(here.loss_, rel=1e-9)
    _same_model(there, here, 1e-6)


def test_a_dask_dataframe_trains_and_keeps_its_column_names(client, digits):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = digits
    frame = pd.DataFrame(X[:, :20].astype(np.float32), columns=[f"p{i}" for i in range(20)])
    ddf = dd.from_pandas(frame, npartitions=3)
    labels = dd.from_pandas(pd.Series(y), npartitions=3)
    args = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20, random_state=0)
    there = MLPClassifier(**args).fit(ddf, labels)
    here = fsk.MLPClassifier(**args).fit(frame, y)
    assert there.coefs_[0].dtype == np.float32
    np.testing.assert_array_equal(there.feature_names_in_, here.feature_names_in_)
    _same_model(there, here, 1e-4)
    predicted = there.predict(ddf)
    assert isinstance(predicted, da.Array)
    np.testing.assert_array_equal(predicted.compute(), here.predict(frame))
    with pytest.raises(ValueError, match="feature names"):
        there.predict(ddf.rename(columns={"p0": "q0"}))


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_one_partition_trains_as_one_machine_step_for_step(client, digits, solver):
    """With all the rows in one partition only one worker trains: averaging is then the
    identity, and the epochs, optimizer state and stopping rule are fastprop.sklearn's."""
    X, y = digits
    args = dict(hidden_layer_sizes=(16,), solver=solver, max_iter=6, shuffle=False,
                batch_size=50, learning_rate_init=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        here = fsk.MLPClassifier(**args).fit(X, y)
        there = MLPClassifier(**args).fit(*_dask(X, y, chunks=(len(y),)))
    np.testing.assert_allclose(there.loss_curve_, here.loss_curve_, rtol=1e-12)
    _same_model(there, here, 1e-12)
    assert there._optimizer.optimizer.t == here._optimizer.optimizer.t


@pytest.mark.parametrize("solver,lr", [("adam", 0.01), ("sgd", 0.1)])
def test_averaging_over_two_workers_reaches_one_machines_accuracy(client, solver, lr):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, random_state=0)
    args = dict(hidden_layer_sizes=(32,), solver=solver, learning_rate_init=lr,
                max_iter=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        here = fsk.MLPClassifier(**args).fit(X_train, y_train)
        there = MLPClassifier(**args).fit(*_dask(X_train, y_train, chunks=340))
    assert abs(there.score(X_test, y_test) - here.score(X_test, y_test)) <= 0.02
    assert there.loss_curve_[-1] < 0.1 * there.loss_curve_[0]


def test_early_stopping_holds_out_rows_on_every_worker(client, digits):
    X, y = digits
    clf = MLPClassifier((16,), learning_rate_init=0.01, max_iter=200, early_stopping=True,
                        n_iter_no_change=3, random_state=0)
    clf.fit(*_dask(X, y))
    assert clf.n_iter_ < 200
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.8
    reg = MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=200,
                       early_stopping=True, n_iter_no_change=3, random_state=0)
    reg.fit(*_dask(X, X[:, 20] + X[:, 30]))
    assert reg.best_validation_score_ == max(reg.validation_scores_) > \
        reg.validation_scores_[0]


@pytest.mark.parametrize("kind", ["multiclass", "multilabel", "regression"])
def test_validation_sums_give_scikit_learns_scores(kind):
    from sklearn.metrics import accuracy_score, r2_score

    from fastprop.dask._cluster import _validation_sums, r2_from_sums

    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 3))
    w = rng.uniform(0.5, 2, 40)
    y = {"multiclass": rng.integers(0, 3, 40),
         "multilabel": rng.integers(0, 2, (40, 2)),
         "regression": rng.normal(size=(40, 2))}[kind]
    est = (fsk.MLPRegressor if kind == "regression" else fsk.MLPClassifier)(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    binarizer = getattr(est, "_label_binarizer", None)
    Y = y if binarizer is None else binarizer.transform(y)
    halves = [(X[s], Y[s].astype(float), w[s]) for s in (slice(0, 15), slice(15, 40))]
    sums = sum(_validation_sums(b, est._arch(), "cython", est._pack(est._arch()), binarizer)
               for b in halves)
    if kind == "regression":
        assert r2_from_sums(sums) == pytest.approx(
            r2_score(y, est.predict(X), sample_weight=w), rel=1e-10)
    else:
        assert sums[0] / sums[1] == pytest.approx(
            accuracy_score(y, est.predict(X), sample_weight=w), rel=1e-12)


def test_partial_fit_on_dask_equals_one_machine(client, digits):
    X, y = digits
    args = dict(hidden_layer_sizes=(8,), shuffle=False, random_state=0)
    here, there = fsk.MLPClassifier(**args), MLPClassifier(**args)
    Xd, yd = _dask(X, y, chunks=(len(y),))
    for _ in range(2):
        here.partial_fit(X, y, classes=np.arange(10))
        there.partial_fit(Xd, yd, classes=np.arange(10))
    _same_model(there, here, 1e-12)
    with pytest.raises(ValueError, match="classes not in classes_"):
        there.partial_fit(*_dask(X, y + 10, chunks=(len(y),)))


def test_predictions_are_lazy_and_equal_the_local_models(client, digits):
    from sklearn.metrics import r2_score

    X, y = digits
    Xd, yd = _dask(X, y)
    clf = MLPClassifier((16,), solver="lbfgs", max_iter=15, random_state=0).fit(Xd, yd)
    local = clf.to_sklearn()
    assert type(local) is fsk.MLPClassifier
    for method in ("predict", "predict_proba", "predict_log_proba"):
        lazy = getattr(clf, method)(Xd)
        assert isinstance(lazy, da.Array) and lazy.chunks[0] == UNEVEN
        np.testing.assert_array_equal(lazy.compute(), getattr(local, method)(X))
    w = np.linspace(0.5, 1.5, len(y))
    assert clf.score(Xd, yd, _dask(w)[0]) == pytest.approx(local.score(X, y, w), rel=1e-12)
    Y = np.column_stack([X[:, 20], X[:, 30] * 2])
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=15, random_state=0)
    reg.fit(*_dask(X, Y))
    assert reg.predict(Xd).shape == Y.shape
    assert reg.score(Xd, _dask(Y)[0], _dask(w)[0]) == pytest.approx(
        r2_score(Y, reg.to_sklearn().predict(X), sample_weight=w), rel=1e-10)


def test_a_worker_without_partitions_is_given_one(client, digits):
    X, y = digits
    first = sorted(client.ncores())[0]
    Xd, yd = client.persist(_dask(X, y), workers=[first])
    distributed.wait([Xd, yd])
    held = client.who_has(distributed.futures_of(Xd) + distributed.futures_of(yd))
    assert {w for ws in held.values() for w in ws} == {first}
    binarizer = fsk.MLPClassifier(max_iter=1).fit(X[:50], y[:50])._label_binarizer
    data = WorkerRows(client, Xd, yd, None, Encoding(np.float64, binarizer))
    try:
        assert len(data.rows) == 2 and data.n_rows == len(y)
        held = client.who_has(list(data._actors.values()))
        assert {a: list(held[f.key]) for a, f in data._actors.items()} == \
            {a: [a] for a in data._actors}
    finally:
        data.release()


def test_the_fitted_estimator_pickles_small_and_predicts_without_dask(client, digits):
    X, y = digits
    clf = MLPClassifier((16,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(*_dask(X, y))
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), clf.to_sklearn().predict(X))
    assert len(pickle.dumps(clf)) < 6 * sum(W.nbytes + b.nbytes for W, b in
                                            zip(clf.coefs_, clf.intercepts_, strict=True))


def test_bad_input_says_what_is_wrong(client, digits):
    X, y = digits
    Xd, yd = _dask(X, y)
    with pytest.raises(ValueError, match="X has 600 rows but y has 599"):
        MLPClassifier().fit(Xd, yd[:-1])
    bad = X.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        MLPClassifier(solver="lbfgs").fit(*_dask(bad, y))
    with pytest.raises(ValueError, match="targets >= 0"):
        MLPRegressor(loss="poisson").fit(Xd, _dask(y - 5.0)[0])
    with pytest.raises(ValueError, match=r"y must have 600 rows \(those of X\) and 1 or 2 "
                                         r"dimensions, got shape \(1, 600\)"):
        MLPClassifier().fit(Xd, [list(y)])
    with pytest.raises(TypeError, match="dask array, DataFrame or Series, got Delayed"):
        MLPClassifier().fit(Xd, yd, sample_weight=dask.delayed(np.ones(600)))
    fitted = MLPClassifier((4,), solver="lbfgs", max_iter=2).fit(Xd, yd)
    with pytest.raises(ValueError, match="X has 10 features, but MLPClassifier is "
                                         "expecting 64"):
        fitted.predict(Xd[:, :10])


def test_strings_in_a_dask_dataframe_are_refused_by_name(client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "colour": list("rgbr")})
    with pytest.raises(ValueError, match="not numbers: colour"):
        MLPClassifier().fit(dd.from_pandas(frame, npartitions=2),
                            dd.from_pandas(pd.Series([0, 1, 0, 1]), npartitions=2))


def test_without_a_client_fit_says_to_connect_one():
    code = ("import dask.array as da, numpy as np\n"
            "from fastprop.dask import MLPClassifier\n"
            "MLPClassifier().fit(da.ones((4, 2)), da.from_array(np.array([0, 1, 0, 1])))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1
    assert "connect a client first" in run.stderr.strip().splitlines()[-1]


def test_a_worker_lost_during_a_fit_ends_it_with_dasks_error(digits, monkeypatch):
    # on a cluster of its own: the worker killed here must not be missed by other tests
    X, y = digits
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                       dashboard_address=":0", processes=True)
    with cluster, distributed.Client(cluster, set_as_default=False) as own, own.as_current():
        victim = sorted(own.ncores())[1]
        pid = own.run(os.getpid, workers=[victim])[victim]
        calls = []
        gradient_sums = WorkerRows.gradient_sums

        def killing_the_second_worker(self, *args):
            calls.append(1)
            if len(calls) == 3:
                os.kill(pid, signal.SIGKILL)
            return gradient_sums(self, *args)

        monkeypatch.setattr(WorkerRows, "gradient_sums", killing_the_second_worker)
        clf = MLPClassifier((16,), solver="lbfgs", max_iter=50, random_state=0)
        with pytest.raises((OSError, RuntimeError), match="[Aa]ctor"):
            clf.fit(*_dask(X, y))
        assert len(calls) == 3
