"""fastprop.metrics against sklearn.metrics (1e-9), through Network.evaluate."""

import numpy as np
import pytest

import fastprop as fp
from fastprop.metrics import METRICS

sk = pytest.importorskip("sklearn.metrics")


def _binary(seed=0, n=80):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(float)
    net = fp.Network([3, 5, 1], seed=seed)
    net.fit(X, y, epochs=3, lr=0.1)
    return net, X, y


def test_binary_metrics_equal_scikit_learns(engine):
    net, X, y = _binary()
    p = net.predict(X)[:, 0]
    # a few exact ties of the scores, so the AUC's tie rule is exercised
    p = np.round(p, 2)
    net_scores = METRICS
    Y = y.reshape(-1, 1)
    P = p.reshape(-1, 1)
    pred = (p > 0.5).astype(int)
    expected = {"accuracy": sk.accuracy_score(y, pred),
                "precision": sk.precision_score(y, pred, zero_division=0),
                "recall": sk.recall_score(y, pred), "f1": sk.f1_score(y, pred),
                "roc_auc": sk.roc_auc_score(y, p), "log_loss": sk.log_loss(y, p)}
    for name, value in expected.items():
        assert net_scores[name].compute(Y, P, False) == pytest.approx(value, rel=1e-9,
                                                                      abs=1e-12), name
    scores = net.evaluate(X, y, metrics=list(expected))
    probs = net.predict(X)[:, 0]
    assert scores["roc_auc"] == pytest.approx(sk.roc_auc_score(y, probs), rel=1e-9)
    assert scores["f1"] == pytest.approx(sk.f1_score(y, probs > 0.5), rel=1e-9)
    assert scores["accuracy"] == pytest.approx(net.evaluate(X, y)["accuracy"])


def test_multiclass_metrics_equal_scikit_learns_macro(engine):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 4))
    y = rng.integers(0, 3, size=90)
    net = fp.Network([4, 6, 3], loss="cross_entropy", seed=0, engine=engine)
    net.fit(X, y, epochs=2, lr=0.05)
    P = net.predict(X)
    pred = P.argmax(axis=1)
    scores = net.evaluate(X, y, metrics=["accuracy", "precision", "recall", "f1", "roc_auc",
                                         "log_loss"])
    expected = {"accuracy": sk.accuracy_score(y, pred),
                "precision": sk.precision_score(y, pred, average="macro", zero_division=0),
                "recall": sk.recall_score(y, pred, average="macro", zero_division=0),
                "f1": sk.f1_score(y, pred, average="macro", zero_division=0),
                "roc_auc": sk.roc_auc_score(y, P, multi_class="ovr", average="macro"),
                "log_loss": sk.log_loss(y, P, labels=[0, 1, 2])}
    for name, value in expected.items():
        assert scores[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_multilabel_and_regression_metrics_equal_scikit_learns():
    rng = np.random.default_rng(2)
    Y = (rng.random((60, 3)) < [0.3, 0.5, 0.7]).astype(float)
    P = np.clip(Y * 0.6 + rng.random((60, 3)) * 0.4, 0, 1)
    pred = (P > 0.5).astype(int)
    assert METRICS["accuracy"].compute(Y, P, False) == pytest.approx(
        sk.accuracy_score(Y, pred))
    assert METRICS["f1"].compute(Y, P, False) == pytest.approx(
        sk.f1_score(Y, pred, average="macro", zero_division=0), rel=1e-9)
    assert METRICS["roc_auc"].compute(Y, P, False) == pytest.approx(
        sk.roc_auc_score(Y, P, average="macro"), rel=1e-9)
    T, Q = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    assert METRICS["r2"].compute(T, Q) == pytest.approx(sk.r2_score(T, Q), rel=1e-9)
    assert METRICS["mae"].compute(T, Q) == pytest.approx(sk.mean_absolute_error(T, Q),
                                                         rel=1e-9)
    assert METRICS["rmse"].compute(T, Q) == pytest.approx(
        sk.root_mean_squared_error(T, Q), rel=1e-9)


def test_bad_metrics_are_named():
    net, X, y = _binary()
    with pytest.raises(ValueError, match="'auc' is not a metric"):
        net.evaluate(X, y, metrics=["auc"])
    reg = fp.Network([3, 1], loss="mse")
    with pytest.raises(ValueError, match="'f1' needs a classification loss"):
        reg.evaluate(X, y, metrics=["f1"])
    assert set(reg.evaluate(X, y, metrics=["r2", "rmse"])) == {"loss", "r2", "rmse"}
    with pytest.raises(TypeError, match="metrics must be a list of metric names"):
        net.evaluate(X, y, metrics=5)
    with pytest.raises(TypeError, match="metric names"):
        net.evaluate(X, y, metrics=[len])
