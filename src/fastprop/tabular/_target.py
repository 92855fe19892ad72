"""What a table's target column becomes: class ids or a standardized number, the loss
and the number of outputs (``TabularModel``'s target)."""

from __future__ import annotations

import numpy as np

from ._columns import _bool, _number, guess_kind, is_missing

#: Integer targets with at most this many distinct values are classes (task="auto").
MAX_AUTO_CLASSES = 20


class _Target:
    """What the target column becomes: class ids (``classes``) or a standardized number
    (``mean``, ``std``), the loss and the number of outputs."""

    def __init__(self, name, classes, loss, n_outputs, mean=0.0, std=1.0):
        self.name, self.classes, self.loss, self.n_outputs = name, classes, loss, n_outputs
        self.mean, self.std = mean, std

    @classmethod
    def learn(cls, name: str, values: list, task: str, loss: str | None) -> _Target:
        from ..losses import LOSSES

        if loss is not None:
            regression_loss = LOSSES[loss].targets in ("real", "count")
            if task == "auto":
                task = "regression" if regression_loss else "classification"
            elif regression_loss != (task == "regression"):
                raise ValueError(f"loss {loss!r} does not fit task {task!r}")
        kind = guess_kind(values)
        numbers = None if kind != "numeric" else np.array([float(v) for v in values])
        integral = numbers is not None and bool(np.all(numbers == np.round(numbers)))
        if task == "auto":
            classify = kind != "numeric" or (integral and
                                             len(set(numbers)) <= MAX_AUTO_CLASSES)
            task = "classification" if classify else "regression"
        if task == "regression":
            if numbers is None:
                raise ValueError(f"target column {name!r} is not numeric: it cannot be a "
                                 "regression target (task='classification'?)")
            if loss is not None and LOSSES[loss].targets == "count":  # rates: unscaled
                if (numbers < 0).any():
                    raise ValueError(f"target column {name!r} has negative values: loss "
                                     f"{loss!r} takes counts or rates >= 0")
                return cls(name, None, loss, 1, 0.0, 1.0)
            mean, std = float(numbers.mean()), float(numbers.std()) or 1.0
            return cls(name, None, loss or "mse", 1, mean, std)
        if kind == "boolean":
            labels = [_bool(v) for v in values]
        elif integral:
            labels = [int(v) for v in numbers]
        elif numbers is not None:
            labels = [float(v) for v in numbers]
        else:
            labels = [str(v).strip() for v in values]
        classes = np.array(sorted(set(labels)))
        if len(classes) < 2:
            raise ValueError(f"target column {name!r} has a single class "
                             f"({classes.tolist()[0]!r}): nothing to learn")
        loss = loss or ("bce" if len(classes) == 2 else "cross_entropy")
        if LOSSES[loss].targets == "probability" and len(classes) > 2:
            raise ValueError(f"loss {loss!r} takes two classes, but target column "
                             f"{name!r} has {len(classes)}: use cross_entropy")
        n_outputs = 1 if LOSSES[loss].targets == "probability" else len(classes)
        return cls(name, classes, loss, n_outputs)

    def encode(self, values: list, where: str = "data") -> np.ndarray:
        """The network's targets for ``values`` (from ``where``): class ids (a column of
        0/1 for one output) or the standardized number."""
        if self.classes is None:
            try:
                numbers = np.array([self.number(self.name, v) for v in values])
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
            return (numbers - self.mean) / self.std
        index = {c: i for i, c in enumerate(self.classes.tolist())}
        labels = self.labels(values, self.classes)
        unknown = [v for v in labels if v not in index]
        if unknown:
            raise ValueError(f"{where}: target column {self.name!r} has the label "
                             f"{unknown[0]!r}, which is not one of the classes "
                             f"{self.classes.tolist()}")
        ids = np.array([index[v] for v in labels])
        return ids.astype(np.float64) if self.n_outputs == 1 else ids

    @staticmethod
    def labels(values: list, classes: np.ndarray) -> list:
        """``values`` as labels comparable with ``classes`` ("1" is the class 1 when the
        classes are integers, "true" is True when they are booleans)."""
        kind = classes.dtype.kind
        convert = {"b": _bool, "i": lambda v: _integral(_number(v)), "f": _number}.get(
            kind, lambda v: str(v).strip())
        return [convert(v) for v in values]

    @staticmethod
    def number(name, value) -> float:
        number = None if is_missing(value) else _number(value)
        if number is None:
            raise ValueError(f"target column {name!r}: {value!r} is not a number")
        return number


def _integral(number):
    return int(number) if number is not None and number == round(number) else number
