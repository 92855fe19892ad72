"""Many models at once: one scikit-learn grid search over ``fastprop.sklearn`` estimators,
in one process, in two threads, and on a Dask ``LocalCluster`` of one and of two workers.

    python -m benchmarks.sweeps             # digits, 8 candidates × 3 folds, medians of 3

The estimators' ``fit`` releases the GIL for its compiled epochs, so joblib's threading
backend uses the cores without processes; the Dask backend spreads the same fits over
workers (processes here, machines on a real cluster). Every variant gives the same
``cv_results_`` (checked); the figures are wall-clock seconds and speed-ups over one
process, BLAS limited to one thread per process.
"""

from __future__ import annotations

import argparse
import time
import warnings


def _search(n_jobs=None):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV

    from fastprop.sklearn import MLPClassifier

    X, y = load_digits(return_X_y=True)
    grid = {"hidden_layer_sizes": [(128,), (256,), (512,), (256, 256)], "alpha": [1e-4, 1e-2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GridSearchCV(MLPClassifier(max_iter=40, random_state=0), grid, cv=3,
                            n_jobs=n_jobs).fit(X / 16.0, y)


def run(log=print) -> list[dict]:
    import joblib
    import numpy as np
    from distributed import Client, LocalCluster
    from threadpoolctl import threadpool_limits

    rows, reference = [], None

    def timed(label, make, repeats=3):
        nonlocal reference
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            search = make()
            times.append(time.perf_counter() - start)
        seconds = float(np.median(times))
        scores = search.cv_results_["mean_test_score"]
        if reference is None:
            reference = (seconds, scores)
        assert np.array_equal(scores, reference[1]), f"{label}: other results"
        rows.append({"variant": label, "seconds": seconds,
                     "speedup": reference[0] / seconds})
        log(f"{label:28s} {seconds:7.2f} s   ×{reference[0] / seconds:.2f}")

    with threadpool_limits(1):
        _search()  # warm-up, as for the workers below
        timed("one process", _search)
        with joblib.parallel_backend("threading", n_jobs=2):
            timed("2 threads (threading)", _search)
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                              dashboard_address=None) as cluster, Client(cluster):
                with joblib.parallel_backend("dask"):
                    _search()  # warm-up: the workers import fastprop and scikit-learn
                    timed(f"Dask, {workers} worker(s)", _search)
    return rows


def main(argv=None) -> None:
    argparse.ArgumentParser(prog="python -m benchmarks.sweeps",
                            description=__doc__.split("\n\n")[0]).parse_args(argv)
    run()


if __name__ == "__main__":
    main()
