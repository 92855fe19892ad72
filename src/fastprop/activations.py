"""Activation functions: the catalogue, one record per activation.

Everything else derives its tables from ``ACTIVATIONS``: the NumPy reference engine (f
and f′), the trace (symbols and the derivative's formula), the interchange with PyTorch,
scikit-learn and ONNX (their names), the scikit-learn adapter, and the compiled engine's
codes (``code`` equals the ``ActivationCode`` member of the same name in
``csrc/_codes.pxd``, which a test checks). A new activation is one ``Activation`` record
here plus its lines in the kernels (``activate`` and ``times_derivative`` in
``csrc/_layers.pxd``).

>>> from fastprop.activations import ACTIVATIONS
>>> ACTIVATIONS["sigmoid"].symbol, ACTIVATIONS["sigmoid"].sklearn
('σ', 'logistic')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

#: Slope of leaky_relu for z < 0 (PyTorch's default ``negative_slope``).
LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """One activation function and everything the package needs to know about it.

    Attributes
    ----------
    name : str
        The name users pass (``activation=``, ``output=``).
    code : int
        Its code in the compiled kernels (``ActivationCode`` in ``csrc/_codes.pxd``).
    forward : callable
        ``forward(z, slope) -> a``: a = f(z) elementwise (softmax: per row), NumPy.
    derivative : callable or None
        ``derivative(a, slope) -> f′``: f′(z) written with the output a = f(z). None for
        softmax, whose Jacobian is not elementwise (the engines apply it themselves).
    symbol : str
        How printed traces write it ("σ").
    derivative_text : str or None
        f′ as the trace prints it, with ``{n}`` the node's name and ``{s}`` the slope.
    output_only : bool
        Only the output layer may use it (softmax).
    uses_slope : bool
        Takes the network's ``leaky_slope`` (PyTorch's ``negative_slope``, ONNX's
        ``alpha``).
    torch : str or None
        The ``torch.nn`` module class, with keyword arguments ``torch_kwargs`` (pairs).
    sklearn : str or None
        scikit-learn's name for it (``MLPClassifier(activation=...)``), if it has one.
    onnx : str or None
        The ONNX operator (with attributes ``onnx_attrs``, pairs); None adds no node.

    Examples
    --------
    >>> ACTIVATIONS["tanh"].forward(np.array([0.0]), LEAKY_SLOPE).tolist()
    [0.0]
    """

    name: str
    code: int
    forward: Callable[[np.ndarray, float], np.ndarray]
    derivative: Callable[[np.ndarray, float], np.ndarray] | None
    symbol: str
    derivative_text: str | None
    output_only: bool = False
    uses_slope: bool = False
    torch: str | None = None
    torch_kwargs: tuple[tuple[str, object], ...] = ()
    sklearn: str | None = None
    onnx: str | None = None
    onnx_attrs: tuple[tuple[str, object], ...] = ()


def _sigmoid(z):
    # SciPy's expit: exact 0 or 1 in the far tails, never NaN. Imported on first use:
    # scipy.special costs ~200 ms to import, which the compiled engine never needs.
    from scipy.special import expit

    return expit(z)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


ACTIVATIONS: Mapping[str, Activation] = MappingProxyType({a.name: a for a in (
    Activation("identity", 0, lambda z, s: z, lambda a, s: np.ones_like(a),
               symbol="identity", derivative_text="1", torch="Identity", sklearn="identity"),
    Activation("relu", 1, lambda z, s: np.maximum(z, 0),
               lambda a, s: (a > 0).astype(a.dtype),
               symbol="relu", derivative_text="1 if z_{n} > 0 else 0", torch="ReLU",
               sklearn="relu", onnx="Relu"),
    Activation("leaky_relu", 2, lambda z, s: np.where(z > 0, z, s * z),
               lambda a, s: np.where(a > 0, 1, s).astype(a.dtype),
               symbol="lrelu", derivative_text="1 if z_{n} > 0 else {s}", uses_slope=True,
               torch="LeakyReLU", onnx="LeakyRelu"),
    Activation("sigmoid", 3, lambda z, s: _sigmoid(z), lambda a, s: a * (1 - a),
               symbol="σ", derivative_text="{n}(1 − {n})", torch="Sigmoid",
               sklearn="logistic", onnx="Sigmoid"),
    Activation("tanh", 4, lambda z, s: np.tanh(z), lambda a, s: 1 - a * a,
               symbol="tanh", derivative_text="1 − {n}²", torch="Tanh", sklearn="tanh",
               onnx="Tanh"),
    Activation("softmax", 5, lambda z, s: _softmax(z), None, symbol="softmax",
               derivative_text=None, output_only=True, torch="Softmax",
               torch_kwargs=(("dim", -1),), sklearn="softmax", onnx="Softmax",
               onnx_attrs=(("axis", -1),)),
)})


def by_sklearn_name(name: str) -> Activation | None:
    """The activation scikit-learn calls ``name`` ("logistic" → sigmoid), or None.

    >>> by_sklearn_name("logistic").name
    'sigmoid'
    """
    return next((a for a in ACTIVATIONS.values() if a.sklearn == name), None)


def check_activation(name, argument: str, *, output: bool) -> str:
    """``name`` if it is an activation allowed there, else a ``ValueError``/``TypeError``
    naming ``argument``.

    >>> check_activation("tanh", "activation", output=False)
    'tanh'
    """
    if not isinstance(name, str):
        raise TypeError(f"{argument} must be an activation name (str), got {name!r}")
    if name not in ACTIVATIONS:
        raise ValueError(
            f"{argument}={name!r} is not an activation; expected one of {sorted(ACTIVATIONS)}"
        )
    if not output and ACTIVATIONS[name].output_only:
        raise ValueError(f"{argument}={name!r}: {name} can only be the output activation")
    return name


def check_hidden(activation, n_hidden: int) -> list[str]:
    """The hidden layers' activations: one name for all of them, or one per layer.

    >>> check_hidden("relu", 2), check_hidden(["tanh", "relu"], 2)
    (['relu', 'relu'], ['tanh', 'relu'])
    """
    from collections.abc import Sequence

    if isinstance(activation, str) or activation is None:
        return [check_activation(activation, "activation", output=False)] * n_hidden
    if not isinstance(activation, Sequence):
        raise TypeError(f"activation must be a name or a list of names, got {activation!r}")
    hidden = list(activation)
    if len(hidden) != n_hidden:
        raise ValueError(
            f"activation must be one name or {n_hidden} names (one per hidden layer), "
            f"got {len(hidden)}"
        )
    return [check_activation(a, f"activation[{i}]", output=False)
            for i, a in enumerate(hidden)]
