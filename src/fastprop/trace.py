"""``Trace``: one training step, computed and not applied, named the way a textbook names it.

Nodes are named A, B, C, … from the inputs to the output, and an edge by its two nodes
("EF" is the weight from E to F), as the worked examples do. A network with more than 26
nodes is named by layer instead: inputs x1, x2, …; hidden layer k: hk_1, hk_2, …;
outputs o1, o2, …; an edge then joins its two nodes with a dash ("x1-h1_3").

The numbers come from the reference engine (``fastprop.engines.numpy_engine``) on a copy
of the parameters, in the network's dtype; the network itself is never changed.

>>> import fastprop as fp
>>> ex = fp.examples.get("two-inputs-sigmoid-mse")
>>> t = ex.network().trace(ex.x, ex.y, lr=ex.lr)
>>> round(t.loss, 5), round(t.edge("CD")["new"], 5)
(0.12553, 0.81216)
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ._names import edge_name, node_names, span
from .activations import ACTIVATIONS
from .engines.numpy_engine import _loss
from .losses import LOSSES


class Trace:
    """One training step of a network on (x, y): every number, not applied.

    Per weight layer ``l`` (``l = 0`` joins the inputs to the first hidden layer):
    ``inputs[l]`` (a_l, shape (n, fan_in)), ``z[l]``, ``a[l]`` = f(z[l]), ``fprime[l]`` =
    f′(z[l]) (None for softmax), ``dloss_da[l]`` = ∂L/∂a, ``deltas[l]`` = ∂L/∂z,
    ``weights[l]``, ``grad_weights[l]``, ``new_weights[l]`` and the same three for
    biases (empty lists when the network has none). Also ``x``, ``y``, ``y_hat``,
    ``loss``, ``dloss_dyhat`` (∂L/∂ŷ), ``lr`` and ``names`` (node names per layer).
    Gradients are of the mean loss over the samples, as in ``Network.gradients``.

    ``node("F")`` and ``edge("EF")`` look numbers up by name; ``str(trace)`` reads like
    a worked example; ``to_markdown()`` and ``to_dict()`` export it.

    Examples
    --------
    >>> import fastprop as fp
    >>> ex = fp.examples.get("one-input-sigmoid-bce")
    >>> t = ex.network().trace(ex.x, ex.y, ex.lr)
    >>> t.names, round(t.loss, 5)
    ([['A'], ['B'], ['C']], 0.42959)
    """

    def __init__(self, *, arch, description, lr, x, y, zs, acts, deltas, params, grad,
                 new_params, optimizer=None, state_before=None, step=1):
        self.arch, self.description, self.lr, self.x, self.y = arch, description, lr, x, y
        #: Which step of a multi-step trace this is (1 for a trace of one step).
        self.step = step
        #: The optimizer after the step (a copy), when the step is an optimizer's; its
        #: state per buffer name after (``state``) and before (``state_before``) the
        #: step: (weight views, bias views) in the network's layout.
        self.optimizer = optimizer

        def views(buffers):
            return {name: ([v.copy() for v in arch.weight_views(buf)],
                           [v.copy() for v in arch.bias_views(buf)])
                    for name, buf in buffers.items()}

        self.state = {} if optimizer is None else views(optimizer.state)
        self.state_before = {} if optimizer is None else views(state_before)
        self.inputs, self.z, self.a, self.deltas = acts[:-1], zs, acts[1:], deltas
        self.y_hat = acts[-1]
        self.loss = _loss(arch.loss, zs[-1], acts[-1], y, param=arch.huber_delta)
        self.weights = [W.copy() for W in arch.weight_views(params)]
        self.biases = [b.copy() for b in arch.bias_views(params)]
        self.grad_weights = [g.copy() for g in arch.weight_views(grad)]
        self.grad_biases = [g.copy() for g in arch.bias_views(grad)]
        # after the step: w − η·∂L/∂w, or the optimizer's rule
        self.new_weights = [W.copy() for W in arch.weight_views(new_params)]
        self.new_biases = [b.copy() for b in arch.bias_views(new_params)]
        self.dloss_dyhat = _dloss_dyhat(arch.loss, self.y_hat, y, arch.huber_delta)
        self.fprime = [None if ACTIVATIONS[f].derivative is None else
                       ACTIVATIONS[f].derivative(z, a, arch.leaky_slope)
                       for f, z, a in zip(arch.activations, zs, self.a, strict=True)]
        self.dloss_da = [d @ W.T for d, W in zip(deltas[1:], self.weights[1:], strict=True)]
        self.dloss_da.append(self.dloss_dyhat)
        self.names = node_names(arch.sizes)

    # ---------------------------------------------------------------- access
    @property
    def n_samples(self) -> int:
        return self.x.shape[0]

    @cached_property
    def node_positions(self) -> dict:
        """``{name: (layer, index)}`` of every node, inputs first (layer 0)."""
        return {n: (k, j) for k, layer in enumerate(self.names) for j, n in enumerate(layer)}

    @cached_property
    def edge_positions(self) -> dict:
        """``{name: (l, i, j)}`` of every edge: ``weights[l][i, j]``, layer by layer."""
        return {edge_name(src, dst): (k, i, j) for k in range(self.arch.n_layers)
                for i, src in enumerate(self.names[k])
                for j, dst in enumerate(self.names[k + 1])}

    @property
    def edge_names(self) -> list[str]:
        """Every edge's name, layer by layer, in the order of ``weights[l].ravel()``."""
        return list(self.edge_positions)

    def node(self, name: str) -> dict:
        """The numbers of one node: ``layer`` and ``a``; past the inputs also ``z``,
        ``fprime``, ``dloss_da``, ``delta`` and, with biases, ``bias``, ``grad_bias``,
        ``new_bias`` (floats for one sample, arrays over the samples for a batch).

        Examples
        --------
        >>> import fastprop as fp
        >>> ex = fp.examples.get("one-input-sigmoid-bce")
        >>> round(ex.network().trace(ex.x, ex.y, ex.lr).node("C")["delta"], 5)
        -0.34922
        """
        if name not in self.node_positions:
            raise KeyError(f"no node {name!r}; nodes are named {span(sum(self.names, []))}")
        k, j = self.node_positions[name]
        if k == 0:
            out = {"a": self.x[:, j]}
        else:
            out = {"z": self.z[k - 1][:, j], "a": self.a[k - 1][:, j],
                   "dloss_da": self.dloss_da[k - 1][:, j], "delta": self.deltas[k - 1][:, j]}
            if self.fprime[k - 1] is not None:
                out["fprime"] = self.fprime[k - 1][:, j]
        one = self.n_samples == 1
        out = {key: float(v[0]) if one else v.copy() for key, v in out.items()}
        if k and self.biases:
            out.update(bias=float(self.biases[k - 1][j]),
                       grad_bias=float(self.grad_biases[k - 1][j]),
                       new_bias=float(self.new_biases[k - 1][j]))
            if self.optimizer is not None:
                out.update(bias_step=out["new_bias"] - out["bias"],
                           bias_state=self.parameter_state(1, k - 1, j))
        return {"layer": k, **out}

    def edge(self, name: str) -> dict:
        """``{"layer", "weight", "grad", "new"}`` of the edge called ``name`` ("EF").

        Examples
        --------
        >>> import fastprop as fp
        >>> ex = fp.examples.get("one-input-sigmoid-bce")
        >>> round(ex.network().trace(ex.x, ex.y, ex.lr).edge("BC")["new"], 5)
        1.02174
        """
        if name not in self.edge_positions:
            raise KeyError(f"no edge {name!r}; edges are named {span(self.edge_names)}")
        k, i, j = self.edge_positions[name]
        out = {"layer": k, "weight": float(self.weights[k][i, j]),
               "grad": float(self.grad_weights[k][i, j]),
               "new": float(self.new_weights[k][i, j])}
        if self.optimizer is not None:
            out.update(step=out["new"] - out["weight"],
                       state=self.parameter_state(0, k, (i, j)))
        return out

    def parameter_state(self, part: int, layer: int, index, before: bool = False) -> dict:
        """The optimizer's state of one parameter after (or ``before``) the step, by
        buffer name (``{}`` for gradient descent): ``part`` 0 for the weight
        ``weights[layer][index]``, 1 for the bias ``biases[layer][index]``.

        Examples
        --------
        >>> import fastprop as fp
        >>> ex = fp.examples.get("one-input-sigmoid-bce")
        >>> t = ex.network().trace(ex.x, ex.y, optimizer=fp.SGD(0.5, momentum=0.9))
        >>> round(t.parameter_state(0, 1, (0, 0))["momentum_buffer"], 5)
        -0.21738
        """
        state = self.state_before if before else self.state
        return {name: float(views[part][layer][index]) for name, views in state.items()}

    @property
    def steps(self) -> list[Trace]:
        """The steps of this trace, in order: ``[self]`` (a ``MultiStepTrace`` has more)."""
        return [self]

    def check(self, answers: dict):
        """Compare a learner's own numbers for this step with it: ``answers`` in the
        layout of :meth:`to_dict` (any subset), each number to the digits it was written
        with. Returns a ``fastprop.trace_check.CheckResult``: ``ok``, ``first`` (the first
        wrong number in the order the step computes them, with the known slip that gives
        it, if one does) and every ``mismatches``.

        Examples
        --------
        >>> import fastprop as fp
        >>> ex = fp.examples.get("one-input-sigmoid-bce")
        >>> t = ex.network().trace(ex.x, ex.y, ex.lr)
        >>> print(t.check({"edges": {"BC": {"grad": 0.21737}}}).first.slip)
        the sign is wrong
        """
        from .trace_check import check

        return check(self, answers)

    # ----------------------------------------------------------- rendering
    def format(self, digits: int = 5, detail: str = "auto") -> str:
        """The step as text, numbers to ``digits`` decimals: ``detail="full"`` node by
        node and edge by edge like a worked example, ``"summary"`` a few lines per layer,
        ``"auto"`` (``str(trace)``) full for networks of at most 26 nodes and 64
        parameters.

        Examples
        --------
        >>> import fastprop as fp
        >>> ex = fp.examples.get("one-input-sigmoid-bce")
        >>> text = ex.network().trace(ex.x, ex.y, ex.lr).format(digits=3)
        >>> print(text.splitlines()[4])
        Forward pass
        """
        if detail not in ("auto", "full", "summary"):
            raise ValueError(f"detail must be 'auto', 'full' or 'summary', got {detail!r}")
        from .trace_text import check_digits, render

        return render(self, check_digits(digits), detail)

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return (f"Trace({self.description}, n_samples={self.n_samples}, lr={self.lr:g}, "
                f"loss={self.loss:.6g})")

    def to_html(self, digits: int = 5) -> str:
        """One self-contained web page of the step (``fastprop.trace_html``): the network
        drawn, the stages revealed one by one, every number's formula on hover.

        Examples
        --------
        >>> import fastprop as fp
        >>> ex = fp.examples.get("one-input-sigmoid-bce")
        >>> "1.02174" in ex.network().trace(ex.x, ex.y, ex.lr).to_html()
        True
        """
        from .trace_html import page

        return page(self, digits)

    def to_markdown(self, digits: int = 5, max_rows: int = 200) -> str:
        """Markdown: the loss, then tables of nodes (z, a, ∂L/∂a, δ), edges (w, ∂L/∂w,
        w after the step) and biases, each cut after ``max_rows`` rows.

        Examples
        --------
        >>> import fastprop as fp
        >>> ex = fp.examples.get("one-input-sigmoid-bce")
        >>> print(ex.network().trace(ex.x, ex.y, ex.lr).to_markdown().splitlines()[2])
        | node | layer | z | a | ∂L/∂a | δ = ∂L/∂z |
        """
        from .trace_text import check_digits, markdown

        return markdown(self, check_digits(digits), max_rows)

    def to_dict(self) -> dict:
        """Plain Python (JSON-ready) values: the network, the step's inputs, ``loss``,
        ``layers`` (every per-layer array as nested lists), ``nodes`` and ``edges`` by
        name.

        Examples
        --------
        >>> import fastprop as fp, json
        >>> ex = fp.examples.get("one-input-sigmoid-bce")
        >>> d = ex.network().trace(ex.x, ex.y, ex.lr).to_dict()
        >>> sorted(d["edges"]), len(json.dumps(d)) > 0
        (['AB', 'BC'], True)
        """
        from .trace_text import format_number

        def as_list(key, li):
            arrs = getattr(self, key)
            return arrs[li].tolist() if arrs and arrs[li] is not None else None

        layers = [{key: as_list(key, li) for key in _LAYER_KEYS}
                  for li in range(self.arch.n_layers)]
        nodes = {name: {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                        for k, v in self.node(name).items()} for name in self.node_positions}
        return {"network": self.arch.to_dict(), "description": self.description,
                "lr": self.lr, "n_samples": self.n_samples, "x": self.x.tolist(),
                "y": self.y.tolist(), "y_hat": self.y_hat.tolist(), "loss": self.loss,
                "dloss_dyhat": self.dloss_dyhat.tolist(), "names": self.names,
                "layers": layers, "nodes": nodes,
                "edges": {name: self.edge(name) for name in self.edge_positions},
                "step": self.step,
                "optimizer": None if self.optimizer is None else repr(self.optimizer),
                "step_note": None if self.optimizer is None else
                self.optimizer.step_note(lambda v: format_number(v, 12)),
                "state_before": _state_lists(self.state_before),
                "state": _state_lists(self.state)}


def _state_lists(state: dict) -> dict:
    return {name: {"weights": [w.tolist() for w in ws], "biases": [b.tolist() for b in bs]}
            for name, (ws, bs) in state.items()}


_LAYER_KEYS = ("inputs", "z", "a", "fprime", "dloss_da", "deltas", "weights",
               "grad_weights", "new_weights", "biases", "grad_biases", "new_biases")


def _dloss_dyhat(loss: str, y_hat, y, param=None):
    """∂L/∂ŷ of the mean loss (shown, not used: the engines go straight to ∂L/∂z)."""
    n, k = y.shape
    record = LOSSES[loss]
    with np.errstate(divide="ignore", invalid="ignore"):
        return record.dyhat(y_hat, y, param) / (n * k if record.per_output else n)
