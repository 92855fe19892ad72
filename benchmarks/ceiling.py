"""The machine's GEMM rate: the ceiling a training step's FLOP rate is compared with.

The rate is that of NumPy's matmul on large square matrices (2048²) in each dtype at the
current thread count, the best of 5 (a ceiling is what the machine can do: the best
repeat is the one least disturbed by other processes on shared cores); a workload's
ceiling is that rate / (6 × parameters per sample).
SciPy's ``?gemm`` (the BLAS fastprop's kernels call) is measured beside it as a check.
"""

from __future__ import annotations

import time

import numpy as np


def _rate(fn, flops: float, repeats: int) -> float:
    time.sleep(0.3)  # let another library's spinning BLAS workers go to sleep first
    fn()  # warm-up (thread pools, page faults)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return flops / min(times)


def gemm_rates(dtypes=("float32", "float64"), n: int = 2048, repeats: int = 5) -> dict:
    """``{dtype: {"numpy_matmul": FLOP/s, "scipy_gemm": FLOP/s}}`` for n × n products."""
    from scipy.linalg import blas

    rng = np.random.default_rng(0)
    out = {}
    for dtype in dtypes:
        a = np.asfortranarray(rng.standard_normal((n, n)).astype(dtype))
        b = np.asfortranarray(rng.standard_normal((n, n)).astype(dtype))
        c = np.empty((n, n), dtype=dtype)
        gemm = blas.sgemm if dtype == "float32" else blas.dgemm
        flops = 2.0 * n**3
        out[dtype] = {
            "numpy_matmul": _rate(lambda a=a, b=b, c=c: np.matmul(a, b, out=c), flops, repeats),
            "scipy_gemm": _rate(lambda g=gemm, a=a, b=b: g(1.0, a, b), flops, repeats),
        }
    return out


def ceiling(gemm_flops: float, flops_per_sample: int) -> float:
    """Samples per second if every FLOP of a step ran at the large-GEMM rate."""
    return gemm_flops / flops_per_sample


def gemm_only_timer(workload, min_time: float = 0.2):
    """A callable that times a step made of nothing but the workload's matrix products
    and returns samples/s; None for batch 1 (overhead-bound: the products are a few
    multiply-adds). The products are NumPy's matmul (BLAS) at the workload's own shapes:
    per layer z = a·W, ∂L/∂W = aᵀ·δ and, past the first layer, δ·Wᵀ. The gap between
    this and the large-GEMM ceiling is what BLAS itself loses on these shapes; the gap
    between fastprop and this is fastprop's own overhead (activations, loss, update,
    bookkeeping). Calibrated here so that one call lasts about ``min_time``."""
    if workload.batch == 1:
        return None
    rng = np.random.default_rng(0)
    dtype, rows = workload.dtype, workload.batch
    products = []
    for layer, (n_in, n_out) in enumerate(zip(workload.sizes[:-1], workload.sizes[1:],
                                              strict=True)):
        a = rng.standard_normal((rows, n_in), dtype=dtype)
        W = rng.standard_normal((n_in, n_out), dtype=dtype)
        delta = rng.standard_normal((rows, n_out), dtype=dtype)
        products.append((a, W, np.empty((rows, n_out), dtype=dtype)))
        products.append((a.T, delta, np.empty((n_in, n_out), dtype=dtype)))
        if layer > 0:
            products.append((delta, W.T, np.empty((rows, n_in), dtype=dtype)))

    def step():
        for x, y, out in products:
            np.matmul(x, y, out=out)

    step()
    steps, elapsed = 1, 0.0
    while elapsed < min_time / 4:
        steps *= 4
        start = time.perf_counter()
        for _ in range(steps):
            step()
        elapsed = time.perf_counter() - start
    steps = max(1, int(steps * min_time / elapsed))

    def timed() -> float:
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return rows * steps / (time.perf_counter() - start)

    return timed
