"""The record of a ``fit``: one entry per completed epoch."""

from __future__ import annotations


class History:
    """Per-epoch training record returned by ``Network.fit``.

    Attributes
    ----------
    loss : list of float
        Mean per-sample training loss of each epoch (each batch's mean loss weighted by
        its size), computed during the epoch as the weights changed.
    val_loss, val_accuracy : list of float or None
        Loss (and, for classification, accuracy) on ``validation_data`` after each epoch;
        None when no validation data was given (``val_accuracy`` also for regression).
    interrupted : bool
        True when training stopped early on Ctrl-C.

    Examples
    --------
    >>> import fastprop as fp
    >>> X, y = fp.data.xor()
    >>> h = fp.Network([2, 8, 1], seed=0).fit(X, y, epochs=3, lr=0.1)
    >>> len(h.loss)
    3
    """

    def __init__(self, validation: bool = False, classification: bool = False):
        self.loss: list[float] = []
        self.val_loss: list[float] | None = [] if validation else None
        self.val_accuracy: list[float] | None = [] if validation and classification else None
        self.interrupted = False

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
        ['loss', 'val_accuracy', 'val_loss']
        """
        out = {"loss": list(self.loss)}
        if self.val_loss is not None:
            out["val_loss"] = list(self.val_loss)
        if self.val_accuracy is not None:
            out["val_accuracy"] = list(self.val_accuracy)
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
        if self.interrupted:
            parts.append("interrupted")
        return f"History({', '.join(parts)})"
