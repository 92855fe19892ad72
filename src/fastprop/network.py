"""``Network``: a multilayer perceptron whose parameters live in one flat buffer.

``Network`` is the façade users hold: it checks every argument, then hands plain arrays
to the layers below it (the engines, ``training``) and, through its ``NetworkViews``
methods, to the views beside it (``trace``, ``plotting``, ``io``, ``interop``), none of
which imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _inputs
from ._class_weight import class_sample_weights
from ._guard import Guard
from ._limits import check_bytes
from ._validation import (
    check_bool,
    check_dtype,
    check_float,
    check_layer_arrays,
    check_seed,
    check_sizes,
)
from .activations import LEAKY_SLOPE, check_activation, check_hidden
from .architecture import Architecture
from .dropout import check_dropout
from .engines import get_engine
from .history import History
from .initializers import check_init, initialize
from .losses import LOSSES, check_loss, check_output_for_loss
from .network_steps import NetworkSteps
from .network_views import NetworkViews
from .shuffle import random_seed
from .training import check_fit_settings, run_fit


class Network(NetworkSteps, NetworkViews):
    """A dense feed-forward network trained by backpropagation.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes, input first: ``[3, 2, 1]`` is 3 inputs, 2 hidden units, 1 output.
    activation : str or sequence of str, default "relu"
        Hidden activation, or one per hidden layer: "identity", "relu", "leaky_relu",
        "sigmoid", "tanh", "gelu", "gelu_tanh", "silu", "elu", "selu", "softplus"
        (``fastprop.activations``: PyTorch's definitions).
    output : str, optional
        Output activation. Default: the loss's own (sigmoid for "bce", softmax for
        "cross_entropy", identity for "mse").
    loss : {"bce", "mse", "cross_entropy", "mae", "huber", "poisson"}, default "bce"
        PyTorch's definitions (``fastprop.losses``); "poisson" takes counts ≥ 0, its
        output is the rate exp(z) of the log-rate z.
    bias : bool, default True
        False: no biases at all (as in the worked examples).
    init : {"he", "xavier", "normal", "uniform"} or float, default "he"
        See ``fastprop.initializers``; a number sets every weight to it (biases to 0).
    dtype : {"float64", "float32"}, default "float64"
    engine : {"cython", "numpy"}, default "cython"
    seed : int, optional
        Makes initialisation and shuffling reproducible.
    leaky_slope : float, default 0.01
        The slope of "leaky_relu" below 0 (PyTorch's ``negative_slope``).
    huber_delta : float, default 1.0
        Where "huber" turns from squared to absolute error (PyTorch's ``delta``).
    dropout : float or sequence of float, default 0
        Inverted dropout on the hidden activations during ``fit`` (one rate in [0, 1)
        for every hidden layer, or one per hidden layer; ``fastprop.dropout``).

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
                 seed: int | None = None, leaky_slope: float = LEAKY_SLOPE,
                 huber_delta: float = 1.0, dropout: float | Sequence[float] = 0.0):
        sizes = check_sizes(sizes)
        loss = check_loss(loss)
        hidden = check_hidden(activation, len(sizes) - 2)
        output = LOSSES[loss].default_output if output is None else output
        output = check_activation(output, "output", output=True)
        check_output_for_loss(loss, output, sizes[-1])
        bias = check_bool(bias, "bias")
        init = check_init(init)
        np_dtype = check_dtype(dtype)
        leaky_slope = check_float(leaky_slope, "leaky_slope")
        huber_delta = check_float(huber_delta, "huber_delta", positive=True)
        dropout = check_dropout(dropout, len(sizes) - 2)
        self._engine = get_engine(engine)
        self.seed = check_seed(seed)
        arch = Architecture(tuple(sizes), tuple(hidden) + (output,), loss, bias, np_dtype,
                            leaky_slope, huber_delta, dropout)
        self._setup(arch, self.seed if self.seed is not None else random_seed())
        initialize(arch, self.params, init, np.random.default_rng(self._seed))

    def _setup(self, arch: Architecture, effective_seed: int) -> None:
        check_bytes(arch.n_params * arch.dtype.itemsize, f"{arch.n_params:,} parameters",
                    "sizes")
        self.arch = arch
        self._seed = effective_seed
        self.params = np.zeros(arch.n_params, dtype=arch.dtype)
        self._weights = tuple(arch.weight_views(self.params))
        self._biases = tuple(arch.bias_views(self.params))
        self._epochs_trained = 0
        self._guard = Guard()
        self._scratch: dict = {}  # training buffers kept between calls (see fit's Notes)
        self.history: History | None = None
        #: The optimizer of the last ``fit`` (its state where training stopped), or None.
        self.optimizer = None
        #: The column names of the DataFrame it was fitted on (scikit-learn's name), or
        #: None; a DataFrame given later must have the same columns in the same order.
        self.feature_names_in_: list[str] | None = None

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
    epochs_trained = property(lambda self: self._epochs_trained,
                              doc="Epochs completed over all ``fit`` calls.")

    @property
    def activations(self) -> tuple[str, ...]:
        """Activation of every layer, hidden layers first, the output's last."""
        return self.arch.activations

    @property
    def is_classifier(self) -> bool:
        """Whether the loss is a classification loss (``evaluate`` reports accuracy)."""
        return LOSSES[self.arch.loss].classification

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

        Examples
        --------
        >>> import fastprop as fp
        >>> net = fp.Network([2, 1], loss="mse", bias=False)
        >>> net.set_weights([[[0.5], [-1.0]]])
        >>> net.weights[0].ravel().tolist()
        [0.5, -1.0]
        """
        new_w = check_layer_arrays(weights, "weights", [W.shape for W in self._weights],
                                   self.dtype)
        new_b = None
        if biases is not None:
            if not self.bias:
                raise ValueError("biases given, but the network has bias=False")
            new_b = check_layer_arrays(biases, "biases", [b.shape for b in self._biases],
                                       self.dtype)
        for dst, src in zip(self._weights, new_w):
            dst[...] = src
        for dst, src in zip(self._biases, new_b or ()):
            dst[...] = src

    def _data(self, X, y, name_x="X", name_y="y"):
        """Validated (X, Y) for this network's loss (``fastprop._inputs.data``)."""
        return _inputs.data(self.arch, X, y, name_x, name_y, self.feature_names_in_)

    # ------------------------------------------------------------ evaluation
    def predict(self, X) -> np.ndarray:
        """Network outputs ŷ: shape (n, n_out) for 2-D X, (n_out,) for one 1-D sample.

        >>> import fastprop as fp
        >>> fp.Network([2, 1], loss="mse", init=1.0).predict([[1, 2], [3, 4]]).tolist()
        [[3.0], [7.0]]
        """
        Xv, single = _inputs.inputs(self.arch, X, columns=self.feature_names_in_)
        with self._guard.reading("predict"):
            out = self._engine.predict(self.arch, self.params, Xv)
        return out[0] if single else out

    def loss(self, X, y, *, sample_weight=None) -> float:
        """Mean loss of the network on (X, y) (with ``sample_weight``, the weighted mean).

        >>> import fastprop as fp
        >>> fp.Network([1, 1], loss="mse", init=2.0).loss([[1.0], [2.0]], [1.0, 1.0])
        5.0
        """
        Xv, Y = self._data(X, y)
        weights = _inputs.sample_weights(self.arch, sample_weight, Xv.shape[0])
        with self._guard.reading("loss"):
            return self._engine.loss(self.arch, self.params, Xv, Y, weights)

    def evaluate(self, X, y=None, *, sample_weight=None, metrics=()) -> dict:
        """``{"loss": …}``, ``"accuracy"`` for classification losses (both weighted with
        ``sample_weight``) and each of ``metrics`` ("f1", "roc_auc", "r2", …, unweighted).

        >>> import fastprop as fp
        >>> X, y = fp.data.xor()
        >>> sorted(fp.Network([2, 4, 1], seed=0).evaluate(X, y))
        ['accuracy', 'loss']
        """
        from .metrics import check_metrics

        names = check_metrics(metrics, self.is_classifier)
        Xv, Y = self._data(X, y)
        weights = _inputs.sample_weights(self.arch, sample_weight, Xv.shape[0])
        with self._guard.reading("evaluate"):
            return self._scores(Xv, Y, names, weights=weights)

    def _scores(self, Xv, Y, metrics=(), loss: bool = True, weights=None) -> dict:
        """``evaluate`` on validated arrays (the loss and accuracy only with ``loss``)."""
        from .metrics import scores

        y_hat = self._engine.predict(self.arch, self.params, Xv)
        value = self._engine.loss(self.arch, self.params, Xv, Y, weights) if loss else None
        return scores(Y, y_hat, self.arch.loss, metrics, value, weights)

    # -------------------------------------------------------------- training
    def fit(self, X, y=None, *, epochs: int = 10, batch_size: int = 32,
            lr: float | None = None, optimizer=None, shuffle: bool = True,
            seed: int | None = None, validation_data=None, progress: bool | str = False,
            sample_weight=None, class_weight=None, lr_schedule=None,
            clip_norm: float | None = None, clip_value: float | None = None,
            callbacks=None, metrics=(), comm=None, sync: str = "step") -> History:
        """Train by mini-batch gradient descent; return the per-epoch History.

        Parameters
        ----------
        X, y : array-like, or a ``fp.Dataset`` as X (then y is omitted)
        epochs : int, default 10
        batch_size : int, default 32 (an epoch's last partial batch is kept)
        lr : float, optional
            Plain SGD with this learning rate (default 0.01 when no optimizer is given).
        optimizer : fp.SGD, fp.Adam, fp.AdamW, fp.RMSprop or fp.Adagrad, optional
            Its state carries over between ``fit`` calls; ``fit`` keeps the one it used
            as ``net.optimizer`` (``net.save`` stores it, so training resumes exactly).
        shuffle : bool, default True
            Visit the samples in a new order each epoch (``fastprop.shuffle``).
        seed : int, optional
            Seed of the epoch orders (epochs counted from 0 in this call); by default the
            network's seed, epochs counted over all its ``fit`` calls.
        validation_data : (X, y) or Dataset, optional (scored after every epoch)
        progress : bool or "auto", default False (a bar over epochs; auto: on a terminal)
        sample_weight : array-like of shape (n_samples,), optional
            A weight ≥ 0 per sample: each batch's loss (and so its gradient) is the
            weighted mean Σ w·ℓ / Σ w over its samples, and ``history.loss`` the weighted
            mean over the epoch. An integer weight counts a sample that many times; a
            batch whose weights are all 0 contributes no gradient.
        class_weight : "balanced" or dict, optional
            Weights by class, as scikit-learn's ``compute_sample_weight(class_weight,
            y)`` gives them, times ``sample_weight`` (``fastprop._class_weight``).
        lr_schedule : a ``fastprop.schedules`` schedule, optional
            Epoch e trains at ``lr_schedule.rate(optimizer.epochs + e, optimizer.lr, n)``,
            as PyTorch's schedulers stepped after each epoch; ``history.lr`` records it.
        clip_norm, clip_value : float > 0, optional
            Clip each step's gradient to this global L2 norm (PyTorch's
            ``clip_grad_norm_``), then each component to [−v, v] (``clip_grad_value_``).
        callbacks : list of ``fastprop.callbacks.Callback``, optional (after each epoch)
        metrics : list of str, optional
            ``fastprop.metrics`` names computed after every epoch on the training data
            and on ``validation_data`` (``val_<name>``), into ``history`` and the logs.
        comm : an mpi4py communicator, optional
            Train together with the other ranks of ``comm``, each on its own (X, y):
            ``fastprop.distributed`` (not with callbacks, metrics, class_weight,
            progress or dropout).
        sync : "step" (default) or "epoch"
            With ``comm``: one all-reduce of the gradient per step (the result is one
            process training on the union of the ranks' batches), or the parameters
            averaged after each epoch (local SGD).

        Notes
        -----
        The network keeps its training buffers (gradient, parameters before the last
        step, one batch's workspace: twice the parameters plus ``batch_size`` × the
        widths) between calls, so repeated calls touch no fresh memory (copies and
        pickles do not carry them).

        Examples
        --------
        >>> import fastprop as fp
        >>> X, y = fp.data.two_moons(200, seed=0)
        >>> net = fp.Network([2, 16, 1], seed=0)
        >>> history = net.fit(X, y, epochs=5, optimizer=fp.Adam(0.01))
        >>> len(history.loss)
        5
        """
        fs = check_fit_settings(
            epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer,
            shuffle=shuffle, seed=seed, progress=progress, lr_schedule=lr_schedule,
            clip_norm=clip_norm, clip_value=clip_value, callbacks=callbacks,
            metrics=metrics, classification=self.is_classifier)
        if comm is not None:
            return self._fit_over(comm, X, y, fs, sync, callbacks=callbacks,
                                  metrics=metrics, class_weight=class_weight,
                                  progress=progress, sample_weight=sample_weight,
                                  validation_data=validation_data)
        Xv, Y = self._data(X, y)
        weights = _inputs.sample_weights(self.arch, sample_weight, Xv.shape[0])
        by_class = class_sample_weights(class_weight, Y, self.arch.loss)
        if by_class is not None:  # (scikit-learn's rule: sample weight × class weight)
            weights = by_class.astype(self.dtype) if weights is None else weights * by_class
        validation = _inputs.validation(self.arch, validation_data)
        history = History(validation=validation is not None,
                          classification=self.is_classifier, metrics=fs.metrics)
        fs.check_with(self, Xv.shape[0], history.logged())
        # the shuffle's and dropout's seed and first epoch (fastprop.shuffle, .dropout)
        drop_first = 0 if fs.seed is not None else self._epochs_trained
        drop_seed = fs.seed if fs.seed is not None else self._seed
        dropout = (drop_seed, drop_first) if self.arch.dropout else None
        seed, first_epoch = (drop_seed, drop_first) if fs.shuffle else (None, 0)
        with self._guard.training("fit", self._scratch) as scratch:
            self.history, self.optimizer = history, fs.optimizer
            if hasattr(X, "columns") and self.feature_names_in_ is None:  # a DataFrame
                self.feature_names_in_ = [str(c) for c in X.columns]

            def count_epochs(k: int) -> None:  # (as each epoch completes: checkpoints)
                self._epochs_trained += k
            run_fit(self._engine, self.arch, self.params, Xv, Y, history, fs, seed=seed,
                    first_epoch=first_epoch, validation=validation, evaluate=self._scores,
                    scratch=scratch, count_epochs=count_epochs, weights=weights,
                    dropout=dropout, net=self)
        return history

    def _fit_over(self, comm, X, y, settings, sync, *, sample_weight, validation_data,
                  **unsupported) -> History:
        """``fit(..., comm=...)``: ``fastprop.distributed.fit``."""
        from . import distributed

        given = [name for name, value in unsupported.items()
                 if value not in (None, (), [], False)]
        if given:
            raise TypeError(f"fit(comm=...) does not take {', '.join(given)}: training "
                            "over MPI takes epochs, batch_size, lr or optimizer, shuffle, "
                            "seed, sample_weight, validation_data, lr_schedule and clipping")
        return distributed.fit(self, X, y, comm=comm, sync=sync, settings=settings,
                               sample_weight=sample_weight, validation_data=validation_data)

