"""scikit-learn's MLP objective and stochastic solvers, computed by fastprop's engines.

scikit-learn's definitions (``sklearn/neural_network``) differ from fastprop's core
(PyTorch's) in a few places; the adapter follows scikit-learn, so that the same
hyperparameters train to the same weights. With k outputs and a batch of n samples:

* **loss.** Squared error carries ½: L_sk = ½·mean((y − ŷ)²) = ½·L_mse. Binary and
  multi-label log-loss is summed over the outputs: L_sk = k·L_bce. Multi-class
  log-loss is fastprop's ``cross_entropy``.
* **gradient.** scikit-learn's output delta is (ŷ − y)/n for every loss, so
  g_sk = k·g_bce = (k/2)·g_mse = g_cross_entropy (for multi-output regression its
  gradient is k times the gradient of the loss it reports; we reproduce that).
* **Poisson.** scikit-learn's loss is half the Poisson deviance, averaged over the
  samples and summed over the outputs: Σ_j mean_i(y·log(y/ŷ) − y + ŷ), which is k times
  fastprop's mean(ŷ − y·z) (z = log ŷ) plus Σ_j mean_i(y·log y − y), a term of the
  targets alone: the loss adds it, row by row (``Objective.row_offsets``); the gradient
  is k times fastprop's.
* **L2 penalty** on the weights only, not the biases: + ½·alpha·Σ‖W‖²/n, whose gradient
  is alpha·W/n.
* **SGD.** scikit-learn keeps a velocity V ← μ·V − lr·g and steps p ← p + V (Nesterov:
  p ← p + μ·V − lr·g). That is PyTorch's rule with its buffer v = −V/lr, exactly; when
  the learning rate changes (the 'invscaling' and 'adaptive' schedules) V is kept, so
  the buffer is rescaled by lr_old/lr_new.
* **Adam.** scikit-learn adds eps to √v where PyTorch adds it to √v/√(1 − β₂ᵗ); step t
  therefore runs PyTorch's rule with eps/√(1 − β₂ᵗ), which is the same update.

The update arithmetic itself is the engine's (``engine.update`` over the flat buffer).
"""

from __future__ import annotations

import math

import numpy as np

from ..engines import get_engine
from ..engines.numpy_engine import _sequential_sum
from ..losses import LOSSES
from ..optim import SGD, Adam


class Objective:
    """scikit-learn's regularised loss and its gradient for an architecture.

    Parameters
    ----------
    arch : fastprop.architecture.Architecture
    engine : str
        "cython" or "numpy".
    alpha : float
        L2 penalty on the weights (scikit-learn's ``alpha``).
    """

    def __init__(self, arch, engine: str, alpha: float):
        self.arch, self.engine_name, self.alpha = arch, engine, float(alpha)
        self.loss_scale, self.grad_scale = LOSSES[arch.loss].sklearn_scales(arch.sizes[-1])
        self.engine = get_engine(engine)
        self._views: list = []
        self._scratch: dict = {}  # the engine's workspace, kept between batches
        self.offset = arch.loss == "poisson"  # scikit-learn's loss adds a term of y

    @staticmethod
    def row_offsets(Y: np.ndarray) -> np.ndarray:
        """Per row, what scikit-learn's Poisson loss adds to k × fastprop's: the sum over
        the outputs of y·log y − y (0·log 0 = 0)."""
        from scipy.special import xlogy

        return np.sum(xlogy(Y, Y) - Y, axis=1, dtype=np.float64)

    def epoch_offset(self, Y: np.ndarray, order, batch_size: int, weights) -> float:
        """Σ over an epoch's batches of rows × the batch's (weighted) mean row offset:
        what the Poisson loss adds to an epoch's accumulated loss."""
        visit = np.arange(Y.shape[0]) if order is None else np.asarray(order)
        offsets = self.row_offsets(Y)[visit]
        w = np.ones(len(visit)) if weights is None else \
            np.asarray(weights, dtype=np.float64)[visit]
        starts = np.arange(0, len(visit), batch_size)
        rows = np.diff(np.append(starts, len(visit)))
        totals, weight = np.add.reduceat(w * offsets, starts), np.add.reduceat(w, starts)
        means = np.divide(totals, weight, out=np.zeros_like(totals), where=weight != 0)
        return float(np.sum(rows * means))

    def __call__(self, params: np.ndarray, X: np.ndarray, Y: np.ndarray,
                 grad: np.ndarray, weights: np.ndarray | None = None) -> float:
        """scikit-learn's loss of the batch (X, Y) at ``params``; ``grad`` receives its
        gradient (flat, fastprop's layout). With sample ``weights`` the loss is their
        weighted mean and the penalty is divided by Σ weights instead of n."""
        loss = self.engine.loss_and_grad(self.arch, params, X, Y, grad, self._scratch,
                                         weights)
        if self.grad_scale != 1.0:
            grad *= self.grad_scale
        loss *= self.loss_scale
        if self.offset:
            offsets = self.row_offsets(Y)
            total = offsets.shape[0] if weights is None else _sequential_sum(weights)
            if total:
                loss += float(np.sum(offsets if weights is None else weights * offsets)
                              / total)
        if self.alpha:
            # Σ weights summed as the compiled epoch sums them
            loss += self.penalty(params, grad, X.shape[0] if weights is None
                                 else _sequential_sum(weights))
        return float(loss)

    def penalty(self, params: np.ndarray, grad: np.ndarray, n: float) -> float:
        """The L2 penalty ½·alpha·Σ‖W‖²/n of the weights (not the biases), whose
        gradient alpha·W/n is added to ``grad``; ``n`` is the rows (or Σ weights) of
        the loss it is added to."""
        squares = 0.0
        for W, gW in zip(self._weights(params), self._weights(grad), strict=True):
            w = W.ravel()
            squares += float(np.dot(w, w))
            gW += (self.alpha / n) * W
        return 0.5 * self.alpha * squares / n

    def _weights(self, flat: np.ndarray) -> list[np.ndarray]:
        """The weight views of a flat buffer (cached: training reuses two buffers)."""
        for buffer, views in self._views:
            if buffer is flat:
                return views
        views = self.arch.weight_views(flat)
        self._views = [(flat, views)] + self._views[:1]
        return views

    def __getstate__(self):
        """Pickled without what is rebuilt on use: the engine (process-local: its name
        is kept), the cached views and the engine's workspace (scratch buffers several
        times the model's size)."""
        state = self.__dict__.copy()
        del state["engine"]
        state["_views"], state["_scratch"] = [], {}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.engine = get_engine(self.engine_name)


class StochasticSolver:
    """scikit-learn's 'sgd' or 'adam' solver with its learning-rate schedule.

    Mirrors ``sklearn.neural_network._stochastic_optimizers`` (``learning_rate``,
    ``iteration_ends``, ``trigger_stopping``) with the updates done by the engine.
    """

    def __init__(self, objective: Objective, solver: str, *, learning_rate_init: float,
                 lr_schedule: str = "constant", momentum: float = 0.9,
                 nesterov: bool = True, power_t: float = 0.5, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8):
        self.objective = objective
        self.solver = solver
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule, self.power_t = lr_schedule, float(power_t)
        self.epsilon, self.beta_2 = float(epsilon), float(beta_2)
        self.optimizer: SGD | Adam
        if solver == "sgd":
            self.optimizer = SGD(self.learning_rate, momentum=float(momentum),
                                 nesterov=bool(nesterov) and momentum > 0)
        else:
            self.optimizer = Adam(self.learning_rate, betas=(float(beta_1), float(beta_2)),
                                  eps=float(epsilon))
        arch = objective.arch
        self.optimizer.bind(arch.n_params, arch.dtype)
        self._grad = np.empty(arch.n_params, dtype=arch.dtype)

    def __getstate__(self):  # the gradient buffer is scratch: allocated again on load
        state = self.__dict__.copy()
        del state["_grad"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        arch = self.objective.arch
        self._grad = np.empty(arch.n_params, dtype=arch.dtype)

    def epoch(self, params: np.ndarray, X, Y: np.ndarray, order: np.ndarray | None,
              batch_size: int, weights: np.ndarray | None = None) -> float:
        """One epoch over the rows of (X, Y) in ``order`` (None: stored order), in
        batches of ``batch_size`` (the last one partial); returns Σ batch loss × rows.

        With the compiled engine and dense X the whole epoch is one call without the GIL
        (``X`` must then be C-contiguous in the parameters' dtype); otherwise (NumPy
        engine, sparse X) a loop of ``step`` calls, which is the reference. ``weights``:
        one sample weight per row, in the parameters' dtype, or None."""
        objective = self.objective
        compiled = getattr(objective.engine, "sklearn_epoch", None)
        if compiled is not None and isinstance(X, np.ndarray):
            adam = isinstance(self.optimizer, Adam)
            total = compiled(objective.arch, params, X, Y,
                             None if order is None else np.ascontiguousarray(order, np.int64),
                             batch_size, self.optimizer, loss_scale=objective.loss_scale,
                             grad_scale=objective.grad_scale, alpha=objective.alpha,
                             sk_eps=self.epsilon if adam else -1.0,
                             scratch=objective._scratch, weights=weights)
            if objective.offset:
                total += objective.epoch_offset(Y, order, batch_size, weights)
            return total
        n = X.shape[0]
        Y_buffer = np.empty((min(batch_size, n), Y.shape[1]), dtype=params.dtype)
        X_buffer = None if not isinstance(X, np.ndarray) else \
            np.empty((min(batch_size, n), X.shape[1]), params.dtype)
        accumulated_loss = 0.0
        for start in range(0, n, batch_size):
            batch = slice(start, min(start + batch_size, n))
            if order is None:
                X_batch, Y_batch = X[batch], Y[batch]
                w_batch = None if weights is None else weights[batch]
            else:
                rows = order[batch]
                w_batch = None if weights is None else weights[rows]
                Y_batch = np.take(Y, rows, axis=0, out=Y_buffer[:len(rows)])
                X_batch = X[rows] if X_buffer is None else \
                    np.take(X, rows, axis=0, out=X_buffer[:len(rows)])
            if not isinstance(X_batch, np.ndarray):  # sparse
                X_batch = X_batch.toarray()
            accumulated_loss += self.step(params, X_batch, Y_batch, w_batch) * \
                (batch.stop - batch.start)
        return accumulated_loss

    def step(self, params: np.ndarray, X: np.ndarray, Y: np.ndarray,
             weights: np.ndarray | None = None) -> float:
        """One update on the batch (X, Y) (sample ``weights``, or None); returns the
        batch's loss before it."""
        loss = self.objective(params, X, Y, self._grad, weights)
        opt = self.optimizer
        if isinstance(opt, Adam):  # scikit-learn's eps, in PyTorch's formula (see above)
            opt.eps = self.epsilon / math.sqrt(1.0 - self.beta_2 ** (opt.t + 1))
        self.objective.engine.update(opt, params, self._grad)
        return loss

    def _set_learning_rate(self, lr: float) -> None:
        buffer = self.optimizer.state.get("momentum_buffer")
        if buffer is not None and lr != self.learning_rate:
            buffer *= self.learning_rate / lr  # keep scikit-learn's velocity V = −lr·v
        self.learning_rate = self.optimizer.lr = float(lr)

    def iteration_ends(self, time_step: int) -> None:
        """End of an epoch: 'invscaling' sets lr = learning_rate_init/(t + 1)^power_t."""
        if self.solver == "sgd" and self.lr_schedule == "invscaling":
            self._set_learning_rate(self.learning_rate_init / (time_step + 1) ** self.power_t)

    def trigger_stopping(self, msg: str, verbose) -> bool:
        """No improvement for ``n_iter_no_change`` epochs: stop, or ('adaptive') lr /= 5."""
        if self.solver != "sgd" or self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self._set_learning_rate(self.learning_rate / 5.0)
        if verbose:
            print(f"{msg} Setting learning rate to {self.learning_rate:f}")
        return False
