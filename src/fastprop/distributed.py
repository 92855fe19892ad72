"""Data-parallel training over MPI: every process (rank) holds its own rows, all of them
train one model, and every rank ends with the same parameters, bit for bit.

``net.fit(X_local, y_local, ..., comm=MPI.COMM_WORLD)`` calls ``fit`` here; run it as
``mpiexec -n 4 python -m mpi4py train.py`` (``pip install "fastprop-mlp[mpi]"``: mpi4py
and the MPICH wheels, no compiler). ``python -m mpi4py`` makes an error or Ctrl-C in any
rank end every rank (``MPI_Abort``) instead of leaving the others waiting.

``sync="step"`` (the default, as Horovod and PyTorch's DDP): at each step every rank
takes the next ``batch_size`` rows of its shard — in its own order when shuffling, from
the seed and its rank (``rank_seed``) — and sums the loss and gradient over them; one
all-reduce adds the sums, the row counts and a "diverged" flag in one buffer; every rank
then takes the same optimizer step with the mean gradient over all ranks' rows. The
result equals one process training on the union of the ranks' batches, step by step.
Ranks start from rank 0's parameters and optimizer state (broadcast). A rank whose
shard runs out of batches first (ragged shards) takes part with no rows, so the step
averages over the rows the others have; an epoch has as many steps as the largest shard
has batches. With the compiled engine an epoch is one call of the compiled loop, which
comes back to Python only for each step's all-reduce. When any rank's loss or gradient
is not finite, every rank raises ``DivergenceError`` at the same step, with the
parameters from before the step that led there (as one process's ``fit``); an
all-reduce that does not complete within ``timeout`` seconds raises ``TimeoutError`` on
the ranks still waiting.

``sync="epoch"`` (local SGD): each rank trains a whole epoch on its shard alone, then
the parameters and the optimizer's state are averaged over the ranks. One exchange per
epoch instead of one per step, for networks too small for a per-step all-reduce to pay;
the cost is accuracy: the average of models trained apart is not the model trained on
all the data, and the gap grows with the learning rate and the epoch's length.

>>> from fastprop.distributed import rank_seed, shard_bounds
>>> shard_bounds(10, 3)
[(0, 3), (3, 6), (6, 10)]
>>> rank_seed(7, 0) != rank_seed(7, 1)
True
"""

from __future__ import annotations

import time

import numpy as np

from . import _inputs
from .engines.numpy_engine import clip_gradient
from .errors import DivergenceError
from .history import History
from .shuffle import _MASK, GAMMA, _mix, epoch_order

SYNCS = ("step", "epoch")


def init():
    """``MPI.COMM_WORLD``, after importing mpi4py (which initialises MPI); an ImportError
    that says what to install when it is missing."""
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError("training over MPI needs mpi4py and an MPI library: "
                          "pip install 'fastprop-mlp[mpi]'") from None
    return MPI.COMM_WORLD


def shard_bounds(n: int, size: int) -> list[tuple[int, int]]:
    """The rows [start, stop) of each of ``size`` ranks when ``n`` rows are split into
    contiguous blocks as even as they can be (the later ranks get the extra rows)."""
    return [(r * n // size, (r + 1) * n // size) for r in range(size)]


def shard(X, y, comm):
    """This rank's block of the rows of ``X`` and ``y`` (``shard_bounds``): for data
    every rank can read whole (a file loaded on each), cut so that no row is used twice.

    >>> import numpy as np
    >>> class One:  # a communicator of one rank
    ...     def Get_rank(self): return 0
    ...     def Get_size(self): return 1
    >>> X, y = shard(np.arange(6).reshape(3, 2), np.arange(3), One())
    >>> X.shape, y.tolist()
    ((3, 2), [0, 1, 2])
    """
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)}")
    start, stop = shard_bounds(n, comm.Get_size())[comm.Get_rank()]
    return X[start:stop], y[start:stop]


def rank_seed(seed: int, rank: int) -> int:
    """The seed of rank ``rank``'s epoch orders (``fastprop.shuffle``) in training from
    ``seed``: mix(seed + γ·(rank + 1) + 1), a stream of its own for every rank."""
    with np.errstate(over="ignore"):
        z = np.array([(seed + GAMMA * (rank + 1) + 1) & _MASK], dtype=np.uint64)
        return int(_mix(z)[0])


def fit(net, X, y, *, comm, sync: str = "step", settings, sample_weight=None,
        validation_data=None, timeout: float = 300.0) -> History:
    """Train ``net`` on this rank's (X, y) together with the other ranks of ``comm``
    (see the module); ``settings`` are ``Network.fit``'s, checked. Returns the History
    (the same on every rank: losses are means over all ranks' rows)."""
    rank, size = comm.Get_rank(), comm.Get_size()
    problem = None
    try:  # every rank checks its own arguments; all learn whether any failed
        if sync not in SYNCS:
            raise ValueError(f"sync must be 'step' or 'epoch', got {sync!r}")
        if net.arch.dropout:
            raise ValueError("training over MPI does not take dropout yet")
        Xv, Y = net._data(X, y)
        weights = _inputs.sample_weights(net.arch, sample_weight, Xv.shape[0])
        validation = _inputs.validation(net.arch, validation_data)
        mine = (net.arch.sizes, net.arch.loss, str(net.dtype), net.arch.activations)
    except Exception as err:  # noqa: BLE001 - re-raised below, on this rank
        problem, mine = err, None
    found = comm.allgather(None if problem is None else f"{type(problem).__name__}: "
                           f"{problem}")
    if problem is not None:
        raise problem
    if any(found):
        k = next(i for i, f in enumerate(found) if f)
        raise RuntimeError(f"rank {k} of {size} refused to train: {found[k]}")
    networks = comm.allgather(mine)
    if any(other != networks[0] for other in networks):
        k = next(i for i, other in enumerate(networks) if other != networks[0])
        raise ValueError(f"rank {k}'s network {networks[k]} is not rank 0's {networks[0]}")
    optimizer = settings.optimizer
    optimizer.bind(net.n_params, net.dtype, (net.sizes, net.bias))
    _broadcast_start(net, optimizer, comm)
    seed = settings.seed if settings.seed is not None else comm.bcast(net._seed, root=0)
    first = 0 if settings.seed is not None else net._epochs_trained
    history = History(validation=validation is not None, classification=net.is_classifier)
    rates = None if settings.schedule is None else settings.schedule.rates(
        optimizer.epochs, settings.epochs, optimizer.lr, int(comm.allreduce(Xv.shape[0])))
    run = _Run(net, comm, Xv, Y, weights, settings, optimizer, timeout)
    with net._guard.training("fit", net._scratch) as scratch:
        run.scratch = scratch
        net.history, net.optimizer = history, optimizer
        base_lr = optimizer.lr
        try:
            for e in range(settings.epochs):
                if rates is not None:
                    optimizer.lr = float(rates[e])
                try:
                    if sync == "step" and run.compiled:
                        loss = run.epoch_compiled(
                            rank_seed(seed, rank) if settings.shuffle else None, first + e, e)
                    else:
                        order = epoch_order(Xv.shape[0], rank_seed(seed, rank), first + e) \
                            if settings.shuffle else np.arange(Xv.shape[0])
                        loss = run.epoch_steps(order, e) if sync == "step" else \
                            run.epoch_local(order)
                except DivergenceError as err:
                    err.history = history
                    raise
                history.loss.append(loss)
                logs = {"lr": optimizer.lr}
                if validation is not None:
                    logs.update(run.validation_scores(*validation))
                history.record(logs)
                optimizer.epochs += 1
                net._epochs_trained += 1
        finally:
            if rates is not None:
                optimizer.lr = base_lr
    return history


def _broadcast_start(net, optimizer, comm) -> None:
    """Rank 0's parameters, optimizer state, step and epoch counts, on every rank."""
    comm.Bcast(net.params, root=0)
    for name in sorted(optimizer.state):
        comm.Bcast(optimizer.state[name], root=0)
    optimizer.t, optimizer.epochs = comm.bcast((optimizer.t, optimizer.epochs), root=0)


class _Run:
    """One training over MPI: the buffers, and an epoch of either kind.

    A synchronous epoch runs in one compiled call with the compiled engine
    (``epoch_compiled``: Python only for the all-reduce of each step), and step by step
    in Python with the NumPy engine (``epoch_steps``, the readable statement of the same
    steps). Either way a step whose sums are not finite on some rank ends training on
    every rank as one process's would: ``DivergenceError``, the parameters back to those
    before the step that produced them."""

    def __init__(self, net, comm, X, Y, weights, settings, optimizer, timeout):
        self.net, self.comm, self.X, self.Y, self.weights = net, comm, X, Y, weights
        self.settings, self.optimizer, self.timeout = settings, optimizer, timeout
        self.size = comm.Get_size()
        self.compiled = net._engine.name == "cython"
        n = net.n_params
        self.grad = np.empty(n, dtype=net.dtype)
        # [Σ w·gradient | Σ w·loss | Σ w (the row count) | ranks whose sums are not finite]
        self.sums = np.empty(n + 3, dtype=net.dtype)
        self.backup = np.empty_like(net.params)  # the parameters before the last update
        self.backup_valid = False
        self.losses, self.stop = np.full(1, np.nan), np.zeros(1, dtype=np.int8)
        b = settings.batch_size
        self.steps = int(comm.allreduce(-(-X.shape[0] // b), op=_mpi().MAX))
        self.scratch = None

    def allreduce(self, send, recv=None, op=None) -> None:
        """``recv`` (None: ``send``, in place) ← the sum (or ``op``) over the ranks of
        ``send``, waiting at most ``timeout`` seconds for the others."""
        in_place = recv is None or recv is send
        if self.size == 1:  # nothing to add up
            if not in_place:
                recv[...] = send
            return
        if in_place:
            send, recv = _mpi().IN_PLACE, send
        request = self.comm.Iallreduce(send, recv, op or _mpi().SUM)
        # poll without sleeping: MPI moves a non-blocking collective on only while it is
        # called (a sleep between polls made a 25 MB all-reduce 15x slower)
        deadline, polls = time.monotonic() + self.timeout, 0
        while not request.Test():
            polls += 1
            if polls % 4096 == 0 and time.monotonic() > deadline:
                raise TimeoutError(
                        f"rank {self.comm.Get_rank()}: the other ranks did not answer in "
                        f"{self.timeout:g} s (one of them stopped or failed; run with "
                        "'python -m mpi4py' so that a failure ends every rank)")

    def _sum_over_ranks(self) -> None:
        """``sums`` ← their sum over the ranks: the compiled loop's call, once a step."""
        self.allreduce(self.sums)

    def _divergence(self, epoch: int, step: int, err=None) -> DivergenceError:
        """The error of a step that diverged: on some rank's sums (counted in the last
        one), else ``err``, the update's."""
        ranks = int(self.sums[-1])
        if ranks or err is None:
            err = DivergenceError(
                f"training diverged at epoch {epoch}, step {step}: a non-finite loss or "
                f"gradient on {ranks} rank(s); every rank keeps the parameters it had "
                "before the step that produced it (try a smaller learning rate)",
                epoch=epoch, batch=step)
        err.epoch, err.batch = epoch, step
        return err

    def epoch_compiled(self, seed, shuffle_epoch: int, epoch: int) -> float:
        """``epoch_steps`` in one call of the compiled loop, its order drawn there from
        ``seed`` (None: no shuffle) and ``shuffle_epoch``; returns the epoch's loss."""
        s, net = self.settings, self.net
        try:
            net._engine.train(net.arch, net.params, self.X, self.Y, epochs=1,
                              first_epoch=shuffle_epoch, batch_size=s.batch_size,
                              optimizer=self.optimizer, seed=seed, losses=self.losses,
                              backup=self.backup, backup_valid=self.backup_valid,
                              stop=self.stop, scratch=self.scratch, weights=self.weights,
                              clip_norm=s.clip_norm, clip_value=s.clip_value,
                              reduce=self._sum_over_ranks, sums=self.sums,
                              steps=self.steps)
        except DivergenceError as err:
            raise self._divergence(epoch, err.batch, err) from None
        self.backup_valid = True
        return float(self.losses[0])

    def _batch(self, rows) -> tuple[float, float]:
        """The mean loss of this rank's ``rows`` (its gradient into ``grad``) and their
        count (with sample weights: their sum)."""
        net, w = self.net, None if self.weights is None else self.weights[rows]
        mean = net._engine.loss_and_grad(net.arch, net.params, self.X[rows], self.Y[rows],
                                         self.grad, self.scratch, w)
        return mean, len(rows) if w is None else float(np.sum(w, dtype=np.float64))

    def _step(self) -> None:
        """The optimizer's step with ``grad``, clipped as ``fit`` clips."""
        if self.settings.clip_norm or self.settings.clip_value:
            clip_gradient(self.net.arch, self.grad, self.settings.clip_norm,
                          self.settings.clip_value)
        self.net._apply(self.optimizer, self.grad)

    def epoch_steps(self, order, epoch: int) -> float:
        """An epoch of synchronous steps; returns its mean loss over all ranks' rows."""
        n, b, sums, params = self.net.n_params, self.settings.batch_size, self.sums, \
            self.net.params
        total_loss = total_rows = 0.0
        for step in range(self.steps):
            rows = order[step * b:(step + 1) * b]
            if len(rows):
                mean, count = self._batch(rows)
                np.multiply(self.grad, count, out=sums[:n])
                sums[n], sums[n + 1] = mean * count, count
                sums[n + 2] = 0 if np.isfinite(sums[:n + 1]).all() else 1
            else:  # this shard has run out: no rows, no gradient
                sums[:] = 0
            self.allreduce(sums)
            if sums[n + 2] > 0:  # as one process: back to before the step that led here
                if self.backup_valid:
                    params[...] = self.backup
                raise self._divergence(epoch, step)
            self.backup[...] = params
            self.backup_valid = True
            if sums[n + 1] == 0:  # every row weighs 0: no step
                continue
            np.divide(sums[:n], sums[n + 1], out=self.grad)
            try:
                self._step()
            except DivergenceError as err:
                raise self._divergence(epoch, step, err) from None
            total_loss += float(sums[n])
            total_rows += float(sums[n + 1])
        return total_loss / total_rows if total_rows else float("nan")

    def epoch_local(self, order) -> float:
        """An epoch on this shard alone, then the average over the ranks of the
        parameters and the optimizer's state; returns the mean loss over all rows."""
        b = self.settings.batch_size
        loss_sum = rows_sum = 0.0
        for start in range(0, len(order), b):
            mean, count = self._batch(order[start:start + b])
            bad = not (np.isfinite(mean) and np.isfinite(self.grad).all())
            if not bad and count:
                try:
                    self._step()
                except DivergenceError:
                    bad = True
            if bad:  # tell the others, and stop together
                self._average(diverged=True)
            loss_sum += mean * count
            rows_sum += count
        return self._average(loss_sum, rows_sum)

    def _average(self, loss_sum=0.0, rows_sum=0.0, diverged=False) -> float:
        """Parameters and optimizer state ← their mean over the ranks (a flag first, so
        that one rank's divergence stops all); returns Σ loss / Σ rows over the ranks."""
        flags = np.array([loss_sum, rows_sum, float(diverged)])
        totals = np.empty_like(flags)
        self.allreduce(flags, totals)
        if totals[2] > 0:
            raise DivergenceError(f"{int(totals[2])} rank(s) diverged in this epoch: "
                                  "training stopped on every rank", epoch=0, batch=0)
        size = self.comm.Get_size()
        for buffer in [self.net.params] + [self.optimizer.state[k]
                                           for k in sorted(self.optimizer.state)]:
            total = np.empty_like(buffer)
            self.allreduce(buffer, total)
            np.divide(total, size, out=buffer)
        self.optimizer.t = int(self.comm.allreduce(self.optimizer.t, op=_mpi().MAX))
        return float(totals[0] / totals[1]) if totals[1] else float("nan")

    def validation_scores(self, Xv, Yv) -> dict:
        """Validation loss (and accuracy) over every rank's validation rows."""
        scores = self.net._scores(Xv, Yv)
        rows = Xv.shape[0]
        local = np.array([scores["loss"] * rows, scores.get("accuracy", 0.0) * rows, rows])
        total = np.empty_like(local)
        self.allreduce(local, total)
        out = {"val_loss": float(total[0] / total[2])}
        if "accuracy" in scores:
            out["val_accuracy"] = float(total[1] / total[2])
        return out


def _mpi():
    from mpi4py import MPI

    return MPI
