"""The compiled engine: the reference engine's interface, computed by Cython kernels.

Each method takes exactly the arguments of its ``NumpyEngine`` counterpart and returns
the same numbers (float64: relative 1e-12). ``train`` runs all requested epochs in one
compiled call with the GIL released.
"""

from __future__ import annotations

import numpy as np

from .numpy_engine import NumpyEngine, _diverged
from .plan import Plan

try:
    from .. import _engine, _kernels, _shuffle, _sklearn_epoch  # noqa: F401 (_kernels: configures)
    from .._codes import Status
except ImportError as exc:  # pragma: no cover - a broken install
    raise ImportError(
        "fastprop's compiled extension is missing: reinstall it with "
        "`pip install --force-reinstall fastprop-mlp` "
        "(needs a C compiler), or use engine='numpy'"
    ) from exc


class CythonEngine(NumpyEngine):
    """Drop-in for ``NumpyEngine`` (same inputs, same results)."""

    name = "cython"

    def __init__(self) -> None:
        self._plans: dict = {}
        self._last = (None, None)  # (arch, plan): the common case, one network in a loop

    def _plan(self, arch):
        last_arch, plan = self._last
        if arch is not last_arch:
            plan = self._plans.get(arch)
            if plan is None:
                plan = self._plans[arch] = Plan(arch)
            self._last = (arch, plan)
        return plan

    def predict(self, arch, params, X):
        out = np.empty((X.shape[0], arch.sizes[-1]), dtype=arch.dtype)
        return _engine.predict(self._plan(arch), params, X, out)

    def loss(self, arch, params, X, Y, weights=None) -> float:
        return _engine.loss(self._plan(arch), params, X, Y, weights)

    def loss_and_grad(self, arch, params, X, Y, grad, scratch=None, weights=None,
                      dropout=None) -> float:
        return _engine.gradient(self._plan(arch), params, X, Y, grad, scratch, weights,
                                dropout)

    def sgd_step(self, params, grad, lr: float) -> bool:
        return _engine.sgd_step(params, grad, lr)

    def update(self, optimizer, params, grad) -> None:
        _engine.apply_update(optimizer, params, grad)

    def sklearn_epoch(self, arch, params, X, Y, order, batch_size, optimizer, *, loss_scale,
                      grad_scale, alpha, sk_eps, scratch=None, weights=None) -> float:
        """One epoch of scikit-learn's stochastic solver in one compiled call (see
        ``fastprop.sklearn._solver``); returns the sum of batch loss × batch size."""
        stop = np.zeros(1, dtype=np.int8)  # Ctrl-C: KeyboardInterrupt from the signal check
        return _sklearn_epoch.sklearn_epoch(
            self._plan(arch), params, X, Y, order, batch_size, optimizer,
            loss_scale=loss_scale, grad_scale=grad_scale, alpha=alpha, sk_eps=sk_eps,
            stop=stop, scratch=scratch, weights=weights)

    def epoch_order(self, n, seed, epoch):
        return _shuffle.epoch_order(n, seed, epoch)

    def train(self, arch, params, X, Y, *, epochs, first_epoch, batch_size, optimizer, seed,
              losses, backup, backup_valid, stop, scratch=None, weights=None,
              dropout=None, lrs=None, clip_norm=0.0, clip_value=0.0, reduce=None,
              sums=None, steps=0) -> None:
        """``NumpyEngine.train``; with ``reduce``, ``sums`` and ``steps``, synchronous
        steps over MPI (``_engine.train``, for ``fastprop.distributed``)."""
        status, epoch, batch = _engine.train(
            self._plan(arch), params, X, Y, epochs=epochs, first_epoch=first_epoch,
            batch_size=batch_size, optimizer=optimizer, seed=seed, losses=losses,
            backup=backup, backup_valid=backup_valid, stop=stop, scratch=scratch,
            weights=weights, dropout=dropout, lrs=lrs, clip_norm=clip_norm,
            clip_value=clip_value, reduce=reduce, sums=sums, steps=steps)
        if status in (Status.DIVERGED_LOSS, Status.DIVERGED_UPDATE):
            raise _diverged(first_epoch + epoch, batch,
                            "loss" if status == Status.DIVERGED_LOSS else "update")
