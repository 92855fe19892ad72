"""``Network.fit``: the epoch loop around an engine, with validation, progress and Ctrl-C.

When nothing has to happen in Python between epochs (no validation data, no progress
bar, no callbacks, no metrics) all epochs go to the engine in one call — a learning-rate
schedule and gradient clipping included — so the compiled engine runs them without
returning to Python.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from dataclasses import dataclass

import numpy as np

from ._guard import kept
from ._progress import check_progress, postfix, progress_bar
from ._validation import check_bool, check_float, check_int, check_seed
from .callbacks import check_callbacks
from .errors import DivergenceError
from .history import History
from .metrics import check_metrics
from .optim import SGD, Optimizer, check_optimizer
from .schedules import Schedule, check_schedule


@contextlib.contextmanager
def interrupt_flag():
    """Yield a one-element flag that SIGINT sets (instead of raising) while inside.

    Engines check the flag at step boundaries, so Ctrl-C stops training between two
    steps with consistent parameters. Outside the main thread (where no SIGINT arrives)
    or when someone else owns the SIGINT handler, the flag is simply never set.
    """
    stop = np.zeros(1, dtype=np.int8)
    installed, previous = False, None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGINT)
        if previous is signal.default_int_handler:

            def handler(signum, frame):
                stop[0] = 1

            signal.signal(signal.SIGINT, handler)
            installed = True
    try:
        yield stop
    finally:
        if installed:
            signal.signal(signal.SIGINT, previous)


#: Epochs per engine call when nothing happens in Python between epochs: the compiled
#: engine runs them without returning, and the loss buffer stays small however many
#: epochs are asked for.
EPOCHS_PER_CALL = 4096


@dataclass
class FitSettings:
    """``fit``'s arguments that do not depend on the data, checked (``check_fit_settings``):
    the optimizer (``fastprop.optim``; SGD(lr) when only ``lr`` was given), the schedule
    or None, the clipping bounds (0: off), the callbacks and the metrics' names."""

    epochs: int
    batch_size: int
    shuffle: bool
    seed: int | None
    progress: bool | str
    optimizer: Optimizer
    schedule: Schedule | None
    clip_norm: float
    clip_value: float
    callbacks: list
    metrics: tuple[str, ...]

    def check_with(self, net, n_samples: int, logged: frozenset[str]) -> None:
        """The checks that need the data and the network: every rate of the schedule is
        finite and ≥ 0, each callback can run with logs holding ``logged``, and the
        optimizer fits the network (it is bound to it: its state is allocated)."""
        self.batch_size = min(self.batch_size, n_samples)  # (larger: one batch of all)
        if self.schedule is not None:
            self.schedule.rates(self.optimizer.epochs, self.epochs, self.optimizer.lr,
                                n_samples)
        for callback in self.callbacks:
            callback.check(net, logged)
        self.optimizer.bind(net.n_params, net.dtype, (net.sizes, net.bias))


def check_fit_settings(*, epochs, batch_size, lr, optimizer, shuffle, seed, progress,
                       lr_schedule, clip_norm, clip_value, callbacks, metrics,
                       classification: bool) -> FitSettings:
    """``Network.fit``'s settings, each checked (a named TypeError/ValueError)."""
    if optimizer is not None and lr is not None:
        raise TypeError("give lr or optimizer, not both (the optimizer has its own lr)")
    return FitSettings(
        epochs=check_int(epochs, "epochs", minimum=0),
        batch_size=check_int(batch_size, "batch_size", minimum=1),
        shuffle=check_bool(shuffle, "shuffle"), seed=check_seed(seed),
        progress=check_progress(progress),
        optimizer=SGD(0.01 if lr is None else lr) if optimizer is None else
        check_optimizer(optimizer),
        schedule=check_schedule(lr_schedule),
        clip_norm=0.0 if clip_norm is None else check_float(clip_norm, "clip_norm",
                                                            positive=True),
        clip_value=0.0 if clip_value is None else check_float(clip_value, "clip_value",
                                                              positive=True),
        callbacks=check_callbacks(callbacks),
        metrics=tuple(check_metrics(metrics, classification)))


def run_fit(engine, arch, params, X, Y, history: History, settings: FitSettings, *, seed,
            first_epoch, validation, evaluate, scratch, count_epochs, weights=None,
            dropout=None, net=None) -> None:
    """Train ``params`` (a network's flat buffer, with architecture ``arch``) in place on
    the validated (X, Y), recording each completed epoch in ``history``.

    ``engine.train`` runs the ``settings``' epochs, epoch e at the rate
    ``schedule.rate(optimizer.epochs + e, …)`` (``fastprop.schedules``; no schedule:
    ``optimizer.lr``), each step's gradient clipped by ``clip_norm``/``clip_value``
    (0: off); ``seed`` and ``first_epoch`` are the shuffle's. After each epoch, when
    anything needs it, the epoch's logs are made — ``evaluate(X, Y, metrics, loss)``
    scores ``validation`` (a validated (X, Y) or None) and, with ``metrics``, the
    training data — recorded in ``history`` and handed to each of ``callbacks`` (with
    ``net``, the network they see); a callback returning True ends training there.
    ``count_epochs(k)`` is told of every k epochs completed, as soon as they are (a
    checkpoint saved from a callback then holds the network's epoch count).
    ``scratch`` is the dict of buffers the network keeps between calls; ``dropout`` =
    (seed, first epoch) of the dropout masks, or None. Raises ``DivergenceError`` (with
    ``history`` attached) and, after Ctrl-C, ``KeyboardInterrupt``; ``len(history.loss)``
    is the number of epochs completed either way, and ``optimizer.epochs`` has counted
    them.
    """
    epochs, optimizer, schedule = settings.epochs, settings.optimizer, settings.schedule
    callbacks, metrics = settings.callbacks, settings.metrics
    per_epoch = validation is not None or settings.progress or callbacks or metrics
    step = 1 if per_epoch else EPOCHS_PER_CALL
    losses = np.full(max(min(epochs, step), 1), np.nan)  # grows with the epochs run
    backup = kept(scratch, "backup", params)
    bar = progress_bar(epochs, settings.progress)
    stopped = False
    for callback in callbacks:
        callback.on_train_begin(net)
    try:
        with interrupt_flag() as stop:
            for start in range(0, epochs, step):
                count = min(step, epochs - start)
                losses[:count] = np.nan
                lrs = None if schedule is None else schedule.rates(
                    optimizer.epochs, count, optimizer.lr, X.shape[0])
                try:
                    engine.train(arch, params, X, Y, epochs=count,
                                 first_epoch=first_epoch + start,
                                 batch_size=settings.batch_size,
                                 optimizer=optimizer, seed=seed, losses=losses[:count],
                                 backup=backup, backup_valid=start > 0, stop=stop,
                                 scratch=scratch, weights=weights,
                                 dropout=None if dropout is None else
                                 (dropout[0], dropout[1] + start),
                                 lrs=lrs, clip_norm=settings.clip_norm,
                                 clip_value=settings.clip_value)
                finally:
                    finished = np.isfinite(losses[:count])
                    new = int(np.argmin(finished)) if not finished.all() else count
                    history.loss.extend(float(v) for v in losses[:new])
                    if not per_epoch:
                        history.lr.extend([optimizer.lr] * new if lrs is None else
                                          [float(v) for v in lrs[:new]])
                    optimizer.epochs += new
                    count_epochs(new)
                if per_epoch and new == count:  # (after Ctrl-C too: the lists stay aligned)
                    logs = _logs(history, optimizer.lr if lrs is None else float(lrs[0]),
                                 X, Y, validation, evaluate, metrics)
                    history.record(logs)
                    if not stop[0]:  # every callback sees the epoch, whichever asks to stop
                        stopped = any([bool(callback.on_epoch_end(net, start, logs))
                                       for callback in callbacks])
                if stop[0] or new < count:
                    break
                if bar is not None:
                    bar.set_postfix(postfix(history), refresh=False)
                    bar.update(1)
                if stopped:
                    break
            if stop[0]:
                history.interrupted = True
    except DivergenceError as exc:
        exc.history = history
        raise
    finally:
        if bar is not None:
            bar.close()
    if history.interrupted:
        raise KeyboardInterrupt(
            f"training interrupted after {len(history.loss)} complete epoch(s); the network "
            "holds the parameters of its last completed step and net.history the epochs "
            "so far"
        )
    for callback in callbacks:
        callback.on_train_end(net, history)


def _logs(history: History, lr: float, X, Y, validation, evaluate, metrics) -> dict:
    """The logs of the epoch just trained (``fastprop.callbacks``): its loss and rate,
    the validation scores, and each metric on the training and validation data."""
    logs = {"loss": history.loss[-1], "lr": lr}
    if metrics:
        logs.update(evaluate(X, Y, metrics, loss=False))
    if validation is not None:
        scores = evaluate(*validation, metrics, loss=True)
        logs.update((f"val_{name}", value) for name, value in scores.items())
    return logs
