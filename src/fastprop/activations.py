"""Activation functions: the catalogue, one record per activation.

Everything else derives its tables from ``ACTIVATIONS``: the NumPy reference engine (f
and f′), the trace (symbols and the derivative's formula), the interchange with PyTorch,
scikit-learn and ONNX (their names), the scikit-learn adapter, and the compiled engine's
codes (``code`` equals the ``ActivationCode`` member of the same name in
``csrc/_codes.pxd``, which a test checks). A new activation is one ``Activation`` record
here plus its lines in the kernels (``activate`` and ``times_derivative`` in
``csrc/_activations.pxd``).

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
        ``derivative(z, a, slope) -> f′``: f′ at z, written with the output a = f(z)
        where that is enough (then ``z`` may be None). None for softmax, whose Jacobian
        is not elementwise (the engines apply it themselves).
    needs_z : bool
        The derivative needs z itself (GELU, SiLU, softplus), so the engines keep z
        beside a for such a layer.
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
    >>> a = ACTIVATIONS["gelu"]
    >>> a.needs_z, a.derivative(np.array([0.0]), None, LEAKY_SLOPE).tolist()
    (True, [0.5])
    """

    name: str
    code: int
    forward: Callable[[np.ndarray, float], np.ndarray]
    derivative: Callable[[np.ndarray | None, np.ndarray, float], np.ndarray] | None
    symbol: str
    derivative_text: str | None
    output_only: bool = False
    uses_slope: bool = False
    needs_z: bool = False
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


def _erf(x):
    from scipy.special import erf  # (on first use, as expit)

    return erf(x)


# The constants of PyTorch's definitions.
SELU_SCALE = 1.0507009873554804934193349852946   # λ
SELU_ALPHA = 1.6732632423543772848170429916717   # α
SOFTPLUS_THRESHOLD = 20.0                        # softplus(z) = z above it (β = 1)
_GELU_C, _GELU_K = np.sqrt(2 / np.pi), 0.044715  # tanh(c·(z + k·z³))


def _gelu(z):  # z·Φ(z) = z/2·(1 + erf(z/√2))
    return 0.5 * z * (1 + _erf(z / np.sqrt(2)).astype(z.dtype))


def _gelu_prime(z):  # Φ(z) + z·φ(z)
    return 0.5 * (1 + _erf(z / np.sqrt(2))) + z * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def _gelu_tanh(z):
    return 0.5 * z * (1 + np.tanh(_GELU_C * (z + _GELU_K * z ** 3)))


def _gelu_tanh_prime(z):  # t = tanh(c(z + k z³)): ½(1 + t) + ½z(1 − t²)·c(1 + 3k z²)
    t = np.tanh(_GELU_C * (z + _GELU_K * z ** 3))
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * _GELU_C * (1 + 3 * _GELU_K * z * z)


def _silu_prime(z):  # s = σ(z): s·(1 + z(1 − s))
    s = _sigmoid(z)
    return s * (1 + z * (1 - s))


def _softplus(z):
    with np.errstate(over="ignore"):  # e^z overflows only above the threshold
        return np.where(z > SOFTPLUS_THRESHOLD, z, np.log1p(np.exp(z)))


ACTIVATIONS: Mapping[str, Activation] = MappingProxyType({a.name: a for a in (
    Activation("identity", 0, lambda z, s: z, lambda z, a, s: np.ones_like(a),
               symbol="identity", derivative_text="1", torch="Identity", sklearn="identity"),
    Activation("relu", 1, lambda z, s: np.maximum(z, 0),
               lambda z, a, s: (a > 0).astype(a.dtype),
               symbol="relu", derivative_text="1 if z_{n} > 0 else 0", torch="ReLU",
               sklearn="relu", onnx="Relu"),
    Activation("leaky_relu", 2, lambda z, s: np.where(z > 0, z, s * z),
               lambda z, a, s: np.where(a > 0, 1, s).astype(a.dtype),
               symbol="lrelu", derivative_text="1 if z_{n} > 0 else {s}", uses_slope=True,
               torch="LeakyReLU", onnx="LeakyRelu"),
    Activation("sigmoid", 3, lambda z, s: _sigmoid(z), lambda z, a, s: a * (1 - a),
               symbol="σ", derivative_text="{n}(1 − {n})", torch="Sigmoid",
               sklearn="logistic", onnx="Sigmoid"),
    Activation("tanh", 4, lambda z, s: np.tanh(z), lambda z, a, s: 1 - a * a,
               symbol="tanh", derivative_text="1 − {n}²", torch="Tanh", sklearn="tanh",
               onnx="Tanh"),
    Activation("softmax", 5, lambda z, s: _softmax(z), None, symbol="softmax",
               derivative_text=None, output_only=True, torch="Softmax",
               torch_kwargs=(("dim", -1),), sklearn="softmax", onnx="Softmax",
               onnx_attrs=(("axis", -1),)),
    Activation("gelu", 6, lambda z, s: _gelu(z),
               lambda z, a, s: _gelu_prime(z).astype(z.dtype), symbol="gelu",
               derivative_text="Φ(z_{n}) + z_{n}·φ(z_{n})", needs_z=True, torch="GELU",
               torch_kwargs=(("approximate", "none"),), onnx="Gelu"),
    Activation("gelu_tanh", 7, lambda z, s: _gelu_tanh(z),
               lambda z, a, s: _gelu_tanh_prime(z), symbol="gelu~",
               derivative_text="d/dz of z/2·(1 + tanh(√(2/π)(z + 0.044715z³))) at z_{n}",
               needs_z=True, torch="GELU", torch_kwargs=(("approximate", "tanh"),),
               onnx="Gelu", onnx_attrs=(("approximate", "tanh"),)),
    Activation("silu", 8, lambda z, s: z * _sigmoid(z), lambda z, a, s: _silu_prime(z),
               symbol="silu", derivative_text="σ(z_{n})(1 + z_{n}(1 − σ(z_{n})))",
               needs_z=True, torch="SiLU", onnx="SiLU"),
    Activation("elu", 9, lambda z, s: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
               lambda z, a, s: np.where(a > 0, 1, a + 1).astype(a.dtype), symbol="elu",
               derivative_text="1 if z_{n} > 0 else {n} + 1", torch="ELU",
               torch_kwargs=(("alpha", 1.0),), onnx="Elu", onnx_attrs=(("alpha", 1.0),)),
    Activation("selu", 10, lambda z, s: np.where(z > 0, SELU_SCALE * z, SELU_SCALE *
                                                 SELU_ALPHA * np.expm1(np.minimum(z, 0))),
               lambda z, a, s: np.where(a > 0, SELU_SCALE,
                                        a + SELU_SCALE * SELU_ALPHA).astype(a.dtype),
               symbol="selu", derivative_text="λ if z_{n} > 0 else {n} + λα", torch="SELU",
               onnx="Selu", onnx_attrs=(("alpha", SELU_ALPHA), ("gamma", SELU_SCALE))),
    Activation("softplus", 11, lambda z, s: _softplus(z),
               lambda z, a, s: np.where(z > SOFTPLUS_THRESHOLD, 1, _sigmoid(z)).astype(
                   z.dtype), symbol="softplus", derivative_text="σ(z_{n})", needs_z=True,
               torch="Softplus", torch_kwargs=(("beta", 1.0), ("threshold", 20.0)),
               onnx="Softplus"),
    # the rate e^z of a Poisson output (torch has no module: to_torch ends at the log-rate)
    Activation("exp", 12, lambda z, s: np.exp(z), lambda z, a, s: a, symbol="exp",
               derivative_text="{n}", output_only=True, sklearn="exp", onnx="Exp"),
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
