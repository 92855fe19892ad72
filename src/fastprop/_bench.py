"""``fastprop bench``: training throughput of the benchmark workloads on fastprop.

The workloads are defined here, once. The full harness in the source tree's
``benchmarks/`` package (``python -m benchmarks`` from a checkout: fastprop side by side
with PyTorch, scikit-learn and its own NumPy engine, the GEMM ceiling, memory,
allocations, denormals) imports them from this module; the package never imports the
harness. ``fastprop bench`` runs what ships with the package: fastprop's own throughput
on the same workloads, and says how to run the full comparison.

Throughput is training samples per second of forward + backward + SGD update: the median
of several timed ``fit`` calls after a warm-up, each call long enough to measure.
Nothing here is imported by ``import fastprop``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Workload:
    """One benchmark network, its loss, batch size and dtype, and its data set's size."""

    name: str
    sizes: tuple[int, ...]
    activation: str
    output: str
    loss: str
    bias: bool
    batch: int
    dtype: str
    n_samples: int
    description: str
    lr: float = 0.01

    @property
    def n_params(self) -> int:
        """Weights and biases: the parameters one sample's forward + backward touches."""
        pairs = zip(self.sizes[:-1], self.sizes[1:], strict=True)
        return sum(i * o + (o if self.bias else 0) for i, o in pairs)

    @property
    def flops_per_sample(self) -> int:
        """6 × parameters: 2 FLOPs forward, 4 backward (δ·Wᵀ and aᵀ·δ) per weight."""
        return 6 * self.n_params

    def network_kwargs(self) -> dict:
        return dict(activation=self.activation, output=self.output, loss=self.loss,
                    bias=self.bias, dtype=self.dtype)


WORKLOADS: dict[str, Workload] = {w.name: w for w in (
    Workload("tiny-3-2-1", (3, 2, 1), "relu", "sigmoid", "bce", False, 1, "float64", 4096,
             "worked example 1's network (3→2 relu→1 sigmoid, no biases), bce, batch 1"),
    Workload("tiny-2-1-1", (2, 1, 1), "sigmoid", "sigmoid", "mse", False, 1, "float64", 4096,
             "worked example 2's network (2→1→1 sigmoid, no biases), mse, batch 1"),
    Workload("tabular", (32, 64, 64, 1), "relu", "sigmoid", "bce", True, 32, "float32", 16384,
             "32→64→64→1 relu/sigmoid, bce, batch 32"),
    Workload("mnist-mlp", (784, 128, 10), "relu", "softmax", "cross_entropy", True, 64,
             "float32", 8192, "784→128→10 relu/softmax, cross-entropy, batch 64"),
    Workload("wide", (1024, 2048, 2048, 10), "relu", "softmax", "cross_entropy", True, 256,
             "float32", 2048, "1024→2048→2048→10 relu/softmax, cross-entropy, batch 256"),
)}


def make_data(workload: Workload, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The pre-made data set every implementation trains on: X standard normal in the
    workload's dtype; targets from a fixed random projection of X (learnable, not noise):
    0/1 columns (bce), integer class ids (cross_entropy), values in (0, 1) (mse)."""
    rng = np.random.default_rng(seed)
    n_in, n_out = workload.sizes[0], workload.sizes[-1]
    dtype = np.dtype(workload.dtype)  # generated in the dtype: no float64 temporaries
    X = rng.standard_normal((workload.n_samples, n_in), dtype=dtype)
    scores = X @ rng.standard_normal((n_in, n_out), dtype=dtype)
    if workload.loss == "cross_entropy":
        y = scores.argmax(axis=1).astype(np.int64)
    elif workload.loss == "bce":
        y = (scores > 0).astype(workload.dtype)
    else:
        y = (1 / (1 + np.exp(-scores / math.sqrt(n_in)))).astype(workload.dtype)
    return X, np.ascontiguousarray(y)


# ------------------------------------------------------------------------------ timing
#: A trainer trains on the first ``m`` samples of the pre-made data for ``epochs`` epochs.
Trainer = Callable[[int, int], object]


def time_call(train: Trainer, m: int, epochs: int) -> float:
    start = time.perf_counter()
    train(m, epochs)
    return time.perf_counter() - start


def calibrate(train: Trainer, n_total: int, batch: int, min_time: float) -> tuple[int, int]:
    """``(m, epochs)`` such that ``train(m, epochs)`` lasts about ``min_time`` seconds
    (at least one batch; whole batches when it uses part of the data). The calls made
    here are the warm-up."""
    m = min(n_total, 2 * batch)
    elapsed = time_call(train, m, 1)
    while elapsed < min_time / 4 and m < n_total:
        m = min(n_total, m * 4)
        elapsed = time_call(train, m, 1)
    wanted = 1.25 * min_time * m / max(elapsed, 1e-9)  # samples per timed call
    if wanted <= n_total:
        m, epochs = max(batch, int(wanted) // batch * batch), 1
    else:
        m, epochs = n_total, math.ceil(wanted / n_total)
    elapsed = time_call(train, m, epochs)  # check (JIT-free code, but caches and clocks)
    if elapsed < 0.8 * min_time:
        grow = 1.25 * min_time / max(elapsed, 1e-9)
        if epochs == 1 and m < n_total:
            m = min(n_total, max(batch, int(m * grow) // batch * batch))
        else:
            epochs = math.ceil(epochs * grow)
    return m, epochs


def fastprop_trainer(workload: Workload, X, y, engine: str = "cython") -> Trainer:
    """``net.fit`` on the first m samples: no shuffling, plain SGD, no progress or
    validation, so the compiled engine runs all epochs in one call without the GIL."""
    import fastprop as fp

    net = fp.Network(list(workload.sizes), engine=engine, seed=0, **workload.network_kwargs())
    optimizer = fp.SGD(workload.lr)
    views = {}

    def train(m: int, epochs: int):
        if m not in views:  # slicing is cheap, but keep the timed call to fit alone
            views[m] = (X[:m], y[:m])
        Xm, ym = views[m]
        return net.fit(Xm, ym, epochs=epochs, batch_size=workload.batch,
                       optimizer=optimizer, shuffle=False)

    return train


def measure(train: Trainer, workload: Workload, repeats: int, min_time: float) -> dict:
    """Median samples per second of ``repeats`` timed calls after calibration."""
    m, epochs = calibrate(train, workload.n_samples, workload.batch, min_time)
    times = [time_call(train, m, epochs) for _ in range(repeats)]
    rates = [m * epochs / t for t in times]
    return {"samples_per_s": float(np.median(rates)), "rates": rates,
            "samples_per_repeat": m * epochs, "samples": m, "epochs": epochs}


# --------------------------------------------------------------------------- command
def main(argv: list[str] | None = None) -> int:
    """``fastprop bench [options]``: fastprop's throughput on the workloads."""
    argv = list(sys.argv[1:] if argv is None else argv)
    argv = [a for a in argv if a != "--fastprop-only"]  # (what it always does)
    parser = argparse.ArgumentParser(
        prog="fastprop bench",
        description="Training throughput (samples/s: forward + backward + SGD update) of "
                    "the benchmark workloads on fastprop's engines. The full comparison "
                    "(PyTorch, scikit-learn, GEMM ceiling, memory) is `python -m "
                    "benchmarks`, run from a source checkout of fastprop.")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="comma-separated, from: " + ", ".join(WORKLOADS))
    parser.add_argument("--engines", default="cython", help="comma-separated: cython,numpy")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--quick", action="store_true", help="short timings (3 × 0.05 s)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--min-time", type=float, default=None,
                        help="seconds per timed call (default 0.3; --quick 0.05)")
    args = parser.parse_args(argv)
    names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    repeats = args.repeats or (3 if args.quick else 5)
    min_time = args.min_time or (0.05 if args.quick else 0.3)
    import fastprop._engine  # noqa: F401  (loads SciPy's BLAS before limiting its threads)

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
        print("threadpoolctl is not installed: BLAS threads left at their default")
    print("fastprop's own training throughput; for the comparison with PyTorch, "
          "scikit-learn, the GEMM ceiling and memory, run `python -m benchmarks` from a "
          "source checkout of fastprop")
    print(f"{'workload':<12} {'engine':<8} {'samples/s':>14}")
    for name in names:
        workload = WORKLOADS[name]
        X, y = make_data(workload)
        for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
            train = fastprop_trainer(workload, X, y, engine)
            if threadpool_limits is None:
                result = measure(train, workload, repeats, min_time)
            else:
                with threadpool_limits(limits=args.threads):
                    result = measure(train, workload, repeats, min_time)
            print(f"{name:<12} {engine:<8} {result['samples_per_s']:>14,.0f}", flush=True)
    return 0
