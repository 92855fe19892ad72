"""Interchange with scikit-learn, PyTorch and ONNX.

* ``sklearn_spec(est)`` / ``to_sklearn(net)``: a fitted ``MLPClassifier``/``MLPRegressor``
  (scikit-learn's or ``fastprop.sklearn``'s) and a network with the same weights.
  scikit-learn's ``coefs_`` already have fastprop's (fan_in, fan_out) layout.
* ``torch_spec(seq)`` / ``to_torch(net)``: a ``torch.nn.Sequential`` of ``Linear`` layers
  and activations. torch stores ``Linear.weight`` as (fan_out, fan_in): it is transposed.
* ``to_onnx(net, path)``: an ONNX graph (Gemm/MatMul and activation nodes) that computes
  ``net.predict``; needs the ``onnx`` package (``pip install "fastprop-mlp[onnx]"``).

The ``*_spec`` functions return a ``NetworkSpec`` (plain data), which
``Network.from_sklearn`` and ``Network.from_torch`` build into a network; the ``to_*``
functions read a network's public attributes. The names on each side come from the
catalogues (``fastprop.activations``, ``fastprop.losses``). Every function copies: the
result never shares memory with its source.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._onnx_graph import to_onnx  # noqa: F401  (the ONNX export lives there)
from ._validation import check_network
from .activations import ACTIVATIONS, LEAKY_SLOPE
from .losses import LOSSES, by_sklearn_output, loss_for_output

#: scikit-learn's hidden-layer activation names -> fastprop's (and back).
_SK_TO_FP = {a.sklearn: a.name for a in ACTIVATIONS.values()
             if a.sklearn is not None and not a.output_only}
_FP_TO_SK = {v: k for k, v in _SK_TO_FP.items()}


@dataclass(frozen=True)
class NetworkSpec:
    """A network as plain data: ``Network``'s arguments and its weights and biases."""

    sizes: list[int]
    activations: list[str]   # one per layer, the output's last
    loss: str
    bias: bool
    dtype: str
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    leaky_slope: float = LEAKY_SLOPE
    dropout: tuple[float, ...] = ()


# ------------------------------------------------------------------ scikit-learn
def sklearn_spec(estimator) -> NetworkSpec:
    """The network with the weights of a fitted MLPClassifier or MLPRegressor
    (``Network.from_sklearn`` builds it).

    The network's ``predict`` gives the estimator's ``predict_proba`` (classifier; for a
    binary one, the probability of ``classes_[1]``) or ``predict`` (regressor), as a 2-D
    array. Its loss is fastprop's: a regressor's "mse" is twice scikit-learn's squared
    error, and scikit-learn's L2 penalty (``alpha``) is not carried over.

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier
    >>> est = MLPClassifier(hidden_layer_sizes=(3,), solver="lbfgs", random_state=0)
    >>> est = est.fit([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 2])
    >>> spec = sklearn_spec(est)  # fp.Network.from_sklearn(est) builds it
    >>> spec.sizes, spec.activations, spec.loss
    ([2, 3, 3], ['relu', 'softmax'], 'cross_entropy')
    """
    for attr in ("coefs_", "intercepts_", "out_activation_"):
        if not hasattr(estimator, attr):
            raise TypeError(f"estimator must be a fitted MLPClassifier or MLPRegressor "
                            f"(no {attr}); got {type(estimator).__name__}")
    activation = getattr(estimator, "activation", None)
    if activation not in _SK_TO_FP:
        raise ValueError(f"estimator.activation={activation!r} is not one of {list(_SK_TO_FP)}")
    loss = by_sklearn_output(estimator.out_activation_)
    if loss is None:
        supported = [r.sklearn_output for r in LOSSES.values() if r.sklearn_output]
        raise ValueError(
            f"estimator.out_activation_={estimator.out_activation_!r} has no fastprop "
            f"equivalent (supported: {supported})")
    coefs = [np.asarray(W) for W in estimator.coefs_]
    dtype = coefs[0].dtype if coefs[0].dtype in (np.float32, np.float64) else np.float64
    sizes = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
    return NetworkSpec(sizes, [_SK_TO_FP[activation]] * (len(coefs) - 1) +
                       [loss.default_output], loss.name, True, np.dtype(dtype).name,
                       [W.copy() for W in coefs],
                       [np.array(b) for b in estimator.intercepts_])


def to_sklearn(net, classes=None, *, fastprop: bool = False):
    """A fitted scikit-learn ``MLPClassifier``/``MLPRegressor`` with the network's weights.

    Parameters
    ----------
    net : Network
        Hidden layers with one activation among identity, sigmoid, tanh, relu; output and
        loss identity+"mse" (a regressor), sigmoid+"bce" (binary or multi-label
        classifier) or softmax+"cross_entropy" (multi-class classifier).
    classes : array-like, optional
        Class labels of the outputs (default 0, 1, …; a binary network's are [0, 1]).
    fastprop : bool, default False
        Return ``fastprop.sklearn``'s estimator instead of scikit-learn's.

    A two-output softmax network becomes scikit-learn's binary classifier with one
    logistic output (softmax([z₀, z₁])₁ = σ(z₁ − z₀)), the same probabilities. A network
    without biases gets zero intercepts.

    Examples
    --------
    >>> import fastprop as fp
    >>> net = fp.Network([4, 8, 3], loss="cross_entropy", seed=0)
    >>> est = net.to_sklearn()
    >>> type(est).__name__, est.classes_.tolist()
    ('MLPClassifier', [0, 1, 2])
    """
    from sklearn.preprocessing import LabelBinarizer

    if fastprop:
        from .sklearn import MLPClassifier, MLPRegressor
    else:
        # scikit-learn's own classes, with the same fitted attributes as fastprop's
        from sklearn.neural_network import (  # type: ignore[no-redef]
            MLPClassifier,
            MLPRegressor,
        )
    check_network(net)
    hidden = set(net.activations[:-1])
    if len(hidden) > 1 or not hidden <= set(_FP_TO_SK):
        raise ValueError(
            f"scikit-learn's MLPs have one hidden activation among {sorted(_FP_TO_SK)}; "
            f"this network has {list(net.activations[:-1])}")
    activation = _FP_TO_SK[hidden.pop()] if hidden else "relu"
    weights = [W.copy() for W in net.weights]
    biases = [b.copy() for b in net.biases] or [np.zeros(W.shape[1], net.dtype)
                                                 for W in weights]
    loss = LOSSES[net.loss_name]
    n_out = net.sizes[-1]
    if net.output != loss.default_output or loss.sklearn_output is None:
        pairs = ", ".join(f"{r.default_output}+{r.name!r}" for r in LOSSES.values()
                          if r.sklearn_output is not None)  # one output per loss
        raise ValueError(
            f"scikit-learn has no MLP with output {net.output!r} and loss {net.loss_name!r}; "
            f"supported: {pairs}")
    if not loss.classification:
        est = MLPRegressor(hidden_layer_sizes=net.sizes[1:-1], activation=activation,
                           loss="poisson" if loss.name == "poisson" else "squared_error")
        est.out_activation_ = loss.sklearn_output
    else:
        est = MLPClassifier(hidden_layer_sizes=net.sizes[1:-1], activation=activation)
        if net.output == "softmax" and n_out == 2:  # as one logistic unit: σ(z₁ − z₀)
            weights[-1] = weights[-1][:, 1:] - weights[-1][:, :1]
            biases[-1] = biases[-1][1:] - biases[-1][:1]
        n_classes = 2 if weights[-1].shape[1] == 1 else n_out
        labels = np.arange(n_classes) if classes is None else np.asarray(classes)
        if labels.shape != (n_classes,) or len(np.unique(labels)) != n_classes:
            raise ValueError(f"classes must be {n_classes} distinct labels, got {classes!r}")
        binarizer = LabelBinarizer()
        if net.output == "sigmoid" and n_out > 1:  # multi-label: one indicator per output
            binarizer.fit(np.eye(n_out, dtype=int))
        else:
            binarizer.fit(labels)
        est._label_binarizer, est.classes_ = binarizer, binarizer.classes_
        est.out_activation_ = "softmax" if binarizer.y_type_ == "multiclass" else "logistic"
    est.coefs_, est.intercepts_ = weights, biases
    est.n_features_in_ = net.sizes[0]
    est.n_outputs_ = weights[-1].shape[1]
    est.n_layers_ = len(net.sizes)
    est.n_iter_, est.t_ = 0, 0
    # what a stochastic solver keeps between calls, so partial_fit/warm_start continue
    est.loss_curve_, est.best_loss_, est._no_improvement_count = [], np.inf, 0
    est.validation_scores_ = est.best_validation_score_ = None
    if fastprop:
        est._best_params = est._pack(est._arch())
    else:
        est._best_coefs = [W.copy() for W in weights]
        est._best_intercepts = [b.copy() for b in biases]
    return est


# ----------------------------------------------------------------------- PyTorch
def _torch_activation(module):
    """The catalogue's activation for a torch activation module, or None: the record
    whose ``torch`` class it is and whose fixed keyword arguments it has."""
    import torch.nn as nn

    found = [a for a in ACTIVATIONS.values()
             if a.torch is not None and isinstance(module, getattr(nn, a.torch))]
    exact = [a for a in found if all(getattr(module, k, v) == v for k, v in a.torch_kwargs)]
    return (exact or found or [None])[0]


def _flatten(module):
    import torch.nn as nn

    if isinstance(module, nn.Sequential):
        return [m for child in module for m in _flatten(child)]
    return [module]


def torch_spec(module, loss: str | None = None) -> NetworkSpec:
    """The network of a ``torch.nn.Sequential`` of ``Linear`` layers and activations
    (``Network.from_torch`` builds it).

    Parameters
    ----------
    module : torch.nn.Sequential or torch.nn.Linear
        Linear layers (all with or all without bias, float32 or float64), each followed by
        at most one of ReLU, LeakyReLU(0.01), Sigmoid, Tanh, Identity; the last may
        instead be Softmax (over the last dimension). Nested Sequentials are flattened.
    loss : {"bce", "mse", "cross_entropy"}, optional
        Default: "bce" after a Sigmoid, "cross_entropy" after a Softmax, else "mse". A
        module that ends in a Linear (logits, as for ``BCEWithLogitsLoss`` or
        ``CrossEntropyLoss``) with loss "bce" or "cross_entropy" gets the sigmoid or
        softmax output that loss needs.

    Examples
    --------
    >>> import torch
    >>> seq = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    >>> spec = torch_spec(seq)  # fp.Network.from_torch(seq) builds it
    >>> spec.activations, spec.loss, spec.dtype
    (['tanh', 'identity'], 'mse', 'float32')
    """
    import torch
    import torch.nn as nn

    if not isinstance(module, (nn.Sequential, nn.Linear)):
        raise TypeError(f"module must be a torch.nn.Sequential or Linear, "
                        f"got {type(module).__name__}")
    linears: list[nn.Linear] = []
    acts: list[str] = []
    slopes: set[float] = set()
    drops: dict[int, float] = {}  # hidden layer → dropout rate
    for i, m in enumerate(_flatten(module)):
        if type(m) is nn.Dropout:  # inverted dropout on the layer's activations
            if not linears or len(drops) and max(drops) == len(linears) - 1:
                raise ValueError(f"module [{i}] {m!r} must follow a Linear layer or its "
                                 "activation (one Dropout per layer)")
            if len(acts) < len(linears):
                acts.append("identity")
            drops[len(linears) - 1] = float(m.p)
            continue
        if isinstance(m, nn.Linear):
            if linears and len(acts) < len(linears):
                acts.append("identity")  # Linear followed directly by Linear
            linears.append(m)
            continue
        record = _torch_activation(m)
        if record is None:
            usable = [a.torch for a in ACTIVATIONS.values() if a.torch and not a.output_only]
            last = [a.torch for a in ACTIVATIONS.values() if a.torch and a.output_only]
            raise ValueError(f"module [{i}] {m!r} is not supported: use Linear, "
                             f"{', '.join(usable)}, or {', '.join(last)} last")
        name = record.name
        if not linears or len(acts) == len(linears):
            raise ValueError(f"module [{i}] {m!r} must follow a Linear layer "
                             "(one activation per layer)")
        if record.uses_slope:
            slopes.add(float(m.negative_slope))
            if len(slopes) > 1:
                raise ValueError(f"module [{i}] {m!r}: every {record.torch} must have the "
                                 f"same negative_slope (a network has one), got "
                                 f"{sorted(slopes)}")
        if name == "softmax" and m.dim not in (-1, 1):
            raise ValueError(f"Softmax must be over the last dimension, got dim={m.dim}")
        for key, value in record.torch_kwargs:
            if key != "dim" and getattr(m, key) != value:
                raise ValueError(f"{record.torch} needs {key}={value!r} (fastprop's), "
                                 f"got {getattr(m, key)!r}")
        acts.append(name)
    if not linears:
        raise ValueError("module has no Linear layer")
    if len(linears) - 1 in drops:
        raise ValueError("Dropout after the output layer: fastprop drops hidden "
                         "activations only")
    if len(acts) < len(linears):
        acts.append("identity")
    for name in acts[:-1]:
        if ACTIVATIONS[name].output_only:
            raise ValueError(f"{ACTIVATIONS[name].torch} can only be the last module")
    has_bias = {m.bias is not None for m in linears}
    if len(has_bias) > 1:
        raise ValueError("either every Linear layer has a bias or none has")
    dtypes = {m.weight.dtype for m in linears}
    if len(dtypes) > 1 or dtypes.pop() not in (torch.float32, torch.float64):
        raise ValueError("the Linear layers must all be float32 or all float64")
    output = acts[-1]
    if loss is None:
        loss = loss_for_output(output)
    elif output == "identity" and isinstance(loss, str) and loss in LOSSES and \
            LOSSES[loss].from_logit:
        output = LOSSES[loss].required_output  # the module gives the logits
    sizes = [linears[0].in_features] + [m.out_features for m in linears]
    bias = has_bias.pop()
    with torch.no_grad():
        weights = [m.weight.detach().cpu().numpy().T.copy() for m in linears]
        biases = [m.bias.detach().cpu().numpy().copy() for m in linears] if bias else []
    return NetworkSpec(sizes, acts[:-1] + [output], loss, bias,
                       "float64" if linears[0].weight.dtype == torch.float64 else "float32",
                       weights, biases, slopes.pop() if slopes else LEAKY_SLOPE,
                       tuple(drops.get(k, 0.0) for k in range(len(linears) - 1))
                       if drops else ())


def to_torch(net):
    """An equivalent ``torch.nn.Sequential``: Linear layers (same weights and dtype), each
    followed by its activation, the output's included (none for identity).

    ``seq(x)`` equals ``net.predict(x)``; ``seq[:-1]`` gives the logits that torch's
    ``BCEWithLogitsLoss``/``CrossEntropyLoss`` expect. An "exp" output (the rate of a
    Poisson network) has no torch module: ``seq(x)`` then gives the log-rate, which
    ``PoissonNLLLoss(log_input=True)`` takes, and ``seq(x).exp()`` the prediction.
    Dropout becomes ``nn.Dropout`` after its layer's activation; the module is returned
    in eval mode (call ``.train()`` to train it with dropout).

    Examples
    --------
    >>> import torch  # (to_torch needs PyTorch)
    >>> import fastprop as fp
    >>> fp.Network([2, 3, 1], seed=0).to_torch()
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): ReLU()
      (2): Linear(in_features=3, out_features=1, bias=True)
      (3): Sigmoid()
    )
    """
    import torch
    import torch.nn as nn

    dtype = torch.float64 if net.dtype == np.float64 else torch.float32
    modules: list[nn.Module] = []
    for layer, W in enumerate(net.weights):
        linear = nn.Linear(W.shape[0], W.shape[1], bias=net.bias, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            if net.bias:
                linear.bias.copy_(torch.from_numpy(net.biases[layer].copy()))
        modules.append(linear)
        act = ACTIVATIONS[net.activations[layer]]
        if act.name != "identity" and act.torch is not None:
            kwargs = dict(act.torch_kwargs)
            if act.uses_slope:
                kwargs["negative_slope"] = net.arch.leaky_slope
            modules.append(getattr(nn, act.torch)(**kwargs))
        if layer < len(net.arch.dropout) and net.arch.dropout[layer] > 0:
            modules.append(nn.Dropout(net.arch.dropout[layer]))
    return nn.Sequential(*modules).eval()
