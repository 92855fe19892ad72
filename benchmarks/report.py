"""From a run's results: ratios, fractions of the GEMM ceiling, the issue's targets met or
not, and the markdown that goes into benchmarks/README.md."""

from __future__ import annotations

import re
from pathlib import Path

from fastprop._bench import WORKLOADS

from .impls import IMPLS

MARK_START, MARK_END = "<!-- results:start -->", "<!-- results:end -->"
PEERS = ("fastprop-numpy", "torch", "sklearn")

# (workload, threads, kind, peer, threshold): kind "ratio" = fastprop / peer ≥ threshold,
# "ceiling" = fastprop's share of the GEMM ceiling ≥ threshold (the compiled engine's targets).
THROUGHPUT_TARGETS = (
    ("tiny-3-2-1", 1, "ratio", "torch", 1000), ("tiny-3-2-1", 1, "ratio", "fastprop-numpy", 100),
    ("tiny-2-1-1", 1, "ratio", "torch", 1000),
    ("tabular", 1, "ratio", "torch", 10), ("tabular", 1, "ceiling", None, 0.40),
    ("mnist-mlp", 1, "ceiling", None, 0.85), ("mnist-mlp", 2, "ceiling", None, 0.70),
    ("wide", 1, "ratio", "torch", 1.0), ("wide", 2, "ratio", "torch", 1.0),
    ("wide", 1, "ceiling", None, 0.92),
)
DENORMAL_TOLERANCE = 1.2  # "no slowdown": late/early epoch time within noise (20 %)


def summarize(results: dict) -> list[dict]:
    """One entry per (threads, workload): samples/s per implementation, fastprop's ratio to
    each peer, the ceiling and each implementation's share of it."""
    out = []
    for run in results["runs"]:
        for name in dict.fromkeys(r["workload"] for r in run["rows"]):
            rows = {r["impl"]: r for r in run["rows"] if r["workload"] == name}
            w = WORKLOADS[name]
            rate = {k: r["samples_per_s"] for k, r in rows.items()}
            notes = {k: r["note"] for k, r in rows.items() if r["note"]}
            # the GEMM rate timed in the workload's own rounds (older results: the rate
            # measured once per thread count)
            gemm = next((r["gemm_flops"] for r in rows.values() if r.get("gemm_flops")),
                        run["gemm"][w.dtype]["numpy_matmul"])
            # "GEMMs alone" timed in the workload's rounds (older results: once before)
            gemm_only = next((r["gemm_only"] for r in rows.values() if r.get("gemm_only")),
                             (run.get("gemm_only") or {}).get(name))
            ceil = gemm / w.flops_per_sample
            fp = rate.get("fastprop")
            others = [r.get("others_cores") for r in rows.values()]
            out.append({
                "threads": run["threads"], "workload": name, "rate": rate, "notes": notes,
                "others_cores": next((o for o in others if o is not None), None),
                "ratio": {p: fp / rate[p] for p in PEERS if fp and rate.get(p)},
                "ceiling": ceil, "gemm_only": gemm_only,
                "share": {k: v / ceil for k, v in rate.items() if v},
            })
    return out


def evaluate_targets(results: dict, summary: list[dict]) -> list[dict]:
    targets = []
    by_key = {(s["workload"], s["threads"]): s for s in summary}
    for name, threads, kind, peer, threshold in THROUGHPUT_TARGETS:
        s = by_key.get((name, threads))
        if kind == "ratio":
            label = f"{name}, {threads} thread(s): fastprop ≥ {threshold:g}× {IMPLS[peer].label}"
            value = s["ratio"].get(peer) if s else None
            shown = None if value is None else f"{value:,.1f}×"
        else:
            label = f"{name}, {threads} thread(s): fastprop ≥ {threshold:.0%} of GEMM ceiling"
            value = s["share"].get("fastprop") if s else None
            shown = None if value is None else f"{value:.1%}"
        targets.append({"target": label, "value": value, "shown": shown,
                        "met": None if value is None else value >= threshold})
    mem = results.get("memory") or {}
    imp = (mem.get("imports") or {}).get("fastprop") or {}
    if "seconds" in imp:
        targets.append(_target("import fastprop < 250 ms", imp["seconds"] * 1e3, 250, "ms"))
        targets.append(_target("import fastprop < 60 MiB resident", imp["rss_mib"], 60, "MiB"))
    peak = (mem.get("training_peak_rss") or {}).get("fastprop") or {}
    if "peak_rss_mib" in peak:
        targets.append(_target("peak RSS training mnist-mlp < 100 MiB",
                               peak["peak_rss_mib"], 100, "MiB"))
    malloc = mem.get("malloc") or {}
    counts = {k: max(v["calls_per_step"], v["calls_per_step_epochs"])
              for k, v in malloc.items() if isinstance(v, dict) and k.startswith("fastprop/")}
    if counts:
        worst = max(counts.values())
        targets.append({"target": "zero allocations per training step (fastprop, malloc calls "
                                  "per extra step < 0.1)",
                        "value": worst, "shown": f"{worst:.3g} per step (worst workload)",
                        "met": worst < 0.1})
    den = (results.get("denormals") or {}).get("saturation")
    if den:
        targets.append({"target": "no slowdown at saturation (late/early epoch time "
                                  f"≤ {DENORMAL_TOLERANCE})",
                        "value": den["slowdown"], "shown": f"{den['slowdown']:.2f}",
                        "met": den["slowdown"] <= DENORMAL_TOLERANCE})
    return targets


def _target(label, value, limit, unit):
    return {"target": label, "value": value, "shown": f"{value:.0f} {unit}",
            "met": value < limit}


# ------------------------------------------------------------------------------ markdown
def _num(v) -> str:
    if v is None:
        return "–"
    return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.1f} k" if v >= 1e3 else f"{v:.0f}"


def _ratio(v) -> str:
    return "–" if v is None else f"{v:,.0f}×" if v >= 100 else f"{v:.2f}×"


def markdown(results: dict) -> str:
    summary = summarize(results)
    m, lines = results["machine"], []
    add = lines.append
    add(f"Run {results['created']} ({'quick' if results['quick'] else 'full'}; "
        f"{results['settings']['repeats']} timed repeats of ≥ "
        f"{results['settings']['min_time']} s each, median), {results['elapsed_s']:.0f} s.")
    add(f"Command: `{results['command']}` (fastprop at commit {m.get('fastprop_commit')})")
    add("")
    add(f"Machine: {m['cpu']} ({m['vendor']}, family {m['cpu_family']} model "
        f"{m['cpu_model']}), {m['cores']} cores, {m['simd'].upper()}, "
        f"{m['memory_gib']} GiB{', virtualised' if m['virtualised'] else ''}; {m['os']}; "
        f"Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v))
    blas = {(b["library"], b["version"], b["architecture"]) for run in results["runs"]
            for b in run["blas"] if b["api"] != "openmp"}
    add("BLAS: " + ", ".join(f"{lib} {version} ({arch})" for lib, version, arch in sorted(blas))
        + " (the one without `64_` is SciPy's, which fastprop's kernels call; the other is "
          "NumPy's).")
    lb, la = results["load_before"], results["load_after"]
    add(f"Load from other work on the shared cores: {lb['busy_cores']} of {m['cores']} "
        f"cores busy before the run (load average {lb['loadavg'][0]:.2f}), "
        f"{la['busy_cores']} after (load average {la['loadavg'][0]:.2f}).")
    add("")
    add("GEMM rate before the throughput rounds (NumPy matmul of 2048² matrices, best of "
        "5; SciPy ?gemm, the BLAS fastprop calls, in brackets), GFLOP/s; the ceilings below "
        "use the rate timed again in each workload's own rounds:")
    add("")
    add("| threads | float32 | float64 |")
    add("|---|---|---|")
    for run in results["runs"]:
        g = run["gemm"]
        add(f"| {run['threads']} | " + " | ".join(
            f"{g[d]['numpy_matmul'] / 1e9:.1f} ({g[d]['scipy_gemm'] / 1e9:.1f})"
            for d in ("float32", "float64")) + " |")
    impls = [i for i in IMPLS if any(i in s["rate"] for s in summary)]
    for threads in sorted({s["threads"] for s in summary}):
        add("")
        add(f"Training throughput, samples/s, {threads} thread(s):")
        add("")
        add("| workload | " + " | ".join(IMPLS[i].label for i in impls)
            + " | fastprop ÷ " + " | fastprop ÷ ".join(IMPLS[p].label for p in PEERS if p in impls)
            + " | ceiling | fastprop % of ceiling | PyTorch % of ceiling | GEMMs alone "
            "| fastprop % of GEMMs alone | others' load |")
        add("|---" * (1 + len(impls) + len([p for p in PEERS if p in impls]) + 6) + "|")
        for s in (s for s in summary if s["threads"] == threads):
            cells = [_num(s["rate"].get(i)) for i in impls]
            cells += [_ratio(s["ratio"].get(p)) for p in PEERS if p in impls]
            overhead_bound = WORKLOADS[s["workload"]].batch == 1
            cells += [("– (overhead-bound)" if overhead_bound else _num(s["ceiling"])),
                      "–" if overhead_bound else _pct(s["share"].get("fastprop")),
                      "–" if overhead_bound else _pct(s["share"].get("torch")),
                      _num(s["gemm_only"]),
                      _pct(s["rate"]["fastprop"] / s["gemm_only"])
                      if s["gemm_only"] and s["rate"].get("fastprop") else "–",
                      "–" if s["others_cores"] is None else f"{s['others_cores']:.2f} cores"]
            add(f"| {s['workload']} | " + " | ".join(cells) + " |")
    add("")
    add("(ceiling: samples/s at the large-GEMM rate timed in the workload's own rounds "
        "(NumPy matmul of 2048² matrices, median), 6 × parameters per sample; GEMMs "
        "alone: samples/s if a step were only its matrix products, NumPy matmul at the "
        "workload's shapes, also timed in the workload's rounds (median); others' load: "
        "cores kept busy by other processes during the timed rounds.)")
    notes = {f"{IMPLS[k].label} on {s['workload']}: {v}" for s in summary
             for k, v in s["notes"].items()}
    if notes:
        add("")
        add("Notes: " + "; ".join(sorted(notes)) + ".")
    add("")
    add("Targets (the compiled engine's speed targets):")
    add("")
    add("| target | measured | met |")
    add("|---|---|---|")
    for t in results["targets"]:
        met = "–" if t["met"] is None else "**met**" if t["met"] else "**not met**"
        add(f"| {t['target']} | {t['shown'] or 'not measured'} | {met} |")
    add("")
    if results.get("parallel"):
        from .parallel import markdown as parallel_markdown

        lines += parallel_markdown(results["parallel"])
        add("")
    if results.get("estimators"):
        from .estimators import markdown as estimators_markdown

        lines += estimators_markdown(results["estimators"])
        add("")
    add(_memory_markdown(results))
    return "\n".join(lines).rstrip() + "\n"


def _pct(v) -> str:
    return "–" if v is None else f"{v:.0%}"


def _memory_markdown(results: dict) -> str:
    mem, den, lines = results.get("memory") or {}, results.get("denormals"), []
    imports = mem.get("imports") or {}
    if imports:
        lines += ["Import (fresh interpreter, median; `fastprop+engine` also builds a network, "
                  "which loads the compiled engine and SciPy):", "",
                  "| import | time | resident after | peak resident |", "|---|---|---|---|"]
        for name, v in imports.items():
            if "seconds" in v:
                lines.append(f"| {name} | {v['seconds'] * 1e3:.0f} ms | {v['rss_mib']:.0f} MiB "
                             f"| {v['peak_rss_mib']:.0f} MiB |")
        lines.append("")
    peak = mem.get("training_peak_rss") or {}
    if peak:
        lines += ["Peak resident memory of a process that trains mnist-mlp (its data: "
                  "8192 × 784 float32, 25 MiB) for a few seconds:", "",
                  "| implementation | peak resident | after making the data |", "|---|---|---|"]
        for name, v in peak.items():
            if "peak_rss_mib" in v:
                lines.append(f"| {IMPLS[name].label} | {v['peak_rss_mib']:.0f} MiB | "
                             f"{v['after_data_mib']:.0f} MiB |")
        lines.append("")
    malloc = mem.get("malloc") or {}
    if malloc and "skipped" not in malloc:
        lines += ["Allocations per training step (C-level malloc/calloc/realloc/"
                  "posix_memalign calls per extra step: a fit over 2m samples vs m, and a fit "
                  "of 2E epochs vs E; an allocating step shows ≥ 1):", "",
                  "| implementation / workload | 2m vs m samples | 2E vs E epochs |",
                  "|---|---|---|"]
        for key, v in malloc.items():
            impl, _, name = key.partition("/")
            lines.append(f"| {IMPLS[impl].label} / {name} | {v['calls_per_step']:.3g} | "
                         f"{v['calls_per_step_epochs']:.3g} |")
        lines.append("")
    traced = mem.get("tracemalloc") or {}
    if traced:
        growth = ", ".join(f"{k} {v['peak_growth_bytes_per_step']:+.1f} B"
                           for k, v in traced.items())
        lines.append(f"tracemalloc, growth of the peak per step (fit of 2N vs N epochs): {growth}.")
        lines.append("")
    if den:
        sat, st = den["saturation"], den["stress"]
        lines.append(
            f"Denormals: this CPU multiplies subnormal float32s {den['cpu_penalty']:.1f}× slower "
            f"than normal ones (NumPy). Trained to saturation ({sat['epochs']} epochs, loss "
            f"{sat['final_loss']:.1e}; {sat['subnormal_share_grad']:.2%} of the unflushed "
            f"gradients subnormal), a late epoch took {sat['slowdown']:.2f}× the time of an "
            f"early one. With every hidden activation subnormal: compiled engine "
            f"{st['cython']['slowdown']:.2f}× the normal epoch time, NumPy engine (no "
            f"flushing) {st['numpy']['slowdown']:.2f}×.")
    return "\n".join(lines)


def update_readme(path: Path, section: str) -> None:
    """Replace the generated section of the README (between the markers)."""
    text = path.read_text() if path.exists() else f"{MARK_START}\n{MARK_END}\n"
    if MARK_START not in text:
        text = text.rstrip() + f"\n\n{MARK_START}\n{MARK_END}\n"
    pattern = re.compile(re.escape(MARK_START) + ".*?" + re.escape(MARK_END), re.S)
    text = pattern.sub(lambda _: f"{MARK_START}\n{section}{MARK_END}", text)
    path.write_text(text)
