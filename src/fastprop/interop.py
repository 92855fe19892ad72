"""Interchange with scikit-learn, PyTorch and ONNX.

* ``from_sklearn(est)`` / ``to_sklearn(net)``: a fitted ``MLPClassifier``/``MLPRegressor``
  (scikit-learn's or ``fastprop.sklearn``'s) and a ``Network`` with the same weights.
  scikit-learn's ``coefs_`` already have fastprop's (fan_in, fan_out) layout.
* ``from_torch(seq)`` / ``to_torch(net)``: a ``torch.nn.Sequential`` of ``Linear`` layers
  and activations. torch stores ``Linear.weight`` as (fan_out, fan_in): it is transposed.
* ``to_onnx(net, path)``: an ONNX graph (Gemm/MatMul and activation nodes) that computes
  ``net.predict``; needs the ``onnx`` package (``pip install fastprop[onnx]``).

Every function copies: the result never shares memory with its source.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from .network import Network

#: scikit-learn's activation names <-> fastprop's.
_SK_TO_FP = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
_FP_TO_SK = {v: k for k, v in _SK_TO_FP.items()}
#: scikit-learn's output activation -> fastprop's (output, loss).
_SK_OUTPUT = {"identity": ("identity", "mse"), "logistic": ("sigmoid", "bce"),
              "softmax": ("softmax", "cross_entropy")}


# ------------------------------------------------------------------ scikit-learn
def from_sklearn(estimator, engine: str = "cython") -> Network:
    """A ``Network`` with the weights of a fitted MLPClassifier or MLPRegressor.

    The network's ``predict`` gives the estimator's ``predict_proba`` (classifier; for a
    binary one, the probability of ``classes_[1]``) or ``predict`` (regressor), as a 2-D
    array. Its loss is fastprop's: a regressor's "mse" is twice scikit-learn's squared
    error, and scikit-learn's L2 penalty (``alpha``) is not carried over.

    Examples
    --------
    >>> from sklearn.neural_network import MLPRegressor
    >>> import fastprop as fp
    >>> est = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", random_state=0)
    >>> est = est.fit([[0.0], [1.0]], [0.0, 1.0])
    >>> fp.Network.from_sklearn(est, engine="numpy")
    Network([1, 4, 1], relu→identity, mse, float64, numpy)
    """
    for attr in ("coefs_", "intercepts_", "out_activation_"):
        if not hasattr(estimator, attr):
            raise TypeError(f"estimator must be a fitted MLPClassifier or MLPRegressor "
                            f"(no {attr}); got {type(estimator).__name__}")
    activation = getattr(estimator, "activation", None)
    if activation not in _SK_TO_FP:
        raise ValueError(f"estimator.activation={activation!r} is not one of {list(_SK_TO_FP)}")
    if estimator.out_activation_ not in _SK_OUTPUT:
        raise ValueError(
            f"estimator.out_activation_={estimator.out_activation_!r} has no fastprop "
            f"equivalent (supported: {list(_SK_OUTPUT)}; Poisson regression is not)")
    coefs = [np.asarray(W) for W in estimator.coefs_]
    dtype = coefs[0].dtype if coefs[0].dtype in (np.float32, np.float64) else np.float64
    output, loss = _SK_OUTPUT[estimator.out_activation_]
    sizes = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
    net = Network(sizes, activation=_SK_TO_FP[activation], output=output, loss=loss,
                  init=0.0, dtype=np.dtype(dtype).name, engine=engine)
    net.set_weights(coefs, [np.asarray(b) for b in estimator.intercepts_])
    return net


def to_sklearn(net: Network, classes=None, *, fastprop: bool = False):
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
    if not isinstance(net, Network):
        raise TypeError(f"net must be a fastprop Network, got {type(net).__name__}")
    hidden = set(net.activations[:-1])
    if len(hidden) > 1 or not hidden <= set(_FP_TO_SK):
        raise ValueError(
            f"scikit-learn's MLPs have one hidden activation among {sorted(_FP_TO_SK)}; "
            f"this network has {list(net.activations[:-1])}")
    activation = _FP_TO_SK[hidden.pop()] if hidden else "relu"
    weights = [W.copy() for W in net.weights]
    biases = [b.copy() for b in net.biases] or [np.zeros(W.shape[1], net.dtype)
                                                 for W in weights]
    kind = (net.output, net.loss_name)
    n_out = net.sizes[-1]
    if kind == ("identity", "mse"):
        est = MLPRegressor(hidden_layer_sizes=net.sizes[1:-1], activation=activation)
        est.out_activation_ = "identity"
    elif kind in (("sigmoid", "bce"), ("softmax", "cross_entropy")):
        est = MLPClassifier(hidden_layer_sizes=net.sizes[1:-1], activation=activation)
        if kind[0] == "softmax" and n_out == 2:  # as one logistic unit: σ(z₁ − z₀)
            weights[-1] = weights[-1][:, 1:] - weights[-1][:, :1]
            biases[-1] = biases[-1][1:] - biases[-1][:1]
        n_classes = 2 if weights[-1].shape[1] == 1 else n_out
        labels = np.arange(n_classes) if classes is None else np.asarray(classes)
        if labels.shape != (n_classes,) or len(np.unique(labels)) != n_classes:
            raise ValueError(f"classes must be {n_classes} distinct labels, got {classes!r}")
        binarizer = LabelBinarizer()
        if kind[0] == "sigmoid" and n_out > 1:  # multi-label: one indicator per output
            binarizer.fit(np.eye(n_out, dtype=int))
        else:
            binarizer.fit(labels)
        est._label_binarizer, est.classes_ = binarizer, binarizer.classes_
        est.out_activation_ = "softmax" if binarizer.y_type_ == "multiclass" else "logistic"
    else:
        raise ValueError(
            f"scikit-learn has no MLP with output {net.output!r} and loss {net.loss_name!r}; "
            "supported: identity+'mse', sigmoid+'bce', softmax+'cross_entropy'")
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
def _torch_activations():
    import torch.nn as nn

    return {nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.Sigmoid: "sigmoid",
            nn.Tanh: "tanh", nn.Softmax: "softmax", nn.Identity: "identity"}


def _flatten(module):
    import torch.nn as nn

    if isinstance(module, nn.Sequential):
        return [m for child in module for m in _flatten(child)]
    return [module]


def from_torch(module, loss: str | None = None, engine: str = "cython") -> Network:
    """A ``Network`` from a ``torch.nn.Sequential`` of ``Linear`` layers and activations.

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
    engine : {"cython", "numpy"}, default "cython"

    Examples
    --------
    >>> import torch
    >>> import fastprop as fp
    >>> seq = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    >>> fp.Network.from_torch(seq, loss="bce", engine="numpy")
    Network([3, 5, 1], tanh→sigmoid, bce, float32, numpy)
    """
    import torch
    import torch.nn as nn

    if not isinstance(module, (nn.Sequential, nn.Linear)):
        raise TypeError(f"module must be a torch.nn.Sequential or Linear, "
                        f"got {type(module).__name__}")
    names = _torch_activations()
    linears: list[nn.Linear] = []
    acts: list[str] = []
    for i, m in enumerate(_flatten(module)):
        if isinstance(m, nn.Linear):
            if linears and len(acts) < len(linears):
                acts.append("identity")  # Linear followed directly by Linear
            linears.append(m)
            continue
        name = names.get(type(m))
        if name is None:
            raise ValueError(f"module [{i}] {m!r} is not supported: use Linear, ReLU, "
                             "LeakyReLU, Sigmoid, Tanh, Identity, or Softmax last")
        if not linears or len(acts) == len(linears):
            raise ValueError(f"module [{i}] {m!r} must follow a Linear layer "
                             "(one activation per layer)")
        if name == "leaky_relu" and m.negative_slope != 0.01:
            raise ValueError(f"LeakyReLU needs negative_slope=0.01 (fastprop's), "
                             f"got {m.negative_slope}")
        if name == "softmax" and m.dim not in (-1, 1):
            raise ValueError(f"Softmax must be over the last dimension, got dim={m.dim}")
        acts.append(name)
    if not linears:
        raise ValueError("module has no Linear layer")
    if len(acts) < len(linears):
        acts.append("identity")
    if "softmax" in acts[:-1]:
        raise ValueError("Softmax can only be the last module")
    has_bias = {m.bias is not None for m in linears}
    if len(has_bias) > 1:
        raise ValueError("either every Linear layer has a bias or none has")
    dtypes = {m.weight.dtype for m in linears}
    if len(dtypes) > 1 or dtypes.pop() not in (torch.float32, torch.float64):
        raise ValueError("the Linear layers must all be float32 or all float64")
    output = acts[-1]
    if loss is None:
        loss = {"sigmoid": "bce", "softmax": "cross_entropy"}.get(output, "mse")
    elif loss in ("bce", "cross_entropy") and output == "identity":
        output = "sigmoid" if loss == "bce" else "softmax"
    sizes = [linears[0].in_features] + [m.out_features for m in linears]
    net = Network(sizes, activation=acts[:-1], output=output, loss=loss,
                  bias=has_bias.pop(), init=0.0,
                  dtype="float64" if linears[0].weight.dtype == torch.float64 else "float32",
                  engine=engine)
    with torch.no_grad():
        net.set_weights([m.weight.detach().cpu().numpy().T for m in linears],
                        [m.bias.detach().cpu().numpy() for m in linears] if net.bias else None)
    return net


def to_torch(net: Network):
    """An equivalent ``torch.nn.Sequential``: Linear layers (same weights and dtype), each
    followed by its activation, the output's included (none for identity).

    ``seq(x)`` equals ``net.predict(x)``; ``seq[:-1]`` gives the logits that torch's
    ``BCEWithLogitsLoss``/``CrossEntropyLoss`` expect.

    Examples
    --------
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
    make: dict[str, Callable[[], nn.Module]] = {
        "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
        "leaky_relu": lambda: nn.LeakyReLU(net.arch.leaky_slope),
        "softmax": lambda: nn.Softmax(dim=-1)}
    modules: list[nn.Module] = []
    for layer, W in enumerate(net.weights):
        linear = nn.Linear(W.shape[0], W.shape[1], bias=net.bias, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            if net.bias:
                linear.bias.copy_(torch.from_numpy(net.biases[layer].copy()))
        modules.append(linear)
        if net.activations[layer] != "identity":
            modules.append(make[net.activations[layer]]())
    return nn.Sequential(*modules)


# -------------------------------------------------------------------------- ONNX
#: fastprop activation -> (ONNX operator, attributes); identity adds no node.
_ONNX_OPS: dict[str, tuple[str, dict[str, Any]]] = {
    "relu": ("Relu", {}), "sigmoid": ("Sigmoid", {}), "tanh": ("Tanh", {}),
    "softmax": ("Softmax", {"axis": -1})}


def to_onnx(net: Network, path, opset: int = 17) -> None:
    """Write the network as an ONNX model computing ``net.predict``: input "X" of shape
    (N, n_in), output "Y" of shape (N, n_out), in the network's dtype.

    Each layer is ``Gemm`` (``MatMul`` without biases) and its activation node (``Relu``,
    ``LeakyRelu``, ``Sigmoid``, ``Tanh``, ``Softmax``; none for identity), at ONNX opset
    ``opset`` (17 by default). ``LeakyRelu``'s slope is a 32-bit attribute, so a float64
    network computes leaky ReLU as ``Max(z, 0.01·z)`` with a float64 constant instead.
    The file is written atomically.

    Examples
    --------
    >>> import fastprop as fp
    >>> fp.Network([2, 3, 1], seed=0).to_onnx("model.onnx")   # doctest: +SKIP
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise ImportError("to_onnx needs the onnx package: pip install onnx "
                          "(or pip install fastprop[onnx])") from None
    from ._version import __version__

    path = os.fspath(path)
    elem = TensorProto.DOUBLE if net.dtype == np.float64 else TensorProto.FLOAT
    nodes, inits, a = [], [], "X"
    for layer, W in enumerate(net.weights):
        z = f"z{layer}"
        inits.append(numpy_helper.from_array(W.copy(), f"W{layer}"))
        if net.bias:
            inits.append(numpy_helper.from_array(net.biases[layer].copy(), f"b{layer}"))
            nodes.append(helper.make_node("Gemm", [a, f"W{layer}", f"b{layer}"], [z]))
        else:
            nodes.append(helper.make_node("MatMul", [a, f"W{layer}"], [z]))
        act, a = net.activations[layer], f"a{layer}"
        if act == "identity":
            a = z
        elif act == "leaky_relu" and net.dtype == np.float64:  # see the docstring
            slope = np.array(net.arch.leaky_slope, dtype=net.dtype)
            inits.append(numpy_helper.from_array(slope, f"slope{layer}"))
            nodes.append(helper.make_node("Mul", [z, f"slope{layer}"], [f"sz{layer}"]))
            nodes.append(helper.make_node("Max", [z, f"sz{layer}"], [a]))
        elif act == "leaky_relu":
            nodes.append(helper.make_node("LeakyRelu", [z], [a], alpha=net.arch.leaky_slope))
        else:
            op, attrs = _ONNX_OPS[act]
            nodes.append(helper.make_node(op, [z], [a], **attrs))
    nodes.append(helper.make_node("Identity", [a], ["Y"]))
    graph = helper.make_graph(
        nodes, "fastprop_mlp",
        [helper.make_tensor_value_info("X", elem, ["N", net.sizes[0]])],
        [helper.make_tensor_value_info("Y", elem, ["N", net.sizes[-1]])], inits)
    model = helper.make_model(graph, producer_name="fastprop", producer_version=__version__,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 8)  # readable by older runtimes
    onnx.checker.check_model(model)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".fastprop-", suffix=".onnx", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(model.SerializeToString())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
