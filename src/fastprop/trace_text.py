"""A ``Trace`` written out: as text that reads like a worked example, and as markdown.

``Trace.format``, ``str(trace)`` and ``Trace.to_markdown`` call ``render`` and
``markdown``; ``format_number`` is the number format every rendering shares.

>>> format_number(0.999993855, 5), format_number(1.5e-9, 5)
('0.99999', '1.5000e-09')
"""

from __future__ import annotations

import numpy as np

from ._names import edge_name, span
from .activations import ACTIVATIONS
from .losses import LOSSES


def format_number(v, d: int) -> str:
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


def check_digits(digits) -> int:
    """``digits`` of a rendering: an integer from 3 to 12, else a ValueError naming it."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 3 <= digits <= 12:
        raise ValueError(f"digits must be an integer from 3 to 12, got {digits!r}")
    return digits


class _Text:
    """Writes a trace as a worked example (forward, loss, backward, new weights)."""

    def __init__(self, t, d: int):
        self.t, self.d, self.one = t, d, t.n_samples == 1
        self.lines: list[str] = []
        #: (keys, line) of every line that computes a number: keys name the numbers,
        #: ("a", "C"), ("delta", "C"), ("grad", "CD"), ("new", "CD"), ("loss",), …
        self.keyed: list[tuple[tuple, str]] = []

    def f(self, v) -> str:
        return format_number(v, self.d)

    def p(self, v) -> str:  # a factor: negative numbers in parentheses
        s = self.f(v)
        return f"({s})" if s.startswith("-") else s

    def v(self, arr) -> str:  # one sample: a number; a batch: a short list
        arr = np.asarray(arr).ravel()
        if arr.size == 1:
            return self.f(arr[0])
        return f"[{', '.join(self.f(a) for a in arr[:6])}{', …' if arr.size > 6 else ''}]"

    def add(self, *lines: str, key=None) -> None:
        """Append ``lines``; with ``key`` (one key, or a list of them) also record them
        as the lines that compute those numbers."""
        self.lines.extend(lines)
        if key is not None:
            keys = tuple(key) if isinstance(key, list) else (key,)
            self.keyed.extend((keys, line.strip()) for line in lines)

    def header(self) -> None:
        t, names = self.t, self.t.names
        step = f"learning rate η = {self.f(t.lr)}" if t.optimizer is None else \
            f"optimizer {t.optimizer!r}, its step {t.optimizer.t}"
        self.add(f"One training step of {t.description}, {step} (computed, not applied)")
        if t.optimizer is not None:
            note = t.optimizer.step_note(self.f)
            self.add(f"  {type(t.optimizer).__name__}'s rule per parameter (g = ∂L/∂w) at "
                     f"step t = {t.optimizer.t}" + (f": {note}" if note else ""))
        roles = [f"inputs {span(names[0])}"] + \
            [f"hidden {span(ns)}" for ns in names[1:-1]] + [f"output {span(names[-1])}"]
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
        self.add("", "Forward pass")
        self.add("  " + ", ".join(f"{n} = {self.v(t.x[:, j])}" for j, n in enumerate(t.names[0])),
                 key=[("a", n) for n in t.names[0]])
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
                self.add(f"  {n}: z_{n} = {' + '.join(sym)}{filled} = {self.v(z)}",
                         key=("z", n))
                sym = ACTIVATIONS[act].symbol
                if act == "identity":
                    rhs = f"z_{n} = {self.v(a)}"
                elif ACTIVATIONS[act].derivative is None:  # of the whole row: softmax
                    rhs = f"{sym}(z)_{n} = {self.v(a)}"
                else:
                    arg = f" = {sym}({self.f(z[0])})" if self.one else ""
                    rhs = f"{sym}(z_{n}){arg} = {self.v(a)}"
                out = "   (output ŷ)" if k == len(t.names) - 1 else ""
                self.add(f"  {' ' * len(n)}  {n} = {rhs}{out}", key=("a", n))

    def loss(self) -> None:
        t, loss = self.t, LOSSES[self.t.arch.loss]
        self.add("")
        self.add(f"Loss ({loss.name}: {loss.reduction})", key=("loss",))
        if t.y.size == 1 and loss.one_value_text is not None:
            y, yh = t.y[0, 0], t.y_hat[0, 0]
            self.add("  " + loss.one_value_text.format(
                y=self.f(y), yh=self.f(yh), y1=self.f(1 - y), yh1=self.f(1 - yh),
                L=self.f(t.loss)), key=("loss",))
        else:
            self.add(f"  {loss.formula} = {self.f(t.loss)}", key=("loss",))
        if loss.note is not None:
            self.add(f"  {loss.note}", key=("loss",))

    def backward(self) -> None:
        rule = "w_new = w − η·∂L/∂w" if self.t.optimizer is None else \
            f"w_new by {type(self.t.optimizer).__name__}'s rule"
        self.add("", f"Backward pass (from the output back; δ = ∂L/∂z, ∂L/∂w = δ·input, "
                 f"{rule})")
        for k in range(len(self.t.names) - 1, 0, -1):
            for j, n in enumerate(self.t.names[k]):
                self.node_delta(k, j, n)
                self.incoming(k, j, n)

    def node_delta(self, k, j, n) -> None:
        t, pad, li = self.t, " " * (len(n) + 4), k - 1
        act, dlda, delta = t.arch.activations[li], t.dloss_da[li][:, j], t.deltas[li][:, j]
        last, loss = k == len(t.names) - 1, LOSSES[t.arch.loss]
        count = t.y.size if loss.per_output else t.n_samples  # the mean's divisor
        if last:
            one, several = loss.dyhat_text
            form = one if count == 1 else several
            self.add(f"  {n}: ∂L/∂{n} = {form.format(n=n, per=f'/{count}')} = "
                     f"{self.v(dlda)}", key=("dloss_da", n))
        else:
            nxt = t.names[k + 1]
            sym = " + ".join(f"δ_{m}·{edge_name(n, m)}" for m in nxt) if len(nxt) <= 4 \
                else f"Σ δ·w over {span(nxt)}"
            num = " = " + " + ".join(f"{self.p(t.deltas[k][0, i])}×{self.p(t.weights[k][j, i])}"
                                     for i in range(len(nxt))) \
                if self.one and len(nxt) <= 4 else ""
            self.add(f"  {n}: ∂L/∂{n} = {sym}{num} = {self.v(dlda)}", key=("dloss_da", n))
        if t.fprime[li] is not None:
            f = ACTIVATIONS[act]
            form = f.derivative_text.format(n=n, s=self.f(t.arch.leaky_slope))
            self.add(f"{pad}∂{n}/∂z_{n} = {f.symbol}′(z_{n}) = {form} = "
                     f"{self.v(t.fprime[li][:, j])}", key=("fprime", n))
        lhs = f"{pad}δ_{n} = ∂L/∂z_{n}"
        if last and loss.from_logit:
            form = f"{n} − y" if count == 1 else f"({n} − y)/{count}"
            num = f" = {self.f(t.y_hat[0, j])} − {self.f(t.y[0, j])}" if self.one else ""
            self.add(f"{lhs} = {form}{num} = {self.v(delta)}   (the chain "
                     f"∂L/∂{n}·∂{n}/∂z_{n} simplifies to this)", key=("delta", n))
        elif t.fprime[li] is None:
            self.add(f"{lhs} = {n}·(∂L/∂{n} − Σ ∂L/∂ŷ·ŷ) = {self.v(delta)}   (softmax)",
                     key=("delta", n))
        else:
            num = f" = {self.p(dlda[0])}×{self.p(t.fprime[li][0, j])}" if self.one else ""
            self.add(f"{lhs} = ∂L/∂{n}·∂{n}/∂z_{n}{num} = {self.v(delta)}", key=("delta", n))

    def incoming(self, k, j, n) -> None:
        t, li, pad, eta = self.t, k - 1, " " * (len(n) + 4), self.f(self.t.lr)
        for i, s in enumerate(t.names[li]):
            e = edge_name(s, n)
            g, w, new = t.grad_weights[li][i, j], t.weights[li][i, j], t.new_weights[li][i, j]
            num = f" = {self.p(t.deltas[li][0, j])}×{self.p(t.inputs[li][0, i])}" \
                if self.one else ""
            how = f"δ_{n}·{s}" if self.one else f"Σ δ_{n}·{s} over the batch"
            self.add(f"{pad}{e}: ∂L/∂{e} = {how}{num} = {self.f(g)}", key=("grad", e))
            inner = f"{pad}{' ' * len(e)}  "
            if t.optimizer is None:
                self.add(f"{inner}{e}_new = {e} − η·∂L/∂{e} = {self.f(w)} − {eta}×"
                         f"{self.p(g)} = {self.f(new)}", key=("new", e))
            else:
                self.add(*(inner + line for line in self.rule(e, 0, li, (i, j), w, g, new)),
                         key=("new", e))
        if t.biases:
            b, g, new = t.biases[li][j], t.grad_biases[li][j], t.new_biases[li][j]
            how = f"δ_{n}" if self.one else f"Σ δ_{n} over the batch"
            if t.optimizer is None:
                self.add(f"{pad}b_{n}: ∂L/∂b_{n} = {how} = {self.f(g)}", key=("grad_bias", n))
                self.add(f"{pad}{' ' * (len(n) + 2)}  b_{n}_new = b_{n} − η·∂L/∂b_{n} = "
                         f"{self.f(b)} − {eta}×{self.p(g)} = {self.f(new)}",
                         key=("new_bias", n))
            else:
                self.add(f"{pad}b_{n}: ∂L/∂b_{n} = {how} = {self.f(g)}", key=("grad_bias", n))
                self.add(*(f"{pad}{' ' * (len(n) + 2)}  {line}"
                           for line in self.rule(f"b_{n}", 1, li, j, b, g, new)),
                         key=("new_bias", n))

    def rule(self, name, part, layer, index, w, g, new) -> list[str]:
        """The optimizer's step of one parameter, formula by formula
        (``Optimizer.explain``); ``part`` 0: a weight, 1: a bias."""
        t = self.t
        return t.optimizer.explain(
            name, float(w), float(g), t.parameter_state(part, layer, index, before=True),
            t.parameter_state(part, layer, index), float(new), self.f, self.p)

    def after(self) -> None:
        t = self.t
        items = [f"{e} = {self.f(t.new_weights[k][i, j])}"
                 for e, (k, i, j) in t.edge_positions.items()]
        for k, b in enumerate(t.new_biases):
            items += [f"b_{n} = {self.f(v)}" for n, v in zip(t.names[k + 1], b, strict=True)]
        self.add("", "After the step (not applied to the network):")
        self.add(*("  " + ", ".join(items[s:s + 6]) for s in range(0, len(items), 6)))

    def summary(self) -> None:
        t = self.t
        self.add("", f"Loss ({t.arch.loss}): {LOSSES[t.arch.loss].formula} = {self.f(t.loss)}",
                 "", "Per layer (rms = root mean square over the layer's entries):")
        for li in range(t.arch.n_layers):
            gW, W, z, act = t.grad_weights[li], t.weights[li], t.z[li], t.arch.activations[li]
            i, j = np.unravel_index(np.argmax(np.abs(gW)), gW.shape)
            rms = [float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))
                   for a in (t.deltas[li], gW, W, t.new_weights[li] - W)]
            dead = f"; units never active: {int((t.a[li] == 0).all(axis=0).sum())} of " \
                f"{z.shape[1]}" if act == "relu" else ""
            self.add(f"  layer {li + 1}: {span(t.names[li])} → {span(t.names[li + 1])} "
                     f"({act}); z in [{self.f(z.min())}, {self.f(z.max())}]{dead}",
                     f"    rms δ {self.f(rms[0])}; rms ∂L/∂w {self.f(rms[1])}, largest "
                     f"|∂L/∂w| {self.f(abs(gW[i, j]))} at "
                     f"{edge_name(t.names[li][i], t.names[li + 1][j])}; the step changes the "
                     f"weights by {self.f(rms[3] / max(rms[2], 1e-300))} of their rms")


def render(t, digits: int, detail: str) -> str:
    """The trace as text (see ``Trace.format``)."""
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


def markdown(t, digits: int, max_rows: int) -> str:
    """The trace as markdown tables (see ``Trace.to_markdown``)."""
    w = _Text(t, digits)
    how = f"η = {w.f(t.lr)}" if t.optimizer is None else \
        f"`{t.optimizer!r}` at step t = {t.optimizer.t}"
    out = [f"**One training step** of `{t.description}`, {how}, "
           f"{t.n_samples} sample(s): loss ({t.arch.loss}) L = {w.f(t.loss)}", "",
           "| node | layer | z | a | ∂L/∂a | δ = ∂L/∂z |", "|---|---|---|---|---|---|"]
    rows = [f"| {n} | input | | {w.v(t.x[:, j])} | | |" for j, n in enumerate(t.names[0])]
    for li in range(t.arch.n_layers):
        rows += [f"| {n} | {li + 1} | {w.v(t.z[li][:, j])} | {w.v(t.a[li][:, j])} | "
                 f"{w.v(t.dloss_da[li][:, j])} | {w.v(t.deltas[li][:, j])} |"
                 for j, n in enumerate(t.names[li + 1])]
    out += _capped(rows, max_rows)
    # with an optimizer: its state after the step (one column per buffer) and the step
    buffers = list(t.state)
    symbols = {} if t.optimizer is None else type(t.optimizer).symbols
    extra = "".join(f" {symbols.get(b, b)} ({b}) |" for b in buffers) + \
        (" step |" if t.optimizer is not None else "")
    rule = "---|" * (len(buffers) + (t.optimizer is not None))

    def cells(part, k, index, old, new):
        state = t.parameter_state(part, k, index)
        return "".join(f" {w.f(state[b])} |" for b in buffers) + \
            (f" {w.f(new - old)} |" if t.optimizer is not None else "")

    out += ["", f"| edge | w | ∂L/∂w |{extra} w after the step |", f"|---|---|---|{rule}---|"]
    out += _capped([f"| {e} | {w.f(t.weights[k][i, j])} | {w.f(t.grad_weights[k][i, j])} |"
                    f"{cells(0, k, (i, j), t.weights[k][i, j], t.new_weights[k][i, j])} "
                    f"{w.f(t.new_weights[k][i, j])} |"
                    for e, (k, i, j) in t.edge_positions.items()], max_rows)
    if t.biases:
        out += ["", f"| bias | b | ∂L/∂b |{extra} b after the step |",
                f"|---|---|---|{rule}---|"]
        out += _capped([f"| b_{n} | {w.f(t.biases[k][j])} | {w.f(t.grad_biases[k][j])} |"
                        f"{cells(1, k, j, t.biases[k][j], t.new_biases[k][j])} "
                        f"{w.f(t.new_biases[k][j])} |" for k in range(t.arch.n_layers)
                        for j, n in enumerate(t.names[k + 1])], max_rows)
    return "\n".join(out) + "\n"


def _capped(rows: list[str], max_rows: int) -> list[str]:
    if len(rows) <= max_rows:
        return rows
    return rows[:max_rows] + [f"| … {len(rows) - max_rows} more rows | | | |"]
