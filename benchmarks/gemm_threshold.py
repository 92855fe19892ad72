"""Where should a dense layer switch from plain loops to BLAS? (``BLAS_MIN_FLOPS`` in
csrc/_layers.pxd, fixed at compile time: 4096 multiply-adds = rows × n_in × n_out.)

The switch cannot be moved at run time, so this script rebuilds the experiment outside
fastprop: a small C file holding the very loops of ``dense_forward``/``dense_backward``
(forward z = a·W, backward ∂L/∂W = aᵀ·δ and δ_in = δ·Wᵀ) and the same three products
through the BLAS fastprop calls — SciPy's ``sgemm``/``dgemm``, taken from
``scipy.linalg.cython_blas`` by function pointer, called row-major exactly as
csrc/_blas.pxd does — compiled with fastprop's flags (``cc -O3 -fno-strict-aliasing``).
For each shape (rows, n_in, n_out) it times one forward + backward both ways, one
thread, and reports which wins and which single threshold would lose least overall.

    python -m benchmarks.gemm_threshold [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import ctypes
import itertools
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

C_SOURCE = r"""
typedef void (*gemm_f)(char*, char*, int*, int*, int*, float*, const float*, int*,
                       const float*, int*, float*, float*, int*);
typedef void (*gemm_d)(char*, char*, int*, int*, int*, double*, const double*, int*,
                       const double*, int*, double*, double*, int*);
#define DEFINE(T, G, SUFFIX)                                                            \
static void gemm_##SUFFIX(G g, int ta, int tb, int M, int N, int K, const T* A, int lda, \
                          const T* B, int ldb, T* C, int ldc) {                          \
    char cta = ta ? 'T' : 'N', ctb = tb ? 'T' : 'N';                                     \
    T one = 1, zero = 0;                                                                 \
    g(&ctb, &cta, &N, &M, &K, &one, B, &ldb, A, &lda, &zero, C, &ldc);                   \
}                                                                                        \
double step_##SUFFIX(void* gp, int blas, long iters, long rows, long n_in, long n_out,  \
                     const T* a, const T* W, T* z, const T* delta, T* gW, T* din) {      \
    G g = (G)gp;                                                                         \
    for (long it = 0; it < iters; it++) {                                                \
        if (blas) {                                                                      \
            gemm_##SUFFIX(g, 0, 0, rows, n_out, n_in, a, n_in, W, n_out, z, n_out);      \
            gemm_##SUFFIX(g, 1, 0, n_in, n_out, rows, a, n_in, delta, n_out, gW, n_out); \
            gemm_##SUFFIX(g, 0, 1, rows, n_in, n_out, delta, n_out, W, n_out, din, n_in);\
            continue;                                                                    \
        }                                                                                \
        for (long r = 0; r < rows; r++) {        /* z = a·W, as dense_forward */          \
            T* zr = z + r * n_out;                                                       \
            for (long j = 0; j < n_out; j++) zr[j] = 0;                                  \
            for (long k = 0; k < n_in; k++) {                                            \
                T x = a[r * n_in + k];                                                   \
                const T* wk = W + k * n_out;                                             \
                for (long j = 0; j < n_out; j++) zr[j] += x * wk[j];                     \
            }                                                                            \
        }                                                                                \
        for (long i = 0; i < n_in * n_out; i++) gW[i] = 0;   /* dense_backward */         \
        for (long r = 0; r < rows; r++) {                                                \
            const T* dr = delta + r * n_out;                                             \
            for (long k = 0; k < n_in; k++) {                                            \
                T x = a[r * n_in + k];                                                   \
                T* gk = gW + k * n_out;                                                  \
                for (long j = 0; j < n_out; j++) gk[j] += x * dr[j];                     \
            }                                                                            \
        }                                                                                \
        for (long r = 0; r < rows; r++) {                                                \
            const T* dr = delta + r * n_out;                                             \
            for (long k = 0; k < n_in; k++) {                                            \
                const T* wk = W + k * n_out;                                             \
                T s = 0;                                                                 \
                for (long j = 0; j < n_out; j++) s += dr[j] * wk[j];                     \
                din[r * n_in + k] = s;                                                   \
            }                                                                            \
        }                                                                                \
    }                                                                                    \
    return (double)z[0] + (double)gW[0] + (double)din[0];                               \
}
DEFINE(float, gemm_f, f32)
DEFINE(double, gemm_d, f64)
"""

CURRENT = 4096


def _build() -> ctypes.CDLL:
    if shutil.which("cc") is None:
        raise SystemExit("needs a C compiler (cc)")
    folder = Path(tempfile.mkdtemp(prefix="fastprop-gemm-threshold-"))
    src, lib = folder / "loops.c", folder / "loops.so"
    src.write_text(C_SOURCE)
    subprocess.run(["cc", "-O3", "-fno-strict-aliasing", "-fPIC", "-shared", "-o", str(lib),
                    str(src)], check=True)
    return ctypes.CDLL(str(lib))


def _blas_pointer(name: str) -> int:
    from scipy.linalg import cython_blas

    capsule = cython_blas.__pyx_capi__[name]
    api = ctypes.pythonapi
    api.PyCapsule_GetName.restype = ctypes.c_char_p
    api.PyCapsule_GetName.argtypes = [ctypes.py_object]
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return api.PyCapsule_GetPointer(capsule, api.PyCapsule_GetName(capsule))


def shapes(quick: bool) -> list[tuple[int, int, int]]:
    rows = (1, 4, 16, 64) if quick else (1, 4, 16, 64, 256)
    ins = (2, 8, 32, 128) if quick else (1, 2, 4, 8, 16, 32, 64, 128, 256)
    outs = (1, 8, 32, 128) if quick else (1, 2, 4, 8, 16, 32, 64, 128, 256)
    return sorted((r * i * o, r, i, o) for r, i, o in itertools.product(rows, ins, outs)
                  if r * i * o <= 65536)


def time_step(lib, dtype, blas_ptr, blas: bool, rows, n_in, n_out, min_time) -> float:
    """Seconds per forward + backward of one layer (best of 3 timed calls)."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in
              (rows * n_in, n_in * n_out, rows * n_out, rows * n_out, n_in * n_out, rows * n_in)]
    fn = getattr(lib, "step_f32" if dtype == np.float32 else "step_f64")
    fn.restype = ctypes.c_double
    ptrs = [a.ctypes.data_as(ctypes.c_void_p) for a in arrays]

    def call(iters):
        start = time.perf_counter()
        fn(ctypes.c_void_p(blas_ptr), int(blas), ctypes.c_long(iters), ctypes.c_long(rows),
           ctypes.c_long(n_in), ctypes.c_long(n_out), *ptrs)
        return time.perf_counter() - start

    iters = 1
    while (elapsed := call(iters)) < min_time / 4:
        iters *= 4
    iters = max(1, int(iters * min_time / max(elapsed, 1e-9)))
    return min(call(iters) for _ in range(3)) / iters


RULES = {
    # what csrc/_layers.pxd does: BLAS from T multiply-adds on
    "madds >= T": lambda r, t: r["madds"] >= t,
    # the same, but plain loops for a one-row product (batch 1: a matrix-vector product,
    # where a GEMM call is slow) and for n_in == 1 (an outer product)
    "madds >= T and rows > 1 and n_in > 1":
        lambda r, t: r["madds"] >= t and r["rows"] > 1 and r["n_in"] > 1,
}


def best_threshold(rows: list[dict], rule: str = "madds >= T") -> dict:
    """For each candidate threshold (powers of 2), the geometric-mean slowdown over all
    shapes against always picking the faster method, and the worst; the best candidate."""
    use_blas = RULES[rule]
    candidates = [2**k for k in range(0, 17)]
    cost = {}
    for t in candidates:
        logs = [math.log((r["blas_s"] if use_blas(r, t) else r["loops_s"]) /
                         min(r["blas_s"], r["loops_s"])) for r in rows]
        worst = max(math.exp(v) for v in logs)
        cost[t] = {"geomean_slowdown": math.exp(sum(logs) / len(logs)), "worst": worst}
    best = min(candidates, key=lambda t: cost[t]["geomean_slowdown"])
    return {"best": best, "by_threshold": cost}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gemm_threshold",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer shapes, shorter timings")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    args = parser.parse_args(argv)
    import fastprop._engine  # noqa: F401  (loads SciPy's BLAS, then limit it to 1 thread)
    from threadpoolctl import threadpool_limits

    lib = _build()
    min_time = 0.01 if args.quick else 0.02
    out = {}
    with threadpool_limits(limits=1):
        for dtype, gemm in ((np.float32, "sgemm"), (np.float64, "dgemm")):
            ptr, rows = _blas_pointer(gemm), []
            print(f"\n{np.dtype(dtype).name}: ns per forward + backward "
                  f"(rows × n_in × n_out = multiply-adds)")
            print(f"{'madds':>7} {'rows':>5} {'n_in':>5} {'n_out':>5} {'loops':>10} "
                  f"{'BLAS':>10}  faster")
            for madds, r, i, o in shapes(args.quick):
                loops = time_step(lib, dtype, ptr, False, r, i, o, min_time)
                blas = time_step(lib, dtype, ptr, True, r, i, o, min_time)
                rows.append({"madds": madds, "rows": r, "n_in": i, "n_out": o,
                             "loops_s": loops, "blas_s": blas})
                print(f"{madds:>7} {r:>5} {i:>5} {o:>5} {loops * 1e9:>10.0f} "
                      f"{blas * 1e9:>10.0f}  {'loops' if loops < blas else 'BLAS'}")
            fit = best_threshold(rows)
            shaped = best_threshold(rows, "madds >= T and rows > 1 and n_in > 1")
            loops_win = [x["madds"] for x in rows if x["loops_s"] < x["blas_s"]]
            blas_win = [x["madds"] for x in rows if x["blas_s"] <= x["loops_s"]]
            summary = {
                "largest_loops_win": max(loops_win, default=None),
                "smallest_blas_win": min(blas_win, default=None),
                "best_threshold": fit["best"],
                "best": fit["by_threshold"][fit["best"]],
                "current": fit["by_threshold"][CURRENT],
                "shape_rule_best_threshold": shaped["best"],
                "shape_rule_best": shaped["by_threshold"][shaped["best"]],
            }
            out[np.dtype(dtype).name] = {"shapes": rows, "summary": summary,
                                         "by_threshold": fit["by_threshold"]}
            s = summary
            print(f"loops win up to {s['largest_loops_win']} multiply-adds, BLAS from "
                  f"{s['smallest_blas_win']}. Slowdown against the faster method per shape, "
                  f"geometric mean (worst): BLAS from {CURRENT} (now) "
                  f"{s['current']['geomean_slowdown']:.3f} ({s['current']['worst']:.2f}×); "
                  f"best single threshold {fit['best']}: {s['best']['geomean_slowdown']:.3f} "
                  f"({s['best']['worst']:.2f}×); from {shaped['best']} with loops kept for "
                  f"rows == 1 or n_in == 1: {s['shape_rule_best']['geomean_slowdown']:.3f} "
                  f"({s['shape_rule_best']['worst']:.2f}×)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
