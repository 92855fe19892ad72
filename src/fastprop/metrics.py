"""Metrics: the catalogue, one record per metric, in NumPy, equal to ``sklearn.metrics``.

Each metric takes a network's validated targets ``Y`` (n, k) — 0/1 columns for "bce",
one-hot rows for "cross_entropy" (``multiclass``), numbers for regression losses — and
its predictions ``P`` (n, k): probabilities for classifiers, values for regressions. Classification
metrics read the predicted class as scikit-learn's estimators do: probability > 0.5
for each 0/1 output, the most probable class for one-hot targets.

* ``accuracy``: the share of samples predicted right (every output, multi-label).
* ``precision``, ``recall``, ``f1``: of the positive class for one 0/1 output; else the
  macro average over the classes (over the labels, multi-label).
* ``roc_auc``: for one 0/1 output; else the macro average of one-vs-rest AUCs (sklearn's
  ``multi_class="ovr"``).
* ``log_loss``: the mean cross-entropy, probabilities clipped to [eps, 1 − eps].
* ``r2``, ``mae``, ``rmse``: averaged uniformly over the outputs.

scikit-learn is not needed: these are the definitions its functions implement (tests
compare the two to 1e-9).

>>> import numpy as np
>>> Y = np.array([[1.0], [0.0], [1.0], [0.0]]); P = np.array([[0.9], [0.2], [0.4], [0.6]])
>>> METRICS["accuracy"].compute(Y, P, False), METRICS["roc_auc"].compute(Y, P, False)
(0.5, 0.75)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np


@dataclass(frozen=True)
class Metric:
    """One metric: its name, whether it needs a classifier, whether larger is better,
    and ``compute(Y, P, multiclass) -> float`` (``multiclass``: Y holds one-hot rows,
    the "cross_entropy" targets)."""

    name: str
    classification: bool
    greater_is_better: bool
    compute: Callable[[np.ndarray, np.ndarray], float]


def _labels(Y: np.ndarray, P: np.ndarray, multiclass: bool):
    """(true, predicted) as class ids (one-hot rows) or 0/1 matrices (0/1 outputs)."""
    if multiclass:
        return Y.argmax(axis=1), P.argmax(axis=1), True
    return (Y > 0.5).astype(np.int64), (P > 0.5).astype(np.int64), False


def _accuracy(Y, P, multiclass):
    true, pred, multiclass = _labels(Y, P, multiclass)
    right = true == pred if multiclass else np.all(true == pred, axis=1)
    return float(np.mean(right))


def _counts(true, pred, multiclass):
    """Per class (or label): true positives, predicted positives, actual positives."""
    if multiclass:
        classes = np.union1d(true, pred)
        tp = np.array([np.sum((true == c) & (pred == c)) for c in classes])
        return tp, np.array([np.sum(pred == c) for c in classes]), \
            np.array([np.sum(true == c) for c in classes])
    return np.sum(true & pred, axis=0), np.sum(pred, axis=0), np.sum(true, axis=0)


def _ratio(a, b):
    """a/b, 0 where b = 0 (scikit-learn's zero_division=0... with its warning aside)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


def _prf(which):
    def compute(Y, P, multiclass):
        true, pred, multiclass = _labels(Y, P, multiclass)
        tp, predicted, actual = _counts(true, pred, multiclass)
        precision, recall = _ratio(tp, predicted), _ratio(tp, actual)
        value = {"precision": precision, "recall": recall,
                 "f1": _ratio(2 * tp, predicted + actual)}[which]
        if not multiclass and Y.shape[1] == 1:
            return float(value[0])  # the positive class
        return float(np.mean(value))
    return compute


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """The area under the ROC curve: the Mann–Whitney statistic, ties counted half."""
    from scipy.stats import rankdata

    positive = y.astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc needs both classes among the true labels")
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _roc_auc(Y, P, multiclass):
    if multiclass:
        true = Y.argmax(axis=1)
        return float(np.mean([_auc(true == c, P[:, c]) for c in range(Y.shape[1])]))
    return float(np.mean([_auc(Y[:, j] > 0.5, P[:, j]) for j in range(Y.shape[1])]))


def _log_loss(Y, P, multiclass):
    eps = np.finfo(P.dtype).eps
    P = np.clip(P.astype(np.float64), eps, 1 - eps)
    if multiclass:
        return float(np.mean(-np.sum(Y * np.log(P), axis=1)))
    terms = -(Y * np.log(P) + (1 - Y) * np.log(1 - P))
    return float(np.mean(terms.sum(axis=1)) if Y.shape[1] > 1 else np.mean(terms))


def _r2(Y, P, multiclass=False):
    total = np.sum((Y - Y.mean(axis=0)) ** 2, axis=0)
    residual = np.sum((Y - P) ** 2, axis=0)
    return float(np.mean(np.where(total > 0, 1 - _ratio(residual, total),
                                  np.where(residual == 0, 1.0, 0.0))))


#: Every metric by name.
METRICS: Mapping[str, Metric] = MappingProxyType({m.name: m for m in (
    Metric("accuracy", True, True, _accuracy),
    Metric("precision", True, True, _prf("precision")),
    Metric("recall", True, True, _prf("recall")),
    Metric("f1", True, True, _prf("f1")),
    Metric("roc_auc", True, True, _roc_auc),
    Metric("log_loss", True, False, _log_loss),
    Metric("r2", False, True, _r2),
    Metric("mae", False, False, lambda Y, P, m=False: float(np.mean(np.abs(Y - P)))),
    Metric("rmse", False, False,
           lambda Y, P, m=False: float(np.mean(np.sqrt(np.mean((Y - P) ** 2, axis=0))))),
)})


def check_metrics(metrics, classification: bool) -> list[str]:
    """The metric names, checked: known, and fit for the network's task.

    >>> check_metrics(["f1", "roc_auc"], classification=True)
    ['f1', 'roc_auc']
    """
    if isinstance(metrics, str):
        metrics = [metrics]
    if not hasattr(metrics, "__iter__"):
        raise TypeError(f"metrics must be a list of metric names, got {metrics!r}")
    names = list(metrics)
    if not all(isinstance(name, str) for name in names):
        raise TypeError(f"metrics must be metric names (str), got {names!r}")
    for name in names:
        if name not in METRICS:
            raise ValueError(f"metrics: {name!r} is not a metric; expected some of "
                             f"{list(METRICS)}")
        if METRICS[name].classification and not classification:
            raise ValueError(f"metrics: {name!r} needs a classification loss")
    return names


def compute(names: list[str], Y: np.ndarray, P, loss: str) -> dict[str, float]:
    """``{name: value}`` of the metrics ``names`` for targets ``Y`` and predictions ``P``
    of a network trained with ``loss``."""
    from .losses import LOSSES

    multiclass = LOSSES[loss].targets == "classes"
    return {name: METRICS[name].compute(Y, P, multiclass) for name in names}


def scores(Y: np.ndarray, P: np.ndarray, loss: str, names=(), loss_value=None,
           weights=None) -> dict[str, float]:
    """What ``Network.evaluate`` reports: ``{"loss": loss_value}`` (when given) and, for
    a classification loss, ``"accuracy"`` weighted by ``weights`` (the share of rows
    whose every 0/1 output, or whose class, is predicted right), then the metrics
    ``names`` (unweighted).

    >>> Y, P = np.array([[1.0], [0.0]]), np.array([[0.9], [0.7]])
    >>> scores(Y, P, "bce", ["f1"], loss_value=0.5)
    {'loss': 0.5, 'accuracy': 0.5, 'f1': 0.6666666666666666}
    """
    from .losses import LOSSES

    out = {}
    if loss_value is not None:
        out["loss"] = loss_value
        targets = LOSSES[loss].targets
        if targets in ("probability", "classes"):
            correct = ((P > 0.5) == (Y > 0.5)).all(axis=1) if targets == "probability" \
                else P.argmax(axis=1) == Y.argmax(axis=1)
            out["accuracy"] = float(np.average(correct, weights=weights))
    return {**out, **compute(list(names), Y, P, loss)}
