"""The implementations benchmarked, each a factory of trainers over the same pre-made data.

A trainer ``train(m, epochs)`` trains on the first ``m`` samples for ``epochs`` epochs, in
order (no shuffling), with plain SGD at the workload's learning rate; state carries over
between calls (the network keeps training). Every implementation gets the very same
NumPy arrays.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fastprop._bench import Trainer, Workload, fastprop_trainer

TORCH_VERSION = "2.13.0"


@dataclass(frozen=True)
class Impl:
    name: str
    label: str
    module: str        # what must be importable
    factory: Callable  # (workload, X, y) -> (trainer, note or "")

    def missing(self) -> str | None:
        """None when usable, else why it is skipped."""
        if importlib.util.find_spec(self.module) is None:
            return f"{self.module} is not installed"
        return None


def _fastprop(workload, X, y):
    return fastprop_trainer(workload, X, y, "cython"), ""


def _fastprop_numpy(workload, X, y):
    return fastprop_trainer(workload, X, y, "numpy"), ""


_TORCH_ACT = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "identity": "Identity"}


def torch_model(workload: Workload):
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


def _torch(workload, X, y):
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

    version = torch.__version__.split("+")[0]
    note = "" if version == TORCH_VERSION else f"torch {torch.__version__}, not {TORCH_VERSION}"
    return train, note


_SKLEARN_ACT = {"relu": "relu", "sigmoid": "logistic", "tanh": "tanh", "identity": "identity"}


def _sklearn(workload, X, y):
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


IMPLS: dict[str, Impl] = {i.name: i for i in (
    Impl("fastprop", "fastprop (cython)", "fastprop._engine", _fastprop),
    Impl("fastprop-numpy", "fastprop (numpy engine)", "fastprop", _fastprop_numpy),
    Impl("torch", "PyTorch", "torch", _torch),
    Impl("sklearn", "scikit-learn", "sklearn", _sklearn),
)}


def make_trainer(name: str, workload: Workload, X, y) -> tuple[Trainer, str]:
    return IMPLS[name].factory(workload, X, y)


def load_libraries(names) -> None:
    """Import every library that brings its own BLAS/OpenMP, so that thread limits set
    afterwards (threadpoolctl) reach all of them: fastprop's compiled engine loads SciPy's
    OpenBLAS, NumPy has its own, PyTorch its own."""
    import fastprop._engine  # noqa: F401
    import scipy.linalg  # noqa: F401
    for name in names:
        if IMPLS[name].missing() is None:
            __import__(IMPLS[name].module)
