"""Loss functions: names, the output activation each needs, and target preparation.

Definitions (PyTorch's, so results can be checked against it):

* ``"mse"``  L = mean over batch and outputs of (y − ŷ)²  (no factor ½).
* ``"bce"``  binary cross-entropy on ŷ = σ(z), mean over batch and outputs, computed from
  the logit z as  softplus(z) − y·z, so it is finite for any z;  ∂L/∂z = (ŷ − y)/(n·k).
* ``"cross_entropy"``  softmax + categorical cross-entropy, summed over classes and
  averaged over the batch: L = mean(logsumexp(z) − Σ_j y_j z_j); ∂L/∂z = (softmax(z) − y)/n.
  Targets are integer class ids or rows of class probabilities (one-hot rows).

The math lives in the engines; this module validates names and targets.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_label_array, check_finite

#: Loss names with integer codes for the compiled kernels.
LOSSES = {"mse": 0, "bce": 1, "cross_entropy": 2}
#: The output activation a loss is computed with when the user does not choose one.
DEFAULT_OUTPUT = {"mse": "identity", "bce": "sigmoid", "cross_entropy": "softmax"}
#: Losses computed from the logit need exactly this output activation.
REQUIRED_OUTPUT = {"bce": "sigmoid", "cross_entropy": "softmax"}
#: Losses for which accuracy is a meaningful metric.
CLASSIFICATION = {"bce", "cross_entropy"}

FORMULAS = {
    "mse": "L = mean((y − ŷ)²)",
    "bce": "L = −mean(y·log ŷ + (1 − y)·log(1 − ŷ))",
    "cross_entropy": "L = −mean(Σ_j y_j·log ŷ_j)",
}


def check_loss(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"loss must be a loss name (str), got {name!r}")
    if name not in LOSSES:
        raise ValueError(f"loss={name!r} is not a loss; expected one of {sorted(LOSSES)}")
    return name


def check_output_for_loss(loss: str, output: str, n_out: int) -> None:
    need = REQUIRED_OUTPUT.get(loss)
    if need is not None and output != need:
        raise ValueError(
            f"loss={loss!r} needs output={need!r} (fastprop computes it from the logit), "
            f"got output={output!r}"
        )
    if loss == "cross_entropy" and n_out < 2:
        raise ValueError(
            "loss='cross_entropy' needs at least 2 outputs (classes); "
            "for one output use loss='bce'"
        )
    if output == "softmax" and n_out < 2:
        raise ValueError("output='softmax' needs at least 2 outputs")


def prepare_targets(y, loss: str, n_out: int, n_samples: int, dtype: np.dtype,
                    name: str = "y") -> np.ndarray:
    """Validate targets for ``loss`` and return them as a C-contiguous (n, n_out) array.

    Integer class ids for ``cross_entropy`` become one-hot rows; a 1-D ``y`` is one
    column when the network has one output.
    """
    arr = as_label_array(y, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be 1-D or 2-D (samples first), got a scalar")
    if arr.ndim > 2:
        raise ValueError(
            f"{name} must be 1-D or 2-D (samples first), got {arr.ndim}-D shape {arr.shape}"
        )
    if arr.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {arr.shape[0]} samples but X has {n_samples}; they must match"
        )
    if loss == "cross_entropy" and (arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1)):
        return _one_hot(arr.reshape(-1), n_out, dtype, name)
    if arr.ndim == 1:
        if n_out != 1:
            raise ValueError(
                f"{name} is 1-D but the network has {n_out} outputs; "
                f"expected shape ({n_samples}, {n_out})"
            )
        arr = arr.reshape(-1, 1)
    if arr.shape[1] != n_out:
        raise ValueError(
            f"{name} must have {n_out} columns (one per output), got shape {arr.shape}"
        )
    out = np.ascontiguousarray(arr, dtype=dtype)
    check_finite(out, name)
    if loss == "bce" and ((out < 0) | (out > 1)).any():
        raise ValueError(f"{name} must lie in [0, 1] for loss='bce' (binary targets)")
    if loss == "cross_entropy":
        if (out < 0).any():
            raise ValueError(f"{name} rows must be class probabilities (>= 0) for cross_entropy")
        sums = out.sum(axis=1, dtype=np.float64)
        if not np.allclose(sums, 1.0, rtol=0, atol=1e-4 if dtype == np.float32 else 1e-9):
            raise ValueError(
                f"{name} rows must sum to 1 (one-hot or class probabilities) for "
                f"cross_entropy; or pass integer class ids"
            )
    return out


def _one_hot(labels: np.ndarray, n_classes: int, dtype: np.dtype, name: str) -> np.ndarray:
    if labels.dtype.kind == "f":
        if not np.isfinite(labels).all():
            raise ValueError(f"{name} contains NaN or infinity")
        if (labels != np.round(labels)).any():
            raise ValueError(f"{name} class ids must be integers, got non-integer values")
    if labels.dtype.kind == "b":
        labels = labels.astype(np.int64)
    if (labels < 0).any() or (labels >= n_classes).any():
        raise ValueError(
            f"{name} class ids must be in [0, {n_classes - 1}] for a network with "
            f"{n_classes} outputs, got values in [{labels.min()}, {labels.max()}]"
        )
    out = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    out[np.arange(labels.shape[0]), labels.astype(np.intp)] = 1
    return out
