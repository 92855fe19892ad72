"""Several training steps in a row: ``MultiStepTrace``, and ``make_trace``, which
computes one step (a ``Trace``) or several for ``Network.trace``.

>>> import fastprop as fp
>>> ex = fp.examples.get("one-input-sigmoid-bce")
>>> t = ex.network().trace(ex.x, ex.y, optimizer=fp.SGD(0.5, momentum=0.9), steps=4)
>>> [s.optimizer.t for s in t.steps], round(t.steps[-1].edge("BC")["new"], 5)
([1, 2, 3, 4], 1.92844)
"""

from __future__ import annotations

import copy

import numpy as np

from ._validation import check_float
from .engines.numpy_engine import NumpyEngine
from .trace import Trace
from .trace_check import CheckResult, Mismatch, _mapping, _plain, check
from .trace_text import format_number


class MultiStepTrace:
    """Several training steps in a row, computed and not applied: ``steps`` holds one
    ``Trace`` per step (each with every number of its step, ``step`` counting from 1),
    each starting from the parameters and optimizer state the one before left.

    ``losses`` are the losses before each step; ``new_weights`` and ``new_biases`` the
    parameters after the last; ``optimizer`` the optimizer after it (None for gradient
    descent). ``format``, ``to_markdown``, ``to_dict`` and ``check`` work step by step,
    as ``Trace``'s do for one.

    Examples
    --------
    >>> import fastprop as fp
    >>> ex = fp.examples.get("two-inputs-sigmoid-mse")
    >>> t = ex.network().trace(ex.x, ex.y, optimizer=fp.Adam(0.1), steps=3)
    >>> len(t.steps), [round(loss, 4) for loss in t.losses]
    (3, [0.1255, 0.1069, 0.0903])
    >>> round(t.steps[2].edge("CD")["state"]["exp_avg"], 5)
    -0.03092
    """

    def __init__(self, steps: list[Trace]):
        self.steps = steps
        last = steps[-1]
        self.arch, self.description, self.optimizer = last.arch, last.description, \
            last.optimizer
        self.new_weights, self.new_biases = last.new_weights, last.new_biases

    @property
    def losses(self) -> list[float]:
        return [float(step.loss) for step in self.steps]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __getitem__(self, index):
        return self.steps[index]

    def __repr__(self) -> str:
        how = f"lr={self.steps[0].lr:g}" if self.optimizer is None else repr(self.optimizer)
        return (f"MultiStepTrace({self.description}, {len(self)} steps, {how}, losses "
                f"{self.losses[0]:.6g} → {self.losses[-1]:.6g})")

    def check(self, answers: dict):
        """Compare a learner's numbers for these steps: ``answers`` as :meth:`to_dict`
        lays them out, ``{"steps": [{…step 1…}, {…step 2…}, …]}`` (any subset, as for
        ``Trace.check``; fields are named ``steps[k].…``). Step by step, the first wrong
        number comes first.

        Examples
        --------
        >>> import fastprop as fp
        >>> ex = fp.examples.get("one-input-sigmoid-bce")
        >>> t = ex.network().trace(ex.x, ex.y, lr=ex.lr, steps=2)
        >>> t.check({"steps": [{}, {"loss": round(t.losses[1], 3)}]}).ok
        True
        """
        return check_steps(self, answers)

    def format(self, digits: int = 5, detail: str = "auto") -> str:
        """Every step as ``Trace.format`` writes it, then the loss step by step."""
        parts = [f"{len(self)} training steps of {self.description} (computed, not applied)"]
        for step in self.steps:
            parts += ["", f"=== Step {step.step} of {len(self)} ===", step.format(digits, detail)]
        parts += ["", "Loss before each step: " + ", ".join(
            f"{k + 1}: {format_number(loss, digits)}" for k, loss in enumerate(self.losses))]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.format()

    def to_html(self, digits: int = 5) -> str:
        """One self-contained web page of every step (``fastprop.trace_html``)."""
        from .trace_html import page

        return page(self, digits)

    def to_markdown(self, digits: int = 5, max_rows: int = 200) -> str:
        """Markdown: one section per step (``Trace.to_markdown``)."""
        return "\n".join(f"### Step {step.step} of {len(self)}\n\n"
                         f"{step.to_markdown(digits, max_rows)}" for step in self.steps)

    def to_dict(self) -> dict:
        """Plain Python (JSON-ready): the network, ``losses`` and ``steps``, each step as
        ``Trace.to_dict`` gives it."""
        return {"network": self.arch.to_dict(), "description": self.description,
                "optimizer": None if self.optimizer is None else repr(self.optimizer),
                "n_steps": len(self), "losses": self.losses,
                "steps": [step.to_dict() for step in self.steps]}


def make_trace(arch, params, X, Y, lr: float | None, description: str,
               optimizer=None, steps: int = 1, batch_size: int | None = None):
    """``steps`` training steps (one by default) of the network ``arch`` with parameters
    ``params`` on the validated data (X, Y), computed by the reference engine and not
    applied: gradient descent at rate ``lr``, or ``optimizer``'s rule continuing from its
    current state (on a copy). Each step takes the next ``batch_size`` rows in order,
    starting again from the first row after the last (``fit`` with ``shuffle=False``;
    the last batch may be smaller); by default every step takes all of them.

    Returns a ``Trace`` for one step, a ``MultiStepTrace`` for more. ``Network.trace``
    calls this after checking its arguments; ``params`` is copied, never changed.

    Parameters
    ----------
    arch : fastprop.architecture.Architecture
    params : ndarray, the flat parameter buffer
    X, Y : ndarray, shape (n, n_inputs) and (n, n_outputs), in the parameters' dtype
    lr : float, > 0 (ignored with an optimizer)
    description : str
        How the trace names the network (``repr(net)``).
    optimizer, steps, batch_size : see ``Network.trace``

    Examples
    --------
    >>> import fastprop as fp
    >>> net = fp.examples.get("three-inputs-relu-sigmoid-bce").network()
    >>> t = net.trace([1, 2, 3], 0, lr=1.0)
    >>> round(t.node("F")["a"], 5), round(t.edge("EF")["new"], 5)
    (0.99999, -4.99996)
    """
    params, reference, traces = params.copy(), NumpyEngine(), []
    if optimizer is not None:
        optimizer = copy.deepcopy(optimizer)
        optimizer.bind(arch.n_params, arch.dtype, (arch.sizes, arch.bias))
        lr = optimizer.lr
    lr = check_float(lr, "lr", positive=True)
    n = X.shape[0]
    size = n if batch_size is None else min(batch_size, n)
    starts = list(range(0, n, size))
    for k in range(steps):
        start = starts[k % len(starts)]
        xb, yb = X[start:start + size], Y[start:start + size]
        grad = np.zeros_like(params)
        zs, acts = reference.forward(arch, params, xb)
        deltas = reference.backward(arch, params, zs, acts, yb, grad)
        before = None
        if optimizer is None:  # gradient descent: w − η·∂L/∂w
            new_params = params - lr * grad
        else:
            before = {name: buf.copy() for name, buf in optimizer.state.items()}
            new_params = params.copy()
            reference.update(optimizer, new_params, grad)
        traces.append(Trace(arch=arch, description=description, lr=lr, x=xb, y=yb, zs=zs,
                            acts=acts, deltas=deltas, params=params, grad=grad,
                            optimizer=None if optimizer is None else
                            copy.deepcopy(optimizer),
                            new_params=new_params, state_before=before, step=k + 1))
        params = new_params
    return traces[0] if steps == 1 else MultiStepTrace(traces)


def check_steps(trace, answers: dict) -> CheckResult:
    """Compare ``answers`` ``{"steps": [{…}, …]}`` with a ``MultiStepTrace`` step by step:
    every step's answers as ``check`` takes them, fields named ``steps[k].…``, the
    mismatches of step 1 first."""
    if not isinstance(answers, dict):
        raise TypeError(f"answers must be a dict in the layout of MultiStepTrace.to_dict(), "
                        f"not {type(answers).__name__}")
    unknown = sorted(set(answers) - {"steps", "network", "description", "optimizer",
                                     "n_steps", "losses"})
    if "network" in answers and _plain(answers["network"]) != trace.arch.to_dict():
        raise ValueError("answers: network is not this trace's network: the answers are "
                         "for another network")
    if "n_steps" in answers and answers["n_steps"] != len(trace.steps):
        raise ValueError(f"answers: n_steps is {answers['n_steps']}, but this trace has "
                         f"{len(trace.steps)} steps")
    if unknown:
        raise ValueError(f"answers: no field {unknown[0]!r}; the answers for several steps "
                         "are {\"steps\": [{…step 1…}, {…step 2…}, …]}")
    per_step = answers.get("steps", [])
    if not isinstance(per_step, list) or len(per_step) > len(trace.steps):
        raise ValueError(f"answers: steps must be a list of at most {len(trace.steps)} "
                         "objects, one per step")
    per_step = [dict(_mapping(given or {}, f"steps[{k}]")) for k, given in
                enumerate(per_step)]
    losses = answers.get("losses", [])
    if not isinstance(losses, list) or len(losses) > len(trace.steps):
        raise ValueError(f"answers: losses must be a list of at most {len(trace.steps)} "
                         "numbers, the loss before each step")
    per_step += [{} for _ in range(len(losses) - len(per_step))]
    for k, loss in enumerate(losses):  # losses[k] answers steps[k].loss
        if loss is not None:
            per_step[k].setdefault("loss", loss)
    checked, mismatches = 0, []
    for k, (step, given) in enumerate(zip(trace.steps, per_step)):
        try:
            result = check(step, given)
        except ValueError as err:
            raise ValueError(str(err).replace("answers: ", f"answers: steps[{k}].", 1)) \
                from None
        checked += result.checked
        mismatches += [Mismatch(f"steps[{k}].{m.field}", m.given, m.expected, m.tolerance,
                                m.slip) for m in result.mismatches]
    return CheckResult(checked, mismatches)
