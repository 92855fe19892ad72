"""The libraries fastprop is measured against, each as a factory of trainers.

A factory ``(workload, X, y) -> (train, note)`` builds the library's idiomatic
equivalent of the workload's network over the very same NumPy arrays; ``train(m,
epochs)`` trains it on the first ``m`` samples for ``epochs`` epochs, in order (no
shuffling), with plain SGD at the workload's learning rate, and the state carries over
between calls. ``note`` says how the peer differs from the workload, or is empty.

- PyTorch (eager): ``nn.Sequential`` of Linear + activation, the loss module that takes
  logits, ``optim.SGD``, one Python step per batch.
- scikit-learn: ``MLPClassifier`` / ``MLPRegressor`` with solver="sgd", one
  ``partial_fit`` per epoch.
- JAX: the whole epoch as one ``jax.jit`` function running ``lax.scan`` over the
  batches (no Python per step; XLA's CPU kernels), the strongest compiled peer.

``fastprop bench`` and the source tree's ``benchmarks/`` harness both use these. Nothing
here is imported by ``import fastprop``, and each library is imported only when its
trainer is made.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TORCH_VERSION = "2.13.0"
#: What XLA is told for one thread (read when JAX is first imported).
JAX_ONE_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


@dataclass(frozen=True)
class Peer:
    name: str
    label: str
    module: str        # what must be importable
    factory: Callable  # (workload, X, y) -> (trainer, note)

    def missing(self) -> str | None:
        """None when usable, else why it is skipped."""
        if importlib.util.find_spec(self.module) is None:
            return f"{self.module} is not installed"
        return None


# ------------------------------------------------------------------------- PyTorch
_TORCH_ACT = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "identity": "Identity"}


def torch_model(workload):
    """The idiomatic PyTorch equivalent: ``nn.Sequential`` of Linear + activation, and the
    loss module that takes logits (BCEWithLogitsLoss, CrossEntropyLoss) or, for mse, the
    output activation in the model and MSELoss."""
    import torch
    from torch import nn

    dtype = getattr(torch, workload.dtype)
    torch.manual_seed(0)
    layers = []
    pairs = list(zip(workload.sizes[:-1], workload.sizes[1:], strict=True))
    for i, (n_in, n_out) in enumerate(pairs):
        layers.append(nn.Linear(n_in, n_out, bias=workload.bias, dtype=dtype))
        if i < len(pairs) - 1:
            layers.append(getattr(nn, _TORCH_ACT[workload.activation])())
    if workload.loss == "bce":
        loss_fn = nn.BCEWithLogitsLoss()
    elif workload.loss == "cross_entropy":
        loss_fn = nn.CrossEntropyLoss()
    else:
        layers.append(getattr(nn, _TORCH_ACT[workload.output])())
        loss_fn = nn.MSELoss()
    return nn.Sequential(*layers), loss_fn


def torch_trainer(workload, X, y):
    import torch

    model, loss_fn = torch_model(workload)
    optimizer = torch.optim.SGD(model.parameters(), lr=workload.lr)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    batches = {}

    def train(m: int, epochs: int):
        if m not in batches:  # pre-made batch tensors (views of the same data)
            batches[m] = list(zip(Xt[:m].split(workload.batch), yt[:m].split(workload.batch),
                                  strict=True))
        for _ in range(epochs):
            for xb, yb in batches[m]:
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()

    train.model = model  # for checks of its parameters
    version = torch.__version__.split("+")[0]
    note = "" if version == TORCH_VERSION else f"torch {torch.__version__}, not {TORCH_VERSION}"
    return train, note


# ---------------------------------------------------------------------- scikit-learn
_SKLEARN_ACT = {"relu": "relu", "sigmoid": "logistic", "tanh": "tanh", "identity": "identity"}


def sklearn_trainer(workload, X, y):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    notes = []
    if not workload.bias:
        notes.append("with biases (scikit-learn has no bias=False)")
    if workload.loss == "mse":
        cls = MLPRegressor
        if workload.output != "identity":
            notes.append(f"identity output (MLPRegressor has no {workload.output} output)")
    else:
        cls = MLPClassifier
    # partial_fit: one epoch per call, continuing the same model (no re-initialisation in
    # the timed calls; unlike fit with warm_start, a call may see a subset of the classes).
    est = cls(hidden_layer_sizes=workload.sizes[1:-1],
              activation=_SKLEARN_ACT[workload.activation], solver="sgd", momentum=0.0,
              nesterovs_momentum=False, learning_rate="constant",
              learning_rate_init=workload.lr, alpha=0.0, batch_size=workload.batch,
              shuffle=False, tol=0.0, early_stopping=False, random_state=0)
    target = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
    extra = {"classes": np.unique(target)} if cls is MLPClassifier else {}

    def train(m: int, epochs: int):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for _ in range(epochs):
                est.partial_fit(X[:m], target[:m], **extra)

    return train, "; ".join(notes)


# ------------------------------------------------------------------------------ JAX
def jax_one_thread() -> None:
    """Ask XLA for one thread, when JAX is not imported yet and XLA_FLAGS is not set."""
    if "jax" not in sys.modules and "XLA_FLAGS" not in os.environ:
        os.environ["XLA_FLAGS"] = JAX_ONE_THREAD_FLAGS


def jax_epoch(workload):
    """``(params, epoch)``: the workload's initial parameters (a list of (W, b) pairs,
    b None without biases) and the jitted epoch ``epoch(params, Xb, Yb) -> params`` that
    runs ``lax.scan`` over the batches ``Xb[k], Yb[k]``, one SGD step each:
    θ ← θ − η ∂L/∂θ, L the batch's mean loss."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    if workload.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    act = {"relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh,
           "identity": lambda z: z}
    rng = np.random.default_rng(0)
    params = []
    for n_in, n_out in zip(workload.sizes[:-1], workload.sizes[1:], strict=True):
        bound = 1 / math.sqrt(n_in)  # torch.nn.Linear's default range
        W = rng.uniform(-bound, bound, (n_in, n_out)).astype(workload.dtype)
        b = rng.uniform(-bound, bound, n_out).astype(workload.dtype) if workload.bias \
            else None
        params.append((jnp.asarray(W), None if b is None else jnp.asarray(b)))

    def logits(params, x):
        for k, (W, b) in enumerate(params):
            x = x @ W if b is None else x @ W + b
            if k < len(params) - 1:
                x = act[workload.activation](x)
        return x

    def loss(params, x, y):
        z = logits(params, x)
        if workload.loss == "bce":  # mean(log(1 + e^z) − y·z): BCE on the logit
            return jnp.mean(jnp.logaddexp(0, z) - y * z)
        if workload.loss == "cross_entropy":  # mean(logsumexp(z) − z_y)
            picked = jnp.take_along_axis(z, y[:, None], axis=1)[:, 0]
            return jnp.mean(jax.nn.logsumexp(z, axis=1) - picked)
        return jnp.mean((act[workload.output](z) - y) ** 2)

    grad = jax.grad(loss)
    lr = workload.lr

    def step(params, batch):
        g = grad(params, *batch)
        return jax.tree_util.tree_map(lambda p, d: p - lr * d, params, g), None

    @jax.jit
    def epoch(params, Xb, Yb):
        return lax.scan(step, params, (Xb, Yb))[0]

    return params, epoch


def jax_trainer(workload, X, y):
    import jax
    import jax.numpy as jnp

    params, epoch = jax_epoch(workload)
    state, batches = [params], {}
    target = y.reshape(len(y), -1) if workload.loss != "cross_entropy" else y

    def train(m: int, epochs: int):
        if m not in batches:  # whole batches, as device arrays (each m compiles once)
            k = m // workload.batch * workload.batch
            batches[m] = (jnp.asarray(X[:k].reshape(-1, workload.batch, X.shape[1])),
                          jnp.asarray(target[:k].reshape(-1, workload.batch,
                                                         *target.shape[1:])))
        Xb, Yb = batches[m]
        for _ in range(epochs):
            state[0] = epoch(state[0], Xb, Yb)
        jax.block_until_ready(state[0])

    flags = os.environ.get("XLA_FLAGS")
    return train, "" if flags in (None, JAX_ONE_THREAD_FLAGS) else f"XLA_FLAGS={flags}"


PEERS: dict[str, Peer] = {p.name: p for p in (
    Peer("torch", "PyTorch", "torch", torch_trainer),
    Peer("sklearn", "scikit-learn", "sklearn", sklearn_trainer),
    Peer("jax", "JAX jit+scan", "jax", jax_trainer),
)}
