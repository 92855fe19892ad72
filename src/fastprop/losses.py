"""Loss functions: the catalogue, one record per loss, and target preparation.

Definitions (PyTorch's, so results can be checked against it):

* ``"mse"``  L = mean over batch and outputs of (y − ŷ)²  (no factor ½).
* ``"bce"``  binary cross-entropy on ŷ = σ(z), mean over batch and outputs, computed from
  the logit z as  softplus(z) − y·z, so it is finite for any z;  ∂L/∂z = (ŷ − y)/(n·k).
* ``"cross_entropy"``  softmax + categorical cross-entropy, summed over classes and
  averaged over the batch: L = mean(logsumexp(z) − Σ_j y_j z_j); ∂L/∂z = (softmax(z) − y)/n.
  Targets are integer class ids or rows of class probabilities (one-hot rows).
* ``"mae"``  mean of |y − ŷ| (``L1Loss``; the gradient's sign(0) is 0).
* ``"huber"``  mean of ½d² where |d| ≤ δ, δ(|d| − ½δ) beyond (``HuberLoss``; d = ŷ − y,
  δ = the network's ``huber_delta``, 1 by default).
* ``"poisson"``  the output is the log-rate z and ŷ = e^z the rate: L = mean(e^z − y·z)
  (``PoissonNLLLoss(log_input=True)``), ∂L/∂z = (ŷ − y)/(n·k); targets ≥ 0.

Everything else derives its tables from ``LOSSES``: the NumPy reference engine (the
loss and its derivative), the trace (formulas), the scikit-learn adapter and the
interchange (scikit-learn's output activation and scaling), and the compiled engine's
codes (``code`` equals the ``LossCode`` member of the same name in ``csrc/_codes.pxd``).
A new loss is one ``Loss`` record here plus its lines in ``output_loss_delta``
(``csrc/_layers.pxd``).

>>> from fastprop.losses import LOSSES
>>> LOSSES["bce"].default_output, LOSSES["bce"].from_logit
('sigmoid', True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ._validation import as_label_array, check_finite


@dataclass(frozen=True)
class Loss:
    """One loss function and everything the package needs to know about it.

    With z the output layer's pre-activation, ŷ = a its activation and y the targets, all
    (n, k): the loss of a batch is the mean over its rows of each row's loss ``rows``,
    which is itself the mean over the k outputs when ``per_output`` (else their sum).

    Attributes
    ----------
    name, code : str, int
        The name users pass (``loss=``) and its code in the compiled kernels (``LossCode``
        in ``csrc/_codes.pxd``).
    default_output : str
        The output activation when the user does not choose one.
    required_output : str or None
        Losses computed from the logit need exactly this output activation.
    classification : bool
        Accuracy is a meaningful metric.
    targets : {"real", "count", "probability", "classes"}
        What targets it takes: any finite number; a number ≥ 0; values in [0, 1]; class
        ids or rows of class probabilities (one-hot rows).
    min_outputs : int
        The fewest outputs the network may have.
    per_output : bool
        A row's loss is the mean over its outputs (the batch loss divides by n·k), else
        their sum (it divides by n).
    from_logit : bool
        ∂ℓ/∂z is computed from the logit directly (the chain through the output
        activation cancels); otherwise ``gradient`` is ∂ℓ/∂ŷ and the engines chain it
        through the output activation.
    mean, rows, gradient : callable
        ``(z, a, y, p)`` → the batch's mean loss (float), each row's loss (n,), and each
        element's ∂ℓ/∂z (``from_logit``) or ∂ℓ/∂ŷ, before the mean's division: NumPy.
        ``p`` is the loss's parameter (Huber's δ; the others ignore it).
    dyhat : callable
        ``(ŷ, y, p)`` → each element's ∂ℓ/∂ŷ before the mean's division (the trace
        shows it even for losses computed from the logit).
    formula, reduction : str
        The loss as the trace prints it, and how it is averaged.
    dyhat_text : (str, str)
        ∂L/∂ŷ as the trace prints it, for one value and for several (``{n}``: the
        node's name; ``{per}``: the mean's divisor, "/N").
    one_value_text : str or None
        The loss of one sample with one output, written out (``{y}``, ``{yh}``, ``{y1}``
        = 1 − y, ``{yh1}`` = 1 − ŷ, ``{L}``).
    note : str or None
        A remark the trace adds under the loss.
    sklearn_output : str or None
        scikit-learn's ``out_activation_`` for this loss (None: scikit-learn has none).
    sklearn_scales : callable or None
        ``k → (loss scale, gradient scale)`` from this loss to scikit-learn's, for k
        outputs (see ``fastprop.sklearn._solver``).
    torch : str
        The ``torch.nn`` loss with the same definition (on the logits where
        ``from_logit``).

    Examples
    --------
    >>> import numpy as np
    >>> z = a = np.array([[2.0]])
    >>> LOSSES["mse"].mean(z, a, np.array([[1.0]]), None)
    1.0
    """

    name: str
    code: int
    default_output: str
    required_output: str | None
    classification: bool
    targets: str
    min_outputs: int
    per_output: bool
    from_logit: bool
    mean: Callable[..., float]
    rows: Callable[..., np.ndarray]
    gradient: Callable[..., np.ndarray]
    dyhat: Callable[..., np.ndarray]
    formula: str
    reduction: str
    dyhat_text: tuple[str, str]
    one_value_text: str | None
    note: str | None
    sklearn_output: str | None
    sklearn_scales: Callable[[int], tuple[float, float]] | None
    torch: str
    torch_kwargs: tuple[tuple[str, object], ...] = ()


def _lse(z):
    """logsumexp of each row of z, shifted by the row's max (stable)."""
    m = z.max(axis=1, keepdims=True)
    return m[:, 0] + np.log(np.exp(z - m).sum(axis=1))


LOSSES: Mapping[str, Loss] = MappingProxyType({loss.name: loss for loss in (
    Loss("mse", 0, default_output="identity", required_output=None, classification=False,
         targets="real", min_outputs=1, per_output=True, from_logit=False,
         mean=lambda z, a, y, p: float(np.mean((y - a) ** 2)),
         rows=lambda z, a, y, p: np.mean((y - a) ** 2, axis=1),
         gradient=lambda z, a, y, p: 2 * (a - y),
         dyhat=lambda yh, y, p: 2 * (yh - y),
         formula="L = mean((y − ŷ)²)", reduction="mean over samples and outputs",
         dyhat_text=("−2(y − {n})", "2({n} − y){per}"),
         one_value_text="L = (y − ŷ)² = ({y} − {yh})² = {L}", note=None,
         sklearn_output="identity", sklearn_scales=lambda k: (0.5, 0.5 * k),
         torch="MSELoss"),
    # −[y·log σ(z) + (1−y)·log(1−σ(z))] = softplus(z) − y·z
    Loss("bce", 1, default_output="sigmoid", required_output="sigmoid",
         classification=True, targets="probability", min_outputs=1, per_output=True,
         from_logit=True,
         mean=lambda z, a, y, p: float(np.mean(np.logaddexp(0, z) - y * z)),
         rows=lambda z, a, y, p: np.mean(np.logaddexp(0, z) - y * z, axis=1),
         gradient=lambda z, a, y, p: a - y,
         dyhat=lambda yh, y, p: -y / yh + (1 - y) / (1 - yh),
         formula="L = −mean(y·log ŷ + (1 − y)·log(1 − ŷ))",
         reduction="mean over samples and outputs",
         dyhat_text=("−y/{n} + (1 − y)/(1 − {n})", "(−y/{n} + (1 − y)/(1 − {n})){per}"),
         one_value_text="L = −[y·log ŷ + (1 − y)·log(1 − ŷ)] = −[{y}·log({yh}) + "
                        "{y1}·log({yh1})] = {L}",
         note="(fastprop computes it from the logit z as softplus(z) − y·z, which stays "
              "exact when ŷ rounds to 1)",
         sklearn_output="logistic", sklearn_scales=lambda k: (float(k), float(k)),
         torch="BCEWithLogitsLoss"),
    # −Σ_j y_j·log softmax(z)_j = logsumexp(z) − Σ_j y_j·z_j  (Σ_j y_j = 1)
    Loss("cross_entropy", 2, default_output="softmax", required_output="softmax",
         classification=True, targets="classes", min_outputs=2, per_output=False,
         from_logit=True,
         mean=lambda z, a, y, p: float(np.mean(_lse(z) - (y * z).sum(axis=1))),
         rows=lambda z, a, y, p: _lse(z) - (y * z).sum(axis=1),
         gradient=lambda z, a, y, p: a - y,
         dyhat=lambda yh, y, p: -y / yh,
         formula="L = −mean(Σ_j y_j·log ŷ_j)",
         reduction="summed over classes, mean over samples",
         dyhat_text=("−y/{n}", "−y/{n}{per}"), one_value_text=None, note=None,
         sklearn_output="softmax", sklearn_scales=lambda k: (1.0, 1.0),
         torch="CrossEntropyLoss"),
    Loss("mae", 3, default_output="identity", required_output=None, classification=False,
         targets="real", min_outputs=1, per_output=True, from_logit=False,
         mean=lambda z, a, y, p: float(np.mean(np.abs(a - y))),
         rows=lambda z, a, y, p: np.mean(np.abs(a - y), axis=1),
         gradient=lambda z, a, y, p: np.sign(a - y),
         dyhat=lambda yh, y, p: np.sign(yh - y),
         formula="L = mean(|y − ŷ|)", reduction="mean over samples and outputs",
         dyhat_text=("sign({n} − y)", "sign({n} − y){per}"),
         one_value_text="L = |y − ŷ| = |{y} − {yh}| = {L}", note=None,
         sklearn_output=None, sklearn_scales=None, torch="L1Loss"),
    # ½d² inside δ, δ(|d| − ½δ) outside: squared error near the target, absolute far away
    Loss("huber", 4, default_output="identity", required_output=None, classification=False,
         targets="real", min_outputs=1, per_output=True, from_logit=False,
         mean=lambda z, a, y, p: float(np.mean(_huber(a - y, p))),
         rows=lambda z, a, y, p: np.mean(_huber(a - y, p), axis=1),
         gradient=lambda z, a, y, p: np.clip(a - y, -p, p),
         dyhat=lambda yh, y, p: np.clip(yh - y, -p, p),
         formula="L = mean(½(y − ŷ)² if |y − ŷ| ≤ δ else δ(|y − ŷ| − ½δ))",
         reduction="mean over samples and outputs",
         dyhat_text=("clip({n} − y, −δ, δ)", "clip({n} − y, −δ, δ){per}"),
         one_value_text=None, note=None, sklearn_output=None, sklearn_scales=None,
         torch="HuberLoss"),
    # the log-rate z = log ŷ: e^z − y·z (PoissonNLLLoss with log_input=True, full=False)
    Loss("poisson", 5, default_output="exp", required_output="exp", classification=False,
         targets="count", min_outputs=1, per_output=True, from_logit=True,
         mean=lambda z, a, y, p: float(np.mean(a - y * z)),
         rows=lambda z, a, y, p: np.mean(a - y * z, axis=1),
         gradient=lambda z, a, y, p: a - y,
         dyhat=lambda yh, y, p: 1 - y / yh,
         formula="L = mean(ŷ − y·log ŷ)", reduction="mean over samples and outputs",
         dyhat_text=("1 − y/{n}", "(1 − y/{n}){per}"),
         one_value_text="L = ŷ − y·log ŷ = {yh} − {y}·log({yh}) = {L}",
         note="(fastprop computes it from the log-rate z as e^z − y·z)",
         sklearn_output="exp", sklearn_scales=lambda k: (float(k), float(k)),
         torch="PoissonNLLLoss", torch_kwargs=(("log_input", True), ("full", False))),
)})


def _huber(d, delta):
    m = np.abs(d)
    return np.where(m <= delta, 0.5 * d * d, delta * (m - 0.5 * delta))


def loss_for_output(output: str) -> str:
    """The loss that goes with an output activation by default: the one computed from
    the logit through it, else "mse".

    >>> loss_for_output("softmax"), loss_for_output("tanh")
    ('cross_entropy', 'mse')
    """
    return next((loss.name for loss in LOSSES.values() if loss.required_output == output),
                "mse")


def by_sklearn_output(out_activation: str) -> Loss | None:
    """The loss of a scikit-learn MLP with this ``out_activation_``, or None.

    >>> by_sklearn_output("logistic").name
    'bce'
    """
    return next((loss for loss in LOSSES.values() if loss.sklearn_output == out_activation),
                None)


def check_loss(name) -> str:
    """``name`` if it is a loss, else a ``ValueError``/``TypeError`` naming ``loss``.

    >>> check_loss("mse")
    'mse'
    """
    if not isinstance(name, str):
        raise TypeError(f"loss must be a loss name (str), got {name!r}")
    if name not in LOSSES:
        raise ValueError(f"loss={name!r} is not a loss; expected one of {sorted(LOSSES)}")
    return name


def check_output_for_loss(loss: str, output: str, n_out: int) -> None:
    """Refuse an output activation (or a number of outputs) the loss cannot go with."""
    record = LOSSES[loss]
    need = record.required_output
    if need is not None and output != need:
        raise ValueError(
            f"loss={loss!r} needs output={need!r} (fastprop computes it from the logit), "
            f"got output={output!r}"
        )
    if n_out < record.min_outputs:
        raise ValueError(
            f"loss={loss!r} needs at least {record.min_outputs} outputs (classes); "
            f"for one output use loss='bce'"
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
    kind = LOSSES[loss].targets
    if kind == "classes" and (arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1)):
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
    if kind == "count" and (out < 0).any():
        raise ValueError(f"{name} must be >= 0 for loss={loss!r} (counts or rates), got "
                         f"{float(out.min())}")
    if kind == "probability" and ((out < 0) | (out > 1)).any():
        raise ValueError(f"{name} must lie in [0, 1] for loss={loss!r} (binary targets)")
    if kind == "classes":
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
