"""Callbacks: code that ``fit`` runs after every epoch, to watch, stop or steer training.

``fit(..., callbacks=[...])`` calls, for each callback in order:

* ``check(net, logged)`` before anything is trained: ``logged`` is the set of names the
  epoch logs will hold; a callback refuses settings that cannot work (a monitor that is
  never logged, a checkpoint directory that does not exist), and the network is left
  untouched;
* ``on_train_begin(net)``;
* ``on_epoch_end(net, epoch, logs)`` after each epoch (``epoch`` counts from 0 within
  this ``fit``); ``logs`` holds ``loss`` (the epoch's mean training loss), ``lr`` (the
  rate it trained at) and, with validation data, ``val_loss`` and, for classifiers,
  ``val_accuracy``; with ``fit(metrics=[...])`` each metric on the training data under
  its name and on the validation data as ``val_<name>``. Returning True stops training
  after this epoch;
* ``on_train_end(net, history)`` when training ends normally (all epochs, or stopped by
  a callback). After Ctrl-C or a ``DivergenceError`` it is not called: the network holds
  what those document (the parameters of the last completed step).

With callbacks ``fit`` returns to Python after every epoch; without them (and without
validation data or a progress bar) the compiled engine runs all epochs in one call.

>>> import fastprop as fp
>>> X, y = fp.data.two_moons(200, seed=0)
>>> net = fp.Network([2, 16, 1], seed=0)
>>> stop = fp.callbacks.EarlyStopping(patience=3)
>>> h = net.fit(X, y, epochs=200, validation_data=(X, y), callbacks=[stop],
...             optimizer=fp.Adam(0.05))
>>> h.best_epoch == h.val_loss.index(min(h.val_loss))
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np

from ._validation import check_bool, check_float, check_int

__all__ = ["Callback", "EarlyStopping", "LambdaCallback", "ModelCheckpoint",
           "ReduceLROnPlateau", "check_callbacks"]

#: Logged values that are better when larger (``mode="auto"`` maximises them).
LARGER_IS_BETTER = ("accuracy", "precision", "recall", "f1", "roc_auc", "r2")


class Callback:
    """Base class: every hook does nothing; subclasses override the ones they need.

    >>> import fastprop as fp
    >>> class Print(fp.callbacks.Callback):
    ...     def on_epoch_end(self, net, epoch, logs):
    ...         print(epoch, sorted(logs))
    >>> X, y = fp.data.xor()
    >>> _ = fp.Network([2, 4, 1], seed=0).fit(X, y, epochs=2, callbacks=[Print()])
    0 ['loss', 'lr']
    1 ['loss', 'lr']
    """

    def check(self, net, logged: frozenset[str]) -> None:
        """Raise (TypeError/ValueError) if this callback cannot run with logs holding
        ``logged``; called before training starts."""

    def on_train_begin(self, net) -> None:
        pass

    def on_epoch_end(self, net, epoch: int, logs: dict) -> bool | None:
        return None

    def on_train_end(self, net, history) -> None:
        pass


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda net, epoch, logs:
    print(epoch, logs["loss"]))`` (each hook optional, with the hook's arguments).

    >>> import fastprop as fp
    >>> seen = []
    >>> cb = fp.callbacks.LambdaCallback(on_epoch_end=lambda net, e, logs: seen.append(e))
    >>> _ = fp.Network([2, 1], seed=0).fit(*fp.data.xor(), epochs=3, callbacks=[cb])
    >>> seen
    [0, 1, 2]
    """

    def __init__(self, on_train_begin: Callable | None = None,
                 on_epoch_end: Callable | None = None,
                 on_train_end: Callable | None = None):
        for name, hook in (("on_train_begin", on_train_begin),
                           ("on_epoch_end", on_epoch_end), ("on_train_end", on_train_end)):
            if hook is not None and not callable(hook):
                raise TypeError(f"{name} must be a function or None, got {hook!r}")
        self._begin, self._epoch, self._end = on_train_begin, on_epoch_end, on_train_end

    def on_train_begin(self, net):
        if self._begin is not None:
            self._begin(net)

    def on_epoch_end(self, net, epoch, logs):
        return None if self._epoch is None else self._epoch(net, epoch, logs)

    def on_train_end(self, net, history):
        if self._end is not None:
            self._end(net, history)


class _Monitor:
    """A logged value watched for improvement: ``monitor``, ``mode`` ("min", "max" or
    "auto": max for accuracy-like names, see ``LARGER_IS_BETTER``)."""

    def __init__(self, monitor: str, mode: str):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a logged value, got {monitor!r}")
        if mode not in ("min", "max", "auto"):
            raise ValueError(f"mode must be 'min', 'max' or 'auto', got {mode!r}")
        self.monitor = monitor
        self.mode = mode
        self.larger_is_better = mode == "max" or (mode == "auto" and monitor.removeprefix(
            "val_") in LARGER_IS_BETTER)

    def check_logged(self, logged, owner: str) -> None:
        if self.monitor not in logged:
            hint = " (val_* values need validation_data)" if \
                self.monitor.startswith("val_") else ""
            raise ValueError(f"{owner} monitors {self.monitor!r}, which fit does not log"
                             f"{hint}; it logs {sorted(logged)}")

    def worst(self) -> float:
        return -math.inf if self.larger_is_better else math.inf

    def beats(self, value: float, best: float, threshold: float = 0.0,
              relative: bool = False) -> bool:
        """Whether ``value`` improves on ``best`` by more than ``threshold`` in the better
        direction: beyond best ± threshold, or (``relative``) best·(1 ± threshold). A NaN
        never does."""
        sign = 1 if self.larger_is_better else -1
        bar = best * (1 + sign * threshold) if relative else best + sign * threshold
        return value > bar if self.larger_is_better else value < bar


class EarlyStopping(Callback, _Monitor):
    """Stop when ``monitor`` has not improved for ``patience`` epochs, and (with
    ``restore_best``) end with the parameters of its best epoch.

    Parameters
    ----------
    monitor : str, default "val_loss"
        A name in the logs (see ``fastprop.callbacks``).
    patience : int, default 5
        Epochs without improvement before stopping (0: stop at the first).
    min_delta : float, default 0
        An improvement is a change beyond ``min_delta`` in the better direction.
    mode : {"auto", "min", "max"}, default "auto"
    restore_best : bool, default True
        When training ends (stopped or not), copy back the parameters the network had
        at the end of the best epoch, exactly. The optimizer's state is not rolled back.

    After ``fit``: ``history.best_epoch`` (index into the history's lists) and
    ``history.stopped_epoch`` (the epoch after which it stopped, or None); also
    ``best``, ``best_epoch``, ``stopped_epoch`` on the callback.

    >>> import fastprop as fp
    >>> X, y = fp.data.two_moons(300, seed=1)
    >>> h = fp.Network([2, 32, 1], seed=0).fit(
    ...     X[:200], y[:200], epochs=500, optimizer=fp.Adam(0.05),
    ...     validation_data=(X[200:], y[200:]),
    ...     callbacks=[fp.callbacks.EarlyStopping(patience=5)])
    >>> h.stopped_epoch is not None and len(h.loss) == h.stopped_epoch + 1
    True
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool = True):
        _Monitor.__init__(self, monitor, mode)
        self.patience = check_int(patience, "patience", minimum=0)
        self.min_delta = check_float(min_delta, "min_delta", non_negative=True)
        self.restore_best = check_bool(restore_best, "restore_best")
        self._reset()

    def _reset(self):
        self.best = self.worst()
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0
        self._best_params: np.ndarray | None = None

    def check(self, net, logged):
        self.check_logged(logged, "EarlyStopping")

    def on_train_begin(self, net):
        self._reset()

    def on_epoch_end(self, net, epoch, logs):
        value = float(logs[self.monitor])
        if self.beats(value, self.best, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                if self._best_params is None:
                    self._best_params = net.params.copy()
                else:
                    self._best_params[...] = net.params
            return None
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return None

    def on_train_end(self, net, history):
        if self.restore_best and self._best_params is not None:
            net.params[...] = self._best_params
        history.best_epoch = self.best_epoch
        history.stopped_epoch = self.stopped_epoch

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta}, mode={self.mode!r}, "
                f"restore_best={self.restore_best})")


class ReduceLROnPlateau(Callback, _Monitor):
    """Multiply the optimizer's rate by ``factor`` when ``monitor`` stops improving:
    PyTorch's ``ReduceLROnPlateau`` rule, applied to ``net.optimizer.lr`` (the base rate a
    schedule scales) after each epoch.

    An epoch improves on the best so far when (for a value to minimise) it is below
    best·(1 − threshold) ("rel") or best − threshold ("abs"); after more than
    ``patience`` epochs without improvement the rate becomes max(lr·factor, min_lr)
    (unless that changes it by less than ``eps``) and ``cooldown`` epochs follow in which
    bad epochs are not counted. Its counters start afresh at each ``fit`` (they are not
    saved with the network).

    >>> import fastprop as fp
    >>> X, y = fp.data.two_moons(200, seed=0)
    >>> net = fp.Network([2, 8, 1], seed=0)
    >>> cb = fp.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, threshold=0.5)
    >>> h = net.fit(X, y, epochs=4, lr=0.1, callbacks=[cb])
    >>> [round(lr, 6) for lr in h.lr]  # (epoch 0 sets the best; each later one is "bad")
    [0.1, 0.1, 0.01, 0.001]
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float = 0.0, mode: str = "auto", eps: float = 1e-8):
        _Monitor.__init__(self, monitor, mode)
        self.factor = check_float(factor, "factor", positive=True, below=1.0)
        self.patience = check_int(patience, "patience", minimum=0)
        self.threshold = check_float(threshold, "threshold", non_negative=True)
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.threshold_mode = threshold_mode
        self.cooldown = check_int(cooldown, "cooldown", minimum=0)
        self.min_lr = check_float(min_lr, "min_lr", non_negative=True)
        self.eps = check_float(eps, "eps", non_negative=True)
        self._reset()

    def _reset(self):
        self.best = self.worst()
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def check(self, net, logged):
        self.check_logged(logged, "ReduceLROnPlateau")

    def on_train_begin(self, net):
        self._reset()

    def on_epoch_end(self, net, epoch, logs):
        value = float(logs[self.monitor])
        if self.beats(value, self.best, self.threshold, self.threshold_mode == "rel"):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            optimizer = net.optimizer
            new = max(optimizer.lr * self.factor, self.min_lr)
            if optimizer.lr - new > self.eps and new > 0:
                optimizer.lr = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return None

    def __repr__(self):
        return (f"ReduceLROnPlateau(monitor={self.monitor!r}, factor={self.factor}, "
                f"patience={self.patience}, threshold={self.threshold}, "
                f"threshold_mode={self.threshold_mode!r}, cooldown={self.cooldown}, "
                f"min_lr={self.min_lr})")


class ModelCheckpoint(Callback, _Monitor):
    """Save the network (``net.save``: atomic, optimizer state included) after each epoch,
    or only after epochs that improve ``monitor`` (``save_best_only``).

    ``path`` may hold fields of ``str.format``: ``{epoch}`` (the epochs completed in this
    ``fit``, from 1) and any logged value, as in ``"ckpt-{epoch:03d}-{val_loss:.3f}.npz"``;
    its directory must exist. ``last_saved`` is the path written last; ``best`` (with
    ``save_best_only``) carries over to the next ``fit`` it is given to, so a worse epoch
    never overwrites a better file.

    >>> import fastprop as fp, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "best.npz")
    >>> X, y = fp.data.xor()
    >>> cb = fp.callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True)
    >>> _ = fp.Network([2, 4, 1], seed=0).fit(X, y, epochs=3, callbacks=[cb])
    >>> fp.load(path).sizes
    (2, 4, 1)
    """

    def __init__(self, path, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto"):
        path = os.fspath(path)
        if not isinstance(path, str):
            raise TypeError(f"path must be a str or os.PathLike, got {path!r}")
        _Monitor.__init__(self, monitor, mode)
        self.path = path
        self.save_best_only = check_bool(save_best_only, "save_best_only")
        self.best = self.worst()
        self.last_saved: str | None = None

    def check(self, net, logged):
        if self.save_best_only:
            self.check_logged(logged, "ModelCheckpoint")
        try:
            sample = self.path.format(epoch=1, **{name: 0.0 for name in logged})
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"ModelCheckpoint path {self.path!r} has a field that is not "
                             f"'epoch' or a logged value ({exc})") from None
        directory = os.path.dirname(os.path.abspath(sample))
        if not os.path.isdir(directory):
            raise ValueError(f"ModelCheckpoint path {self.path!r}: the directory "
                             f"{directory!r} does not exist")

    def on_epoch_end(self, net, epoch, logs):
        if self.save_best_only:
            value = float(logs[self.monitor])
            if not self.beats(value, self.best):
                return None
            self.best = value
        self.last_saved = self.path.format(epoch=epoch + 1, **logs)
        net.save(self.last_saved)
        return None

    def __repr__(self):
        return (f"ModelCheckpoint({self.path!r}, monitor={self.monitor!r}, "
                f"save_best_only={self.save_best_only})")


def check_callbacks(callbacks) -> list[Callback]:
    """``fit``'s ``callbacks``: None or a list of ``Callback`` objects."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback) or not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a list of fastprop.callbacks.Callback, got "
                        f"{callbacks!r}")
    for i, callback in enumerate(callbacks):
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks[{i}] must be a fastprop.callbacks.Callback, got "
                            f"{callback!r}")
    return list(callbacks)
