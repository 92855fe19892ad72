"""The optimizer base class: hyperparameters checked on every assignment, flat state
buffers bound to one network's parameters, the step count, snapshots."""

from __future__ import annotations

import numpy as np

from .._validation import check_float


class Optimizer:
    """Base class: state buffers are allocated on first use for a parameter buffer.

    Subclasses set ``kind`` (the name), ``code`` (the kernels' code), ``torch`` (the
    ``torch.optim`` class with the same rule), and define ``_state_names``,
    ``kernel_arguments`` and ``_rule``.

    Examples
    --------
    >>> import fastprop as fp
    >>> opt = fp.Adam(0.01)
    >>> opt.bind(n_params=3, dtype="float64")
    >>> sorted(opt.state), opt.t
    (['exp_avg', 'exp_avg_sq'], 0)
    """

    kind: str = ""
    code: int = -1
    torch: str = ""
    lr: float
    weight_decay: float

    #: Checks of the hyperparameters, applied on every assignment (``opt.lr = -0.5``
    #: raises, as the constructor would): name -> function(value) -> checked value.
    _checks: dict = {"lr": lambda v: check_float(v, "lr", positive=True),
                     "weight_decay": lambda v: check_float(v, "weight_decay",
                                                           non_negative=True)}

    def __init__(self) -> None:
        self.state: dict[str, np.ndarray] = {}
        self.t = 0
        self.epochs = 0  # epochs trained with it: where fit's lr_schedule stands
        self._n_params: int | None = None
        self._dtype: np.dtype | None = None
        self._layout: tuple | None = None

    def __setattr__(self, name, value):
        check = self._checks.get(name)
        object.__setattr__(self, name, value if check is None else check(value))

    def _state_names(self) -> tuple[str | None, ...]:
        """The state buffers, in the order the kernel takes them (None: a slot this
        configuration leaves empty)."""
        return ()

    def kernel_arguments(self) -> tuple[float, ...]:
        """The hyperparameters the compiled kernel takes besides lr and weight_decay, in
        its order (``update`` in ``csrc/_step.pxd``)."""
        return ()

    def reference_update(self, params: np.ndarray, grad: np.ndarray) -> None:
        """One step of the rule in NumPy, in place (the reference engine's update; the
        caller has counted the step in ``t``): the gradient plus weight decay, then the
        optimizer's own rule.

        Examples
        --------
        >>> import numpy as np
        >>> from fastprop.optim import SGD
        >>> opt, p = SGD(0.5), np.array([1.0, 2.0])
        >>> opt.reference_update(p, np.array([1.0, -1.0])); p.tolist()
        [0.5, 2.5]
        """
        g = grad + self.weight_decay * params if self.weight_decay else grad
        self._rule(params, g)

    def _rule(self, params: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError

    # --------------------------------------------------- the rule, shown one parameter
    #: The symbol each state buffer has in the rule's formulas (``Trace`` shows them),
    #: in the order the rule computes them.
    symbols: dict[str, str] = {}

    def step_note(self, f) -> str:
        """What this step's rule shares across the parameters, with ``f`` formatting a
        number: the step count and, for Adam, its bias corrections ('' when nothing)."""
        return ""

    def explain(self, name: str, w: float, g: float, before: dict, after: dict,
                new: float, f, p) -> list[str]:
        """One parameter's step as lines of formulas with their numbers, the way a
        worked example writes it: the parameter called ``name`` was ``w``, its loss
        gradient is ``g``, its state buffers were ``before`` and are ``after`` (by
        buffer name), and it is ``new`` after the step (the engine's numbers; the
        lines show how they follow). ``f`` formats a number, ``p`` a factor.

        Examples
        --------
        >>> from fastprop.optim import SGD
        >>> opt = SGD(0.5, momentum=0.9); opt.t = 1
        >>> opt.explain("w", 1.0, 2.0, {"momentum_buffer": 0.0},
        ...             {"momentum_buffer": 2.0}, 0.0, str, str)[-1]
        'w_new = w − η·v = 1.0 − 0.5×2.0 = 0.0   (step -1.0)'
        """
        lines = []
        if self.weight_decay and not getattr(self, "_decoupled", False):
            decayed = g + self.weight_decay * w
            lines.append(f"g = ∂L/∂{name} + λ·{name} = {f(g)} + {f(self.weight_decay)}×"
                         f"{p(w)} = {f(decayed)}")
            g = decayed
        lines += self._explain(name, w, g, before, after, new, f, p)
        lines[-1] += f"   (step {f(new - w)})"
        return lines

    def _explain(self, name, w, g, before, after, new, f, p) -> list[str]:
        """The rule's own lines (``explain`` adds weight decay and the step), the last
        one ending in ``= new``."""
        raise NotImplementedError

    def bind(self, n_params: int, dtype: np.dtype, layout: tuple | None = None) -> None:
        """Allocate (once) flat state buffers for ``n_params`` parameters of ``dtype``;
        ``layout`` (a network's sizes and bias) must then stay the same too."""
        if self._n_params is None:
            self._n_params, self._dtype, self._layout = n_params, np.dtype(dtype), layout
            self.state = {k: self._new_state(k, n_params, dtype)
                          for k in self._state_names() if k is not None}
            return
        if layout is not None and self._layout is not None and layout != self._layout:
            raise ValueError(
                f"optimizer is already bound to a network of layout {self._layout}; this "
                f"one is {layout}: use a new optimizer object for each network")
        if self._n_params != n_params or self._dtype != np.dtype(dtype):
            raise ValueError(
                f"optimizer is already bound to a network with {self._n_params} "
                f"{self._dtype} parameters; this one has {n_params} {np.dtype(dtype)}: "
                "use a new optimizer object for each network"
            )
        for name in self._state_names():  # (momentum turned on after the first fit)
            if name is not None and name not in self.state:
                self.state[name] = self._new_state(name, n_params, dtype)

    def _new_state(self, name: str, n_params: int, dtype) -> np.ndarray:
        """A state buffer as it starts: zeros (Adagrad's sum: its initial value)."""
        return np.zeros(n_params, dtype=dtype)

    def reset(self) -> None:
        """Forget all state (momentum, moments, step count).

        Examples
        --------
        >>> from fastprop.optim import SGD
        >>> opt = SGD(0.1, momentum=0.9); opt.bind(2, "float64"); opt.reset()
        >>> opt.state, opt.t
        ({}, 0)
        """
        self.state, self.t, self._n_params, self._dtype = {}, 0, None, None
        self._layout, self.epochs = None, 0

    def get_config(self) -> dict:
        """The constructor's arguments by name (JSON-ready): ``type(opt)(**config)`` is a
        fresh optimizer with the same hyperparameters.

        >>> import fastprop as fp
        >>> fp.SGD(0.1, momentum=0.9).get_config()
        {'lr': 0.1, 'momentum': 0.9, 'nesterov': False, 'weight_decay': 0.0}
        """
        import inspect

        config = {}
        for name in inspect.signature(type(self)).parameters:
            value = getattr(self, name)
            config[name] = list(value) if isinstance(value, tuple) else value
        return config

    def state_dict(self) -> dict:
        """Everything to rebuild this optimizer where it stands (JSON-ready but for the
        state arrays): ``kind``, ``config``, the step count ``t``, ``epochs`` and the
        ``state`` buffers (copies). ``fastprop.optim.from_state_dict`` reads it back.

        >>> import fastprop as fp
        >>> sorted(fp.Adam(0.01).state_dict())
        ['config', 'epochs', 'kind', 'state', 't']
        """
        return {"kind": self.kind, "config": self.get_config(), "t": self.t,
                "epochs": self.epochs,
                "state": {name: buffer.copy() for name, buffer in self.state.items()}}

    def state_is_finite(self) -> bool:
        """Whether every state buffer holds finite numbers only (an overflowed moment
        would freeze its parameter)."""
        return all(np.isfinite(buffer).all() for buffer in self.state.values())

    def snapshot(self) -> tuple[int, dict[str, np.ndarray]]:
        return self.t, {k: v.copy() for k, v in self.state.items()}

    def restore(self, snap) -> None:
        t, state = snap
        self.t = t
        for k, v in state.items():
            self.state[k][...] = v


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_betas(betas) -> tuple[float, float]:
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise TypeError(f"betas must be a pair of floats, got {betas!r}") from None
    return (check_float(b1, "betas[0]", non_negative=True, below=1.0),
            check_float(b2, "betas[1]", non_negative=True, below=1.0))
