"""Built-in data sets, generated with a fixed seed (no downloads).

>>> import fastprop as fp
>>> X, y = fp.data.six_points()
>>> X.shape, y.tolist()
((6, 3), [1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
"""

from __future__ import annotations

import numpy as np

from ._validation import check_float, check_int, check_seed


def six_points() -> tuple[np.ndarray, np.ndarray]:
    """The six training points of the three-input worked example.

    The text's rule: y = 1 if the third number is positive, else 0. Its table is lost;
    these six points follow the rule and, as the text says of its own, give positive
    hidden values D = E = x₁ + x₂ + x₃ > 0 for the all-ones network (so ReLU changes
    nothing at the start). The first is the text's walk-through point (1, 2, 3).

    Examples
    --------
    >>> X, y = six_points()
    >>> X[0].tolist(), y[0]
    ([1.0, 2.0, 3.0], np.float64(1.0))
    """
    X = np.array([[1.0, 2.0, 3.0],
                  [2.0, 1.0, -1.0],
                  [4.0, 3.0, 2.0],
                  [3.0, 5.0, -2.0],
                  [1.0, 4.0, 1.0],
                  [5.0, 2.0, -3.0]])
    y = (X[:, 2] > 0).astype(np.float64)
    return X, y


def xor(n_samples: int = 200, noise: float = 0.0, seed: int = 0):
    """XOR-style data: points in [−1, 1]², label 1 where x₁·x₂ > 0 (two opposite quadrants).

    Points within 0.1 of an axis are pushed out, so the classes have a margin.

    Examples
    --------
    >>> X, y = xor(100, seed=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((100, 2), [0.0, 1.0])
    """
    n = check_int(n_samples, "n_samples", minimum=1)
    noise = check_float(noise, "noise", non_negative=True)
    rng = np.random.default_rng(check_seed(seed))
    X = rng.uniform(0.1, 1.0, size=(n, 2)) * rng.choice([-1.0, 1.0], size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float64)
    return X + noise * rng.normal(size=X.shape), y


def two_moons(n_samples: int = 400, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles (as scikit-learn's ``make_moons``), labels 0 and 1.

    Examples
    --------
    >>> X, y = two_moons(50, seed=1)
    >>> X.shape, int(y.sum())
    ((50, 2), 25)
    """
    n = check_int(n_samples, "n_samples", minimum=2)
    noise = check_float(noise, "noise", non_negative=True)
    rng = np.random.default_rng(check_seed(seed))
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.vstack([np.column_stack([np.cos(t_out), np.sin(t_out)]),
                   np.column_stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)])])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    X += noise * rng.normal(size=X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def spirals(n_samples: int = 600, n_classes: int = 3, noise: float = 0.2, seed: int = 0):
    """``n_classes`` interleaved spiral arms in 2-D; labels are class ids 0 … n_classes−1.

    Examples
    --------
    >>> X, y = spirals(90, n_classes=3, seed=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((90, 2), [0, 1, 2])
    """
    n = check_int(n_samples, "n_samples", minimum=1)
    k = check_int(n_classes, "n_classes", minimum=2)
    noise = check_float(noise, "noise", non_negative=True)
    rng = np.random.default_rng(check_seed(seed))
    labels = np.arange(n) % k
    r = rng.uniform(0.05, 1.0, size=n)
    theta = labels * (2 * np.pi / k) + 4.0 * r + noise * rng.normal(size=n)
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return X, labels.astype(np.int64)
