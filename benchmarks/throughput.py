"""Training throughput of every implementation on every workload, side by side.

For one workload at one thread count, every implementation gets a trainer over the same
pre-made data, is warmed up and calibrated (a timed call lasts about ``min_time``), and
then the timed calls are interleaved — fastprop, numpy engine, PyTorch, scikit-learn,
fastprop, … — so that a change in the machine's load (shared cores) touches all of them
alike and the ratios stay fair. The figure is the median over the repeats.

With more than one thread, the implementations' thread pools (NumPy's OpenBLAS, SciPy's
OpenBLAS, PyTorch's OpenMP) live in one process, and a pool's workers keep spinning for
a while after their last task: a call made right after another library's call finds a
core taken by those spinning workers (measured: fastprop on mnist-mlp at 2 threads, 132 k
samples/s alone, 89 k right after the NumPy engine). So every timed call is preceded by
a pause (``pause``, 0.3 s at 2+ threads) that lets the other pools go to sleep.

The machine's GEMM rate (the ceiling's numerator) and the "GEMMs alone" rate are timed
in the same rounds — one NumPy matmul of ``gemm_size``² matrices in the workload's dtype
and one call of the step made only of the workload's products, after the
implementations — and their medians kept with the rows, so that "% of ceiling" is a ratio
of two figures measured under the same load, as fastprop ÷ PyTorch is. (A GEMM rate
measured once before all workloads drifted by up to 30 % from the rate during a
workload's rounds on these shared cores, and gave shares of the ceiling over 100 %.)
"""

from __future__ import annotations

import time

import numpy as np

from fastprop._bench import Workload, calibrate, make_data, time_call

from .ceiling import gemm_only_timer
from .impls import IMPLS, make_trainer
from .machine import OthersMeter


def run_workload(workload: Workload, impls, repeats: int, min_time: float,
                 log=print, pause: float = 0.0, gemm_size: int | None = None) -> list[dict]:
    """One row per implementation: samples/s (median), every repeat's rate, the samples
    and epochs of a timed call, a note (why skipped, or how it differs), how many
    cores other processes kept busy during the timed rounds and, with ``gemm_size``,
    the GEMM rate (FLOP/s) and the "GEMMs alone" rate (samples/s) timed in the same
    rounds (medians)."""
    X, y = make_data(workload)
    gemm_rates: list[float] = []
    gemm_only_rates: list[float] = []
    gemm_only = gemm_only_timer(workload, min(min_time, 0.2)) if gemm_size else None
    if gemm_size:
        rng = np.random.default_rng(0)
        a, b = (rng.standard_normal((gemm_size, gemm_size)).astype(workload.dtype)
                for _ in range(2))
        c = np.empty_like(a)
        np.matmul(a, b, out=c)  # warm-up
    rows, active = [], []
    log(f"  {workload.name}")
    for name in impls:
        row = {"impl": name, "workload": workload.name, "samples_per_s": None, "note": ""}
        rows.append(row)
        why = IMPLS[name].missing()
        if why:
            row["note"] = f"skipped: {why}"
            continue
        try:
            train, row["note"] = make_trainer(name, workload, X, y)
            time.sleep(pause)
            start = time.perf_counter()
            m, epochs = calibrate(train, workload.n_samples, workload.batch, min_time)
            row["calibration_s"] = round(time.perf_counter() - start, 3)
        except Exception as exc:  # a peer that fails is reported, not fatal
            row["note"] = f"failed: {type(exc).__name__}: {exc}"
            log(f"    {name}: {row['note']}")
            continue
        row.update(samples=m, epochs=epochs, samples_per_repeat=m * epochs, rates=[])
        active.append((row, train))
    with OthersMeter() as others:
        for _ in range(repeats):
            for row, train in active:
                time.sleep(pause)
                seconds = time_call(train, row["samples"], row["epochs"])
                row["rates"].append(row["samples_per_repeat"] / seconds)
            if gemm_size:
                time.sleep(pause)
                start = time.perf_counter()
                np.matmul(a, b, out=c)
                gemm_rates.append(2.0 * gemm_size**3 / (time.perf_counter() - start))
            if gemm_only is not None:
                time.sleep(pause)
                gemm_only_rates.append(gemm_only())
    for row, _ in active:
        if gemm_rates:
            row["gemm_flops"] = float(np.median(gemm_rates))
            row["gemm_rates"] = gemm_rates
        if gemm_only_rates:
            row["gemm_only"] = float(np.median(gemm_only_rates))
        row["others_cores"] = others.result
        row["samples_per_s"] = float(np.median(row["rates"]))
        spread = (max(row["rates"]) - min(row["rates"])) / row["samples_per_s"]
        row["spread"] = round(spread, 3)
        log(f"    {row['impl']:<15} {row['samples_per_s']:>14,.0f} samples/s  "
            f"(±{50 * spread:.0f} %, {row['samples_per_repeat']} samples per call)"
            + (f"  [{row['note']}]" if row["note"] else ""))
    return rows
