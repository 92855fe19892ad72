"""The record of a ``fit``: one entry per completed epoch."""

from __future__ import annotations


class History:
    """Per-epoch training record returned by ``Network.fit``.

    Attributes
    ----------
    loss : list of float
        Mean per-sample training loss of each epoch (each batch's mean loss weighted by
        its size), computed during the epoch as the weights changed.
    lr : list of float
        The learning rate each epoch trained at (a schedule's, or the optimizer's).
    val_loss, val_accuracy : list of float or None
        Loss (and, for classification, accuracy) on ``validation_data`` after each epoch;
        None when no validation data was given (``val_accuracy`` also for regression).
    metrics : dict of str to list of float
        ``fit(metrics=[...])``'s values after each epoch: each metric on the training data
        under its name, on the validation data as ``val_<name>``.
    best_epoch, stopped_epoch : int or None
        Set by ``fastprop.callbacks.EarlyStopping``: the index of the best epoch, and of
        the epoch after which it stopped training (None: it did not stop it).
    interrupted : bool
        True when training stopped early on Ctrl-C.

    ``history[name]`` is any of these lists by its log name ("loss", "lr", "val_loss",
    "val_f1", …).

    Examples
    --------
    >>> import fastprop as fp
    >>> X, y = fp.data.xor()
    >>> h = fp.Network([2, 8, 1], seed=0).fit(X, y, epochs=3, lr=0.1)
    >>> len(h.loss)
    3
    """

    def __init__(self, validation: bool = False, classification: bool = False,
                 metrics: tuple[str, ...] = ()):
        self.loss: list[float] = []
        self.lr: list[float] = []
        self.val_loss: list[float] | None = [] if validation else None
        self.val_accuracy: list[float] | None = [] if validation and classification else None
        self.metrics: dict[str, list[float]] = {name: [] for name in metrics}
        if validation:
            self.metrics.update({f"val_{name}": [] for name in metrics})
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.interrupted = False

    def logged(self) -> frozenset[str]:
        """The names an epoch's logs hold (``fastprop.callbacks``)."""
        return frozenset(self.to_dict())

    def record(self, logs: dict) -> None:
        """Append an epoch's logs (all but ``loss``, which the engine's call recorded)."""
        self.lr.append(logs["lr"])
        if self.val_loss is not None:
            self.val_loss.append(logs["val_loss"])
        if self.val_accuracy is not None:
            self.val_accuracy.append(logs["val_accuracy"])
        for name, values in self.metrics.items():
            values.append(logs[name])

    def __getitem__(self, name: str) -> list[float]:
        lists = self.to_dict()
        if name not in lists:
            raise KeyError(f"history has no {name!r}; it holds {sorted(lists)}")
        return getattr(self, name) if name in ("loss", "lr", "val_loss", "val_accuracy") \
            else self.metrics[name]

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __len__(self) -> int:
        return len(self.loss)

    def to_dict(self) -> dict:
        """The recorded lists by name (JSON-ready).

        >>> import fastprop as fp
        >>> X, y = fp.data.xor(50)
        >>> h = fp.Network([2, 4, 1], seed=0).fit(X, y, epochs=2, validation_data=(X, y))
        >>> sorted(h.to_dict())
        ['loss', 'lr', 'val_accuracy', 'val_loss']
        """
        out = {"loss": list(self.loss), "lr": list(self.lr)}
        if self.val_loss is not None:
            out["val_loss"] = list(self.val_loss)
        if self.val_accuracy is not None:
            out["val_accuracy"] = list(self.val_accuracy)
        out.update((name, list(values)) for name, values in self.metrics.items())
        return out

    def plot(self, path=None, ax=None, title: str | None = None):
        """Plot the loss curves (needs matplotlib: ``pip install "fastprop-mlp[plot]"``).

        Examples
        --------
        >>> import fastprop as fp
        >>> X, y = fp.data.xor(50)
        >>> fig = fp.Network([2, 4, 1], seed=0).fit(X, y, epochs=3).plot()  # or .plot("loss.png")
        """
        from .plotting import plot_history

        return plot_history(self, path=path, ax=ax, title=title)

    def __repr__(self):
        if not self.loss:
            return "History(epochs=0)"
        parts = [f"epochs={self.epochs}", f"loss={self.loss[-1]:.6g}"]
        if self.val_loss:
            parts.append(f"val_loss={self.val_loss[-1]:.6g}")
        if self.val_accuracy:
            parts.append(f"val_accuracy={self.val_accuracy[-1]:.4g}")
        if self.stopped_epoch is not None:
            parts.append(f"stopped_epoch={self.stopped_epoch}")
        if self.interrupted:
            parts.append("interrupted")
        return f"History({', '.join(parts)})"
