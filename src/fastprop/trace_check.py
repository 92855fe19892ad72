"""Check a learner's own numbers for one training step against the step itself.

The answers come in the layout of ``Trace.to_dict()`` (``fastprop explain --format json``),
any subset of it: ``loss``, ``y_hat``, ``dloss_dyhat``, ``nodes`` (``{"F": {"delta":
…}}``), ``edges`` (``{"EF": {"grad": …, "new": …}}``) and ``layers`` (per weight layer,
the arrays ``z``, ``a``, ``deltas``, ``grad_weights``, …). Each number is compared to as
many digits as it was written with: 0.646 agrees with 0.64566 (a difference under one
unit of its last decimal), 0.65 does not agree with 0.6457 to two decimals… it does
(|0.65 − 0.6457| < 0.01); 0.64 does not.

The first number that does not agree, in the order the step computes them (forward
pass, loss, then the backward pass layer by layer from the output), is the one to look
at: later ones usually follow from it. For it, the known slips are tried — the
activation's derivative left out of δ, a sign, the input factor of a weight's gradient
left out, the loss's ½ or its mean over the samples or outputs, the learning rate left
out or applied the wrong way — and the one that gives the learner's number is named.

>>> import fastprop as fp
>>> ex = fp.examples.get("two-inputs-sigmoid-mse")
>>> trace = ex.network().trace(ex.x, ex.y, ex.lr)
>>> trace.check({"loss": 0.125, "edges": {"CD": {"new": 0.812}}}).ok
True
>>> print(trace.check({"nodes": {"D": {"delta": -0.709}}}).first.slip)
the activation's derivative was left out: δ = ∂L/∂a·f′(z) = -0.709…·0.229… = -0.162…
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np

from . import trace_slips as slips
from ._names import edge_name

#: Node fields and their place in the step: forward (z, a) or backward.
_FORWARD = ("z", "a")
_BACKWARD = ("dloss_da", "fprime", "delta")
_NODE_FIELDS = _FORWARD + _BACKWARD + ("bias", "grad_bias", "bias_state", "bias_step",
                                       "new_bias")
#: A parameter's fields in the order the step computes them (state and step: with an
#: optimizer only; state is an object of the optimizer's buffers).
_EDGE_FIELDS = ("weight", "grad", "state", "step", "new")
_BIAS_ORDER = {"grad_bias": 3, "bias_state": 4, "bias_step": 5, "new_bias": 6}
#: ``layers[li][key]`` → the node or edge field it holds (inputs: the nodes of layer li).
_LAYER_FIELDS = {"inputs": ("in", "a"), "z": ("out", "z"), "a": ("out", "a"),
                 "fprime": ("out", "fprime"), "dloss_da": ("out", "dloss_da"),
                 "deltas": ("out", "delta"), "weights": ("edge", "weight"),
                 "grad_weights": ("edge", "grad"), "new_weights": ("edge", "new"),
                 "biases": ("bias", "bias"), "grad_biases": ("bias", "grad_bias"),
                 "new_biases": ("bias", "new_bias")}
#: Keys of ``to_dict()`` that describe the step rather than answer it: compared for
#: equality (answers for another step are refused), or (``_IGNORED``) not looked at.
_INPUTS = ("x", "y", "lr", "names", "network", "n_samples", "step")
_IGNORED = ("description", "optimizer", "state", "state_before", "step_note")


@dataclass
class Mismatch:
    """One number that does not agree: where (``field``, e.g. ``"edges.EF.new"``), the
    number given, the step's own, and the slip that explains it (or None)."""

    field: str
    given: float
    expected: float
    tolerance: float
    slip: str | None = None

    def __str__(self) -> str:
        text = (f"{self.field} = {self.given:.10g} is wrong: it should be "
                f"{self.expected:.10g} (to within {self.tolerance:g})")
        return text + (f"; likely slip: {self.slip}" if self.slip else "")


@dataclass
class CheckResult:
    """What ``Trace.check`` found: ``checked`` numbers, the ``mismatches`` in the order
    the step computes them, ``first`` of them (None when all agree), ``ok``."""

    checked: int
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def first(self) -> Mismatch | None:
        return self.mismatches[0] if self.mismatches else None

    def __str__(self) -> str:
        if self.ok:
            if self.checked == 1:
                return "The number agrees with the step."
            return f"All {self.checked} numbers agree with the step."
        lines = [f"{self.checked - len(self.mismatches)} of {self.checked} numbers agree; "
                 f"the first wrong one, in the order the step computes them:",
                 f"  {self.first}"]
        if len(self.mismatches) > 1:
            rest = ", ".join(m.field for m in self.mismatches[1:])
            lines.append(f"Also wrong (often following from the first): {rest}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "checked": self.checked,
                "mismatches": [vars(m).copy() for m in self.mismatches]}


def parse_answers(text: str, source: str = "answers") -> dict:
    """JSON text → answers whose numbers keep the digits they were written with."""
    try:
        answers = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except ValueError as err:
        raise ValueError(f"{source} is not JSON: {err}") from None
    if not isinstance(answers, dict):
        raise ValueError(f"{source} must be a JSON object in the layout of "
                         "--format json, not a JSON " + type(answers).__name__)
    return answers


def check(trace, answers: dict) -> CheckResult:
    """Compare ``answers`` (see the module) with ``trace``; ``ValueError`` naming the
    field when one does not exist or does not fit the network."""
    if not isinstance(answers, dict):
        raise TypeError(f"answers must be a dict in the layout of Trace.to_dict(), not "
                        f"{type(answers).__name__}")
    given = {}  # (order, field name) → (Decimal given, expected value, slips)
    for key, value in answers.items():
        if key in _IGNORED:
            continue
        if key in _INPUTS:
            _same_step(trace, key, value)
        elif key == "loss":
            _add(given, trace, ("loss",), "loss", value)
        elif key in ("y_hat", "dloss_dyhat"):
            L = trace.arch.n_layers
            f = "a" if key == "y_hat" else "dloss_da"
            for (r, j), v in _cells(value, (trace.n_samples, trace.arch.sizes[-1]), key):
                _add(given, trace, ("node", L, j, f, r), f"{key}[{r}][{j}]", v)
        elif key == "nodes":
            _nodes(given, trace, _mapping(value, "nodes"))
        elif key == "edges":
            _edges(given, trace, _mapping(value, "edges"))
        elif key == "layers":
            _layers(given, trace, value)
        else:
            raise ValueError(f"answers: no field {key!r}; the fields are loss, y_hat, "
                             "dloss_dyhat, nodes, edges and layers (as --format json)")
    mismatches = []
    for (_order, name), (number, expected, candidates) in sorted(given.items()):
        tol = _tolerance(number, expected)
        g = float(number)
        if abs(g - expected) < tol or (math.isnan(expected) and math.isnan(g)):
            continue
        slip = next((text for text, value in candidates() if abs(g - value) < tol), None)
        mismatches.append(Mismatch(name, g, expected, tol, slip))
    return CheckResult(len(given), mismatches)


# ------------------------------------------------------------------ reading the answers
def _mapping(value, name):
    if not isinstance(value, dict):
        raise ValueError(f"answers: {name} must be an object of names, not "
                         f"{type(value).__name__}")
    return value


def _number(value, name) -> Decimal:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, Decimal)):
        raise ValueError(f"answers: {name} must be a number, got {value!r}")
    try:  # a float's digits: its shortest repr (0.1 → 1 decimal)
        number = value if isinstance(value, Decimal) else Decimal(
            repr(int(value) if isinstance(value, numbers.Integral) else float(value)))
    except InvalidOperation:
        raise ValueError(f"answers: {name} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"answers: {name} must be a finite number, got {value!r}")
    return number


def _tolerance(number: Decimal, expected: float) -> float:
    """One unit of the last digit written (at least float64's rounding of the value)."""
    return max(10.0 ** number.as_tuple().exponent, 1e-12 * abs(expected))


def _cells(value, shape, name):
    """((index…), number) of a nested list of ``shape`` (a one-sample array may be
    given without its sample axis: [0.5] for [[0.5]])."""
    arr = value
    if len(shape) == 2 and shape[0] == 1 and isinstance(value, list) and value \
            and not isinstance(value[0], list):
        arr = [value]
    try:
        dims = np.shape(np.array(arr, dtype=object))
    except ValueError:
        dims = None
    if dims != tuple(shape):
        raise ValueError(f"answers: {name} has shape {dims}, the network's is {tuple(shape)}")
    for index in np.ndindex(*shape):
        cell = arr
        for i in index:
            cell = cell[i]
        yield index, _number(cell, f"{name}{''.join(f'[{i}]' for i in index)}")


def _plain(value):
    """JSON as parsed here (numbers as Decimal) → plain Python, numbers as float."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return float(value) if isinstance(value, Decimal) else value


def _same_step(trace, key, value):
    ours = trace.to_dict()[key]
    if key in ("names", "network"):
        same = _plain(value) == ours
    else:
        try:
            same = np.allclose(np.array(value, dtype=float), np.array(ours, dtype=float),
                               rtol=1e-12, atol=0)
        except (TypeError, ValueError):
            same = False
    if not same:
        raise ValueError(f"answers: {key} is {value!r}, but this step's is {ours!r}: "
                         "the answers are for another step")


def _key_error(lookup, name) -> str:
    """The message of the KeyError ``lookup(name)`` raises (it names what exists)."""
    try:
        lookup(name)
    except KeyError as err:
        return str(err.args[0])
    return ""  # pragma: no cover - called only for names that do not exist


def _same_layer(value, layer, name):
    if value != layer:
        raise ValueError(f"answers: {name}.layer is {value!r}, but it is in layer {layer} "
                         "of this network: the answers are for another network")


def _fields(trace, kind: str, name: str, fields, layer: int, allowed, per_optimizer, rule):
    """The (field, value) pairs of one node's or edge's answers, each field checked to
    exist (``allowed``), ``layer`` to be the node's or edge's, and the optimizer's own
    fields (``per_optimizer``) refused for a gradient-descent step (whose ``rule`` is
    shown)."""
    for f, value in _mapping(fields, f"{kind}.{name}").items():
        if f == "layer":
            _same_layer(value, layer, f"{kind}.{name}")
            continue
        if f not in allowed:
            what = "a node's" if kind == "nodes" else "an edge's"
            raise ValueError(f"answers: {kind}.{name} has no field {f!r}; {what} fields are "
                             f"{', '.join(allowed)}")
        if f in per_optimizer and trace.optimizer is None:
            raise ValueError(f"answers: {kind}.{name}.{f}: a gradient-descent step has no "
                             f"optimizer state or step of its own ({rule})")
        yield f, value


def _nodes(given, trace, nodes):
    for name, fields in nodes.items():
        if name not in trace.node_positions:
            raise ValueError(f"answers: nodes.{name}: {_key_error(trace.node, name)}")
        k, j = trace.node_positions[name]
        for f, value in _fields(trace, "nodes", name, fields, k, _NODE_FIELDS,
                                ("bias_state", "bias_step"), "new = b − η·grad"):
            if f not in trace.node(name):
                raise ValueError(f"answers: nodes.{name}.{f} does not exist in this "
                                 "network (an input has only a; no biases: no bias fields)")
            if f == "bias_state":
                for buffer, v in _state_fields(value, trace, f"nodes.{name}.{f}"):
                    _add(given, trace, ("bias", k, j, f, buffer), f"nodes.{name}.{f}.{buffer}",
                         v)
                continue
            if "bias" in f:
                _add(given, trace, ("bias", k, j, f), f"nodes.{name}.{f}", value)
                continue
            per_sample = value if trace.n_samples > 1 else [value]
            for (r,), v in _cells(per_sample, (trace.n_samples,), f"nodes.{name}.{f}"):
                label = f"nodes.{name}.{f}" + (f"[{r}]" if trace.n_samples > 1 else "")
                _add(given, trace, ("node", k, j, f, r), label, v)


def _edges(given, trace, edges):
    for name, fields in edges.items():
        if name not in trace.edge_positions:
            raise ValueError(f"answers: edges.{name}: {_key_error(trace.edge, name)}")
        li, i, j = trace.edge_positions[name]
        for f, value in _fields(trace, "edges", name, fields, li, _EDGE_FIELDS,
                                ("state", "step"), "new = w − η·grad"):
            if f == "state":
                for buffer, v in _state_fields(value, trace, f"edges.{name}.state"):
                    _add(given, trace, ("edge", li, i, j, f, buffer),
                         f"edges.{name}.state.{buffer}", v)
                continue
            _add(given, trace, ("edge", li, i, j, f), f"edges.{name}.{f}", value)


def _state_fields(value, trace, name):
    """(buffer, number) of an answer's optimizer state ``{"exp_avg": …}``."""
    if trace.optimizer is None:
        raise ValueError(f"answers: {name}: a gradient-descent step has no optimizer state")
    for buffer, v in _mapping(value, name).items():
        if buffer not in trace.state:
            kept = f"its buffers are {', '.join(trace.state)}" if trace.state else \
                "it keeps no state"
            raise ValueError(f"answers: {name} has no buffer {buffer!r}: "
                             f"{trace.optimizer!r} {kept}")
        yield buffer, v


def _rule_order(trace, buffer) -> list:
    """Where an optimizer's state buffer comes in its rule (``Optimizer.symbols``)."""
    return [list(type(trace.optimizer).symbols).index(buffer)] if buffer else []


def _layers(given, trace, layers):
    n = trace.arch.n_layers
    if not isinstance(layers, list) or len(layers) > n:
        raise ValueError(f"answers: layers must be a list of at most {n} objects, one per "
                         "weight layer")
    sizes, rows = trace.arch.sizes, trace.n_samples
    for li, entry in enumerate(layers):
        for key, value in _mapping(entry or {}, f"layers[{li}]").items():
            if key not in _LAYER_FIELDS:
                raise ValueError(f"answers: layers[{li}] has no field {key!r}; the fields are "
                                 f"{', '.join(_LAYER_FIELDS)}")
            where, f = _LAYER_FIELDS[key]
            if value is None:
                continue
            if where == "bias" and not trace.biases:
                raise ValueError(f"answers: layers[{li}].{key}: this network has no biases")
            if where == "out" and f == "fprime" and trace.fprime[li] is None:
                raise ValueError(f"answers: layers[{li}].fprime: softmax has no f′ per node")
            shape = {"in": (rows, sizes[li]), "out": (rows, sizes[li + 1]),
                     "edge": (sizes[li], sizes[li + 1]), "bias": (sizes[li + 1],)}[where]
            for index, v in _cells(value, shape, f"layers[{li}].{key}"):
                label = f"layers[{li}].{key}" + "".join(f"[{i}]" for i in index)
                if where == "edge":
                    _add(given, trace, ("edge", li, *index, f), label, v)
                elif where == "bias":
                    _add(given, trace, ("bias", li + 1, index[0], f), label, v)
                else:
                    r, j = index
                    if where == "in" and li == 0:
                        continue  # the inputs x: compared as the step's x, not answered
                    k = li if where == "in" else li + 1
                    _add(given, trace, ("node", k, j, f, r), label, v)


# ------------------------------------------------------------- the step's own numbers
def _add(given, trace, key, label, value):
    number = _number(value, label)
    order, expected, slips = _quantity(trace, key)
    given[(order, label)] = (number, expected, slips)


def _quantity(trace, key):
    """(place in the step's order, the step's value, the slips to try) of one number."""
    L = trace.arch.n_layers
    if key[0] == "loss":
        return (1,), float(trace.loss), lambda: slips.loss_slips(trace)
    if key[0] == "node":
        _, k, j, f, r = key
        if f in _FORWARD:
            value = (trace.x if k == 0 else (trace.z if f == "z" else trace.a)[k - 1])[r, j]
            return (0, k, _FORWARD.index(f), j, r), float(value), \
                lambda: slips.forward_slips(trace, k, j, f, r)
        arrays = {"dloss_da": trace.dloss_da, "fprime": trace.fprime, "delta": trace.deltas}
        value = float(arrays[f][k - 1][r, j])
        return (2, L - k, _BACKWARD.index(f), j, r), value, \
            lambda: slips.delta_slips(trace, k, j, r, value) if f == "delta" else \
            slips.factor_slips(value, trace)
    if key[0] == "bias":
        _, k, j, f, *buffer = key
        if f == "bias_state":
            value = trace.parameter_state(1, k - 1, j)[buffer[0]]
        else:
            value = float(trace.node(trace.names[k][j])[f])
        order = (-1, k, j) if f == "bias" else \
            (2, L - k, _BIAS_ORDER[f], -1, j, *_rule_order(trace, buffer and buffer[0]))
        return order, value, lambda: slips.weight_slips(trace, k - 1, None, j, f)
    _, li, i, j, f, *buffer = key
    if f == "state":
        value = trace.parameter_state(0, li, (i, j))[buffer[0]]
    else:
        value = float(trace.edge(edge_name(trace.names[li][i], trace.names[li + 1][j]))[f])
    order = (-1, li + 1, i, j) if f == "weight" else \
        (2, L - li - 1, 3 + _EDGE_FIELDS.index(f) - 1, i, j,
         *_rule_order(trace, buffer and buffer[0]))
    return order, value, lambda: slips.weight_slips(trace, li, i, j, f)
