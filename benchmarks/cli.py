"""The harness's command line: throughput side by side, GEMM ceiling, memory,
allocations, denormals; results as JSON under benchmarks/results/ and as markdown."""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
import time
from pathlib import Path

from fastprop._bench import WORKLOADS
from fastprop._peers import jax_one_thread

from . import ceiling, machine, memory, report
from .impls import IMPLS, load_libraries
from .throughput import run_workload

HERE = Path(__file__).resolve().parent
SECTIONS = ("throughput", "parallel", "estimators", "memory", "denormals")


def _list(text: str, allowed, what: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in allowed]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown {what} {bad}; choose from {list(allowed)}")
    return items


def parse_args(argv, prog="python -m benchmarks"):
    p = argparse.ArgumentParser(
        prog=prog,
        description="Training throughput (samples/s: forward + backward + SGD update) of "
                    "fastprop against its NumPy engine, PyTorch and scikit-learn; GEMM "
                    "ceiling, two networks in two threads, fastprop.sklearn against "
                    "scikit-learn, memory, allocations per step, denormals. (`fastprop bench` "
                    "times fastprop alone.)")
    p.add_argument("--quick", action="store_true",
                   help="short run: 3 repeats of ≥ 0.05 s, shorter memory/denormal checks")
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   type=lambda s: _list(s, WORKLOADS, "workload"),
                   help="comma-separated (default all): " + ", ".join(WORKLOADS))
    p.add_argument("--impls", default=",".join(IMPLS), type=lambda s: _list(s, IMPLS, "impl"),
                   help="comma-separated (default all): " + ", ".join(IMPLS))
    p.add_argument("--threads", default="1,2",
                   type=lambda s: [int(t) for t in s.split(",") if t.strip()],
                   help="comma-separated thread counts (default 1,2)")
    p.add_argument("--sections", default=",".join(SECTIONS),
                   type=lambda s: _list(s, SECTIONS, "section"),
                   help="comma-separated (default all): " + ", ".join(SECTIONS))
    p.add_argument("--repeats", type=int, help="timed repeats (default 5; --quick 3)")
    p.add_argument("--min-time", type=float,
                   help="seconds per timed call (default 0.5; --quick 0.05)")
    p.add_argument("--gemm-size", type=int, default=2048,
                   help="side of the square matrices of the GEMM-rate measurement (2048)")
    p.add_argument("--out", type=Path, default=HERE / "results",
                   help="folder for the JSON results (default benchmarks/results)")
    p.add_argument("--readme", choices=("auto", "yes", "no"), default="auto",
                   help="write the markdown into benchmarks/README.md (auto: for a full run "
                        "of everything into the default folder)")
    p.add_argument("--render", type=Path, metavar="JSON",
                   help="run nothing: print the markdown of a saved results file (with "
                        "--readme yes, also write it into benchmarks/README.md)")
    p.add_argument("--fastprop-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if any(t < 1 for t in args.threads) or not args.threads:
        p.error("--threads must be positive integers")
    args.repeats = args.repeats or (3 if args.quick else 5)
    args.min_time = args.min_time or (0.05 if args.quick else 0.5)
    return args


def main(argv=None, prog="python -m benchmarks") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv, prog)
    if args.render:
        results = json.loads(args.render.read_text())
        results["targets"] = report.evaluate_targets(results, report.summarize(results))
        text = report.markdown(results)
        print(text)
        if args.readme == "yes":
            report.update_readme(HERE / "README.md", text)
        return 0
    started = time.perf_counter()
    log = print
    if "jax" in args.impls and args.threads == [1]:
        jax_one_thread()  # XLA reads its thread count once, when JAX is imported
    load_libraries(args.impls)
    results = {
        "schema": 1,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join([*prog.split(), *argv]),
        "quick": args.quick,
        "settings": {"repeats": args.repeats, "min_time": args.min_time,
                     "workloads": args.workloads, "impls": args.impls,
                     "threads": args.threads, "sections": args.sections},
        "machine": machine.describe(),
        "load_before": machine.load(0.5 if args.quick else 2.0),
        "runs": [],
    }
    log(f"fastprop benchmarks on {results['machine']['cpu']} "
        f"({results['machine']['cores']} cores); busy cores before: "
        f"{results['load_before']['busy_cores']}")
    if "throughput" in args.sections:
        for threads in args.threads:
            with machine.limit_threads(threads) as blas:
                run = {"threads": threads, "blas": blas, "rows": []}
                dtypes = sorted({WORKLOADS[w].dtype for w in args.workloads} |
                                {"float32", "float64"})
                run["gemm"] = ceiling.gemm_rates(dtypes, n=args.gemm_size,
                                                 repeats=3 if args.quick else 5)
                log(f"{threads} thread(s): GEMM " + ", ".join(
                    f"{d} {v['numpy_matmul'] / 1e9:.1f} GFLOP/s" for d, v in run["gemm"].items()))
                for name in args.workloads:
                    run["rows"] += run_workload(WORKLOADS[name], args.impls, args.repeats,
                                                args.min_time, log,
                                                pause=0.3 if threads > 1 else 0.0,
                                                gemm_size=args.gemm_size)
            results["runs"].append(run)
    if "parallel" in args.sections:
        log("parallel: two networks at once, one per thread (BLAS 1 thread)")
        from . import parallel

        chosen = [w for w in parallel.DEFAULT_WORKLOADS if w in args.workloads]
        with machine.limit_threads(1):
            results["parallel"] = parallel.run(chosen, args.repeats, args.min_time, log)
    if "estimators" in args.sections:
        log("estimators: fastprop.sklearn against scikit-learn (1 thread)")
        from . import estimators

        if IMPLS["sklearn"].missing():
            results["estimators"] = []
            log("  skipped: " + IMPLS["sklearn"].missing())
        else:
            with machine.limit_threads(1):
                results["estimators"] = estimators.run(args.quick, repeats=3, log=log)
    if "memory" in args.sections:
        log("memory: imports, peak RSS, allocations per step")
        results["memory"] = run_memory(args)
    if "denormals" in args.sections:
        log("denormals")
        with machine.limit_threads(1):
            results["denormals"] = __import__("benchmarks.denormals").denormals.run(args.quick)
    results["load_after"] = machine.load(0.5 if args.quick else 2.0)
    results["elapsed_s"] = time.perf_counter() - started
    results["targets"] = report.evaluate_targets(results, report.summarize(results))
    text = report.markdown(results)
    print()
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = args.out / f"{stamp}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    log(f"results: {path}")
    everything = (set(args.workloads) == set(WORKLOADS) and set(args.impls) == set(IMPLS)
                  and set(args.sections) == set(SECTIONS) and not args.quick
                  and args.gemm_size == 2048
                  and args.out.resolve() == (HERE / "results").resolve())
    if args.readme == "yes" or (args.readme == "auto" and everything):
        report.update_readme(HERE / "README.md", text)
        log(f"markdown table written to {HERE / 'README.md'}")
    return 0


def run_memory(args) -> dict:
    quick = args.quick
    chosen = [WORKLOADS[w] for w in args.workloads]
    out = {"imports": memory.import_costs(runs=2 if quick else 5,
                                          names=[n for n in memory.IMPORTS
                                                 if n != "torch" or "torch" in args.impls])}
    out["training_peak_rss"] = memory.training_peak_rss(
        [i for i in ("fastprop", "torch") if i in args.impls],
        seconds=1.0 if quick else 3.0)
    with machine.limit_threads(1):
        out["tracemalloc"] = {f"fastprop/{w.name}": memory.tracemalloc_per_step(w)
                              for w in chosen if w.name != "wide" or not quick}
    peers = [i for i in ("fastprop-numpy", "torch") if i in args.impls]
    small = [w for w in chosen if w.name in ("tiny-3-2-1", "mnist-mlp")]
    out["malloc"] = memory.malloc_per_step(chosen, impls=("fastprop",))
    if "skipped" not in out["malloc"] and peers and small:
        out["malloc"].update(memory.malloc_per_step(small, impls=peers))
    return out
