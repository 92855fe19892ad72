"""ONNX export (``Network.to_onnx``), and the ONNX nodes of one activation.

An activation with an ONNX operator that runs in the network's dtype becomes that node
(``Relu``, ``Sigmoid``, ``Tanh``, ``Softmax``, ``LeakyRelu`` in float32). The others are
written with elementary operators and constants in the network's dtype, so that a float64
network keeps its precision (ONNX attributes are 32-bit) and every runtime runs them:

    leaky_relu  Max(z, s·z)
    gelu        ½·z·(1 + Erf(z/√2))   (float64: Erf in float32, which ONNX Runtime
                                        has alone: about 1e-7 relative)
    gelu_tanh   ½·z·(1 + Tanh(√(2/π)·(z + 0.044715·z³)))
    silu        z·Sigmoid(z)
    elu         Max(z, 0) + (Exp(Min(z, 0)) − 1)
    selu        λ·(Max(z, 0) + α·(Exp(Min(z, 0)) − 1))
    softplus    Where(z > 20, z, Log(1 + Exp(Min(z, 20))))
"""

from __future__ import annotations

import os

import numpy as np

from ._files import atomic_write
from .activations import ACTIVATIONS, SELU_ALPHA, SELU_SCALE, SOFTPLUS_THRESHOLD

#: Activations written with elementary operators (every dtype), or only in float64.
COMPOSED = frozenset({"gelu", "gelu_tanh", "silu", "elu", "selu", "softplus"})


class _Builder:
    """Nodes and constants of one layer's activation, with unique names."""

    def __init__(self, layer: int, dtype):
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.layer, self.dtype = layer, np.dtype(dtype)
        self.nodes, self.inits, self.count = [], [], 0

    def const(self, value: float) -> str:
        name = f"c{self.layer}_{len(self.inits)}"
        self.inits.append(self.numpy_helper.from_array(np.array(value, dtype=self.dtype),
                                                       name))
        return name

    def op(self, kind: str, *inputs: str, out: str | None = None, **attrs) -> str:
        if out is None:
            out = f"t{self.layer}_{self.count}"
            self.count += 1
        self.nodes.append(self.helper.make_node(kind, list(inputs), [out], **attrs))
        return out


def _exp_minus_one_below_zero(b: _Builder, z: str) -> str:
    """e^min(z, 0) − 1: the negative branch of ELU and SELU (0 for z ≥ 0)."""
    return b.op("Sub", b.op("Exp", b.op("Min", z, b.const(0.0))), b.const(1.0))


def activation_nodes(name: str, z: str, a: str, layer: int, dtype, slope: float):
    """``(nodes, initializers)`` computing ``a`` = f(``z``) for activation ``name``."""
    from onnx import TensorProto, helper

    record = ACTIVATIONS[name]
    b = _Builder(layer, dtype)
    if name == "leaky_relu" and b.dtype == np.float32:
        return [helper.make_node(record.onnx, [z], [a], alpha=slope)], []
    if name == "leaky_relu":  # a 32-bit alpha would round a float64 slope
        b.op("Max", z, b.op("Mul", z, b.const(slope)), out=a)
    elif name in ("gelu", "gelu_tanh"):
        if name == "gelu":
            scaled = b.op("Mul", z, b.const(1 / np.sqrt(2)))
            if b.dtype == np.float64:  # ONNX Runtime has no float64 Erf
                to = {"to": TensorProto.FLOAT}
                inner = b.op("Erf", b.op("Cast", scaled, **to))
                inner = b.op("Cast", inner, to=TensorProto.DOUBLE)
            else:
                inner = b.op("Erf", scaled)
        else:
            cube = b.op("Mul", b.op("Mul", z, z), z)
            u = b.op("Add", z, b.op("Mul", cube, b.const(0.044715)))
            inner = b.op("Tanh", b.op("Mul", u, b.const(np.sqrt(2 / np.pi))))
        half_z = b.op("Mul", z, b.const(0.5))
        b.op("Mul", half_z, b.op("Add", inner, b.const(1.0)), out=a)
    elif name == "silu":
        b.op("Mul", z, b.op("Sigmoid", z), out=a)
    elif name in ("elu", "selu"):
        positive = b.op("Max", z, b.const(0.0))
        negative = _exp_minus_one_below_zero(b, z)
        if name == "elu":
            b.op("Add", positive, negative, out=a)
        else:
            total = b.op("Add", positive, b.op("Mul", negative, b.const(SELU_ALPHA)))
            b.op("Mul", total, b.const(SELU_SCALE), out=a)
    elif name == "softplus":
        threshold = b.const(SOFTPLUS_THRESHOLD)
        soft = b.op("Log", b.op("Add", b.op("Exp", b.op("Min", z, threshold)),
                                b.const(1.0)))
        b.op("Where", b.op("Greater", z, threshold), z, soft, out=a)
    else:
        return [helper.make_node(record.onnx, [z], [a], **dict(record.onnx_attrs))], []
    return b.nodes, b.inits


# -------------------------------------------------------------------------- ONNX
def to_onnx(net, path, opset: int = 17) -> None:
    """Write the network as an ONNX model computing ``net.predict``: input "X" of shape
    (N, n_in), output "Y" of shape (N, n_out), in the network's dtype.

    Each layer is ``Gemm`` (``MatMul`` without biases) and its activation (``Relu``,
    ``LeakyRelu``, ``Sigmoid``, ``Tanh``, ``Softmax``; none for identity), at ONNX opset
    ``opset`` (17 by default). GELU, SiLU, ELU, SELU and softplus are written with
    elementary operators and constants in the network's dtype (``fastprop._onnx_graph``),
    as is a float64 network's leaky ReLU (``LeakyRelu``'s slope is a 32-bit attribute).
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
                          '(or pip install "fastprop-mlp[onnx]")') from None
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
        act, a = ACTIVATIONS[net.activations[layer]], f"a{layer}"
        if act.onnx is None:  # identity
            a = z
            continue
        more_nodes, more_inits = activation_nodes(act.name, z, a, layer, net.dtype,
                                                  net.arch.leaky_slope)
        nodes += more_nodes
        inits += more_inits
    nodes.append(helper.make_node("Identity", [a], ["Y"]))
    graph = helper.make_graph(
        nodes, "fastprop_mlp",
        [helper.make_tensor_value_info("X", elem, ["N", net.sizes[0]])],
        [helper.make_tensor_value_info("Y", elem, ["N", net.sizes[-1]])], inits)
    model = helper.make_model(graph, producer_name="fastprop", producer_version=__version__,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 8)  # readable by older runtimes
    onnx.checker.check_model(model)
    atomic_write(path, lambda fh: fh.write(model.SerializeToString()))
