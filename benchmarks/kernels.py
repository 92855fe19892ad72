"""fastprop's own matrix-product kernels (csrc/mm.c) against the BLAS it calls otherwise.

For each product a dense layer's step does — z = a·W (NN), ∂L/∂W = aᵀ·δ (TN) and
δ·Wᵀ (NT) — at the layer shapes of the benchmark workloads and around them, it times the
compiled ``gemm`` of the layers (``fastprop._products._product``, the call the kernels make)
through each path: SciPy's BLAS, and each instruction set's microkernels this CPU runs;
at 1 and 2 BLAS threads (threadpoolctl), float32 and float64. The paths are timed in
interleaved rounds (best of 3, each call ≥ ``--min-time``), and the table gives GFLOP/s
and the winner per shape. ``mm_wanted`` in csrc/mm.c is the rule drawn from this.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.kernels [--quick]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from fastprop import _kernels, _products

# (name, rows, n_in, n_out): one layer; each gives its three products
LAYERS = [
    ("tabular 1", 32, 32, 64), ("tabular 2", 32, 64, 64), ("tabular out", 32, 64, 1),
    ("mnist 1", 64, 784, 128), ("mnist out", 64, 128, 10),
    ("wide 1", 256, 1024, 2048), ("wide 2", 256, 2048, 2048), ("wide out", 256, 2048, 10),
    ("batch 16", 16, 128, 128), ("batch 128", 128, 256, 256), ("batch 512", 512, 512, 512),
    ("odd", 37, 100, 50),
]


def products(rows: int, n_in: int, n_out: int):
    """(label, M, K, N, trans_a, trans_b) of one layer's step."""
    return [("z = a·W", rows, n_in, n_out, False, False),
            ("∂W = aᵀ·δ", n_in, rows, n_out, True, False),
            ("δ·Wᵀ", rows, n_out, n_in, False, True)]


def _operands(M, K, N, ta, tb, dtype, rng):
    A = rng.standard_normal((K, M) if ta else (M, K)).astype(dtype)
    B = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
    return A, B, np.zeros((M, N), dtype)


def time_paths(paths, M, K, N, ta, tb, dtype, min_time, rounds=3) -> dict:
    rng = np.random.default_rng(0)
    A, B, C = _operands(M, K, N, ta, tb, dtype, rng)
    reps = {}
    for path in paths:
        with _kernels.use(path):
            repeat = 1
            while _products._product(A, B, ta, tb, C, repeat=repeat) < min_time:
                repeat *= 2
            reps[path] = repeat
    best = dict.fromkeys(paths, float("inf"))
    for _ in range(rounds):
        for path in paths:
            with _kernels.use(path):
                seconds = _products._product(A, B, ta, tb, C, repeat=reps[path])
                best[path] = min(best[path], seconds / reps[path])
    return {p: 2 * M * N * K / t / 1e9 for p, t in best.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="calls of ≥ 5 ms instead of 20")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "kernels.json")
    args = ap.parse_args(argv)
    best = _kernels.state()["best"]
    paths = ["blas"] + [isa for isa in ("portable", "avx2", "avx512")
                        if _kernels.ISAS[isa] <= _kernels.ISAS[best]]
    blas = [(i.get("internal_api"), i.get("architecture"), i.get("version"))
            for i in threadpool_info() if i.get("user_api") == "blas"]
    print(f"BLAS: {blas}; kernels: {paths[1:]}")
    results = []
    for threads in [int(t) for t in args.threads.split(",")]:
        for dtype in args.dtypes.split(","):
            print(f"\n{threads} thread(s), {dtype}: GFLOP/s\n")
            print("| layer | product | M × K × N | " + " | ".join(paths) + " | fastest |")
            print("|---|---|---|" + "---|" * (len(paths) + 1))
            for name, rows, n_in, n_out in LAYERS:
                for label, M, K, N, ta, tb in products(rows, n_in, n_out):
                    with threadpool_limits(threads):
                        rates = time_paths(paths, M, K, N, ta, tb, np.dtype(dtype),
                                           0.005 if args.quick else 0.02)
                    win = max(rates, key=rates.get)
                    print(f"| {name} | {label} | {M} × {K} × {N} | "
                          + " | ".join(f"{rates[p]:.1f}" for p in paths) + f" | {win} |",
                          flush=True)
                    results.append({"threads": threads, "dtype": dtype, "layer": name,
                                    "product": label, "M": M, "K": K, "N": N,
                                    "gflops": rates})
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                     "blas": blas, "results": results}, indent=1))
    print(f"\nresults: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
