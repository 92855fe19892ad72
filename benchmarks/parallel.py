"""Two networks trained at once, one per Python thread: ``Network.fit`` releases the GIL
for its whole compiled run, so independent fits (a hyperparameter search, an ensemble)
use both cores without processes.

Per workload, with BLAS limited to one thread: the same two networks trained one after
the other, then concurrently in two threads; the figure is the combined throughput of
the concurrent run over the sequential one (2.0 = perfect use of two cores). Rounds
alternate sequential and concurrent runs; medians.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from fastprop._bench import WORKLOADS, calibrate, fastprop_trainer, make_data

DEFAULT_WORKLOADS = ("tiny-3-2-1", "tabular", "mnist-mlp")


def _concurrent(trainers, m: int, epochs: int) -> float:
    """Seconds to run every trainer once, each in its own thread, all started together."""
    start_line = threading.Barrier(len(trainers) + 1)
    errors: list[BaseException] = []

    def run(train):
        start_line.wait()
        try:
            train(m, epochs)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in trainers]
    for thread in threads:
        thread.start()
    start_line.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start


def run(workloads=DEFAULT_WORKLOADS, repeats: int = 5, min_time: float = 0.5,
        log=print) -> list[dict]:
    """One row per workload: samples/s of the two fits in sequence and concurrently
    (medians of ``repeats`` alternating rounds) and their ratio. Call with BLAS limited to
    one thread (``machine.limit_threads(1)``)."""
    rows = []
    for name in workloads:
        workload = WORKLOADS[name]
        X, y = make_data(workload)
        trainers = [fastprop_trainer(workload, X, y) for _ in range(2)]
        m, epochs = calibrate(trainers[0], workload.n_samples, workload.batch, min_time)
        trainers[1](m, epochs)  # warm-up of the second network
        samples = 2 * m * epochs
        sequential, concurrent = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            for train in trainers:
                train(m, epochs)
            sequential.append(samples / (time.perf_counter() - start))
            concurrent.append(samples / _concurrent(trainers, m, epochs))
        row = {"workload": name, "samples_per_call": m * epochs,
               "sequential": float(np.median(sequential)),
               "concurrent": float(np.median(concurrent)),
               "sequential_rates": sequential, "concurrent_rates": concurrent}
        row["speedup"] = row["concurrent"] / row["sequential"]
        rows.append(row)
        log(f"    {name:<10} one after the other {row['sequential']:>12,.0f} samples/s   "
            f"two threads {row['concurrent']:>12,.0f} samples/s   {row['speedup']:.2f}×")
    return rows


def markdown(rows: list[dict]) -> list[str]:
    """The section's table, as markdown lines."""
    if not rows:
        return []
    lines = ["Two networks at once (BLAS 1 thread each; `fit` releases the GIL, so two "
             "Python threads train two networks on the two cores; combined samples/s, "
             "median):", "",
             "| workload | one after the other | two threads | speed-up |",
             "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['workload']} | {r['sequential']:,.0f} | {r['concurrent']:,.0f} "
                     f"| {r['speedup']:.2f}× |")
    return lines
