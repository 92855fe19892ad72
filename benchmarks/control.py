"""What training control costs: ``fit`` plain, with a schedule and clipping, with callbacks.

For each workload, side by side in one run (timed calls interleaved, 1 thread, the
harness's calibration), the same network and data trained by:

* ``plain``: ``fit(..., optimizer=fp.SGD(lr), shuffle=False)``, all epochs in one
  compiled call (the throughput section's fastprop row);
* ``schedule+clip_norm``: the same with ``lr_schedule=CosineAnnealingLR(...)`` and
  ``clip_norm=1`` — still one compiled call: the rates are computed before it, the
  gradient's norm inside each step;
* ``schedule+clip_norm+clip_value``: and ``clip_value=0.1`` too;
* ``callback``: ``plain`` with one callback that does nothing, so ``fit`` returns to
  Python after every epoch.

The figure of interest is each variant's rate ÷ ``plain``'s from the same run.

    python -m benchmarks.control            # tiny-3-2-1, tabular, mnist-mlp, wide
    python -m benchmarks.control --quick    # fewer repeats, shorter calls, no wide
"""

from __future__ import annotations

import argparse
import json
import sys

import fastprop as fp
from fastprop._bench import WORKLOADS, make_data, measure_side_by_side

from . import machine

VARIANTS = {
    "plain": {},
    "schedule+clip_norm": {"lr_schedule": "cosine", "clip_norm": 1.0},
    "schedule+clip_norm+clip_value": {"lr_schedule": "cosine", "clip_norm": 1.0,
                                      "clip_value": 0.1},
    "callback": {"callbacks": "noop"},
}


def trainer(workload, X, y, variant: dict):
    """``train(m, epochs)``: ``fit`` on the first m samples with the variant's controls."""
    net = fp.Network(list(workload.sizes), seed=0, **workload.network_kwargs())
    optimizer = fp.SGD(workload.lr)
    kwargs = dict(variant)
    if kwargs.get("lr_schedule") == "cosine":  # a long period: the rate stays near lr
        kwargs["lr_schedule"] = fp.schedules.CosineAnnealingLR(10**6)
    if kwargs.get("callbacks") == "noop":
        kwargs["callbacks"] = [fp.callbacks.Callback()]
    views = {}

    def train(m: int, epochs: int):
        if m not in views:
            views[m] = (X[:m], y[:m])
        return net.fit(*views[m], epochs=epochs, batch_size=workload.batch,
                       optimizer=optimizer, shuffle=False, **kwargs)

    return train


def run(workloads, repeats: int, min_time: float, log=print) -> list[dict]:
    rows = []
    for name in workloads:
        workload = WORKLOADS[name]
        X, y = make_data(workload)
        trainers = {v: trainer(workload, X, y, settings) for v, settings in VARIANTS.items()}
        results = measure_side_by_side(trainers, workload, repeats, min_time)
        plain = results["plain"]["samples_per_s"]
        for variant, result in results.items():
            ratio = result["samples_per_s"] / plain
            rows.append({"workload": name, "variant": variant, **result, "vs_plain": ratio})
            log(f"  {name:12s} {variant:32s} {result['samples_per_s']:12,.0f} samples/s  "
                f"{ratio:6.3f}× plain")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.control",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workloads", default=None,
                        help="comma-separated (default: tiny-3-2-1,tabular,mnist-mlp,wide)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    names = args.workloads.split(",") if args.workloads else \
        ["tiny-3-2-1", "tabular", "mnist-mlp"] + ([] if args.quick else ["wide"])
    with machine.limit_threads(1) as blas:
        print(f"training control, 1 thread (BLAS: {blas})")
        rows = run(names, repeats=5 if args.quick else 9, min_time=0.2 if args.quick else 0.5)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
