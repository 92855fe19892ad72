"""scikit-learn's epoch loop for the stochastic solvers, shared by the estimators that
train in this process and those that train on a Dask cluster: the solver, the batch size,
and the loop that decides, epoch by epoch, whether to go on (``tol``,
``n_iter_no_change``, early stopping, the 'adaptive' schedule) as scikit-learn does."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._solver import StochasticSolver


class EpochLoop:
    """Mixin of ``BaseMLP``: the parts of stochastic training that do not touch the data."""

    def _stochastic_solver(self, objective, incremental: bool) -> StochasticSolver:
        """The solver of this fit: a new one, or with ``partial_fit`` the one before
        (its optimizer state and learning rate carry over)."""
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = StochasticSolver(
                objective, self.solver, learning_rate_init=self.learning_rate_init,
                lr_schedule=self.learning_rate, momentum=self.momentum,
                nesterov=self.nesterovs_momentum, power_t=self.power_t,
                beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        self._optimizer.objective = objective
        return self._optimizer

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than "
                          "sample size. It is going to be clipped", stacklevel=4)
        return int(np.clip(self.batch_size, 1, n_samples))

    def _run_epochs(self, solver, params, n_samples: int, run_epoch, validation_score,
                    incremental: bool) -> None:
        """scikit-learn's epoch loop: ``run_epoch()`` trains one epoch and returns its
        accumulated loss (Σ batch loss × rows) over ``n_samples`` rows;
        ``validation_score()`` (early stopping, else None) scores ``params``."""
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                accumulated_loss = run_epoch()
                self.n_iter_ += 1
                self.loss_ = accumulated_loss / n_samples
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                if not np.isfinite(self.loss_) and not np.isfinite(params).all():
                    break  # diverged: the caller raises scikit-learn's error
                self._update_no_improvement_count(
                    params, None if validation_score is None else validation_score())
                solver.iteration_ends(self.t_)
                if self._no_improvement_count > self.n_iter_no_change:
                    if validation_score is not None:
                        msg = (f"Validation score did not improve more than tol={self.tol:f} "
                               f"for {self.n_iter_no_change} consecutive epochs.")
                    else:
                        msg = (f"Training loss did not improve more than tol={self.tol:f} "
                               f"for {self.n_iter_no_change} consecutive epochs.")
                    if solver.trigger_stopping(msg, self.verbose):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                        "the optimization hasn't converged yet.",
                        ConvergenceWarning, stacklevel=4)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=4)
        if validation_score is not None:  # restore the best weights
            params[...] = self._best_params

    def _update_no_improvement_count(self, params, score: float | None) -> None:
        """After an epoch: the validation ``score`` (early stopping) or, when None, the
        training loss counts as an improvement or not."""
        if score is not None:
            assert self.validation_scores_ is not None
            assert self.best_validation_score_ is not None
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {self.validation_scores_[-1]:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params = params.copy()
        else:
            assert self.best_loss_ is not None
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]
