"""The hand-worked examples fastprop reproduces, as ready-made networks.

>>> import fastprop as fp
>>> ex = fp.examples.get("two-inputs-sigmoid-mse")
>>> net = ex.network()
>>> round(float(net.predict(ex.x)[0]), 3)
0.646
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class WorkedExample:
    """One hand-worked backpropagation step: the network (sizes, activations, loss and
    initial weights, no biases), the sample (x, y), the learning rate, the numbers the
    walk-through prints (``text_values``) and notes on where it takes a shortcut.

    Examples
    --------
    >>> ex = get("one-input-sigmoid-bce")
    >>> ex.sizes, ex.lr
    ((1, 1, 1), 0.1)
    """

    name: str
    title: str
    sizes: tuple[int, ...]
    activation: str
    output: str
    loss: str
    weights: tuple  # one nested tuple per layer, shape (fan_in, fan_out)
    x: tuple
    y: float
    lr: float
    notes: str = ""
    text_values: dict = field(default_factory=dict)

    def network(self, engine: str = "cython", dtype: str = "float64"):
        """The example's network with its initial weights (no biases).

        Examples
        --------
        >>> get("two-inputs-sigmoid-mse").network()
        Network([2, 1, 1], sigmoid→sigmoid, mse, float64, cython, no bias)
        """
        from .network import Network

        net = Network(list(self.sizes), activation=self.activation, output=self.output,
                      loss=self.loss, bias=False, init=0.0, engine=engine, dtype=dtype)
        net.set_weights([np.array(w, dtype=np.float64) for w in self.weights])
        return net


EXAMPLES = {
    ex.name: ex for ex in [
        WorkedExample(
            name="three-inputs-relu-sigmoid-bce",
            title="3 → 2 → 1, ReLU hidden, sigmoid output, binary cross-entropy, all weights 1",
            sizes=(3, 2, 1), activation="relu", output="sigmoid", loss="bce",
            weights=(((1.0, 1.0),) * 3, ((1.0,), (1.0,))),
            x=(1.0, 2.0, 3.0), y=0.0, lr=1.0,
            notes=(
                "Nodes: inputs A, B, C; hidden D, E; output F. The text's update of edge EF "
                "leaves out the sigmoid's derivative (it multiplies ∂L/∂F = 1/(1−F) by E), "
                "which would give EF ≈ 1 − 1·(1/(1−0.99999386))·6 ≈ −976 000 (or about −5999 "
                "with F rounded to 0.999). With the chain rule complete, ∂L/∂z_F = F − y, so "
                "∂L/∂EF = (F − y)·E = 5.99996313 and EF becomes 1 − 1·5.99996313 = "
                "−4.99996313. The text also uses y = 0 for (1, 2, 3) although its own rule "
                "gives y = 1; the walk-through keeps the text's y = 0."
            ),
            text_values={"D": 6.0, "E": 6.0, "F": 0.999, "EF_new": None},
        ),
        WorkedExample(
            name="two-inputs-sigmoid-mse",
            title="2 → 1 → 1, sigmoid hidden and output, squared error, no biases",
            sizes=(2, 1, 1), activation="sigmoid", output="sigmoid", loss="mse",
            weights=(((0.5,), (0.3,)), ((0.8,),)),
            x=(1.0, 2.0), y=1.0, lr=0.1,
            notes="w1 = AC, w2 = BC (inputs A, B → hidden C), w3 = CD (hidden C → output D).",
            text_values={"z_h": 1.1, "h": 0.750, "y_hat": 0.646, "L": 0.125,
                         "delta_out": -0.162, "dw3": -0.122, "delta_h": -0.0243,
                         "dw1": -0.0243, "dw2": -0.0486, "w1": 0.502, "w2": 0.305,
                         "w3": 0.812},
        ),
        WorkedExample(
            name="one-input-sigmoid-bce",
            title="1 → 1 → 1, sigmoid hidden and output, binary cross-entropy, no biases",
            sizes=(1, 1, 1), activation="sigmoid", output="sigmoid", loss="bce",
            weights=(((0.5,),), ((1.0,),)),
            x=(1.0,), y=1.0, lr=0.1,
            notes="w_h = AB (input A → hidden B), w_o = BC (hidden B → output C).",
            text_values={"a_h": 0.62246, "y_hat": 0.65078, "L": 0.42958,
                         "delta_out": -0.34922, "dw_o": -0.21737, "da_h_dz_h": 0.23500,
                         "dw_h": -0.08206, "w_o": 1.02174, "w_h": 0.50821},
        ),
    ]
}


def get(name: str) -> WorkedExample:
    """The worked example called ``name`` (see ``names()``).

    Examples
    --------
    >>> get("three-inputs-relu-sigmoid-bce").x
    (1.0, 2.0, 3.0)
    """
    if name not in EXAMPLES:
        raise ValueError(f"no worked example {name!r}; expected one of {names()}")
    return EXAMPLES[name]


def names() -> list[str]:
    """The built-in worked examples' names.

    >>> names()[0]
    'three-inputs-relu-sigmoid-bce'
    """
    return list(EXAMPLES)
