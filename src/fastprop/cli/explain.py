"""``fastprop explain``: one training step, printed like a worked example.

A built-in worked example (``--example``, ``--list``) or your own network (``--sizes``,
``--weights``, ``--x``, ``--y``), printed as text, markdown or JSON, and for the worked
examples compared number by number with the text they come from; or, with ``--check
answers.json``, a learner's own numbers for the step checked against it
(``fastprop.trace_check``). ``--optimizer`` and ``--steps`` trace several steps of any
optimizer, its state formula by formula.
"""

from __future__ import annotations

import json
import os
import textwrap

import numpy as np

from ._common import UsageError, parse_sizes

#: For each worked example: the text's quantities (``WorkedExample.text_values``) and
#: where the trace holds them ("node.field", "edge.field" or "loss").
TEXT_QUANTITIES = {
    "three-inputs-relu-sigmoid-bce": {"D": "D.a", "E": "E.a", "F": "F.a",
                                      "EF_new": "EF.new"},
    "two-inputs-sigmoid-mse": {
        "z_h": "C.z", "h": "C.a", "y_hat": "D.a", "L": "loss", "delta_out": "D.delta",
        "dw3": "CD.grad", "delta_h": "C.delta", "dw1": "AC.grad", "dw2": "BC.grad",
        "w1": "AC.new", "w2": "BC.new", "w3": "CD.new"},
    "one-input-sigmoid-bce": {
        "a_h": "B.a", "y_hat": "C.a", "L": "loss", "delta_out": "C.delta", "dw_o": "BC.grad",
        "da_h_dz_h": "B.fprime", "dw_h": "AB.grad", "w_o": "BC.new", "w_h": "AB.new"},
}


def _numbers(text: str, name: str, rows: bool = False):
    """"1,2,3" → [1., 2., 3.]; with ``rows``, "1,2;3,4" → [[1., 2.], [3., 4.]]."""
    try:
        parts = [[float(v) for v in row.split(",")] for row in text.split(";")]
    except ValueError:
        raise UsageError(f"{name} must be numbers separated by commas, got {text!r}") from None
    if not rows:
        return [v for row in parts for v in row]
    if len({len(row) for row in parts}) != 1:
        raise UsageError(f"{name}: every row (separated by ';') needs the same length")
    return parts


def _explain(args) -> int:
    from .. import examples

    if args.list:
        for name in examples.names():
            print(f"{name:32s} {examples.get(name).title}")
        return 0
    if not 3 <= args.digits <= 12:
        raise UsageError(f"--digits must be from 3 to 12, got {args.digits}")
    if args.png:
        _need_matplotlib("--png")
    if args.html:  # a path that cannot be written is refused before any work
        from .._files import target_of

        try:
            target_of(args.html, "--html")
        except (TypeError, ValueError) as err:
            raise UsageError(str(err)) from None
    if args.example:
        given = [f"--{name.replace('_', '-')}" for name in _OWN_NETWORK
                 if getattr(args, name) not in (None, False)]
        if given:
            raise UsageError(f"fastprop explain: error: --example {args.example} runs the "
                             f"example's own network and step; {', '.join(given)} "
                             "describe your own network (use --sizes, --x and --y)")
        ex = examples.get(args.example)
        net = ex.network(engine=args.engine)
        trace = _trace(net, ex.x, ex.y, ex.lr, args)
    else:
        net, trace = _custom_trace(args)
    texts_step = args.example and args.steps == 1 and args.optimizer is None and \
        args.lr is None
    if args.check:
        status = _check(trace, args)
        _pictures(net, trace, args)
        return status
    if args.format == "json":
        print(json.dumps(trace.to_dict(), indent=1, ensure_ascii=False))
    elif args.format == "markdown":
        print(trace.to_markdown(args.digits))
    else:
        if args.example:
            print(f"Worked example {ex.name}: {ex.title}\n")
        print(trace.format(args.digits))
        if texts_step:
            _compare_with_text(ex, trace)
    _pictures(net, trace, args)
    return 0


def _pictures(net, trace, args) -> None:
    """``--html`` and ``--png``; what they wrote is said on stderr when stdout is JSON."""
    import sys

    say = sys.stderr if args.format == "json" else sys.stdout
    if args.html:
        _write_page(trace, args.html, args.digits)
        print(f"\nwrote the page to {os.path.abspath(args.html)} (open it in a browser)",
              file=say)
    if args.png:
        net.draw(args.png, trace=trace.steps[-1])
        print(f"\nwrote the network diagram to {os.path.abspath(args.png)}", file=say)


def _write_page(trace, path: str, digits: int) -> None:
    """``--html PATH``: the page, written whole or not at all (a file already there is
    replaced only once the new one is complete)."""
    from .._files import atomic_write

    page = trace.to_html(digits).encode("utf-8")
    try:
        atomic_write(path, lambda fh: fh.write(page), "--html")
    except (OSError, ValueError) as err:
        raise UsageError(f"--html: cannot write {path!r}: "
                         f"{getattr(err, 'strerror', None) or err}") from None


def _check(trace, args) -> int:
    """``--check PATH``: the learner's numbers against the step; 0 when all agree, 1 when
    one does not (as diff), 2 when the answers file cannot be read or does not fit."""
    from ..trace_check import parse_answers

    path = args.check
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"--check: cannot read {path!r}: {err}") from None
    try:
        result = trace.check(parse_answers(text))
    except ValueError as err:
        raise UsageError(f"--check {path!r}: {err}") from None
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=1, ensure_ascii=False))
    else:
        print(result)
    return 0 if result.ok else 1


#: The options that describe a network of one's own (refused with --example).
_OWN_NETWORK = ("sizes", "weights", "biases", "x", "y", "activation", "output", "loss",
                "no_bias", "seed")

#: ``--optimizer`` names: every optimizer by its name, and SGD with momentum 0.9.
OPTIMIZER_CHOICES = ("sgd", "sgd-momentum", "adam", "adamw", "rmsprop", "adagrad")


def _trace(net, x, y, lr, args):
    """The step(s) the options ask for: gradient descent at ``lr`` (``--lr`` overrides
    it), or ``--optimizer`` at that rate; ``--steps`` of them on ``--batch-size`` rows."""
    from ..optim import SGD, by_name

    lr = lr if args.lr is None else args.lr
    if args.steps < 1:
        raise UsageError(f"--steps must be >= 1, got {args.steps}")
    if args.batch_size is not None and args.batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.optimizer is None:
        return net.trace(x, y, lr, steps=args.steps, batch_size=args.batch_size)
    opt = SGD(lr, momentum=0.9) if args.optimizer == "sgd-momentum" else \
        by_name(args.optimizer, lr)
    return net.trace(x, y, optimizer=opt, steps=args.steps, batch_size=args.batch_size)


def _need_matplotlib(option: str) -> None:
    """Refuse ``option`` before any work when matplotlib, which it needs, is missing."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError(f"{option} needs matplotlib, which is not installed: "
                         "pip install 'fastprop-mlp[plot]'")


def _custom_trace(args):
    from ..network import Network

    if not args.sizes or args.x is None or args.y is None:
        raise UsageError("fastprop explain: error: give --example NAME (see --list), or "
                         "--sizes, --x and --y (and usually --weights) for your own network")
    sizes = parse_sizes(args.sizes, "--sizes")
    net = Network(sizes, activation=args.activation or "relu", output=args.output,
                  loss=args.loss or "bce", bias=not args.no_bias,
                  seed=0 if args.seed is None else args.seed, engine=args.engine)
    if args.weights is not None:
        net.set_weights(_layers(args.weights, "--weights", [W.shape for W in net.weights]))
    if args.biases is not None:
        net.set_weights(net.weights, _layers(args.biases, "--biases",
                                             [b.shape for b in net.biases]))
    x = np.array(_numbers(args.x, "--x", rows=True))
    y = np.array(_numbers(args.y, "--y", rows=True))
    if x.shape[0] == 1:  # one sample: x 1-D, y one value per output
        x, y = x[0], y[0]
    elif y.shape[1] == 1:
        y = y[:, 0]
    return net, _trace(net, x, y, 0.1, args)


def _layers(text, name, shapes):
    """Values for every layer, in the order of the edges (AC, BC, … layer by layer): all
    in one list, or one list per layer separated by ';'; one number sets them all."""
    values = _numbers(text, name)
    total = sum(int(np.prod(s)) for s in shapes)
    if len(values) == 1:
        values = values * total
    if len(values) != total:
        raise UsageError(f"{name} needs {total} numbers for layers of shapes "
                         f"{[tuple(s) for s in shapes]}, got {len(values)}")
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(np.reshape(values[start:start + size], shape))
        start += size
    return out


def _compare_with_text(ex, trace) -> None:
    print("\nCompared with the text (the hand-worked walk-through this example follows):")
    for key, where in TEXT_QUANTITIES.get(ex.name, {}).items():
        ours = _lookup(trace, where)
        text = ex.text_values.get(key)
        if text is None:
            print(f"  {key:10s} fastprop {ours:.16g}   (the text's shortcut, which leaves out "
                  "σ′, gives another number: see the note)")
            continue
        decimals = len(repr(float(text)).split(".")[1].rstrip("0"))
        verdict = "agrees" if abs(ours - text) < 10.0 ** -decimals else "DIFFERS"
        print(f"  {key:10s} text {text:<9g} fastprop {ours:<20.16g} {verdict} "
              f"(|difference| < {10.0 ** -decimals:g})")
    if ex.notes:
        print("\n" + textwrap.fill(f"Note: {ex.notes}", width=92))


def _lookup(trace, where: str) -> float:
    if where == "loss":
        return trace.loss
    name, field = where.split(".")
    if name in trace.node_positions:
        return trace.node(name)[field]
    return trace.edge(name)[field]
