"""``Network``: a multilayer perceptron whose parameters live in one flat buffer."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from . import activations as _act
from ._validation import (
    as_float_matrix,
    as_sample_weights,
    check_dtype,
    check_float,
    check_int,
    check_seed,
    numeric_array,
)
from .architecture import Architecture
from .dataset import Dataset
from .engines import get_engine
from .errors import DivergenceError
from .history import History
from .initializers import check_init, initialize
from .losses import (
    CLASSIFICATION,
    DEFAULT_OUTPUT,
    check_loss,
    check_output_for_loss,
    prepare_targets,
)
from .optim import SGD, check_optimizer
from .shuffle import random_seed
from .training import run_fit


class Network:
    """A dense feed-forward network trained by backpropagation.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes, input first: ``[3, 2, 1]`` is 3 inputs, 2 hidden units, 1 output.
    activation : str or sequence of str, default "relu"
        Hidden activation, or one per hidden layer: "identity", "relu", "leaky_relu",
        "sigmoid", "tanh".
    output : str, optional
        Output activation. Default: the loss's own (sigmoid for "bce", softmax for
        "cross_entropy", identity for "mse").
    loss : {"bce", "mse", "cross_entropy"}, default "bce"
    bias : bool, default True
        False: no biases at all (as in the worked examples).
    init : {"he", "xavier", "normal", "uniform"} or float, default "he"
        See ``fastprop.initializers``; a number sets every weight to it (biases to 0).
    dtype : {"float64", "float32"}, default "float64"
    engine : {"cython", "numpy"}, default "cython"
    seed : int, optional
        Makes initialisation and shuffling reproducible.

    Examples
    --------
    >>> import fastprop as fp
    >>> net = fp.Network([2, 1, 1], activation="sigmoid", output="sigmoid", loss="mse",
    ...                  bias=False, init=0.0)
    >>> net.set_weights([[[0.5], [0.3]], [[0.8]]])
    >>> round(net.loss([1, 2], 1), 5)
    0.12553
    """

    def __init__(self, sizes: Sequence[int], activation: str | Sequence[str] = "relu",
                 output: str | None = None, loss: str = "bce", bias: bool = True,
                 init: str | float = "he", dtype: str = "float64", engine: str = "cython",
                 seed: int | None = None):
        sizes = _check_sizes(sizes)
        loss = check_loss(loss)
        n_hidden = len(sizes) - 2
        if isinstance(activation, str) or activation is None:
            hidden = [_act.check_activation(activation, "activation", output=False)] * n_hidden
        else:
            if not isinstance(activation, Sequence):
                raise TypeError(f"activation must be a name or a list of names, got {activation!r}")
            hidden = list(activation)
            if len(hidden) != n_hidden:
                raise ValueError(
                    f"activation must be one name or {n_hidden} names (one per hidden "
                    f"layer), got {len(hidden)}"
                )
            hidden = [_act.check_activation(a, f"activation[{i}]", output=False)
                      for i, a in enumerate(hidden)]
        output = DEFAULT_OUTPUT[loss] if output is None else output
        output = _act.check_activation(output, "output", output=True)
        check_output_for_loss(loss, output, sizes[-1])
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {bias!r}")
        init = check_init(init)
        np_dtype = check_dtype(dtype)
        self._engine = get_engine(engine)
        self.seed = check_seed(seed)
        arch = Architecture(tuple(sizes), tuple(hidden) + (output,), loss, bool(bias), np_dtype)
        self._setup(arch, self.seed if self.seed is not None else random_seed())
        initialize(arch, self.params, init, np.random.default_rng(self._seed))

    def _setup(self, arch: Architecture, effective_seed: int) -> None:
        self.arch = arch
        self._seed = effective_seed
        self.params = np.zeros(arch.n_params, dtype=arch.dtype)
        self._weights = tuple(arch.weight_views(self.params))
        self._biases = tuple(arch.bias_views(self.params))
        self._epochs_trained = 0
        self._lock = threading.Lock()
        self._scratch: dict = {}  # training buffers kept between fit calls (training.py)
        self.history: History | None = None

    @classmethod
    def _from_arch(cls, arch: Architecture, params, engine="cython", seed=None,
                   effective_seed=None, epochs_trained=0) -> Network:
        net = cls.__new__(cls)
        net._engine = get_engine(engine)
        net.seed = seed
        net._setup(arch, effective_seed if effective_seed is not None else random_seed())
        net.params[...] = params
        net._epochs_trained = epochs_trained
        return net

    # ------------------------------------------------------------ description
    sizes = property(lambda self: self.arch.sizes, doc="Layer sizes, input first.")
    loss_name = property(lambda self: self.arch.loss, doc="The loss's name.")
    output = property(lambda self: self.arch.output, doc="The output activation.")
    bias = property(lambda self: self.arch.bias, doc="Whether the layers have biases.")
    dtype = property(lambda self: self.arch.dtype, doc="The parameters' dtype.")
    n_params = property(lambda self: self.arch.n_params, doc="Number of parameters.")
    engine = property(lambda self: self._engine.name, doc='"cython" or "numpy".')

    @property
    def activations(self) -> tuple[str, ...]:
        """Activation of every layer, hidden layers first, the output's last."""
        return self.arch.activations

    @property
    def is_classifier(self) -> bool:
        return self.arch.loss in CLASSIFICATION

    @property
    def weights(self) -> tuple[np.ndarray, ...]:
        """W_l, shape (fan_in, fan_out): views into ``params`` (writes go to the network)."""
        return self._weights

    @property
    def biases(self) -> tuple[np.ndarray, ...]:
        """b_l, shape (fan_out,): views into ``params``; empty when ``bias=False``."""
        return self._biases

    def __repr__(self):
        hidden = self.arch.activations[:-1]
        acts = "→".join(dict.fromkeys(hidden)) if len(set(hidden)) == 1 else "→".join(hidden)
        acts = f"{acts}→{self.output}" if acts else self.output
        nobias = ", no bias" if not self.bias else ""
        return (f"Network({list(self.sizes)}, {acts}, {self.arch.loss}, {self.dtype.name}, "
                f"{self.engine}{nobias})")

    # --------------------------------------------------------------- weights
    def set_weights(self, weights, biases=None) -> None:
        """Copy weights (and biases, if given) into the network.

        Parameters
        ----------
        weights : sequence of array-like
            One (fan_in, fan_out) array per layer.
        biases : sequence of array-like, optional
            One (fan_out,) array per layer; None leaves the biases as they are.
        """
        new_w = self._check_arrays(weights, "weights", [W.shape for W in self._weights])
        new_b = None
        if biases is not None:
            if not self.bias:
                raise ValueError("biases given, but the network has bias=False")
            new_b = self._check_arrays(biases, "biases", [b.shape for b in self._biases])
        for dst, src in zip(self._weights, new_w):
            dst[...] = src
        for dst, src in zip(self._biases, new_b or ()):
            dst[...] = src

    def _check_arrays(self, arrays, name, shapes):
        if arrays is None or isinstance(arrays, (str, bytes)):
            raise TypeError(f"{name} must be a list of {len(shapes)} arrays, got {arrays!r}")
        try:
            arrays = list(arrays)
        except TypeError:
            raise TypeError(f"{name} must be a list of {len(shapes)} arrays, "
                            f"got {type(arrays).__name__}") from None
        if len(arrays) != len(shapes):
            raise ValueError(
                f"{name} must hold {len(shapes)} arrays (one per layer), got {len(arrays)}"
            )
        out = []
        for i, (arr, shape) in enumerate(zip(arrays, shapes)):
            if arr is None or isinstance(arr, (str, bytes)):
                raise TypeError(f"{name}[{i}] must be an array of numbers, got {arr!r}")
            try:
                a = np.asarray(arr)
            except ValueError:
                raise ValueError(f"{name}[{i}] must be a rectangular array") from None
            if a.dtype == object or a.dtype.kind not in "biuf":
                raise TypeError(f"{name}[{i}] must hold real numbers, got dtype {a.dtype}")
            if a.shape != shape:
                raise ValueError(f"{name}[{i}] must have shape {shape}, got {a.shape}")
            a = a.astype(self.dtype)
            if not np.isfinite(a).all():
                raise ValueError(f"{name}[{i}] contains NaN or infinity")
            out.append(a)
        return out

    # ------------------------------------------------------------ input checks
    def _inputs(self, X, name="X"):
        """Validated (n, n_in) array; also tells whether X was one 1-D sample."""
        arr = numeric_array(X, name)
        single = arr.ndim == 1
        return as_float_matrix(arr, name, self.dtype, self.sizes[0], allow_1d_as_row=single), single

    def _data(self, X, y, name_x="X", name_y="y"):
        """Validated (X, Y) for this network's loss; Y is (n, n_out) in the dtype."""
        if isinstance(X, Dataset):
            if y is not None:
                raise TypeError(f"{name_x} is a Dataset: pass {name_y}=None (it holds the targets)")
            X, y = X.X, X.y
        elif y is None:
            raise TypeError(f"{name_y} is required (the targets) unless {name_x} is a fp.Dataset")
        Xv, single = self._inputs(X, name_x)
        if single:
            y = np.asarray(y) if not isinstance(y, np.ndarray) else y
            if y.dtype != object:
                y = y.reshape(1) if y.ndim == 0 else y.reshape(1, -1)
        Y = prepare_targets(y, self.arch.loss, self.sizes[-1], Xv.shape[0], self.dtype, name_y)
        return Xv, Y

    # ------------------------------------------------------------ evaluation
    def predict(self, X) -> np.ndarray:
        """Network outputs ŷ: shape (n, n_out) for 2-D X, (n_out,) for one 1-D sample."""
        Xv, single = self._inputs(X)
        out = self._engine.predict(self.arch, self.params, Xv)
        return out[0] if single else out

    def _sample_weights(self, sample_weight, n: int):
        return None if sample_weight is None else \
            as_sample_weights(sample_weight, n, self.dtype)

    def loss(self, X, y, *, sample_weight=None) -> float:
        """Mean loss of the network on (X, y) (with ``sample_weight``, the weighted mean)."""
        Xv, Y = self._data(X, y)
        return self._engine.loss(self.arch, self.params, Xv, Y,
                                 self._sample_weights(sample_weight, Xv.shape[0]))

    def gradients(self, X, y, *, sample_weight=None):
        """``(loss, grad_weights, grad_biases)``: gradients of the mean loss on (X, y)
        (with ``sample_weight``, of the weighted mean)."""
        Xv, Y = self._data(X, y)
        weights = self._sample_weights(sample_weight, Xv.shape[0])
        grad = np.empty_like(self.params)
        loss = self._engine.loss_and_grad(self.arch, self.params, Xv, Y, grad, self._scratch,
                                          weights)
        return loss, list(self.arch.weight_views(grad)), list(self.arch.bias_views(grad))

    def evaluate(self, X, y=None, *, sample_weight=None) -> dict:
        """``{"loss": …}`` plus ``"accuracy"`` for classification losses (both weighted
        means with ``sample_weight``)."""
        Xv, Y = self._data(X, y)
        return self._evaluate_prepared(Xv, Y, self._sample_weights(sample_weight, Xv.shape[0]))

    def _evaluate_prepared(self, Xv, Y, weights=None) -> dict:
        zs_out = self._engine.predict(self.arch, self.params, Xv)
        out = {"loss": self._engine.loss(self.arch, self.params, Xv, Y, weights)}
        if self.arch.loss == "bce":
            correct = ((zs_out > 0.5) == (Y > 0.5)).all(axis=1)
            out["accuracy"] = float(np.average(correct, weights=weights))
        elif self.arch.loss == "cross_entropy":
            correct = zs_out.argmax(axis=1) == Y.argmax(axis=1)
            out["accuracy"] = float(np.average(correct, weights=weights))
        return out

    # -------------------------------------------------------------- training
    def step(self, X, y, lr: float) -> float:
        """One plain gradient-descent step on (X, y) in place; returns the loss before it."""
        lr = check_float(lr, "lr", positive=True)
        Xv, Y = self._data(X, y)
        grad = np.empty_like(self.params)
        with self._exclusive("step"):
            loss = self._engine.loss_and_grad(self.arch, self.params, Xv, Y, grad,
                                              self._scratch)
            if not (np.isfinite(loss) and np.isfinite(grad).all()):
                raise DivergenceError("non-finite loss or gradient: the step was not taken",
                                      epoch=0, batch=0)
            before = self.params.copy()
            self._engine.sgd_step(self.params, grad, lr)
            if not np.isfinite(self.params).all():
                self.params[...] = before
                raise DivergenceError("the step made a parameter non-finite: not taken",
                                      epoch=0, batch=0)
        return loss

    def fit(self, X, y=None, *, epochs: int = 10, batch_size: int = 32,
            lr: float | None = None, optimizer=None, shuffle: bool = True,
            seed: int | None = None, validation_data=None, progress: bool | str = False,
            sample_weight=None) -> History:
        """Train by mini-batch gradient descent; return the per-epoch History.

        Parameters
        ----------
        X, y : array-like, or a ``fp.Dataset`` as X (then y is omitted)
        epochs : int, default 10
        batch_size : int, default 32
            The last partial batch of an epoch is kept.
        lr : float, optional
            Plain SGD with this learning rate (default 0.01 when no optimizer is given).
        optimizer : fp.SGD or fp.Adam, optional
            Its state carries over between ``fit`` calls.
        shuffle : bool, default True
            Visit the samples in a new order each epoch (``fastprop.shuffle``).
        seed : int, optional
            Seed of the epoch orders (epochs counted from 0 in this call); by default the
            network's seed, epochs counted over all its ``fit`` calls.
        validation_data : (X, y) or Dataset, optional
            Evaluated after every epoch into ``history.val_loss``/``val_accuracy``.
        progress : bool or "auto", default False
            Show a tqdm progress bar over epochs ("auto": only on a terminal).
        sample_weight : array-like of shape (n_samples,), optional
            A weight ≥ 0 per sample: each batch's loss (and so its gradient) is the
            weighted mean Σ w·ℓ / Σ w over its samples, and ``history.loss`` the weighted
            mean over the epoch. An integer weight counts a sample that many times; a
            batch whose weights are all 0 contributes no gradient.

        Notes
        -----
        The network keeps its training buffers (gradient, the parameters before the last
        step, the compiled engine's workspace for one batch) between ``fit`` calls, so
        that repeated calls touch no fresh memory: about twice the parameters' size plus
        ``batch_size`` × the layer widths. Copies and pickles do not carry them.

        Examples
        --------
        >>> import fastprop as fp
        >>> X, y = fp.data.two_moons(200, seed=0)
        >>> net = fp.Network([2, 16, 1], seed=0)
        >>> history = net.fit(X, y, epochs=5, optimizer=fp.Adam(0.01))
        >>> len(history.loss)
        5
        """
        epochs = check_int(epochs, "epochs", minimum=0)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
        seed = check_seed(seed)
        if optimizer is not None and lr is not None:
            raise TypeError("give lr or optimizer, not both (the optimizer has its own lr)")
        optimizer = SGD(0.01 if lr is None else lr) if optimizer is None else \
            check_optimizer(optimizer)
        Xv, Y = self._data(X, y)
        weights = self._sample_weights(sample_weight, Xv.shape[0])
        validation = None
        if validation_data is not None:
            if isinstance(validation_data, Dataset):
                validation = self._data(validation_data, None, "validation_data", "validation_data")
            else:
                if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                    raise TypeError("validation_data must be a pair (X, y) or a fp.Dataset, "
                                    f"got {type(validation_data).__name__}")
                Xval, yval = validation_data
                validation = self._data(Xval, yval, "validation_data[0]", "validation_data[1]")
        if progress not in (True, False, "auto"):
            raise ValueError(f"progress must be True, False or 'auto', got {progress!r}")
        optimizer.bind(self.n_params, self.dtype)
        if shuffle:
            first_epoch = 0 if seed is not None else self._epochs_trained
            seed = seed if seed is not None else self._seed
        else:
            seed, first_epoch = None, 0
        with self._exclusive("fit"):
            return run_fit(self, Xv, Y, epochs=epochs, batch_size=batch_size,
                           optimizer=optimizer, seed=seed, first_epoch=first_epoch,
                           validation=validation, progress=progress, weights=weights)

    def _exclusive(self, what):
        net = self

        class _Guard:
            def __enter__(self):
                if not net._lock.acquire(blocking=False):
                    raise RuntimeError(
                        f"{what}: this network is being trained in another thread; "
                        "a network can be trained by one thread at a time (use net.copy())"
                    )

            def __exit__(self, *exc):
                net._lock.release()

        return _Guard()

    # ----------------------------------------------------------- explanation
    def trace(self, x, y, lr: float):
        """One training step on (x, y), computed and not applied: a ``fp.Trace``."""
        from .trace import make_trace

        return make_trace(self, x, y, lr)

    def draw(self, path=None, trace=None, ax=None):
        """Draw the network: nodes named as in the trace (A, B, …), edges labelled with
        their weights (and gradients, given a trace). Needs matplotlib."""
        from .plotting import draw_network

        return draw_network(self, path=path, trace=trace, ax=ax)

    # ----------------------------------------------------------- interchange
    @classmethod
    def from_sklearn(cls, estimator, engine: str = "cython") -> Network:
        """A network with the weights of a fitted scikit-learn MLPClassifier/MLPRegressor."""
        from .interop import from_sklearn

        return from_sklearn(estimator, engine=engine)

    def to_sklearn(self):
        """A fitted scikit-learn MLPClassifier/MLPRegressor with this network's weights."""
        from .interop import to_sklearn

        return to_sklearn(self)

    @classmethod
    def from_torch(cls, module, loss: str | None = None, engine: str = "cython") -> Network:
        """A network from a ``torch.nn.Sequential`` of Linear layers and activations."""
        from .interop import from_torch

        return from_torch(module, loss=loss, engine=engine)

    def to_torch(self):
        """An equivalent ``torch.nn.Sequential`` (same weights, same dtype)."""
        from .interop import to_torch

        return to_torch(self)

    def to_onnx(self, path) -> None:
        """Export to an ONNX file (needs the ``onnx`` package)."""
        from .interop import to_onnx

        to_onnx(self, path)

    # ------------------------------------------------------------- copy, I/O
    def copy(self, *, dtype: str | None = None, engine: str | None = None) -> Network:
        """An independent copy (optionally in another dtype or engine)."""
        arch = self.arch
        if dtype is not None:
            arch = Architecture(arch.sizes, arch.activations, arch.loss, arch.bias,
                                check_dtype(dtype), arch.leaky_slope)
        return Network._from_arch(arch, self.params.astype(arch.dtype),
                                  engine or self.engine, self.seed, self._seed,
                                  self._epochs_trained)

    def save(self, path) -> None:
        """Write the network to a versioned ``.npz`` file, atomically (``fp.load`` reads it)."""
        from .io import save

        save(self, path)

    def __getstate__(self):
        state = self.__dict__.copy()
        for key in ("_lock", "_weights", "_biases", "_engine", "_scratch"):
            state.pop(key)
        state["_engine_name"] = self._engine.name
        return state

    def __setstate__(self, state):
        engine = state.pop("_engine_name")
        self.__dict__.update(state)
        self._engine = get_engine(engine)
        self._lock = threading.Lock()
        self._scratch = {}
        self._weights = tuple(self.arch.weight_views(self.params))
        self._biases = tuple(self.arch.bias_views(self.params))


def _check_sizes(sizes) -> list[int]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) and \
            not isinstance(sizes, np.ndarray):
        raise TypeError(f"sizes must be a sequence of layer sizes like [3, 2, 1], got {sizes!r}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least 2 layers (inputs and outputs), got {sizes}")
    return [check_int(s, f"sizes[{i}]", minimum=1) for i, s in enumerate(sizes)]
