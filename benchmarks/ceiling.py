"""The machine's GEMM rate: the ceiling a training step's FLOP rate is compared with.

The rate is that of NumPy's matmul on large square matrices (2048²) in each dtype at the
current thread count; a workload's ceiling is that rate / (6 × parameters per sample).
SciPy's ``?gemm`` (the BLAS fastprop's kernels call) is measured beside it as a check.
"""

from __future__ import annotations

import time

import numpy as np


def _rate(fn, flops: float, repeats: int) -> float:
    fn()  # warm-up (thread pools, page faults)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return flops / float(np.median(times))


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
