"""``NetworkViews``: the methods through which a ``Network`` hands itself to the views
and the exchange — its trace, its pictures, its model file, and the interchange with
scikit-learn, PyTorch and ONNX. Each checks its arguments and calls the module that does
the work (``trace``, ``plotting``, ``io``, ``interop``), which reads the network's public
attributes or plain arrays and never imports ``fastprop.network``.
"""

from __future__ import annotations

import dataclasses

from ._guard import Guard as _Guard
from ._validation import check_dtype, check_float, check_int
from .architecture import Architecture
from .engines import get_engine as _get_engine


class NetworkViews:
    """Mixed into ``Network``: explanation, pictures, copies, saving and interchange."""

    # ----------------------------------------------------------- explanation
    def trace(self, x, y, lr: float | None = None, *, optimizer=None, steps: int = 1,
              batch_size: int | None = None):
        """Training steps on (x, y), computed and not applied: a ``fp.Trace`` of one step,
        or for ``steps`` > 1 a ``fp.MultiStepTrace`` (its ``steps``: one trace per step).

        The step is gradient descent at rate ``lr`` (w − η·∂L/∂w, as the worked examples
        take it), or ``optimizer``'s rule continuing from its current state (a copy
        steps; each trace shows the state before and after its step, formula by formula).
        Give one of the two. Every step takes all of (x, y), its gradient the mean over
        the rows; with ``batch_size``, step k takes the next ``batch_size`` rows in order
        and starts again from the first after the last, as ``fit(..., shuffle=False)``.
        The network and ``optimizer`` are not changed.

        >>> import fastprop as fp
        >>> ex = fp.examples.get("two-inputs-sigmoid-mse")
        >>> round(ex.network().trace(ex.x, ex.y, lr=ex.lr).loss, 5)
        0.12553
        >>> t = ex.network().trace(ex.x, ex.y, optimizer=fp.Adam(0.1))
        >>> sorted(t.state), round(t.edge("AC")["new"], 5)
        (['exp_avg', 'exp_avg_sq'], 0.6)
        >>> t = ex.network().trace(ex.x, ex.y, optimizer=fp.SGD(0.5, momentum=0.9), steps=3)
        >>> [round(step.edge("CD")["new"], 5) for step in t.steps]
        [0.86081, 0.97408, 1.13002]
        """
        from .optim import check_optimizer
        from .trace_steps import make_trace

        if (lr is None) == (optimizer is None):
            raise TypeError("trace needs lr (gradient descent) or optimizer, exactly one")
        if optimizer is not None:
            optimizer = check_optimizer(optimizer)
        else:
            lr = check_float(lr, "lr", positive=True)
        steps = check_int(steps, "steps", minimum=1)
        if batch_size is not None:
            batch_size = check_int(batch_size, "batch_size", minimum=1)
        X, Y = self._data(x, y, "x", "y")
        return make_trace(self.arch, self.params, X, Y, lr, repr(self), optimizer, steps,
                          batch_size)

    def draw(self, path=None, trace=None, ax=None):
        """Draw the network: nodes named as in the trace (A, B, …), edges labelled with
        their weights (and gradients, given a trace). Needs matplotlib; see
        ``fastprop.plotting.draw_network``.

        Examples
        --------
        >>> import fastprop as fp
        >>> fig = fp.Network([2, 3, 1], seed=0).draw()  # or .draw("net.png", trace=...)
        """
        from .plotting import draw_network

        return draw_network(self, path=path, trace=trace, ax=ax)

    # ----------------------------------------------------------- interchange
    # (``fastprop.interop`` documents each, with examples)
    @classmethod
    def from_sklearn(cls, estimator, engine: str = "cython"):
        """A network with the weights of a fitted scikit-learn MLPClassifier/MLPRegressor.

        Examples
        --------
        >>> from sklearn.neural_network import MLPRegressor
        >>> import fastprop as fp
        >>> est = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", random_state=0)
        >>> est = est.fit([[0.0], [1.0]], [0.0, 1.0])
        >>> fp.Network.from_sklearn(est, engine="numpy")
        Network([1, 4, 1], relu→identity, mse, float64, numpy)
        """
        from .interop import sklearn_spec

        return cls._from_spec(sklearn_spec(estimator), engine)

    def to_sklearn(self):
        """A fitted scikit-learn MLPClassifier/MLPRegressor with this network's weights.

        Examples
        --------
        >>> import fastprop as fp
        >>> type(fp.Network([4, 8, 3], loss="cross_entropy", seed=0).to_sklearn()).__name__
        'MLPClassifier'
        """
        from .interop import to_sklearn

        return to_sklearn(self)

    @classmethod
    def from_torch(cls, module, loss: str | None = None, engine: str = "cython"):
        """A network from a ``torch.nn.Sequential`` of Linear layers and activations.

        Examples
        --------
        >>> import torch
        >>> import fastprop as fp
        >>> seq = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(),
        ...                           torch.nn.Linear(5, 1))
        >>> fp.Network.from_torch(seq, loss="bce", engine="numpy")
        Network([3, 5, 1], tanh→sigmoid, bce, float32, numpy)
        """
        from .interop import torch_spec

        return cls._from_spec(torch_spec(module, loss=loss), engine)

    @classmethod
    def _from_spec(cls, spec, engine: str):
        net = cls(spec.sizes, activation=list(spec.activations[:-1]),
                  output=spec.activations[-1], loss=spec.loss, bias=spec.bias, init=0.0,
                  dtype=spec.dtype, engine=engine, leaky_slope=spec.leaky_slope,
                  dropout=list(spec.dropout) or 0.0)
        net.set_weights(spec.weights, spec.biases if spec.bias else None)
        return net

    def to_torch(self):
        """An equivalent ``torch.nn.Sequential`` (same weights, same dtype).

        Examples
        --------
        >>> import torch  # (to_torch needs PyTorch)
        >>> import fastprop as fp
        >>> fp.Network([2, 1], loss="mse", seed=0).to_torch()
        Sequential(
          (0): Linear(in_features=2, out_features=1, bias=True)
        )
        """
        from .interop import to_torch

        return to_torch(self)

    def to_onnx(self, path) -> None:
        """Export to an ONNX file that computes ``predict`` (needs the ``onnx`` package).

        Examples
        --------
        >>> import fastprop as fp
        >>> fp.Network([2, 3, 1], seed=0).to_onnx("model.onnx")   # doctest: +SKIP
        """
        from ._onnx_graph import to_onnx

        to_onnx(self, path)

    def copy(self, *, dtype: str | None = None, engine: str | None = None):
        """An independent copy (optionally in another dtype or engine).

        >>> import fastprop as fp
        >>> fp.Network([2, 1], seed=0).copy(dtype="float32", engine="numpy")
        Network([2, 1], sigmoid, bce, float32, numpy)
        """
        arch = self.arch
        if dtype is not None:
            arch = dataclasses.replace(arch, dtype=check_dtype(dtype))
        net = type(self)._from_arch(arch, self.params.astype(arch.dtype),
                                    engine or self.engine, self.seed, self._seed,
                                    self._epochs_trained)
        net.feature_names_in_ = None if self.feature_names_in_ is None else \
            list(self.feature_names_in_)
        return net

    def save(self, path) -> None:
        """Write the network to a versioned ``.npz`` file, atomically (``fp.load`` reads
        it; the format is ``fastprop.io``'s), with the optimizer of its last ``fit`` where
        it stands (state, step and epoch counts), so ``fp.load(path).optimizer`` resumes
        the training exactly.

        Examples
        --------
        >>> import fastprop as fp, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
        >>> fp.Network([2, 1], seed=0).save(path)
        >>> fp.load(path)
        Network([2, 1], sigmoid, bce, float64, cython)
        """
        from .io import write_model

        write_model(path, self.metadata(), self.params, self._optimizer_state(path))

    def _optimizer_state(self, path) -> dict | None:
        """``net.optimizer.state_dict()`` for ``save``, checked to fit this network."""
        from .io import ModelFileError
        from .optim import Optimizer

        optimizer = getattr(self, "optimizer", None)
        if optimizer is None:
            return None
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"net.optimizer must be a fastprop optimizer or None, got "
                            f"{type(optimizer).__name__}")
        saved = optimizer.state_dict()
        for name, buffer in saved["state"].items():
            if buffer.shape != (self.n_params,) or buffer.dtype != self.dtype:
                raise ModelFileError(
                    f"not saved: net.optimizer's {name!r} holds {buffer.shape} "
                    f"{buffer.dtype}, not this network's {self.n_params} {self.dtype} "
                    f"parameters; {str(path)!r} is left as it was")
        return saved

    def metadata(self) -> dict:
        """What ``save`` writes beside the parameters (JSON-ready): the architecture,
        the engine, the seeds and the epochs trained.

        >>> import fastprop as fp
        >>> fp.Network([2, 1], seed=0).metadata()["sizes"]
        [2, 1]
        """
        meta = dict(self.arch.to_dict(), n_params=self.n_params, engine=self.engine,
                    seed=self.seed, effective_seed=self._seed,
                    epochs_trained=self._epochs_trained)
        if self.feature_names_in_ is not None:
            meta["feature_names"] = list(self.feature_names_in_)
        return meta

    @classmethod
    def _from_saved(cls, arch: Architecture, meta: dict, params, engine=None):
        """The network of a model file, from ``fastprop.io.read_model``'s checked
        architecture, metadata and parameters (``fp.load`` calls this)."""
        net = cls(list(arch.sizes), activation=list(arch.activations[:-1]),
                  output=arch.output, loss=arch.loss, bias=arch.bias, init=0.0,
                  dtype=arch.dtype.name, engine=engine or meta["engine"], seed=meta["seed"],
                  leaky_slope=arch.leaky_slope, huber_delta=arch.huber_delta,
                  dropout=list(arch.dropout) or 0.0)
        if net.arch != arch:
            raise ValueError("inconsistent architecture")
        net.params[...] = params
        net._seed, net._epochs_trained = meta["effective_seed"], meta["epochs_trained"]
        if "optimizer" in meta:
            from .optim import from_state_dict

            net.optimizer = from_state_dict(meta["optimizer"], arch.n_params, arch.dtype,
                                            (arch.sizes, arch.bias))
        names = meta.get("feature_names")
        if names is not None:
            if not isinstance(names, list) or len(names) != arch.sizes[0] or \
                    not all(isinstance(n, str) for n in names):
                raise ValueError("metadata field 'feature_names' is invalid")
            net.feature_names_in_ = names
        return net

    # ----------------------------------------------------------------- pickling
    def __getstate__(self):
        state = self.__dict__.copy()
        for key in ("_guard", "_weights", "_biases", "_engine", "_scratch"):
            state.pop(key)
        state["_engine_name"] = self._engine.name
        return state

    def __setstate__(self, state):
        engine = state.pop("_engine_name")
        self.__dict__.update(state)
        self.__dict__.setdefault("optimizer", None)  # (pickled before it was kept)
        self._engine = _get_engine(engine)
        self._guard = _Guard()
        self._scratch = {}
        self._weights = tuple(self.arch.weight_views(self.params))
        self._biases = tuple(self.arch.bias_views(self.params))
