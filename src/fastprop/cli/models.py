"""``fastprop train``, ``predict`` and ``info``: models from CSV files, saved and used.

``train`` fits a network to a numeric CSV file and saves it; ``predict`` writes a saved
model's predictions for a CSV file (and scores them with ``--target``); ``info``
describes a saved model.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from ..losses import LOSSES
from ._common import UsageError, parse_sizes


def _train(args) -> int:
    from ..dataset import Dataset
    from ..network import Network
    from ..optim import by_name

    if args.plot:
        from .explain import _need_matplotlib

        _need_matplotlib("--plot")
    if args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {args.epochs}")
    if not 0 <= args.val_split < 1:
        raise UsageError(f"--val-split must be in [0, 1), got {args.val_split}")
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):
        raise ValueError(f"-o {args.output}: directory {folder} does not exist")
    ds = Dataset.from_csv(args.csv, target=args.target, dtype=args.dtype)
    loss, n_out, why = _choose_loss(ds.y, args.loss)
    print(f"{args.csv}: {len(ds)} rows, {ds.n_features} features, target "
          f"{', '.join(ds.target_names or ())}; loss {loss} ({why})")
    hidden = parse_sizes(args.hidden, "--hidden", allow_empty=True)
    net = Network([ds.n_features, *hidden, n_out], activation=args.activation, loss=loss,
                  seed=args.seed, dtype=args.dtype, engine=args.engine)
    train, val = (ds, None) if args.val_split == 0 else ds.split(args.val_split, args.seed)
    optimizer = by_name(args.optimizer, args.lr)
    start = time.perf_counter()
    history = net.fit(train, epochs=args.epochs, batch_size=args.batch_size,
                      optimizer=optimizer, seed=args.seed, validation_data=val,
                      progress=args.progress)
    seconds = time.perf_counter() - start
    net.save(args.output)
    parts = [f"train {_metrics(net.evaluate(train))}"]
    if val is not None:
        parts.append(f"validation {_metrics(net.evaluate(val))}")
    print(f"{net!r}: {' · '.join(parts)} · {_count(len(history.loss), 'epoch')} in "
          f"{_duration(seconds)} "
          f"· saved {args.output}")
    if args.plot:
        history.plot(args.plot)
        print(f"loss curve: {args.plot}")
    return 0


def _count(n: int, noun: str) -> str:
    """'1 epoch', '50 epochs'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _duration(seconds: float) -> str:
    """'2.3 s', '0.41 s', '12 ms'."""
    return f"{seconds * 1000:.2g} ms" if seconds < 0.1 else f"{seconds:.2g} s" \
        if seconds < 10 else f"{seconds:.0f} s"


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
        n_classes = int(values.max()) + 1
        if n_classes > 2 * len(values) + 10:  # ids far apart: not 0 … k−1
            raise ValueError(
                f"--target: class ids must be 0, 1, …, k−1, but {len(values)} distinct "
                f"values reach {values.max():.0f} ({n_classes:,} outputs); renumber "
                "the classes, or give --loss mse for a numeric target")
        return "cross_entropy", n_classes, f"{len(values)} classes"
    if loss == "bce" or (loss is None and integral and values.max() <= 1):
        return "bce", 1, "targets 0/1"
    return loss or "mse", 1, "numeric target"


def _metrics(scores: dict) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in scores.items())


def _read_csv(path: str):
    """Header names (or None) and a 2-D float array from a numeric CSV file."""
    from ..dataset import read_numeric_csv

    return read_numeric_csv(path)


def _predict(args) -> int:
    from ..dataset import Dataset
    from ..loading import load

    if args.output and os.path.exists(args.output) and os.path.exists(args.model) and \
            os.path.samefile(args.output, args.model):
        raise UsageError(f"-o {args.output} is the model file: write the predictions to "
                         "another file")
    net = load(args.model, engine=args.engine)
    if not hasattr(net, "sizes"):  # a TabularModel: raw columns, matched by name
        return _predict_table(args, net)
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
    targets = LOSSES[net.loss_name].targets
    if targets == "probability":
        names, cols = ["probability", "prediction"], [out[:, 0], (out[:, 0] > 0.5)]
    elif targets == "classes":
        names = [f"p_{k}" for k in range(out.shape[1])] + ["prediction"]
        cols = list(out.T) + [out.argmax(axis=1)]
    else:
        names = ["prediction"] if out.shape[1] == 1 else \
            [f"prediction_{k}" for k in range(out.shape[1])]
        cols = list(out.T)
    table = np.column_stack([np.asarray(c, dtype=np.float64) for c in cols])
    report = _write_predictions(args, names, [[f"{v:.10g}" for v in row] for row in table])
    if y is not None:
        print(f"{args.csv}: {_metrics(net.evaluate(X, y))}", file=report)
    return 0


def _write_predictions(args, header: list, rows: list):
    """The predictions as CSV, to ``-o`` or stdout; returns where to report (stdout when
    they went to a file, else stderr)."""
    import csv

    target = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    finally:
        if args.output:
            target.close()
    report = sys.stderr if not args.output else sys.stdout
    if args.output:
        print(f"wrote {len(rows)} predictions to {args.output}", file=report)
    return report


def _predict_table(args, model) -> int:
    """``fastprop predict`` with a TabularModel: the target column with the predicted
    labels (and, for classifiers, one ``proba_<label>`` column per class)."""
    from ..tabular import read_table

    table = read_table(args.csv)
    truth = table.pop(args.target or model.target, None)
    predicted = model.predict(table)
    header, columns = [model.target], [predicted.tolist()]
    if model.classes_ is not None:
        proba = model.predict_proba(table)
        header += [f"proba_{c}" for c in model.classes_.tolist()]
        columns += [[f"{p:.6g}" for p in col] for col in proba.T]
    report = _write_predictions(args, header, list(zip(*columns)))
    if truth is not None:
        data = dict(table, **{model.target: truth})
        name = "accuracy" if model.classes_ is not None else "R²"
        print(f"{args.csv}: {name} {model.score(data):.4f}", file=report)
    return 0


def _info(args) -> int:
    from ..io import read_model
    from ..loading import load

    net = load(args.model)
    meta = read_model(args.model)[1]
    print(f"{args.model}: fastprop model, format {meta['format_version']}, written by "
          f"fastprop {meta.get('fastprop_version', '?')}")
    if not hasattr(net, "sizes"):  # a TabularModel: its columns, then its network
        _describe_table(net)
        net = net.network
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


def _describe_table(model) -> None:
    print(f"  table model: {len(model.columns)} feature columns → target {model.target!r}")
    for c in model.columns:
        if c.kind == "numeric":
            detail = f"mean {c.mean:.4g}, std {c.std:.4g}, missing → {c.fill:.4g}"
        elif c.kind == "boolean":
            detail = f"missing → {c.fill}"
        else:
            shown = ", ".join(c.categories[:8]) + (" …" if len(c.categories) > 8 else "")
            detail = f"{len(c.categories)} categories ({shown}), missing → {c.fill}"
        flag = "; missing indicator" if c.indicator else ""
        print(f"    {c.name}: {c.kind}, {detail}{flag}")
    if model.classes_ is not None:
        print(f"  classes: {', '.join(str(c) for c in model.classes_.tolist())}")
    else:
        print(f"  numeric target: mean {model.y_mean:.4g}, std {model.y_std:.4g}")
