"""``fastprop train``, ``predict`` and ``info``: models from CSV files, saved and used.

``train`` fits a ``TabularModel`` to a CSV file as it comes (text, booleans, missing
cells) and saves it; ``predict`` writes a saved model's predictions for a CSV file,
matching its columns by name, and scores them when the file has the target column;
``info`` describes a saved model: its columns, its target and its network.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from ..losses import LOSSES
from ._common import UsageError, parse_sizes


def _train(args) -> int:
    from ..tabular import TabularModel, read_table, split_table

    if args.plot:
        from .explain import _need_matplotlib

        _need_matplotlib("--plot")
    if args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
    if not 0 <= args.val_split < 1:
        raise UsageError(f"--val-split must be in [0, 1), got {args.val_split}")
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):
        raise ValueError(f"-o {args.output}: directory {folder} does not exist")
    _not_the_same_file(args.output, args.csv, "the training data")
    hidden = parse_sizes(args.hidden, "--hidden", allow_empty=True)
    if args.early_stopping is not None and args.early_stopping < 0:
        raise UsageError(f"--early-stopping must be at least 0, got {args.early_stopping}")
    if args.early_stopping is not None and (args.no_early_stopping or args.val_split == 0):
        raise UsageError("--early-stopping needs a validation split (--val-split > 0) and "
                         "not --no-early-stopping")
    if args.clip_norm is not None and not args.clip_norm > 0:
        raise UsageError(f"--clip-norm must be > 0, got {args.clip_norm}")
    callbacks, schedule = _training_control(args)
    model = TabularModel(hidden=hidden, activation=args.activation, epochs=args.epochs,
                         batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr,
                         loss=args.loss, task=args.task, categorical=_names(args.categorical),
                         numeric=_names(args.numeric), dtype=args.dtype, seed=args.seed,
                         engine=args.engine)
    table = read_table(args.csv, args.csv, args.delimiter)
    target = _target_column(table, args.target, args.csv)
    table, dropped = _drop_missing_targets(table, target)
    train, val = (table, None) if args.val_split == 0 else \
        split_table(table, args.val_split, args.seed)
    n_rows, n_val = len(table[target]), 0 if val is None else len(val[target])
    held = f"; {n_val} held out for validation" if n_val else ""
    gaps = f" ({_count(dropped, 'row')} without a target left out)" if dropped else ""
    print(f"{args.csv}: {_count(n_rows, 'row')}{gaps}, {_count(len(table), 'column')}{held}",
          flush=True)
    start = time.perf_counter()
    model.fit(train, target, validation_data=val, progress=args.progress,
              callbacks=callbacks, lr_schedule=schedule, clip_norm=args.clip_norm)
    seconds = time.perf_counter() - start
    print(f"target {target!r}: {_describe_target(model)}; loss {model.loss_name}; "
          f"{_count(len(model.columns), 'feature column')} → "
          f"{_count(model.network.sizes[0], 'input')}")
    model.save(args.output)
    parts = [f"train {_metrics(model.evaluate(train, target))}"]
    if val is not None:
        parts.append(f"validation {_metrics(model.evaluate(val, target))}")
    print(f"{model.network!r}: {' · '.join(parts)} · "
          f"{_epochs_run(len(model.history.loss), args.epochs)} in {_duration(seconds)} "
          f"· saved {args.output}")
    if args.plot:
        model.history.plot(args.plot)
        print(f"loss curve: {args.plot}")
    return 0


def _training_control(args):
    """The callbacks and schedule of ``--early-stopping``, ``--lr-schedule``: early
    stopping on the validation loss whenever there is a validation split (unless
    ``--no-early-stopping``), and a line printed for each change of rate and the stop."""
    from ..callbacks import Callback, EarlyStopping, ReduceLROnPlateau
    from ..schedules import CosineAnnealingLR, StepLR

    validated = args.val_split > 0
    monitor = "val_loss" if validated else "loss"
    callbacks: list = []
    if args.lr_schedule == "plateau":
        callbacks.append(ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=2))
    stopper = None
    if validated and not args.no_early_stopping:
        patience = 10 if args.early_stopping is None else args.early_stopping
        stopper = EarlyStopping(monitor="val_loss", patience=patience)
        callbacks.append(stopper)

    class Report(Callback):  # what the controls did, as it happens
        def on_train_begin(self, net):
            self.lr = net.optimizer.lr

        def on_epoch_end(self, net, epoch, logs):
            if net.optimizer.lr != self.lr:
                print(f"epoch {epoch + 1}: {monitor} {logs[monitor]:.4g} has not improved "
                      f"for 3 epochs; learning rate {self.lr:.3g} → {net.optimizer.lr:.3g}",
                      flush=True)
                self.lr = net.optimizer.lr

        def on_train_end(self, net, history):
            if stopper is not None and stopper.stopped_epoch is not None:
                kept = "the last epoch" if stopper.best_epoch is None else \
                    f"epoch {stopper.best_epoch + 1} (val_loss {stopper.best:.4g})"
                print(f"early stopping after epoch {stopper.stopped_epoch + 1}: the "
                      f"validation loss has not improved for {stopper.patience} epochs; "
                      f"keeping {kept}", flush=True)

    schedule = {"cosine": CosineAnnealingLR(args.epochs),
                "step": StepLR(max(1, -(-args.epochs // 3)), gamma=0.1)}.get(args.lr_schedule)
    if callbacks:
        callbacks.append(Report())  # after them: sees the rate they set, and the stop
    return callbacks, schedule


def _drop_missing_targets(table: dict, target: str) -> tuple[dict, int]:
    """The rows whose target is present, and how many were not."""
    from ..tabular._columns import is_missing

    keep = [i for i, v in enumerate(table[target]) if not is_missing(v)]
    if len(keep) == len(table[target]):
        return table, 0
    if not keep:
        raise ValueError(f"target column {target!r} has no values (every cell is missing)")
    return {k: [v[i] for i in keep] for k, v in table.items()}, len(table[target]) - len(keep)


def _not_the_same_file(output: str | None, other: str, what: str) -> None:
    """Refuse ``-o`` naming a file the command reads (it would be overwritten)."""
    if output and os.path.exists(output) and os.path.exists(other) and \
            os.path.samefile(output, other):
        raise UsageError(f"-o {output} is {what}: write to another file")


def _names(text: str | None) -> list[str]:
    return [] if not text else [n.strip() for n in text.split(",") if n.strip()]


def _target_column(table: dict, target: str, path: str) -> str:
    """The target's column name: a name, or a position (negative from the end)."""
    if target in table:
        return target
    names = list(table)
    try:
        position = int(target)
    except ValueError:
        raise ValueError(f"{path} has no column named {target!r}; its columns are "
                         f"{names}") from None
    if not -len(names) <= position < len(names):
        raise ValueError(f"--target {target}: {path} has {len(names)} columns")
    return names[position]


def _describe_target(model) -> str:
    if model.classes_ is None:
        return f"numeric (mean {model.y_mean:.4g}, std {model.y_std:.4g})"
    labels = [str(c) for c in model.classes_.tolist()]
    shown = ", ".join(labels[:10]) + (", …" if len(labels) > 10 else "")
    return f"{len(labels)} classes ({shown})"


def _epochs_run(run: int, asked: int) -> str:
    return _count(run, "epoch") if run == asked else f"{run} of {asked} epochs"


def _count(n: int, noun: str) -> str:
    """'1 epoch', '50 epochs'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _duration(seconds: float) -> str:
    """'2.3 s', '0.41 s', '12 ms'."""
    return f"{seconds * 1000:.2g} ms" if seconds < 0.1 else f"{seconds:.2g} s" \
        if seconds < 10 else f"{seconds:.0f} s"


#: How the command line names a score.
SCORE_NAMES = {"r2": "R²", "rmse": "RMSE", "mae": "MAE"}


def _metrics(scores: dict) -> str:
    return ", ".join(f"{SCORE_NAMES.get(k, k)} {v:.4g}" if k in ("rmse", "mae") else
                     f"{SCORE_NAMES.get(k, k)} {v:.4f}" for k, v in scores.items())


def _predict(args) -> int:
    from ..dataset import read_numeric_csv
    from ..loading import load

    _not_the_same_file(args.output, args.model, "the model file")
    _not_the_same_file(args.output, args.csv, "the data")
    net = load(args.model, engine=args.engine)
    if not hasattr(net, "sizes"):  # a TabularModel: raw columns, matched by name
        return _predict_table(args, net)
    names, data = read_numeric_csv(args.csv, delimiter=args.delimiter or _sniff(args.csv))
    names = names or [str(j) for j in range(data.shape[1])]
    y = None
    if args.target is not None:
        column = names.index(_target_column(dict.fromkeys(names), args.target, args.csv))
        y, data = data[:, column], np.delete(data, column, axis=1)
        names = names[:column] + names[column + 1:]
    wanted = net.feature_names_in_
    if wanted is not None:  # the columns it was fitted on, by name
        absent = [n for n in wanted if n not in names]
        if absent:
            raise ValueError(f"{args.csv} lacks the column(s) {absent} that the model was "
                             "trained on")
        data = data[:, [names.index(n) for n in wanted]]
    X = data
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


def _sniff(path: str) -> str:
    """The delimiter of a CSV file (``fastprop.tabular``'s sniffing)."""
    from ..tabular._columns import sniff_delimiter

    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return sniff_delimiter(fh.read(65536))
    except (OSError, UnicodeDecodeError):
        return ","  # (the reader names the file's problem)


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
    labels (and, for classifiers, one ``proba_<label>`` column per class); scores when
    the file has the target column."""
    from ..tabular import read_table
    from ..tabular._columns import is_missing

    table = read_table(args.csv, args.csv, args.delimiter)
    target = model.target if args.target is None else \
        _target_column(table, args.target, args.csv)
    truth = table.pop(target, None)
    if truth is not None and all(is_missing(v) for v in truth):
        truth = None  # a column left empty for the predictions: nothing to score
    header = [model.target]
    if model.classes_ is not None:
        proba = model.predict_proba(table)
        labels = model.classes_[proba.argmax(axis=1)].tolist()
        header += [f"proba_{c}" for c in model.classes_.tolist()]
        columns = [labels] + [[f"{p:.6g}" for p in col] for col in proba.T]
    else:
        columns = [[f"{v:.10g}" for v in model.predict(table)]]
    report = _write_predictions(args, header, list(zip(*columns)))
    if truth is not None:
        print(f"{args.csv}: {_metrics(model.evaluate(dict(table, **{target: truth}), target))}",
              file=report)
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
