"""The reference engine: backpropagation in plain NumPy.

This module is the specification the compiled engine is held to. Vocabulary (as in
the worked examples), for the N layers l = 0 … N−1 with weights W_l (fan_in × fan_out):

    forward    a_0 = x ;  z_l = a_l·W_l + b_l ;  a_{l+1} = f_l(z_l) ;  ŷ = a_N
    loss       L(ŷ, y), a mean over the batch (see ``fastprop.losses``)
    backward   δ_{N−1} = ∂L/∂z_{N−1}                       (fused with the loss)
               ∂L/∂W_l = a_lᵀ·δ_l ;  ∂L/∂b_l = Σ_batch δ_l
               δ_{l−1} = (δ_l·W_lᵀ) ⊙ f′_{l−1}(z_{l−1})      (f′ from a_l where it can)
    update     p ← p − lr·∂L/∂p   (or an optimizer's rule, ``fastprop.optim``)

Arrays are C-contiguous in the network's dtype; X is (n, features), Y is (n, outputs).
"""

from __future__ import annotations

import numpy as np

from ..activations import ACTIVATIONS
from ..architecture import Architecture
from ..dropout import keep_scales
from ..errors import DivergenceError
from ..losses import LOSSES
from ..shuffle import epoch_order


def _loss(loss: str, z, a, Y, weights=None, param=None) -> float:
    """Mean loss of a batch, from the output pre-activation z (stable) or ŷ = a; with
    ``weights`` (one per row) the weighted mean of the rows' losses."""
    record = LOSSES[loss]
    if weights is not None:
        total = np.sum(weights)
        if total == 0:  # every row weighs 0: no loss (not 0/0)
            return 0.0
        return float(np.sum(weights * record.rows(z, a, Y, param)) / total)
    return record.mean(z, a, Y, param)


def _output_delta(arch: Architecture, z, a, Y, weights=None):
    """δ = ∂L/∂z of the output layer, for the mean loss over the batch (with ``weights``,
    the weighted mean: row r's terms times w_r, and n → Σ_r w_r)."""
    n, k = Y.shape
    loss = LOSSES[arch.loss]
    grad = loss.gradient(z, a, Y, arch.huber_delta)  # ∂ℓ/∂z (from the logit) or ∂ℓ/∂ŷ
    if weights is not None:
        grad = grad * weights[:, None]
        n = np.sum(weights)
        if n == 0:  # every row weighs 0: no gradient (not 0/0)
            return np.zeros_like(grad)
    g = grad / (n * k) if loss.per_output else grad / n
    if loss.from_logit:  # bce: (σ(z) − y)/(n·k); cross_entropy: (softmax(z) − y)/n
        return g
    if arch.output == "softmax":  # Jacobian of softmax: δ_j = ŷ_j·(g_j − Σ_i g_i·ŷ_i)
        return a * (g - (g * a).sum(axis=1, keepdims=True))
    return g * ACTIVATIONS[arch.output].derivative(z, a, arch.leaky_slope)


class NumpyEngine:
    """Forward, backward and update in NumPy over the flat parameter buffer."""

    name = "numpy"

    # ----------------------------------------------------------------- forward
    def forward(self, arch: Architecture, params, X, masks=None):
        """Return ``(zs, activations)``: z_l for every layer and a_0 = X … a_L = ŷ. With
        dropout ``masks`` (per layer: its output's keep scales, or None) a hidden a_l is
        f(z) ⊙ mask, what the next layer takes."""
        Ws, bs = arch.weight_views(params), arch.bias_views(params)
        zs, acts = [], [X]
        for layer, W in enumerate(Ws):
            z = acts[-1] @ W
            if bs:
                z += bs[layer]
            zs.append(z)
            a = ACTIVATIONS[arch.activations[layer]].forward(z, arch.leaky_slope)
            if masks is not None and masks[layer] is not None:
                a = a * masks[layer]
            acts.append(a)
        return zs, acts

    def dropout_masks(self, arch: Architecture, rows: int, seed: int, epoch: int,
                      batch: int):
        """The keep scales of one training step (``fastprop.dropout``), per layer."""
        return [None if rate == 0 else
                keep_scales(rate, (rows, arch.sizes[layer + 1]), seed, epoch, batch,
                            layer + 1, arch.dtype)
                for layer, rate in enumerate(arch.layer_dropout)]

    def predict(self, arch, params, X):
        return self.forward(arch, params, X)[1][-1]

    def loss(self, arch, params, X, Y, weights=None) -> float:
        """Mean loss over the rows (the weighted mean with ``weights``, one per row)."""
        zs, acts = self.forward(arch, params, X)
        return _loss(arch.loss, zs[-1], acts[-1], Y, weights, arch.huber_delta)

    # ---------------------------------------------------------------- backward
    def backward(self, arch: Architecture, params, zs, acts, Y, grad, weights=None,
                 masks=None):
        """Fill ``grad`` (flat) with ∂L/∂p and return the deltas δ_l = ∂L/∂z_l (with
        dropout ``masks``: δ_{l−1} = (δ_l·W_lᵀ) ⊙ mask ⊙ f′)."""
        Ws = arch.weight_views(params)
        gWs, gbs = arch.weight_views(grad), arch.bias_views(grad)
        delta = _output_delta(arch, zs[-1], acts[-1], Y, weights)
        deltas = [delta]
        for layer in range(arch.n_layers - 1, -1, -1):
            gWs[layer][...] = acts[layer].T @ delta
            if gbs:
                gbs[layer][...] = delta.sum(axis=0)
            if layer > 0:
                f = ACTIVATIONS[arch.activations[layer - 1]]
                mask = None if masks is None else masks[layer - 1]
                a = acts[layer] if mask is None else \
                    f.forward(zs[layer - 1], arch.leaky_slope)  # f(z), before the mask
                f_prime = f.derivative(zs[layer - 1], a, arch.leaky_slope)
                delta = delta @ Ws[layer].T
                if mask is not None:
                    delta = delta * mask
                delta = delta * f_prime
                deltas.insert(0, delta)
        return deltas

    def loss_and_grad(self, arch, params, X, Y, grad, scratch=None, weights=None,
                      dropout=None) -> float:
        """Loss of the batch at ``params``; ``grad`` receives ∂L/∂p. With ``weights`` (one
        per row) the loss is the weighted mean Σ w_r·ℓ_r / Σ w_r of the rows' losses;
        with ``dropout`` = (seed, epoch, batch) the step's dropout masks are applied.
        (``scratch``: see ``train``.)"""
        masks = None if dropout is None or not arch.dropout else \
            self.dropout_masks(arch, X.shape[0], *dropout)
        zs, acts = self.forward(arch, params, X, masks)
        loss = _loss(arch.loss, zs[-1], acts[-1], Y, weights, arch.huber_delta)
        self.backward(arch, params, zs, acts, Y, grad, weights, masks)
        return loss

    # ------------------------------------------------------------------ update
    def sgd_step(self, params, grad, lr: float) -> bool:
        """Plain gradient descent, p ← p − lr·∂L/∂p, applied only when every new
        parameter is finite; returns whether it was applied."""
        with np.errstate(over="ignore", invalid="ignore"):
            new = params - lr * grad
        if not np.isfinite(new).all():
            return False
        params[...] = new
        return True

    def update(self, optimizer, params, grad) -> None:
        """One optimizer step in place: the optimizer's rule (``fastprop.optim``)."""
        optimizer.t += 1
        optimizer.reference_update(params, grad)

    # ---------------------------------------------------------------- training
    def epoch_order(self, n: int, seed: int, epoch: int):
        """Sample order of an epoch: ``fastprop.shuffle.epoch_order``."""
        return epoch_order(n, seed, epoch)

    def train(self, arch, params, X, Y, *, epochs: int, first_epoch: int, batch_size: int,
              optimizer, seed, losses, backup, backup_valid, stop, scratch=None,
              weights=None, dropout=None, lrs=None, clip_norm=0.0, clip_value=0.0) -> None:
        """Train ``epochs`` epochs; ``losses[e]`` receives epoch e's mean per-sample loss.

        Epoch e (counted from ``first_epoch``) visits the samples in
        ``shuffle.epoch_order(n, seed, e)`` (in their stored order when ``seed`` is None),
        in batches of ``batch_size`` with the last partial batch kept. ``backup`` receives
        the parameters before each update, so a divergence can be undone; when
        ``backup_valid`` it already holds those of the previous call's last update (the
        next epoch of one ``fit``), otherwise its contents are ignored. Stops at a step
        boundary when ``stop[0]`` is set (Ctrl-C), leaving ``losses`` NaN from there on.
        ``scratch`` is a dict the caller keeps between calls for the engine's buffers
        (the compiled engine's workspaces); this engine keeps nothing there. With
        ``weights`` (one per sample) each batch's loss is the weighted mean over its rows
        and ``losses[e]`` the weighted mean over the epoch. An exception raised by a
        signal handler (which Python runs between any two bytecodes) leaves the
        parameters of a completed step: the last one whose epoch ``losses`` records, or
        the step after it. (The compiled engine stops at step boundaries only.) With
        ``dropout`` = (seed, first epoch) each step draws ``fastprop.dropout``'s masks of
        its epoch (counted from that first epoch) and batch. ``lrs`` (one per epoch, or
        None: the optimizer's own rate) is each epoch's learning rate; ``clip_norm`` and
        ``clip_value`` (> 0; 0: off) clip each step's gradient (``clip_gradient``).
        """
        grad = np.empty_like(params)
        if not backup_valid:
            backup[...] = params
        base_lr = optimizer.lr
        try:
            for e in range(epochs):
                if lrs is not None:  # the schedule's rate of this epoch (0 allowed here)
                    object.__setattr__(optimizer, "lr", float(lrs[e]))
                self._epoch(arch, params, X, Y, grad, e, batch_size=batch_size,
                            optimizer=optimizer, seed=seed, first_epoch=first_epoch,
                            losses=losses, backup=backup, stop=stop, weights=weights,
                            dropout=dropout, clip_norm=clip_norm, clip_value=clip_value)
                if stop[0]:
                    return
        finally:
            object.__setattr__(optimizer, "lr", base_lr)

    def _epoch(self, arch, params, X, Y, grad, e, *, batch_size, optimizer, seed,
               first_epoch, losses, backup, stop, weights, dropout, clip_norm, clip_value):
        """Epoch ``e`` of ``train`` (its arguments), its loss into ``losses[e]``."""
        n = X.shape[0]
        order = None if seed is None else self.epoch_order(n, seed, first_epoch + e)
        total = total_weight = 0.0
        for batch, start in enumerate(range(0, n, batch_size)):
            if stop[0]:
                return
            rows = slice(start, start + batch_size) if order is None else \
                order[start:start + batch_size]
            Xb, Yb = X[rows], Y[rows]
            wb = None if weights is None else weights[rows]
            step = None if dropout is None else (dropout[0], dropout[1] + e, batch)
            with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                loss = self.loss_and_grad(arch, params, Xb, Yb, grad, weights=wb,
                                          dropout=step)
            if not np.isfinite(loss):
                params[...] = backup
                raise _diverged(first_epoch + e, batch, "loss")
            backup[...] = params
            if clip_norm or clip_value:
                clip_gradient(arch, grad, clip_norm, clip_value)
            with np.errstate(over="ignore", invalid="ignore"):
                self.update(optimizer, params, grad)
            if not np.isfinite(params).all() or not optimizer.state_is_finite():
                params[...] = backup
                raise _diverged(first_epoch + e, batch, "update")
            batch_weight = Xb.shape[0] if wb is None else _sequential_sum(wb)
            total += loss * batch_weight
            total_weight += batch_weight
        losses[e] = total / total_weight


def clip_gradient(arch: Architecture, grad, clip_norm: float, clip_value: float) -> None:
    """Clip a step's gradient in place, as PyTorch's utilities do, in this order:

        clip_norm   ‖g‖ = √Σ_l ‖g_l‖² (layers from the last) ;
                    g ← g·c/(‖g‖ + 10⁻⁶)  when that factor is < 1   (``clip_grad_norm_``)
        clip_value  g ← min(max(g, −v), v)                          (``clip_grad_value_``)

    (0: that clipping is off.) Weight decay is added after, by the optimizer.
    """
    if clip_norm:
        ends = list(arch.w_offsets[1:]) + [arch.n_params]
        squares = 0.0
        for start, end in zip(reversed(arch.w_offsets), reversed(ends)):
            squares += float(np.dot(grad[start:end], grad[start:end]))
        norm = grad.dtype.type(np.sqrt(squares))
        factor = grad.dtype.type(clip_norm / (float(norm) + 1e-6))
        if factor < 1:
            grad *= factor
    if clip_value:
        np.clip(grad, -clip_value, clip_value, out=grad)


def _sequential_sum(values) -> float:
    """Σ values accumulated in order in float64, as the compiled engine sums a batch's
    weights (NumPy's ``sum`` pairs terms and can round differently)."""
    return float(np.cumsum(values, dtype=np.float64)[-1])


def _diverged(epoch: int, batch: int, what: str) -> DivergenceError:
    """Divergence at step (epoch, batch): a non-finite loss there (the parameters before
    the step that produced them are restored), or a non-finite update (not applied)."""
    cause = "the loss is not finite" if what == "loss" else \
        "the update made a parameter (or the optimizer's state) non-finite"
    return DivergenceError(
        f"training diverged at epoch {epoch}, batch {batch}: {cause}; the network keeps the "
        "parameters it had before the step that produced it (try a smaller learning rate)",
        epoch=epoch, batch=batch)
