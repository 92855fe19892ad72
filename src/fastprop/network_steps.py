"""One step at a time: the gradients of a batch, a plain gradient-descent step, and one
optimizer step with a gradient computed elsewhere (summed over processes, clipped, …).

``Network`` inherits these (``NetworkSteps``); ``fit`` runs whole epochs instead.
``gradients(..., flat=True, reduction="sum")`` and ``apply_gradient`` are the two halves
of a training step that a data-parallel loop puts an all-reduce between: every process
sums its rows' gradients, the sums are added up and divided by the total row count, and
every process applies the same mean gradient.

>>> import numpy as np, fastprop as fp
>>> net = fp.Network([2, 3, 1], loss="mse", seed=0)
>>> X, y = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([1.0, 1.0, 0.0])
>>> s1, g1 = net.gradients(X[:2], y[:2], flat=True, reduction="sum")
>>> s2, g2 = net.gradients(X[2:], y[2:], flat=True, reduction="sum")
>>> loss, grad = net.gradients(X, y, flat=True)
>>> bool(np.allclose((g1 + g2) / 3, grad)), round((s1 + s2) / 3 - loss, 12)
(True, 0.0)
>>> net.apply_gradient(grad, fp.Adam(0.01))
"""

from __future__ import annotations

import numpy as np

from . import _inputs
from ._guard import kept
from ._validation import check_bool, check_float, check_layer_arrays
from .errors import DivergenceError

REDUCTIONS = ("mean", "sum")


class NetworkSteps:
    """``gradients``, ``step`` and ``apply_gradient`` of a ``Network``."""

    def gradients(self, X, y, *, sample_weight=None, training: bool = False,
                  flat: bool = False, reduction: str = "mean"):
        """``(loss, grad_weights, grad_biases)``: gradients of the mean loss on (X, y)
        (with ``sample_weight``, of the weighted mean); ``training=True`` applies the
        dropout masks the next ``fit`` step would draw (its first batch). Safe to call
        from several threads at once; refused while another thread trains the network.

        ``flat=True`` returns ``(loss, grad)`` instead, ``grad`` one array in the layout
        of ``net.params`` (what ``apply_gradient`` takes). ``reduction="sum"`` gives the
        loss and gradient of the sum over the rows (with weights: Σ w·ℓ), which add up
        across batches of any sizes: divide the total by the total rows (or Σ w).

        >>> import fastprop as fp
        >>> loss, gW, gb = fp.Network([1, 1], loss="mse", init=2.0).gradients([[1.0]], [1.0])
        >>> loss, gW[0].tolist(), gb[0].tolist()
        (1.0, [[2.0]], [2.0])
        >>> fp.Network([1, 1], loss="mse", init=2.0).gradients(
        ...     [[1.0], [1.0]], [1.0, 1.0], flat=True, reduction="sum")
        (2.0, array([4., 4.]))
        """
        flat = check_bool(flat, "flat")
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        Xv, Y = self._data(X, y)
        weights = _inputs.sample_weights(self.arch, sample_weight, Xv.shape[0])
        step = (self._seed, self._epochs_trained, 0) if check_bool(
            training, "training") and self.arch.dropout else None
        grad = np.empty_like(self.params)
        with self._guard.reading("gradients", self._scratch) as scratch:
            loss = self._engine.loss_and_grad(self.arch, self.params, Xv, Y, grad, scratch,
                                              weights, dropout=step)
        if reduction == "sum":  # the mean times the rows it is over (or Σ w)
            total = Xv.shape[0] if weights is None else float(np.sum(weights,
                                                                     dtype=np.float64))
            loss *= total
            grad *= total
        if flat:
            return loss, grad
        return loss, list(self.arch.weight_views(grad)), list(self.arch.bias_views(grad))

    def step(self, X, y, lr: float) -> float:
        """One plain gradient-descent step on (X, y) in place; returns the loss before it.

        The step runs on the network's engine, in the buffers it keeps between calls;
        when the loss, a gradient or a new parameter is not finite it is not taken
        (``DivergenceError``).

        >>> import fastprop as fp
        >>> net = fp.Network([1, 1], loss="mse", init=2.0)
        >>> net.step([[1.0]], [1.0], lr=0.25), net.weights[0].item(), net.biases[0].item()
        (1.0, 1.5, -0.5)
        """
        lr = check_float(lr, "lr", positive=True)
        Xv, Y = self._data(X, y)
        with self._guard.training("step", self._scratch) as scratch:
            grad = kept(scratch, "grad", self.params)
            loss = self._engine.loss_and_grad(self.arch, self.params, Xv, Y, grad, scratch)
            if not np.isfinite(loss):
                raise DivergenceError("non-finite loss or gradient: the step was not taken",
                                      epoch=0, batch=0)
            if not self._engine.sgd_step(self.params, grad, lr):
                what = "non-finite loss or gradient: the step was not taken" \
                    if not np.isfinite(grad).all() else \
                    "the step made a parameter non-finite: not taken"
                raise DivergenceError(what, epoch=0, batch=0)
        return loss

    def apply_gradient(self, grad, optimizer=None, *, lr: float | None = None) -> None:
        """One step of ``optimizer`` (or plain SGD at rate ``lr``) with the gradient
        ``grad``, in place: as ``fit`` takes a step, with a gradient from anywhere.

        ``grad`` is a flat array in the layout of ``net.params`` (``gradients(...,
        flat=True)``) or the pair ``(grad_weights, grad_biases)`` ``gradients`` returns.
        The optimizer's state and step count carry on from call to call (and from
        ``fit``), and ``net.optimizer`` becomes it, as after ``fit``. When the gradient
        or a new parameter is not finite, nothing changes (``DivergenceError``).

        >>> import fastprop as fp
        >>> net = fp.Network([1, 1], loss="mse", init=2.0)
        >>> _, gW, gb = net.gradients([[1.0]], [1.0])
        >>> net.apply_gradient((gW, gb), lr=0.25); net.weights[0].item()
        1.5
        """
        from .optim import SGD, check_optimizer

        if (lr is None) == (optimizer is None):
            raise TypeError("apply_gradient needs optimizer or lr, exactly one")
        optimizer = SGD(check_float(lr, "lr", positive=True)) if optimizer is None else \
            check_optimizer(optimizer)
        flat = self._flat_gradient(grad)
        if not np.isfinite(flat).all():
            raise DivergenceError("grad holds a non-finite number: the step was not taken",
                                  epoch=0, batch=0)
        with self._guard.training("apply_gradient", self._scratch):
            optimizer.bind(self.n_params, self.dtype, (self.sizes, self.bias))
            self._apply(optimizer, flat)
            self.optimizer = optimizer

    def _apply(self, optimizer, grad: np.ndarray) -> None:
        """``optimizer``'s step with the finite flat ``grad`` on the parameters, not
        taken (``DivergenceError``) when a new parameter would not be finite; the
        caller holds the network (``apply_gradient``, training over MPI)."""
        before, snapshot = self.params.copy(), optimizer.snapshot()
        self._engine.update(optimizer, self.params, grad)
        if not np.isfinite(self.params).all():
            self.params[...] = before
            optimizer.restore(snapshot)
            raise DivergenceError("the step made a parameter non-finite: not taken",
                                  epoch=0, batch=0)

    def _flat_gradient(self, grad) -> np.ndarray:
        """``grad`` (flat, or a (weights, biases) pair) as one array like ``params``."""
        if isinstance(grad, tuple) and len(grad) == 2:
            flat = np.empty_like(self.params)
            for view, g in zip(self.arch.weight_views(flat), check_layer_arrays(
                    grad[0], "grad weights", [W.shape for W in self.weights], self.dtype),
                    strict=True):
                view[...] = g
            if self.bias:
                for view, g in zip(self.arch.bias_views(flat), check_layer_arrays(
                        grad[1], "grad biases", [b.shape for b in self.biases], self.dtype),
                        strict=True):
                    view[...] = g
            return flat
        try:
            flat = np.asarray(grad)
        except (TypeError, ValueError):
            flat = None
        if flat is None or flat.dtype.kind not in "fiu" or flat.shape != (self.n_params,):
            raise ValueError(f"grad must be a flat array of the network's {self.n_params} "
                             "parameters (gradients(..., flat=True)) or the pair "
                             "(grad_weights, grad_biases); got "
                             f"{getattr(flat, 'shape', type(grad).__name__)}")
        return np.ascontiguousarray(flat, dtype=self.dtype)
