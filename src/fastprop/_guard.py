"""Who may use a network from which thread: one trainer at a time, readers alongside
each other but never alongside a trainer, and the kept training buffers (``scratch``)
lent to one user at a time.

``fit`` and ``step`` change the parameters, so a second one started while the first
runs is refused (``RuntimeError``), and so are ``predict``, ``loss``, ``evaluate`` and
``gradients`` during training: they would read parameters that change under them (the
compiled engine writes each step into the other of two buffers). The training thread
itself may read (``fit``'s callbacks, between epochs, see the parameters of the epoch
just completed). Readers run alongside each other: of two ``gradients`` calls at once,
the first uses the network's kept workspace, the second a private one.
"""

from __future__ import annotations

import contextlib
import threading


class Guard:
    """The locks of one network (not copied or pickled with it)."""

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._trainer: str | None = None  # what is training: "fit" or "step"
        self._trainer_thread: int | None = None
        self._readers = 0
        self._scratch = threading.Lock()  # held by whoever uses the kept buffers

    def _busy(self, what: str) -> RuntimeError:
        if self._trainer_thread == threading.get_ident():  # a callback of its own fit
            return RuntimeError(
                f"{what}: this network is being trained by this very thread (a fit "
                "callback cannot train the network it is called from; use net.copy())")
        return RuntimeError(
            f"{what}: this network is being trained in another thread; a network can be "
            "trained by one thread at a time (use net.copy())")

    @contextlib.contextmanager
    def training(self, what: str, scratch: dict):
        """Exclusive use while ``what`` changes the parameters; yields ``scratch``."""
        with self._state:
            if self._trainer is not None:
                raise self._busy(what)
            self._trainer, self._trainer_thread = what, threading.get_ident()
            while self._readers:  # gradients calls are short: let them finish
                self._state.wait()
        try:
            with self._scratch:
                yield scratch
        finally:
            with self._state:
                self._trainer = self._trainer_thread = None
                self._state.notify_all()

    @contextlib.contextmanager
    def reading(self, what: str, scratch: dict | None = None):
        """Use alongside other readers, never during training; yields ``scratch`` when it
        is free, else a private dict (None when no scratch is asked for)."""
        with self._state:
            if self._trainer is not None and self._trainer_thread != threading.get_ident():
                raise self._busy(what)
            self._readers += 1
        mine = scratch is not None and self._scratch.acquire(blocking=False)
        try:
            yield scratch if mine else (None if scratch is None else {})
        finally:
            if mine:
                self._scratch.release()
            with self._state:
                self._readers -= 1
                self._state.notify_all()


def kept(scratch: dict, key: str, like):
    """An array shaped like ``like``, kept in a network's ``scratch`` between calls: for a
    large network the training buffers are tens of megabytes, and fresh pages cost a
    page fault and a zeroing each, every call."""
    import numpy as np

    buffer = scratch.get(key)
    if buffer is None or buffer.shape != like.shape or buffer.dtype != like.dtype:
        buffer = scratch[key] = np.empty_like(like)
    return buffer
