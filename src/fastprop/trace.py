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

import string
from functools import cached_property

import numpy as np

from ._validation import check_float
from .engines.numpy_engine import DERIVATIVE, NumpyEngine, _loss
from .losses import FORMULAS


def node_names(sizes) -> list[list[str]]:
    """Names of the nodes, one list per layer (inputs first): letters up to 26 nodes.

    >>> node_names([3, 2, 1])
    [['A', 'B', 'C'], ['D', 'E'], ['F']]
    """
    sizes = list(sizes)
    if sum(sizes) <= 26:
        letters = iter(string.ascii_uppercase)
        return [[next(letters) for _ in range(s)] for s in sizes]
    prefix = ["x"] + [f"h{k}_" for k in range(1, len(sizes) - 1)] + ["o"]
    return [[f"{prefix[k]}{j + 1}" for j in range(s)] for k, s in enumerate(sizes)]


def edge_name(src: str, dst: str) -> str:
    """"EF" for letters, "x1-h1_3" for layer-indexed names."""
    return src + dst if len(src) == 1 and len(dst) == 1 else f"{src}-{dst}"


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
    """

    def __init__(self, *, arch, description, lr, x, y, zs, acts, deltas, params, grad):
        self.arch, self.description, self.lr, self.x, self.y = arch, description, lr, x, y
        self.inputs, self.z, self.a, self.deltas = acts[:-1], zs, acts[1:], deltas
        self.y_hat = acts[-1]
        self.loss = _loss(arch.loss, zs[-1], acts[-1], y)
        self.weights = [W.copy() for W in arch.weight_views(params)]
        self.biases = [b.copy() for b in arch.bias_views(params)]
        self.grad_weights = [g.copy() for g in arch.weight_views(grad)]
        self.grad_biases = [g.copy() for g in arch.bias_views(grad)]
        self.new_weights = [W - lr * g for W, g in
                            zip(self.weights, self.grad_weights, strict=True)]
        self.new_biases = [b - lr * g for b, g in zip(self.biases, self.grad_biases, strict=True)]
        self.dloss_dyhat = _dloss_dyhat(arch.loss, self.y_hat, y)
        self.fprime = [None if f == "softmax" else DERIVATIVE[f](a, arch.leaky_slope)
                       for f, a in zip(arch.activations, self.a, strict=True)]
        self.dloss_da = [d @ W.T for d, W in zip(deltas[1:], self.weights[1:], strict=True)]
        self.dloss_da.append(self.dloss_dyhat)
        self.names = node_names(arch.sizes)

    # ---------------------------------------------------------------- access
    @property
    def n_samples(self) -> int:
        return self.x.shape[0]

    @cached_property
    def _nodes(self) -> dict:
        return {n: (k, j) for k, layer in enumerate(self.names) for j, n in enumerate(layer)}

    @cached_property
    def _edges(self) -> dict:
        return {edge_name(src, dst): (k, i, j) for k in range(self.arch.n_layers)
                for i, src in enumerate(self.names[k])
                for j, dst in enumerate(self.names[k + 1])}

    @property
    def edge_names(self) -> list[str]:
        """Every edge's name, layer by layer, in the order of ``weights[l].ravel()``."""
        return list(self._edges)

    def node(self, name: str) -> dict:
        """The numbers of one node: ``layer`` and ``a``; past the inputs also ``z``,
        ``fprime``, ``dloss_da``, ``delta`` and, with biases, ``bias``, ``grad_bias``,
        ``new_bias`` (floats for one sample, arrays over the samples for a batch)."""
        if name not in self._nodes:
            raise KeyError(f"no node {name!r}; nodes are named {_span(sum(self.names, []))}")
        k, j = self._nodes[name]
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
        return {"layer": k, **out}

    def edge(self, name: str) -> dict:
        """``{"layer", "weight", "grad", "new"}`` of the edge called ``name`` ("EF")."""
        if name not in self._edges:
            raise KeyError(f"no edge {name!r}; edges are named {_span(self.edge_names)}")
        k, i, j = self._edges[name]
        return {"layer": k, "weight": float(self.weights[k][i, j]),
                "grad": float(self.grad_weights[k][i, j]),
                "new": float(self.new_weights[k][i, j])}

    # ----------------------------------------------------------- rendering
    def format(self, digits: int = 5, detail: str = "auto") -> str:
        """The step as text, numbers to ``digits`` decimals: ``detail="full"`` node by
        node and edge by edge like a worked example, ``"summary"`` a few lines per layer,
        ``"auto"`` (``str(trace)``) full for networks of at most 26 nodes and 64
        parameters."""
        if detail not in ("auto", "full", "summary"):
            raise ValueError(f"detail must be 'auto', 'full' or 'summary', got {detail!r}")
        if isinstance(digits, bool) or not isinstance(digits, int) or not 3 <= digits <= 12:
            raise ValueError(f"digits must be an integer from 3 to 12, got {digits!r}")
        return _render(self, digits, detail)

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return (f"Trace({self.description}, n_samples={self.n_samples}, lr={self.lr:g}, "
                f"loss={self.loss:.6g})")

    def to_markdown(self, digits: int = 5, max_rows: int = 200) -> str:
        """Markdown: the loss, then tables of nodes (z, a, ∂L/∂a, δ), edges (w, ∂L/∂w,
        w after the step) and biases, each cut after ``max_rows`` rows."""
        return _markdown(self, digits, max_rows)

    def to_dict(self) -> dict:
        """Plain Python (JSON-ready) values: the network, the step's inputs, ``loss``,
        ``layers`` (every per-layer array as nested lists), ``nodes`` and ``edges`` by
        name."""
        def as_list(key, li):
            arrs = getattr(self, key)
            return arrs[li].tolist() if arrs and arrs[li] is not None else None

        layers = [{key: as_list(key, li) for key in _LAYER_KEYS}
                  for li in range(self.arch.n_layers)]
        nodes = {name: {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                        for k, v in self.node(name).items()} for name in self._nodes}
        return {"network": self.arch.to_dict(), "description": self.description,
                "lr": self.lr, "n_samples": self.n_samples, "x": self.x.tolist(),
                "y": self.y.tolist(), "y_hat": self.y_hat.tolist(), "loss": self.loss,
                "dloss_dyhat": self.dloss_dyhat.tolist(), "names": self.names,
                "layers": layers, "nodes": nodes,
                "edges": {name: self.edge(name) for name in self._edges}}


_LAYER_KEYS = ("inputs", "z", "a", "fprime", "dloss_da", "deltas", "weights",
               "grad_weights", "new_weights", "biases", "grad_biases", "new_biases")


def _dloss_dyhat(loss: str, y_hat, y):
    """∂L/∂ŷ of the mean loss (shown, not used: the engines go straight to ∂L/∂z)."""
    n, k = y.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        if loss == "mse":
            return 2 * (y_hat - y) / (n * k)
        if loss == "bce":
            return (-y / y_hat + (1 - y) / (1 - y_hat)) / (n * k)
        return -y / y_hat / n


def make_trace(net, x, y, lr: float) -> Trace:
    """One gradient-descent step of ``net`` on (x, y), computed and not applied.

    ``Network.trace`` calls this. Arguments are validated like every entry point
    (``ValueError``/``TypeError`` naming ``x``, ``y`` or ``lr``); the network is unchanged.

    Parameters
    ----------
    net : fp.Network
    x : array-like, shape (n_inputs,) for one sample or (n, n_inputs) for a batch
    y : array-like, the target(s) in the form the network's loss takes
    lr : float, > 0

    Examples
    --------
    >>> import fastprop as fp
    >>> net = fp.examples.get("three-inputs-relu-sigmoid-bce").network()
    >>> t = net.trace([1, 2, 3], 0, lr=1.0)
    >>> round(t.node("F")["a"], 5), round(t.edge("EF")["new"], 5)
    (0.99999, -4.99996)
    """
    lr = check_float(lr, "lr", positive=True)
    X, Y = net._data(x, y, "x", "y")
    arch, params = net.arch, net.params.copy()
    grad = np.zeros_like(params)
    reference = NumpyEngine()
    zs, acts = reference.forward(arch, params, X)
    deltas = reference.backward(arch, params, zs, acts, Y, grad)
    return Trace(arch=arch, description=repr(net), lr=lr, x=X, y=Y, zs=zs, acts=acts,
                 deltas=deltas, params=params, grad=grad)


# ---------------------------------------------------------------- rendering as text
_DERIV = {"sigmoid": "{n}(1 − {n})", "tanh": "1 − {n}²", "relu": "1 if z_{n} > 0 else 0",
          "leaky_relu": "1 if z_{n} > 0 else {s}", "identity": "1"}
_SYM = {"sigmoid": "σ", "leaky_relu": "lrelu", "relu": "relu", "tanh": "tanh"}
_LOSS_NOTE = {"mse": "mean over samples and outputs", "bce": "mean over samples and outputs",
              "cross_entropy": "summed over classes, mean over samples"}


def _fmt(v, d: int) -> str:
    """``d`` decimals, trailing zeros dropped; scientific when tiny (< 10^(2−d)) or huge."""
    v = float(v)
    if not np.isfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == 0:
        return "0"
    if abs(v) < 10.0 ** (2 - d) or abs(v) >= 1e7:
        return f"{v:.{d - 1}e}"
    s = f"{v:.{d}f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _span(names) -> str:
    return ", ".join(names) if len(names) <= 6 else f"{names[0]} … {names[-1]}"


class _Text:
    """Writes a trace as a worked example (forward, loss, backward, new weights)."""

    def __init__(self, t: Trace, d: int):
        self.t, self.d, self.one = t, d, t.n_samples == 1
        self.lines: list[str] = []

    def f(self, v) -> str:
        return _fmt(v, self.d)

    def p(self, v) -> str:  # a factor: negative numbers in parentheses
        s = self.f(v)
        return f"({s})" if s.startswith("-") else s

    def v(self, arr) -> str:  # one sample: a number; a batch: a short list
        arr = np.asarray(arr).ravel()
        if arr.size == 1:
            return self.f(arr[0])
        return f"[{', '.join(self.f(a) for a in arr[:6])}{', …' if arr.size > 6 else ''}]"

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def header(self) -> None:
        t, names = self.t, self.t.names
        self.add(f"One training step of {t.description}, learning rate η = {self.f(t.lr)}"
                 " (computed, not applied)")
        roles = [f"inputs {_span(names[0])}"] + \
            [f"hidden {_span(ns)}" for ns in names[1:-1]] + [f"output {_span(names[-1])}"]
        src, dst = names[-2][0], names[-1][0]
        self.add(f"  nodes: {' · '.join(roles)}   (edge {edge_name(src, dst)} = the weight "
                 f"from {src} to {dst})")
        if self.one:
            x, y = (", ".join(self.f(v) for v in row) for row in (t.x[0], t.y[0]))
            x, y = (s if len(row) == 1 else f"({s})" for s, row in ((x, t.x[0]), (y, t.y[0])))
            self.add(f"  sample: x = {x}, y = {y}")
        else:
            self.add(f"  batch of {t.n_samples} samples: values are listed per sample; "
                     "gradients are of the mean loss")

    def forward(self) -> None:
        t = self.t
        self.add("", "Forward pass",
                 "  " + ", ".join(f"{n} = {self.v(t.x[:, j])}" for j, n in enumerate(t.names[0])))
        for k in range(1, len(t.names)):
            act, prev, W, a_in = (t.arch.activations[k - 1], t.names[k - 1],
                                  t.weights[k - 1], t.inputs[k - 1])
            for j, n in enumerate(t.names[k]):
                sym = [f"{edge_name(s, n)}·{s}" for s in prev]
                num = [f"{self.p(W[i, j])}×{self.p(a_in[0, i])}" for i in range(len(prev))]
                if t.biases:
                    sym.append(f"b_{n}")
                    num.append(self.p(t.biases[k - 1][j]))
                filled = f" = {' + '.join(num)}" if self.one and len(num) <= 8 else ""
                z, a = t.z[k - 1][:, j], t.a[k - 1][:, j]
                self.add(f"  {n}: z_{n} = {' + '.join(sym)}{filled} = {self.v(z)}")
                if act in ("identity", "softmax"):
                    rhs = f"{'z' if act == 'identity' else 'softmax(z)'}_{n} = {self.v(a)}"
                else:
                    arg = f" = {_SYM[act]}({self.f(z[0])})" if self.one else ""
                    rhs = f"{_SYM[act]}(z_{n}){arg} = {self.v(a)}"
                out = "   (output ŷ)" if k == len(t.names) - 1 else ""
                self.add(f"  {' ' * len(n)}  {n} = {rhs}{out}")

    def loss(self) -> None:
        t, loss = self.t, self.t.arch.loss
        self.add("", f"Loss ({loss}: {_LOSS_NOTE[loss]})")
        if t.y.size == 1 and loss in ("mse", "bce"):
            y, yh = t.y[0, 0], t.y_hat[0, 0]
            if loss == "mse":
                self.add(f"  L = (y − ŷ)² = ({self.f(y)} − {self.f(yh)})² = {self.f(t.loss)}")
            else:
                self.add(f"  L = −[y·log ŷ + (1 − y)·log(1 − ŷ)] = −[{self.f(y)}·log({self.f(yh)}) "
                         f"+ {self.f(1 - y)}·log({self.f(1 - yh)})] = {self.f(t.loss)}")
        else:
            self.add(f"  {FORMULAS[loss]} = {self.f(t.loss)}")
        if loss == "bce":
            self.add("  (fastprop computes it from the logit z as softplus(z) − y·z, which "
                     "stays exact when ŷ rounds to 1)")

    def backward(self) -> None:
        self.add("", "Backward pass (from the output back; δ = ∂L/∂z, ∂L/∂w = δ·input, "
                 "w_new = w − η·∂L/∂w)")
        for k in range(len(self.t.names) - 1, 0, -1):
            for j, n in enumerate(self.t.names[k]):
                self.node_delta(k, j, n)
                self.incoming(k, j, n)

    def node_delta(self, k, j, n) -> None:
        t, pad, li = self.t, " " * (len(n) + 4), k - 1
        act, dlda, delta = t.arch.activations[li], t.dloss_da[li][:, j], t.deltas[li][:, j]
        last, loss, N = k == len(t.names) - 1, t.arch.loss, t.y.size
        if last:
            per, per_n = ("" if N == 1 else f"/{N}"), ("" if self.one else f"/{t.n_samples}")
            forms = {"mse": f"2({n} − y){per}" if N > 1 else f"−2(y − {n})",
                     "bce": f"(−y/{n} + (1 − y)/(1 − {n})){per}" if N > 1
                     else f"−y/{n} + (1 − y)/(1 − {n})", "cross_entropy": f"−y/{n}{per_n}"}
            self.add(f"  {n}: ∂L/∂{n} = {forms[loss]} = {self.v(dlda)}")
        else:
            nxt = t.names[k + 1]
            sym = " + ".join(f"δ_{m}·{edge_name(n, m)}" for m in nxt) if len(nxt) <= 4 \
                else f"Σ δ·w over {_span(nxt)}"
            num = " = " + " + ".join(f"{self.p(t.deltas[k][0, i])}×{self.p(t.weights[k][j, i])}"
                                     for i in range(len(nxt))) \
                if self.one and len(nxt) <= 4 else ""
            self.add(f"  {n}: ∂L/∂{n} = {sym}{num} = {self.v(dlda)}")
        if t.fprime[li] is not None:
            form = _DERIV[act].format(n=n, s=self.f(t.arch.leaky_slope))
            self.add(f"{pad}∂{n}/∂z_{n} = {_SYM.get(act, act)}′(z_{n}) = {form} = "
                     f"{self.v(t.fprime[li][:, j])}")
        lhs = f"{pad}δ_{n} = ∂L/∂z_{n}"
        if last and loss in ("bce", "cross_entropy"):
            count = N if loss == "bce" else t.n_samples
            form = f"{n} − y" if count == 1 else f"({n} − y)/{count}"
            num = f" = {self.f(t.y_hat[0, j])} − {self.f(t.y[0, j])}" if self.one else ""
            self.add(f"{lhs} = {form}{num} = {self.v(delta)}   (the chain "
                     f"∂L/∂{n}·∂{n}/∂z_{n} simplifies to this)")
        elif t.fprime[li] is None:
            self.add(f"{lhs} = {n}·(∂L/∂{n} − Σ ∂L/∂ŷ·ŷ) = {self.v(delta)}   (softmax)")
        else:
            num = f" = {self.p(dlda[0])}×{self.p(t.fprime[li][0, j])}" if self.one else ""
            self.add(f"{lhs} = ∂L/∂{n}·∂{n}/∂z_{n}{num} = {self.v(delta)}")

    def incoming(self, k, j, n) -> None:
        t, li, pad, eta = self.t, k - 1, " " * (len(n) + 4), self.f(self.t.lr)
        for i, s in enumerate(t.names[li]):
            e = edge_name(s, n)
            g, w, new = t.grad_weights[li][i, j], t.weights[li][i, j], t.new_weights[li][i, j]
            num = f" = {self.p(t.deltas[li][0, j])}×{self.p(t.inputs[li][0, i])}" \
                if self.one else ""
            how = f"δ_{n}·{s}" if self.one else f"Σ δ_{n}·{s} over the batch"
            self.add(f"{pad}{e}: ∂L/∂{e} = {how}{num} = {self.f(g)}",
                     f"{pad}{' ' * len(e)}  {e}_new = {e} − η·∂L/∂{e} = {self.f(w)} − "
                     f"{eta}×{self.p(g)} = {self.f(new)}")
        if t.biases:
            b, g, new = t.biases[li][j], t.grad_biases[li][j], t.new_biases[li][j]
            how = f"δ_{n}" if self.one else f"Σ δ_{n} over the batch"
            self.add(f"{pad}b_{n}: ∂L/∂b_{n} = {how} = {self.f(g)};  b_{n}_new = "
                     f"{self.f(b)} − {eta}×{self.p(g)} = {self.f(new)}")

    def after(self) -> None:
        t = self.t
        items = [f"{e} = {self.f(t.new_weights[k][i, j])}" for e, (k, i, j) in t._edges.items()]
        for k, b in enumerate(t.new_biases):
            items += [f"b_{n} = {self.f(v)}" for n, v in zip(t.names[k + 1], b, strict=True)]
        self.add("", "After the step (not applied to the network):")
        self.add(*("  " + ", ".join(items[s:s + 6]) for s in range(0, len(items), 6)))

    def summary(self) -> None:
        t = self.t
        self.add("", f"Loss ({t.arch.loss}): {FORMULAS[t.arch.loss]} = {self.f(t.loss)}",
                 "", "Per layer (rms = root mean square over the layer's entries):")
        for li in range(t.arch.n_layers):
            gW, W, z, act = t.grad_weights[li], t.weights[li], t.z[li], t.arch.activations[li]
            i, j = np.unravel_index(np.argmax(np.abs(gW)), gW.shape)
            rms = [float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))
                   for a in (t.deltas[li], gW, W)]
            dead = f"; units never active: {int((t.a[li] == 0).all(axis=0).sum())} of " \
                f"{z.shape[1]}" if act == "relu" else ""
            self.add(f"  layer {li + 1}: {_span(t.names[li])} → {_span(t.names[li + 1])} "
                     f"({act}); z in [{self.f(z.min())}, {self.f(z.max())}]{dead}",
                     f"    rms δ {self.f(rms[0])}; rms ∂L/∂w {self.f(rms[1])}, largest "
                     f"|∂L/∂w| {self.f(abs(gW[i, j]))} at "
                     f"{edge_name(t.names[li][i], t.names[li + 1][j])}; the step changes the "
                     f"weights by {self.f(t.lr * rms[1] / max(rms[2], 1e-300))} of their rms")


def _render(t: Trace, digits: int, detail: str) -> str:
    w = _Text(t, digits)
    w.header()
    if detail == "full" or (detail == "auto" and sum(t.arch.sizes) <= 26
                            and t.arch.n_params <= 64):
        w.forward()
        w.loss()
        w.backward()
        w.after()
    else:
        w.add(f"  ({t.arch.n_params} parameters, summarised: trace.format(detail='full') "
              "or trace.to_markdown() lists every number)")
        w.summary()
    return "\n".join(w.lines)


def _markdown(t: Trace, digits: int, max_rows: int) -> str:
    w = _Text(t, digits)
    out = [f"**One training step** of `{t.description}`, η = {w.f(t.lr)}, "
           f"{t.n_samples} sample(s): loss ({t.arch.loss}) L = {w.f(t.loss)}", "",
           "| node | layer | z | a | ∂L/∂a | δ = ∂L/∂z |", "|---|---|---|---|---|---|"]
    rows = [f"| {n} | input | | {w.v(t.x[:, j])} | | |" for j, n in enumerate(t.names[0])]
    for li in range(t.arch.n_layers):
        rows += [f"| {n} | {li + 1} | {w.v(t.z[li][:, j])} | {w.v(t.a[li][:, j])} | "
                 f"{w.v(t.dloss_da[li][:, j])} | {w.v(t.deltas[li][:, j])} |"
                 for j, n in enumerate(t.names[li + 1])]
    out += _capped(rows, max_rows)
    out += ["", "| edge | w | ∂L/∂w | w after the step |", "|---|---|---|---|"]
    out += _capped([f"| {e} | {w.f(t.weights[k][i, j])} | {w.f(t.grad_weights[k][i, j])} | "
                    f"{w.f(t.new_weights[k][i, j])} |" for e, (k, i, j) in t._edges.items()],
                   max_rows)
    if t.biases:
        out += ["", "| bias | b | ∂L/∂b | b after the step |", "|---|---|---|---|"]
        out += _capped([f"| b_{n} | {w.f(t.biases[k][j])} | {w.f(t.grad_biases[k][j])} | "
                        f"{w.f(t.new_biases[k][j])} |" for k in range(t.arch.n_layers)
                        for j, n in enumerate(t.names[k + 1])], max_rows)
    return "\n".join(out) + "\n"


def _capped(rows: list[str], max_rows: int) -> list[str]:
    if len(rows) <= max_rows:
        return rows
    return rows[:max_rows] + [f"| … {len(rows) - max_rows} more rows | | | |"]
