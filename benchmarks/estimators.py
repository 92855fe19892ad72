"""``fastprop.sklearn`` against scikit-learn's own MLP: the same estimator, the same data,
the same hyperparameters, one import changed.

fastprop's estimators follow scikit-learn's trajectory (same initial weights, shuffles,
loss, penalty and optimizer), so both fit the same number of epochs to the same weights:
the rows check it (``same_model``) and time only ``fit``. The timed fits alternate —
scikit-learn, fastprop, scikit-learn, … — and each figure is the fastest of its repeats
(a fit is a fixed amount of work; slower repeats are the shared machine's noise).
Data sets are scikit-learn's bundled ones (no download), standardised.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

#: (data set, loader name, estimator kind)
DATASETS = (
    ("digits", "load_digits", "MLPClassifier"),
    ("breast_cancer", "load_breast_cancer", "MLPClassifier"),
    ("iris", "load_iris", "MLPClassifier"),
    ("diabetes", "load_diabetes", "MLPRegressor"),
)
#: (solver, batch_size): scikit-learn's defaults (batch min(200, n)), and small batches
SETTINGS = (("adam", "auto"), ("sgd", "auto"), ("adam", 16), ("sgd", 16))


def _fit_seconds(estimator, X, y) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter: expected here
        start = time.perf_counter()
        estimator.fit(X, y)
        return time.perf_counter() - start


def run(quick: bool = False, repeats: int = 3, log=print) -> list[dict]:
    """One row per data set × setting: fit seconds of each library, their ratio, epochs
    run, and whether both ended with the same weights (relative 1e-6)."""
    import sklearn.datasets
    import sklearn.neural_network
    from sklearn.preprocessing import StandardScaler

    import fastprop.sklearn

    max_iter = 20 if quick else 100
    rows = []
    for name, loader, kind in DATASETS:
        X, y = getattr(sklearn.datasets, loader)(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        for solver, batch_size in SETTINGS:
            params = dict(hidden_layer_sizes=(100,), solver=solver, batch_size=batch_size,
                          max_iter=max_iter, random_state=0)
            times: dict[str, list[float]] = {"sklearn": [], "fastprop": []}
            fitted = {}
            for _ in range(repeats):
                for lib, module in (("sklearn", sklearn.neural_network),
                                    ("fastprop", fastprop.sklearn)):
                    est = getattr(module, kind)(**params)
                    times[lib].append(_fit_seconds(est, X, y))
                    fitted[lib] = est
            sk, fp = fitted["sklearn"], fitted["fastprop"]
            same = sk.n_iter_ == fp.n_iter_ and all(
                np.allclose(a, b, rtol=1e-6, atol=1e-6 * np.abs(a).max())
                for a, b in zip(sk.coefs_ + sk.intercepts_, fp.coefs_ + fp.intercepts_,
                                strict=True))
            row = {"dataset": name, "n_samples": X.shape[0], "n_features": X.shape[1],
                   "estimator": kind, "solver": solver, "batch_size": batch_size,
                   "epochs": int(fp.n_iter_), "sklearn_s": min(times["sklearn"]),
                   "fastprop_s": min(times["fastprop"]), "same_model": bool(same)}
            row["ratio"] = row["sklearn_s"] / row["fastprop_s"]
            rows.append(row)
            log(f"    {name:<14} {solver:<5} batch {batch_size!s:<5} scikit-learn "
                f"{1e3 * row['sklearn_s']:8.1f} ms   fastprop {1e3 * row['fastprop_s']:7.1f} ms"
                f"   {row['ratio']:5.1f}×" + ("" if same else "   (models differ!)"))
    return rows


def markdown(rows: list[dict]) -> list[str]:
    """The section's table, as markdown lines."""
    if not rows:
        return []
    lines = ["`fastprop.sklearn` against scikit-learn's MLP (1 thread; fit time, fastest of "
             "the repeats; hidden_layer_sizes=(100,), the same hyperparameters and "
             "random_state for both; same model: both ended with the same weights):", "",
             "| data set | estimator | solver | batch | epochs | scikit-learn | fastprop "
             "| speed-up | same model |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['dataset']} ({r['n_samples']} × {r['n_features']}) | {r['estimator']} "
            f"| {r['solver']} | {r['batch_size']} | {r['epochs']} "
            f"| {1e3 * r['sklearn_s']:.1f} ms | {1e3 * r['fastprop_s']:.1f} ms "
            f"| {r['ratio']:.1f}× | {'yes' if r['same_model'] else '**no**'} |")
    return lines
