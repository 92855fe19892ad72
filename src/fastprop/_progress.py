"""``fit``'s progress bar over epochs: tqdm's when installed, else a plain text one."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .history import History


def check_progress(progress):
    """``fit``'s ``progress``: True, False or "auto"."""
    if progress not in (True, False, "auto"):
        raise ValueError(f"progress must be True, False or 'auto', got {progress!r}")
    return progress


def postfix(history: History) -> dict:
    """The bar's running metrics after an epoch: loss, and validation loss/accuracy."""
    out = {"loss": f"{history.loss[-1]:.4g}"} if history.loss else {}
    if history.val_loss:
        out["val_loss"] = f"{history.val_loss[-1]:.4g}"
    if history.val_accuracy:
        out["val_acc"] = f"{history.val_accuracy[-1]:.4f}"
    return out


def progress_bar(epochs: int, progress):
    """A progress bar over epochs on stderr, or None.

    ``progress=True`` shows it even when stderr is not a terminal (a log then gets the
    bar's updates); ``"auto"`` only on a terminal. The bar is tqdm's (the ``progress``
    extra); without tqdm, a plain text bar with the same interface.
    """
    import sys

    stream = sys.stderr
    if not progress or stream is None:
        return None
    tty = bool(getattr(stream, "isatty", lambda: False)())
    if progress == "auto" and not tty:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        pass
    else:
        return tqdm(total=epochs, unit="epoch", desc="training", leave=True,
                    dynamic_ncols=True, file=stream)

    class TextBar:  # tqdm's update/set_postfix/close, drawn with plain characters
        """A line per step when drawn (each tenth of the epochs, or every epoch on a
        terminal), showing the epochs done and the metrics of the last of them."""

        done, postfix, drawn = 0, {}, -1

        def update(self, n=1):
            self.done += n
            if tty or self.done == epochs or self.done % max(1, epochs // 10) == 0:
                self.draw()

        def set_postfix(self, postfix, refresh=True):
            self.postfix = dict(postfix)  # drawn by the update that follows
            if refresh:
                self.draw()

        def draw(self):
            bar = "#" * (30 * self.done // max(epochs, 1))
            extra = " ".join(f"{k}={v}" for k, v in self.postfix.items())
            line = f"training {self.done}/{epochs} epochs [{bar:<30}] {extra}".rstrip()
            stream.write(f"\r{line}" if tty else f"{line}\n")
            stream.flush()
            self.drawn = self.done

        def close(self):
            if self.drawn != self.done:
                self.draw()
            if tty:
                stream.write("\n")

    return TextBar()
