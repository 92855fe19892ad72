"""A fit's rows on a Dask cluster's workers, and the work each worker does on its rows.

The rows stay where the cluster computed them: every partition is encoded where it lies
(``_prepare``: floats in the model's dtype, labels one-hot), the scheduler says which
worker holds it (``who_has``), and each worker's partitions are joined there into one
block (``_join``), which a Dask actor on that worker holds (``Block``). A worker that
holds no partition while another holds several is given one of them, so that every
worker has rows to train on. From then on only parameters, gradients and sums travel,
one message to each worker and back per round.
"""

from __future__ import annotations

import copy

import dask
import numpy as np
import scipy.sparse

from ..engines import get_engine
from ..engines.numpy_engine import _sequential_sum
from ..sklearn._solver import Objective


class Encoding:
    """How a partition's targets become the network's: ``binarizer`` (a fitted
    LabelBinarizer: classification) or None (regression), the classes' weights
    (``class_weight``: a dict, or None), whether targets must be ≥ 0 (Poisson), and the
    model's dtype."""

    def __init__(self, dtype, binarizer=None, class_weight=None, nonnegative=False):
        self.dtype, self.binarizer = np.dtype(dtype), binarizer
        self.class_weight, self.nonnegative = class_weight, nonnegative


def _prepare(x, y, w, encoding: Encoding):
    """One partition as (X, Y, w): C-contiguous in the model's dtype, Y one-hot for
    classification, w the sample weights times the class weights (or None)."""
    if scipy.sparse.issparse(x):
        x = x.toarray()
    X = np.ascontiguousarray(x, dtype=encoding.dtype)
    if not np.isfinite(X).all():
        raise ValueError("Input X contains NaN or infinity: impute or drop those rows")
    y = np.asarray(y)
    if encoding.binarizer is not None:
        known = encoding.binarizer.classes_
        if y.ndim == 1 and not np.isin(y, known).all():
            raise ValueError(f"y has classes not in classes_ {known.tolist()}: "
                             f"{np.setdiff1d(y, known).tolist()[:5]}")
        Y = encoding.binarizer.transform(y)
        if encoding.class_weight is not None:
            from sklearn.utils.class_weight import compute_sample_weight

            cw = compute_sample_weight(encoding.class_weight, y)
            w = cw if w is None else np.asarray(w, dtype=np.float64) * cw
    else:
        Y = y.reshape(len(y), -1)
        if not np.isfinite(Y).all():
            raise ValueError("Input y contains NaN or infinity")
        if encoding.nonnegative and (Y < 0).any():
            raise ValueError("loss='poisson' needs targets >= 0 (counts or rates), got "
                             f"{float(Y.min())}")
    if w is not None:
        w = np.ascontiguousarray(w, dtype=encoding.dtype)
        if not np.isfinite(w).all():
            raise ValueError("sample_weight contains NaN or infinity")
    return X, np.ascontiguousarray(Y, dtype=encoding.dtype), w


def _join(parts):
    """A worker's partitions as one block (a single partition as it is)."""
    if len(parts) == 1:
        return parts[0]
    X, Y, w = zip(*parts, strict=True)
    weights = None if w[0] is None else np.concatenate(w)
    return np.concatenate(X), np.concatenate(Y), weights


def _split(block, fraction: float, seed: int, stratify: bool):
    """(train, validation) rows of a block, scikit-learn's ``train_test_split``."""
    from sklearn.model_selection import train_test_split

    X, Y, w = block
    arrays = (X, Y) if w is None else (X, Y, w)
    cut = train_test_split(*arrays, random_state=seed, test_size=fraction,
                           stratify=Y if stratify else None)
    train, val = list(cut[0::2]), list(cut[1::2])
    if w is None:
        train.append(None)
        val.append(None)
    return (tuple(None if a is None else np.ascontiguousarray(a) for a in train),
            tuple(None if a is None else np.ascontiguousarray(a) for a in val))


def _gradient_sums(block, objective: Objective, params):
    """Σ over the block's rows (weighted) of the loss and of its gradient, by an
    ``objective`` without penalty, and Σ of the rows' weights (their count without
    weights)."""
    X, Y, w = block
    total = float(X.shape[0]) if w is None else _sequential_sum(w)
    grad = np.empty_like(params)
    if total == 0:
        return 0.0, np.zeros_like(params), 0.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        loss = objective(params, X, Y, grad, w)
        return loss * total, grad * total, total


def _epoch(block, solver, params, seed: int, batch_size: int, shuffle: bool):
    """One epoch of ``solver`` over the block from ``params``, in the order of ``seed``:
    the new parameters, the optimizer's step count and state, and Σ batch loss × rows."""
    X, Y, w = block
    solver, params = copy.deepcopy(solver), np.array(params, copy=True)
    n = X.shape[0]
    order = np.random.RandomState(seed).permutation(n) if shuffle else None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        total = solver.epoch(params, X, Y, order, min(batch_size, n), w)
    return params, solver.optimizer.t, solver.optimizer.state, total


def _validation_sums(block, arch, engine: str, params, binarizer):
    """What the validation score of ``params`` needs from a block: classification:
    (Σ w·[row right], Σ w); regression, per output: (Σ w, Σ w·y, Σ w·y², Σ w·(y − ŷ)²).
    NaN when the network's outputs are not finite."""
    X, Y, w = block
    out = get_engine(engine).predict(arch, params, X)
    w = np.ones(X.shape[0]) if w is None else w.astype(np.float64)
    if not np.isfinite(out).all():
        return None
    if binarizer is not None:
        def labels(a):
            return binarizer.inverse_transform(a.ravel() if a.shape[1] == 1 else a)
        right = labels(out) == labels(Y)
        if right.ndim == 2:
            right = right.all(axis=1)
        return np.array([np.dot(w, right), w.sum()])
    y, e = Y.astype(np.float64), (Y - out).astype(np.float64)
    return np.stack([np.broadcast_to(w.sum(), y.shape[1]), w @ y, w @ (y * y),
                     w @ (e * e)])


def r2(residual: np.ndarray, total: np.ndarray) -> float:
    """scikit-learn's r2_score from each output's Σ w·(y − ŷ)² and Σ w·(y − ȳ)²: their
    mean 1 − residual/total, a constant target scoring 1 when predicted exactly and 0
    otherwise."""
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(total > 0, 1 - residual / total,
                          np.where(residual == 0, 1.0, 0.0))
    return float(np.mean(scores))


def r2_from_sums(sums: np.ndarray) -> float:
    """``r2`` from summed validation sums (Σ w, Σ w·y, Σ w·y², Σ w·(y − ŷ)²)."""
    n, s, s2, residual = sums
    return r2(residual, np.maximum(s2 - s * s / n, 0.0))


class Block:
    """A worker's rows for one fit, held by a Dask actor on that worker: each call is
    one message from this process to the worker and back (no scheduler in between),
    which a training loop of many short rounds needs."""

    def __init__(self, block):
        self.train, self.validation = block, None
        self._objective: Objective | None = None  # kept: its workspace is reused

    def rows(self) -> tuple[int, int]:
        """Rows to train on, rows held out."""
        return (self.train[0].shape[0],
                0 if self.validation is None else self.validation[0].shape[0])

    def hold_out(self, fraction: float, seed: int, stratify: bool) -> tuple[int, int]:
        self.train, self.validation = _split(self.train, fraction, seed, stratify)
        return self.rows()

    def gradient_sums(self, arch, engine: str, params):
        objective = self._objective
        if objective is None or objective.arch != arch or objective.engine_name != engine:
            objective = self._objective = Objective(arch, engine, 0.0)
        return _gradient_sums(self.train, objective, params)

    def epoch(self, solver, params, seed: int, batch_size: int, shuffle: bool):
        return _epoch(self.train, solver, params, seed, batch_size, shuffle)

    def validation_sums(self, arch, engine: str, params, binarizer):
        return _validation_sums(self.validation, arch, engine, params, binarizer)


class WorkerRows:
    """The rows of one fit, one ``Block`` per worker, placed as the module docstring says.

    Parameters
    ----------
    client : distributed.Client
    X, Y, w : dask.array.Array
        Row blocks (features, targets, sample weights or None), aligned.
    encoding : Encoding
    """

    def __init__(self, client, X, Y, w, encoding: Encoding):
        self.client = client
        xs, ys = X.to_delayed().ravel(), Y.to_delayed().ravel()
        ws = [None] * len(xs) if w is None else w.to_delayed().ravel()
        prepare = dask.delayed(_prepare, pure=False)
        parts = client.compute([prepare(x, y, v, encoding) for x, y, v in zip(xs, ys, ws,
                                                                              strict=True)])
        client.gather(parts)  # raises what a partition raised (bad rows, unknown labels)
        held = client.who_has(parts)
        workers = sorted(client.ncores())
        placed: dict[str, list] = {a: [] for a in workers}
        for part in parts:
            placed[sorted(held[part.key])[0]].append(part)
        for idle in [a for a in workers if not placed[a]]:
            busiest = max(workers, key=lambda a: len(placed[a]))
            if len(placed[busiest]) < 2:
                break
            placed[idle].append(placed[busiest].pop())
        joined = {a: client.submit(_join, ps, workers=[a], pure=False)
                  for a, ps in placed.items() if ps}
        self._actors = {a: client.submit(Block, j, workers=[a], actor=True, pure=False)
                        for a, j in joined.items()}
        self.blocks = {a: f.result() for a, f in self._actors.items()}
        self.rows = {a: r[0] for a, r in zip(self.blocks, self._all("rows"), strict=True)}
        self.n_validation = 0

    @property
    def n_rows(self) -> int:
        return sum(self.rows.values())

    def _all(self, method: str, *args, per_worker=None) -> list:
        """``Block.<method>(*args)`` on every worker at once; the results in the workers'
        order. ``per_worker``: more arguments, one tuple for each worker."""
        extra = per_worker if per_worker is not None else [()] * len(self.blocks)
        calls = [getattr(block, method)(*args, *more)
                 for block, more in zip(self.blocks.values(), extra, strict=True)]
        # A worker lost meanwhile makes result() raise at once ("Worker holding Actor
        # was lost", "Unable to contact Actor's worker"): the fit ends with that error.
        return [call.result() for call in calls]

    def hold_out(self, fraction: float, seeds, stratify: bool) -> None:
        """Keep ``fraction`` of each worker's rows apart for validation."""
        counts = self._all("hold_out", fraction, per_worker=[(int(s), stratify)
                                                             for s in seeds])
        self.rows = {a: c[0] for a, c in zip(self.blocks, counts, strict=True)}
        self.n_validation = sum(c[1] for c in counts)

    def gradient_sums(self, arch, engine: str, params) -> tuple[float, np.ndarray, float]:
        """Σ over all rows of the loss and its gradient (no penalty), and Σ weights."""
        results = self._all("gradient_sums", arch, engine, params)
        loss = sum(r[0] for r in results)
        grad = np.sum([r[1].astype(np.float64) for r in results], axis=0)
        return loss, grad, sum(r[2] for r in results)

    def averaged_epoch(self, solver, params, seeds, batch_size: int, shuffle: bool) -> float:
        """One epoch on every worker from ``params`` and ``solver``'s state; ``params``
        and the state become the row-weighted means of the workers'; returns Σ batch
        loss × rows over all workers."""
        results = self._all("epoch", solver, params,
                            per_worker=[(int(s), batch_size, shuffle) for s in seeds])
        share = np.array(list(self.rows.values()), dtype=np.float64) / self.n_rows
        params[...] = sum(f * r[0].astype(np.float64) for f, r in zip(share, results,
                                                                      strict=True))
        opt = solver.optimizer
        for name, buffer in opt.state.items():
            buffer[...] = sum(f * r[2][name].astype(np.float64)
                              for f, r in zip(share, results, strict=True))
        opt.t = max(r[1] for r in results)
        return float(sum(r[3] for r in results))

    def validation_sums(self, arch, engine: str, params, binarizer) -> np.ndarray | None:
        """The held-out rows' sums of ``_validation_sums``, added over the workers."""
        results = self._all("validation_sums", arch, engine, params, binarizer)
        return None if any(r is None for r in results) else np.sum(results, axis=0)

    def release(self) -> None:
        """Drop the blocks from the workers' memory."""
        self.client.cancel(list(self._actors.values()))
        self._actors, self.blocks = {}, {}
