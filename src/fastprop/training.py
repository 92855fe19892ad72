"""``Network.fit``: the epoch loop around an engine, with validation, progress and Ctrl-C.

When nothing has to happen in Python between epochs (no validation data, no progress
bar) all epochs go to the engine in one call, so the compiled engine runs them without
returning to Python.
"""

from __future__ import annotations

import contextlib
import signal
import threading

import numpy as np

from ._guard import kept
from .errors import DivergenceError
from .history import History


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


def check_progress(progress):
    """``fit``'s ``progress``: True, False or "auto"."""
    if progress not in (True, False, "auto"):
        raise ValueError(f"progress must be True, False or 'auto', got {progress!r}")
    return progress


def run_fit(engine, arch, params, X, Y, history: History, *, epochs, batch_size, optimizer,
            seed, first_epoch, validation, evaluate, progress, scratch, weights=None,
            dropout=None) -> None:
    """Train ``params`` (a network's flat buffer, with architecture ``arch``) in place on
    the validated (X, Y), recording each completed epoch in ``history``.

    ``engine.train`` runs the epochs; ``validation`` is a validated (X, Y) or None, scored
    after every epoch by ``evaluate(X, Y) -> {"loss", "accuracy"?}``; ``scratch`` is the
    dict of buffers the network keeps between calls; ``dropout`` = (seed, first epoch) of
    the dropout masks, or None; the other arguments are ``Network.fit``'s, checked.
    Raises ``DivergenceError`` (with ``history`` attached) and, after Ctrl-C,
    ``KeyboardInterrupt``; ``len(history.loss)`` is the number of epochs completed
    either way.
    """
    step = 1 if validation is not None or progress else EPOCHS_PER_CALL
    losses = np.full(max(min(epochs, step), 1), np.nan)  # grows with the epochs run
    backup = kept(scratch, "backup", params)
    bar = _progress_bar(epochs, progress)
    try:
        with interrupt_flag() as stop:
            for start in range(0, epochs, step):
                count = min(step, epochs - start)
                losses[:count] = np.nan
                try:
                    engine.train(arch, params, X, Y, epochs=count,
                                 first_epoch=first_epoch + start, batch_size=batch_size,
                                 optimizer=optimizer, seed=seed, losses=losses[:count],
                                 backup=backup, backup_valid=start > 0, stop=stop,
                                 scratch=scratch, weights=weights,
                                 dropout=None if dropout is None else
                                 (dropout[0], dropout[1] + start))
                finally:
                    finished = np.isfinite(losses[:count])
                    new = int(np.argmin(finished)) if not finished.all() else count
                    history.loss.extend(float(v) for v in losses[:new])
                if stop[0] or new < count:
                    break
                if validation is not None:
                    assert history.val_loss is not None  # History(validation=True): a list
                    scores = evaluate(*validation)
                    history.val_loss.append(scores["loss"])
                    if history.val_accuracy is not None:
                        history.val_accuracy.append(scores["accuracy"])
                if bar is not None:
                    bar.set_postfix(_postfix(history), refresh=False)
                    bar.update(1)
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


def _postfix(history: History) -> dict:
    """The bar's running metrics after an epoch: loss, and validation loss/accuracy."""
    out = {"loss": f"{history.loss[-1]:.4g}"} if history.loss else {}
    if history.val_loss:
        out["val_loss"] = f"{history.val_loss[-1]:.4g}"
    if history.val_accuracy:
        out["val_acc"] = f"{history.val_accuracy[-1]:.4f}"
    return out


def _progress_bar(epochs: int, progress):
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
