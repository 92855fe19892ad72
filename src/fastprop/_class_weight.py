"""Class weights as sample weights: ``fit(..., class_weight=...)``.

The weight of a sample is its class's weight, as scikit-learn's
``compute_sample_weight(class_weight, y)`` gives it: "balanced" weighs class c by
n / (number of classes present · n_c); a mapping gives each class its weight (classes
left out weigh 1). With several 0/1 outputs ("bce", multi-label) "balanced" weighs each
output's classes so and multiplies the weights over the outputs. The classes are the
class ids of "cross_entropy" (0 … k−1) and the 0/1 targets of "bce".
"""

from __future__ import annotations

import numbers

import numpy as np


def class_sample_weights(class_weight, Y: np.ndarray, loss: str) -> np.ndarray | None:
    """One weight per row of the validated targets ``Y`` (n, k), or None for no
    ``class_weight``.

    Examples
    --------
    >>> Y = np.array([[1.0], [0.0], [0.0], [0.0]])
    >>> class_sample_weights("balanced", Y, "bce").tolist()
    [2.0, 0.6666666666666666, 0.6666666666666666, 0.6666666666666666]
    """
    if class_weight is None:
        return None
    from .losses import LOSSES

    kind = LOSSES[loss].targets
    if kind not in ("classes", "probability"):
        raise ValueError(f"class_weight needs a classification loss (bce or "
                         f"cross_entropy), not loss={loss!r}")
    if kind == "classes":
        if not np.all((Y == 0) | (Y == 1)) or not np.all(Y.sum(axis=1) == 1):
            raise ValueError("class_weight needs one class per sample (class ids or "
                             "one-hot rows), not class probabilities")
        columns = [np.argmax(Y, axis=1)]
    else:
        if not np.all((Y == 0) | (Y == 1)):
            raise ValueError("class_weight needs 0/1 targets for loss='bce', not "
                             "probabilities")
        columns = [Y[:, j].astype(np.int64) for j in range(Y.shape[1])]
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be 'balanced' or a mapping of class to "
                             f"weight, got {class_weight!r}")
        weights = np.ones(Y.shape[0])
        for labels in columns:
            present, counts = np.unique(labels, return_counts=True)
            per_class = len(labels) / (len(present) * counts.astype(np.float64))
            weights *= per_class[np.searchsorted(present, labels)]
        return weights
    if not hasattr(class_weight, "items"):
        raise TypeError(f"class_weight must be 'balanced' or a mapping of class to "
                        f"weight, got {type(class_weight).__name__}")
    if len(columns) > 1:
        raise ValueError("a class_weight mapping needs one output; with several 0/1 "
                         "outputs use class_weight='balanced' or sample_weight")
    labels = columns[0]
    present = set(np.unique(labels).tolist())
    per_class = {}
    for label, weight in class_weight.items():
        if isinstance(label, bool) or not isinstance(label, numbers.Integral) or \
                int(label) not in present:
            raise ValueError(f"class_weight has a weight for class {label!r}, which does "
                             f"not occur in y (its classes: {sorted(present)})")
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or \
                not np.isfinite(weight) or weight < 0:
            raise ValueError(f"class_weight[{label!r}] must be a finite number >= 0, got "
                             f"{weight!r}")
        per_class[int(label)] = float(weight)
    table = np.ones(int(labels.max()) + 1)
    for label, weight in per_class.items():
        table[label] = weight
    return table[labels]
