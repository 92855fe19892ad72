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
    here are the warm-up: each data size is called once untimed before it is timed, so a
    peer that compiles per shape (JAX) is timed compiled."""
    def timed(m: int, epochs: int) -> float:
        if m not in seen:
            seen.add(m)
            train(m, 1)
        return time_call(train, m, epochs)

    seen: set[int] = set()
    m = min(n_total, 2 * batch)
    elapsed = timed(m, 1)
    while elapsed < min_time / 4 and m < n_total:
        m = min(n_total, m * 4)
        elapsed = timed(m, 1)
    wanted = 1.25 * min_time * m / max(elapsed, 1e-9)  # samples per timed call
    if wanted <= n_total:
        m, epochs = max(batch, int(wanted) // batch * batch), 1
    else:
        m, epochs = n_total, math.ceil(wanted / n_total)
    elapsed = timed(m, epochs)  # check (caches and clocks)
    if elapsed < 0.8 * min_time:
        grow = 1.25 * min_time / max(elapsed, 1e-9)
        if epochs == 1 and m < n_total:
            m = min(n_total, max(batch, int(m * grow) // batch * batch))
            timed(m, 1)  # warm at the new size
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


def measure_side_by_side(trainers: dict, workload: Workload, repeats: int,
                         min_time: float) -> dict[str, dict]:
    """``measure`` for several trainers at once: each is calibrated, then the timed calls
    are interleaved (one of each, ``repeats`` times), so that a change in the machine's
    load touches them alike and their ratios stay fair."""
    plans = {name: calibrate(train, workload.n_samples, workload.batch, min_time)
             for name, train in trainers.items()}
    times: dict[str, list[float]] = {name: [] for name in trainers}
    for _ in range(repeats):
        for name, train in trainers.items():
            times[name].append(time_call(train, *plans[name]))
    results = {}
    for name, (m, epochs) in plans.items():
        rates = [m * epochs / t for t in times[name]]
        results[name] = {"samples_per_s": float(np.median(rates)), "rates": rates,
                         "samples_per_repeat": m * epochs, "samples": m, "epochs": epochs}
    return results


def _rate(samples_per_s: float) -> str:
    """'5.13 M/s', '172 k/s', '812/s'."""
    for scale, unit in ((1e6, "M"), (1e3, "k")):
        if samples_per_s >= scale:
            return f"{samples_per_s / scale:.3g} {unit}/s"
    return f"{samples_per_s:.3g}/s"


# --------------------------------------------------------------------------- command
def main(argv: list[str] | None = None) -> int:
    """``fastprop bench [options]``: fastprop's throughput on the workloads, side by side
    with whichever of PyTorch, scikit-learn and JAX are installed."""
    from ._peers import PEERS, jax_one_thread

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="fastprop bench",
        description="Training throughput (samples/s: forward + backward + SGD update) of "
                    "the benchmark workloads on fastprop, side by side with whichever of "
                    "PyTorch, scikit-learn and JAX (jit + scan) are installed, timed in "
                    "interleaved rounds. The full harness (the GEMM ceiling, memory, "
                    "threads) is `python -m benchmarks`, run from a source checkout.")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="comma-separated, from: " + ", ".join(WORKLOADS))
    parser.add_argument("--engines", default="cython", help="comma-separated: cython,numpy")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help="libraries to compare with, comma-separated, from: " +
                        ", ".join(PEERS) + " (the ones not installed are skipped)")
    parser.add_argument("--fastprop-only", action="store_true", help="no peers")
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
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if any(e not in ("cython", "numpy") for e in engines):
        parser.error(f"--engines: choose from cython, numpy; got {args.engines!r}")
    wanted = [] if args.fastprop_only else \
        [p.strip() for p in args.peers.split(",") if p.strip()]
    if any(p not in PEERS for p in wanted):
        parser.error(f"--peers: choose from {', '.join(PEERS)}; got {args.peers!r}")
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    repeats = args.repeats or (3 if args.quick else 5)
    min_time = args.min_time or (0.05 if args.quick else 0.3)
    peers = [p for p in wanted if PEERS[p].missing() is None]
    for p in wanted:
        if p not in peers:
            print(f"{PEERS[p].label}: not installed, not compared (pip install "
                  f"{ {'torch': 'torch', 'sklearn': 'scikit-learn', 'jax': 'jax'}[p]})")
    if "jax" in peers and args.threads == 1:
        jax_one_thread()
    import fastprop._engine  # noqa: F401  (loads SciPy's BLAS before limiting its threads)

    for p in peers:  # their own BLAS/OpenMP pools, loaded before the limits
        __import__(PEERS[p].module)
    limits = _thread_limits(args.threads)
    labels = {**{f"fastprop-{e}": f"fastprop ({e})" for e in engines},
              **{p: PEERS[p].label for p in peers}}
    print(f"training throughput, {args.threads} thread(s); ratio = fastprop's rate ÷ "
          "the library's")
    print(f"{'workload':<12} {'implementation':<18} {'samples/s':>12} {'fastprop ÷':>11}")
    for name in names:
        workload = WORKLOADS[name]
        X, y = make_data(workload)
        trainers, notes = {}, {}
        for engine in engines:
            trainers[f"fastprop-{engine}"] = fastprop_trainer(workload, X, y, engine)
        for p in peers:
            try:
                trainers[p], notes[p] = PEERS[p].factory(workload, X, y)
            except Exception as exc:  # a peer that fails is reported, not fatal
                print(f"{name:<12} {labels[p]:<18} failed: {type(exc).__name__}: {exc}")
        with limits():
            results = measure_side_by_side(trainers, workload, repeats, min_time)
        ours = results[f"fastprop-{engines[0]}"]["samples_per_s"]
        for impl, result in results.items():
            rate = result["samples_per_s"]
            ratio = "" if impl.startswith("fastprop") else f"{ours / rate:,.1f}×"
            note = f"  ({notes[impl]})" if notes.get(impl) else ""
            print(f"{name:<12} {labels[impl]:<18} {_rate(rate):>12} {ratio:>11}{note}",
                  flush=True)
    if not args.fastprop_only:
        print("the full comparison (GEMM ceiling, memory, threads): `python -m benchmarks` "
              "from a source checkout of fastprop")
    return 0


def _thread_limits(n: int):
    """A context manager limiting BLAS pools (threadpoolctl) and PyTorch to ``n``
    threads."""
    import contextlib

    @contextlib.contextmanager
    def limits():
        torch = sys.modules.get("torch")
        old = torch.get_num_threads() if torch is not None else None
        with contextlib.ExitStack() as stack:
            try:
                from threadpoolctl import threadpool_limits
            except ImportError:
                pass
            else:
                stack.enter_context(threadpool_limits(limits=n))
            if torch is not None:
                torch.set_num_threads(n)
            try:
                yield
            finally:
                if torch is not None:
                    torch.set_num_threads(old)

    return limits
