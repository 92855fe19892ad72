"""The ``fastprop`` command line: demo, explain, train, predict, info, bench.

Every error is one line on stderr and a non-zero exit status (2 for bad arguments, 1 for
bad data or files), never a traceback. ``main(argv)`` returns the status instead of
exiting, so it can be called from Python.

>>> from fastprop.cli import main
>>> main(["explain", "--list"])  # doctest: +ELLIPSIS
three-inputs-relu-sigmoid-bce ...
0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import time

import numpy as np

from ._version import __version__
from .io import ModelFileError

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


class UsageError(Exception):
    """Bad command-line arguments (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


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


def _sizes(text: str, name: str, allow_empty: bool = False) -> list[int]:
    if allow_empty and text.strip().lower() in ("", "none", "0"):
        return []
    try:
        sizes = [int(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{name} must be integers separated by commas, like 64,64; "
                         f"got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise UsageError(f"{name} must be positive, got {text!r}")
    return sizes


# ----------------------------------------------------------------------- explain
def _explain(args) -> int:
    from . import examples

    if args.list:
        for name in examples.names():
            print(f"{name:32s} {examples.get(name).title}")
        return 0
    if args.example:
        ex = examples.get(args.example)
        net = ex.network(engine=args.engine)
        trace = net.trace(ex.x, ex.y, ex.lr)
    else:
        net, trace = _custom_trace(args)
    if args.format == "json":
        print(json.dumps(trace.to_dict(), indent=1, ensure_ascii=False))
    elif args.format == "markdown":
        print(trace.to_markdown(args.digits))
    else:
        if args.example:
            print(f"Worked example {ex.name}: {ex.title}  (text: {ex.source})\n")
        print(trace.format(args.digits))
        if args.example:
            _compare_with_text(ex, trace)
    if args.png:
        net.draw(args.png, trace=trace)
        print(f"\nwrote the network diagram to {os.path.abspath(args.png)}")
    return 0


def _custom_trace(args):
    from .network import Network

    if not args.sizes or args.x is None or args.y is None:
        raise UsageError("fastprop explain: error: give --example NAME (see --list), or "
                         "--sizes, --x and --y (and usually --weights) for your own network")
    sizes = _sizes(args.sizes, "--sizes")
    net = Network(sizes, activation=args.activation, output=args.output, loss=args.loss,
                  bias=not args.no_bias, seed=args.seed, engine=args.engine)
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
    return net, net.trace(x, y, args.lr)


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
    print(f"\nCompared with the text ({ex.source}):")
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
    if name in trace._nodes:
        return trace.node(name)[field]
    return trace.edge(name)[field]


# -------------------------------------------------------------------------- demo
def _demo(args) -> int:
    from . import data, examples
    from .network import Network
    from .optim import Adam

    t0 = time.perf_counter()
    print(f"fastprop {__version__} demo: backpropagation step by step, then at speed "
          f"(engine: {args.engine})\n")
    _say("1. The three-input worked example (3 → 2 → 1, ReLU, sigmoid, every weight 1, no "
         "biases) learns the six-point rule 'y = 1 if the third number is positive'.\n")
    X, y = data.six_points()
    net = examples.get("three-inputs-relu-sigmoid-bce").network(engine=args.engine)
    print("The first training step (all six points in one batch, η = 0.1):\n")
    print(net.trace(X, y, lr=0.1))
    print("\n(The text's own single-point step: fastprop explain --example "
          "three-inputs-relu-sigmoid-bce)\n")
    net.fit(X, y, epochs=200, batch_size=6, lr=0.1, shuffle=False)
    y_hat = net.predict(X)[:, 0]
    for x, target, p in zip(X, y, y_hat, strict=True):
        print(f"  x = {'(' + ', '.join(f'{v:g}' for v in x) + ')':12s}  y = {target:g}  "
              f"ŷ = {p:.5f}")
    acc = net.evaluate(X, y)["accuracy"]
    print(f"After 200 steps: accuracy {acc:.2f} ({round(acc * len(y))} of {len(y)} points).")
    _symmetry_lesson(net, y, y_hat)
    _say("\n2. A larger network, [2, 32, 32, 1] with ReLU and Adam, on 600 two-moons points "
         "(noise 0.2, seed 0), a quarter of them held out.\n")
    Xm, ym = data.two_moons(600, noise=0.2, seed=0)
    big = Network([2, 32, 32, 1], activation="relu", loss="bce", seed=0, engine=args.engine)
    history = big.fit(Xm[:450], ym[:450], epochs=args.epochs, batch_size=32,
                      optimizer=Adam(0.01), validation_data=(Xm[450:], ym[450:]),
                      progress=args.progress)
    train, test = big.evaluate(Xm[:450], ym[:450]), big.evaluate(Xm[450:], ym[450:])
    print(f"{len(history.loss)} epochs: training loss {train['loss']:.4f}, accuracy "
          f"{train['accuracy']:.3f}; held-out loss {test['loss']:.4f}, accuracy "
          f"{test['accuracy']:.3f}")
    val_loss = history.val_loss or []  # a list: validation_data was given
    best = int(np.argmin(val_loss))
    if val_loss[-1] > 1.2 * val_loss[best]:
        _say(f"The held-out loss was lowest ({val_loss[best]:.4f}) after epoch "
             f"{best + 1}; since then the network has been fitting the noise of its training "
             "points (overfitting): fewer epochs or weight decay would stop there.")
    _demo_pictures(args, history, big, Xm, ym)
    print(f"\nDone in {time.perf_counter() - t0:.1f} s.")
    return 0


def _say(text: str) -> None:
    print("\n".join(textwrap.fill(part, width=92) if part else part
                    for part in text.split("\n")))


def _symmetry_lesson(net, y, y_hat) -> None:
    W = net.weights[0]
    if not (np.array_equal(W[:, 0], W[:, 1]) and np.all(y_hat[y == 0] == 0.5)):
        return
    _say("Why do the negatives sit at exactly ŷ = 0.5? Every weight started at 1, so D and E "
         "compute the same thing and get the same gradient at every step: they stay identical "
         "forever (symmetry), and the network acts like one ReLU unit. Without a bias that "
         "unit outputs 0 for every negative point, so z_F = 0 and ŷ = σ(0) = 0.5: right by "
         "the 0.5 threshold, but not confident. Random initial weights break the symmetry, "
         "and biases let ŷ move away from 0.5.")


def _demo_pictures(args, history, big, X, y) -> None:
    if args.no_plots:
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib is not installed: no pictures (pip install fastprop[plot] to get "
              "them).")
        return
    from . import examples
    from .plotting import plot_decision_boundary

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    ex = examples.get("three-inputs-relu-sigmoid-bce")
    first = ex.network(engine=args.engine)
    files = {"moons-loss.png": lambda p: history.plot(p, title="Two moons: loss per epoch"),
             "moons-boundary.png": lambda p: plot_decision_boundary(big, X, y, path=p),
             "three-inputs-step.png": lambda p: first.draw(p, trace=first.trace(ex.x, ex.y,
                                                                                ex.lr))}
    for name, draw in files.items():
        draw(os.path.join(out, name))
    print(f"Pictures in {out}: {', '.join(files)}")


# ------------------------------------------------------------ train, predict, info
def _train(args) -> int:
    from .dataset import Dataset
    from .network import Network
    from .optim import SGD, Adam

    if not 0 <= args.val_split < 1:
        raise UsageError(f"--val-split must be in [0, 1), got {args.val_split}")
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):
        raise ValueError(f"-o {args.output}: directory {folder} does not exist")
    ds = Dataset.from_csv(args.csv, target=args.target, dtype=args.dtype)
    loss, n_out, why = _choose_loss(ds.y, args.loss)
    print(f"{args.csv}: {len(ds)} rows, {ds.n_features} features, target "
          f"{', '.join(ds.target_names or ())}; loss {loss} ({why})")
    hidden = _sizes(args.hidden, "--hidden", allow_empty=True)
    net = Network([ds.n_features, *hidden, n_out], activation=args.activation, loss=loss,
                  seed=args.seed, dtype=args.dtype, engine=args.engine)
    train, val = (ds, None) if args.val_split == 0 else ds.split(args.val_split, args.seed)
    lr = args.lr if args.lr is not None else (1e-3 if args.optimizer == "adam" else 0.01)
    optimizer = Adam(lr) if args.optimizer == "adam" else SGD(lr)
    start = time.perf_counter()
    history = net.fit(train, epochs=args.epochs, batch_size=args.batch_size,
                      optimizer=optimizer, seed=args.seed, validation_data=val,
                      progress=args.progress)
    seconds = time.perf_counter() - start
    net.save(args.output)
    parts = [f"train {_metrics(net.evaluate(train))}"]
    if val is not None:
        parts.append(f"validation {_metrics(net.evaluate(val))}")
    print(f"{net!r}: {' · '.join(parts)} · {len(history.loss)} epochs in {seconds:.1f} s "
          f"· saved {args.output}")
    if args.plot:
        history.plot(args.plot)
        print(f"loss curve: {args.plot}")
    return 0


def _choose_loss(y, loss):
    """The loss for these targets, the number of outputs, and why."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return loss or "mse", y.shape[1], f"{y.shape[1]} target columns"
    values = np.unique(y)
    integral = bool(np.all(values == np.round(values))) and values.min() >= 0
    if loss == "cross_entropy" or (loss is None and integral and 2 < len(values) <= 100):
        if not integral:
            raise ValueError("--loss cross_entropy needs class ids 0, 1, 2, … in the target")
        return "cross_entropy", int(values.max()) + 1, f"{len(values)} classes"
    if loss == "bce" or (loss is None and integral and values.max() <= 1):
        return "bce", 1, "targets 0/1"
    return loss or "mse", 1, "numeric target"


def _metrics(scores: dict) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in scores.items())


def _read_csv(path: str):
    """Header names (or None) and a 2-D float array from a numeric CSV file."""
    from .dataset import _is_number

    if not os.path.isfile(path):
        raise ValueError(f"{path!r} is not a file")
    with open(path, encoding="utf-8-sig") as fh:
        first = fh.readline()
    cells = [c.strip().strip('"') for c in first.strip().split(",")]
    header = not all(_is_number(c) for c in cells if c)
    try:
        rows = np.loadtxt(path, delimiter=",", skiprows=int(header), ndmin=2,
                          encoding="utf-8-sig")
    except ValueError as exc:
        raise ValueError(f"{path}: not a numeric CSV file ({exc})") from None
    if rows.size == 0:
        raise ValueError(f"{path}: no data rows")
    return (cells if header else None), rows


def _predict(args) -> int:
    from .dataset import Dataset
    from .io import load

    net = load(args.model, engine=args.engine)
    if args.target is not None:
        ds = Dataset.from_csv(args.csv, target=args.target, dtype=net.dtype.name)
        X, y = ds.X, ds.y
    else:
        X, y = _read_csv(args.csv)[1], None
    if X.shape[1] != net.sizes[0]:
        raise ValueError(f"{args.csv} has {X.shape[1]} feature columns but the model takes "
                         f"{net.sizes[0]}" + ("" if y is not None else
                                              " (use --target to leave out the target column)"))
    out = net.predict(X)
    if net.loss_name == "bce":
        names, cols = ["probability", "prediction"], [out[:, 0], (out[:, 0] > 0.5)]
    elif net.loss_name == "cross_entropy":
        names = [f"p_{k}" for k in range(out.shape[1])] + ["prediction"]
        cols = list(out.T) + [out.argmax(axis=1)]
    else:
        names = ["prediction"] if out.shape[1] == 1 else \
            [f"prediction_{k}" for k in range(out.shape[1])]
        cols = list(out.T)
    table = np.column_stack([np.asarray(c, dtype=np.float64) for c in cols])
    target = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        np.savetxt(target, table, delimiter=",", fmt="%.10g", header=",".join(names),
                   comments="")
    finally:
        if args.output:
            target.close()
    report = sys.stderr if not args.output else sys.stdout
    if args.output:
        print(f"wrote {len(table)} predictions to {args.output}", file=report)
    if y is not None:
        print(f"{args.csv}: {_metrics(net.evaluate(X, y))}", file=report)
    return 0


def _info(args) -> int:
    from .io import load

    net = load(args.model)
    with np.load(args.model, allow_pickle=False) as npz:
        meta = json.loads(str(npz["metadata"]))
    print(f"{args.model}: fastprop model, format {meta['format_version']}, written by "
          f"fastprop {meta.get('fastprop_version', '?')}")
    print(f"  {net!r}")
    layers = " → ".join([str(net.sizes[0])] + [f"{s} ({a})" for s, a in
                                                zip(net.sizes[1:], net.activations,
                                                    strict=True)])
    print(f"  layers: {layers}; loss {net.loss_name}; biases {'yes' if net.bias else 'no'}")
    print(f"  parameters: {net.n_params:,} {net.dtype.name} "
          f"({net.params.nbytes / 1024:.1f} KiB); epochs trained: {meta['epochs_trained']}; "
          f"seed: {meta['seed']}")
    for k, W in enumerate(net.weights):
        rms = float(np.sqrt(np.mean(np.square(W, dtype=np.float64))))
        print(f"  layer {k + 1}: weights {W.shape[0]}×{W.shape[1]}, rms {rms:.4g}, "
              f"largest |w| {float(np.abs(W).max()):.4g}")
    return 0


def _bench(args) -> int:
    import importlib.util

    if importlib.util.find_spec("fastprop._bench") is None:
        print("fastprop bench: not available yet", file=sys.stderr)
        return 1
    from . import _bench

    return int(_bench.main(args.rest) or 0)


# -------------------------------------------------------------------- the parser
def _parser() -> _Parser:
    p = _Parser(prog="fastprop", description="Train multilayer perceptrons by "
                "backpropagation, and see every number of a step.")
    p.add_argument("--version", action="version", version=f"fastprop {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    engine = _Parser(add_help=False)
    engine.add_argument("--engine", choices=["cython", "numpy"], default="cython",
                        help="compiled engine (default) or the NumPy reference")
    progress = _Parser(add_help=False)
    progress.add_argument("--progress", action=argparse.BooleanOptionalAction, default="auto",
                          help="progress bar (default: only on a terminal)")

    d = sub.add_parser("demo", parents=[engine, progress], help="the main job, on built-in data")
    d.add_argument("--out", default="fastprop-output", help="directory for the PNGs "
                   "(default ./fastprop-output)")
    d.add_argument("--no-plots", action="store_true", help="write no pictures")
    d.add_argument("--epochs", type=int, default=150, help="epochs on two moons (150)")
    d.set_defaults(func=_demo)

    e = sub.add_parser("explain", parents=[engine], help="one training step, printed like a "
                       "worked example")
    e.add_argument("--list", action="store_true", help="list the built-in worked examples")
    e.add_argument("--example", metavar="NAME", help="a worked example (see --list)")
    e.add_argument("--sizes", help="your own network: layer sizes, e.g. 2,1,1")
    e.add_argument("--weights", help="weights in edge order (AC, BC, … layer by layer), "
                   "e.g. 0.5,0.3,0.8; one number sets them all (default: random, --seed)")
    e.add_argument("--biases", help="biases, layer by layer (default 0)")
    e.add_argument("--x", help="input, e.g. 1,2 (a batch: 1,2;3,4)")
    e.add_argument("--y", help="target, e.g. 1 (a batch: 1;0)")
    e.add_argument("--activation", default="relu", help="hidden activation (relu)")
    e.add_argument("--output", help="output activation (default: the loss's)")
    e.add_argument("--loss", default="bce", choices=["bce", "mse", "cross_entropy"])
    e.add_argument("--lr", type=float, default=0.1, help="learning rate η (0.1)")
    e.add_argument("--no-bias", action="store_true", help="no biases (as in the examples)")
    e.add_argument("--seed", type=int, default=0, help="seed of random weights (0)")
    e.add_argument("--digits", type=int, default=5, help="decimals printed (5)")
    e.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    e.add_argument("--png", metavar="PATH", help="also draw the network with the step")
    e.set_defaults(func=_explain)

    t = sub.add_parser("train", parents=[engine, progress], help="train on a CSV file")
    t.add_argument("csv", help="numeric CSV file (a header row is optional)")
    t.add_argument("--target", required=True, help="target column: name or index")
    t.add_argument("--hidden", default="64,64", help="hidden layer sizes (64,64; none)")
    t.add_argument("--activation", default="relu", help="hidden activation (relu)")
    t.add_argument("--loss", choices=["bce", "mse", "cross_entropy"],
                   help="default: bce for 0/1 targets, cross_entropy for class ids, else mse")
    t.add_argument("--epochs", type=int, default=50)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--lr", type=float, help="learning rate (adam 0.001, sgd 0.01)")
    t.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    t.add_argument("--val-split", type=float, default=0.2,
                   help="fraction held out for validation (0.2; 0 for none)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    t.add_argument("-o", "--output", default="model.npz", help="model file (model.npz)")
    t.add_argument("--plot", metavar="PNG", help="also save the loss curve")
    t.set_defaults(func=_train)

    r = sub.add_parser("predict", parents=[engine], help="predict with a saved model")
    r.add_argument("model")
    r.add_argument("csv")
    r.add_argument("-o", "--output", help="CSV file for the predictions (default: stdout)")
    r.add_argument("--target", help="target column to leave out (and score against)")
    r.set_defaults(func=_predict)

    i = sub.add_parser("info", help="describe a saved model")
    i.add_argument("model")
    i.set_defaults(func=_info)

    sub.add_parser("bench", add_help=False, help="benchmarks against other libraries")
    return p


def _safe_streams() -> None:
    """Never crash on a console that cannot encode ∂, δ or σ: print '?' instead."""
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "∂δσηŷ−→·".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="replace")


def main(argv: list[str] | None = None) -> int:
    """Run the ``fastprop`` command line with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit status: 0 on success, 1 when the data or a file is bad, 2 for bad
    arguments, 130 when interrupted.

    Examples
    --------
    >>> from fastprop.cli import main
    >>> status = main(["explain", "--example", "two-inputs-sigmoid-mse"])  # doctest: +SKIP
    """
    _safe_streams()
    argv = sys.argv[1:] if argv is None else list(argv)
    command = "fastprop"
    try:
        if argv[:1] == ["bench"]:  # everything after "bench" is the benchmark's own
            return _bench(argparse.Namespace(rest=argv[1:]))
        args = _parser().parse_args(argv)
        if args.command is None:
            raise UsageError("fastprop: error: choose a command: demo, explain, train, "
                             "predict, info or bench (see fastprop --help)")
        command = f"fastprop {args.command}"
        return args.func(args)
    except UsageError as exc:
        message = _one_line(exc)
        prefix = "" if message.startswith("fastprop") else f"{command}: error: "
        print(prefix + message, file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `fastprop explain … | head`
        return 0
    except (ValueError, TypeError, OSError, ModelFileError, ImportError,
            FloatingPointError) as exc:
        print(f"{command}: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
