"""One model on data held by a Dask cluster: ``fastprop.dask`` on one and on two workers
against ``fastprop.sklearn`` in one process, on the same rows.

    python -m benchmarks.dask_fit                  # 200 000 × 64, 10 classes, medians of 3
    python -m benchmarks.dask_fit --rows 50000 --repeats 1

Solvers: 'lbfgs' (30 iterations, ``tol=0`` so that every variant runs them all; one
round trip to the workers per loss evaluation) and 'adam' (5 epochs, batch 200; one
exchange of parameters and optimizer state per epoch). The data are a dask array of 8
partitions, persisted on the cluster before the timed fits, as data that live there; a
fit's time includes encoding the partitions and joining each worker's into one block.
Rounds interleave the variants (one process, 1 worker, 2 workers) so that a change in
the machine's load touches all of them. BLAS runs one thread per process (the workers'
nannies set it). Also printed, on 1 000 rows and 2 workers: the seconds a fit spends
before its first iteration (labels, encoding, placing the rows) and per L-BFGS iteration
(mostly the round trip to the workers): the floor under which a data set does not gain
from the cluster.
"""

from __future__ import annotations

import argparse
import time
import warnings


def _data(rows: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, 64))
    y = np.argmax(X @ rng.standard_normal((64, 10)) + rng.standard_normal((rows, 10)), 1)
    return X, y


def _estimator(module, solver: str):
    args = {"lbfgs": dict(solver="lbfgs", max_iter=30, tol=0.0),
            "adam": dict(solver="adam", max_iter=5, tol=0.0, batch_size=200,
                         learning_rate_init=1e-3)}[solver]
    return module.MLPClassifier((64, 64), random_state=0, **args)


def run(rows: int = 200_000, repeats: int = 3, log=print) -> list[dict]:
    import dask.array as da
    import numpy as np
    from distributed import Client, LocalCluster, wait
    from threadpoolctl import threadpool_limits

    import fastprop.dask as fdask
    import fastprop.sklearn as fsk

    X, y = _data(rows)
    clusters, clients, data = [], {}, {}
    for workers in (1, 2):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                               dashboard_address=":0")
        client = Client(cluster, set_as_default=False)
        clusters.append(cluster)
        clients[workers] = client
        with warnings.catch_warnings(), client.as_current():
            warnings.simplefilter("ignore")  # the arrays sent within the graph, once
            parts = client.persist([da.from_array(X, chunks=(rows // 8, 64)),
                                    da.from_array(y, chunks=rows // 8)])
            wait(parts)
        data[workers] = parts
    out = []
    try:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")

            def fit(variant: str, solver: str) -> float:
                start = time.perf_counter()
                if variant == "one process":
                    _estimator(fsk, solver).fit(X, y)
                else:
                    workers = int(variant[0])
                    with clients[workers].as_current():
                        _estimator(fdask, solver).fit(*data[workers])
                return time.perf_counter() - start

            variants = ("one process", "1 worker", "2 workers")
            for solver in ("lbfgs", "adam"):
                for variant in variants:
                    fit(variant, solver)  # warm-up: imports, compiled engine
                times: dict[str, list[float]] = {v: [] for v in variants}
                for _ in range(repeats):
                    for variant in variants:
                        times[variant].append(fit(variant, solver))
                base = float(np.median(times["one process"]))
                for variant in variants:
                    seconds = float(np.median(times[variant]))
                    out.append({"solver": solver, "variant": variant, "seconds": seconds,
                                "speedup": base / seconds})
                    log(f"{solver:6s} {variant:12s} {seconds:7.2f} s   ×{base / seconds:.2f}")
            with clients[2].as_current():
                small = [da.from_array(a[:1000], chunks=125) for a in (X, y)]
                spent, iterations = [], []
                for max_iter in (1, 21):
                    est = fdask.MLPClassifier((64, 64), solver="lbfgs", max_iter=max_iter,
                                              tol=0.0, random_state=0)
                    start = time.perf_counter()
                    est.fit(*small)
                    spent.append(time.perf_counter() - start)
                    iterations.append(est.n_iter_)
            per_iteration = (spent[1] - spent[0]) / (iterations[1] - iterations[0])
            log(f"fit on 1 000 rows, 2 workers: {spent[0]:.2f} s to place the rows, "
                f"then {1e3 * per_iteration:.1f} ms per L-BFGS iteration")
            out.append({"solver": "lbfgs", "variant": "1000 rows: placing",
                        "seconds": spent[0]})
            out.append({"solver": "lbfgs", "variant": "1000 rows: per iteration",
                        "seconds": per_iteration})
    finally:
        for client in clients.values():
            client.close()
        for cluster in clusters:
            cluster.close()
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dask_fit",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    run(args.rows, args.repeats)


if __name__ == "__main__":
    main()
