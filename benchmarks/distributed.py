"""Training over MPI on 1 and 2 ranks: samples per second and the all-reduce's share.

    python -m benchmarks.distributed                    # mnist-mlp and wide, 1 and 2 ranks
    python -m benchmarks.distributed --workloads tabular --ranks 1,2,4

Each run is an MPI job of its own (``mpiexec -n R python -m mpi4py -m
benchmarks.distributed --worker …``), BLAS limited to one thread per rank. Every rank
holds 1/R of the workload's data set and takes steps of the workload's batch size on its
shard (the global batch is R × batch, as with PyTorch's DDP), ``sync="step"``. Reported:
samples per second over all ranks (after a warm-up epoch), the speed-up over one rank,
the time per step spent in the all-reduce (waiting for the other rank included), and
on one rank the same epochs trained without ``comm``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

DEFAULT_WORKLOADS = ("mnist-mlp", "wide")


def worker(name: str, epochs: int) -> None:
    """One rank of the job: train, time, and (rank 0) print one JSON line."""
    import fastprop as fp
    from fastprop import distributed
    from fastprop._bench import WORKLOADS, make_data

    comm = distributed.init()
    workload = WORKLOADS[name]
    X, y = make_data(workload)
    X, y = distributed.shard(X, y, comm)
    net = fp.Network(list(workload.sizes), activation=workload.activation,
                     output=workload.output, loss=workload.loss, bias=workload.bias,
                     dtype=workload.dtype, seed=0)
    spent = [0.0, 0]
    plain = distributed._Run.allreduce

    def timed(self, send, recv=None, op=None):
        start = time.perf_counter()
        plain(self, send, recv, op)
        spent[0] += time.perf_counter() - start
        spent[1] += 1

    distributed._Run.allreduce = timed
    opt = fp.SGD(0.01, momentum=0.9)
    net.fit(X, y, epochs=1, batch_size=workload.batch, optimizer=opt, comm=comm)  # warm-up
    spent[:] = [0.0, 0]
    comm.Barrier()
    start = time.perf_counter()
    net.fit(X, y, epochs=epochs, batch_size=workload.batch, optimizer=opt, comm=comm)
    seconds = comm.allreduce(time.perf_counter() - start, op=_max())
    rows = comm.allreduce(X.shape[0])
    per_step = comm.allreduce(spent[0] / max(spent[1], 1), op=_max())
    alone = None
    if comm.Get_size() == 1:  # the same epochs without comm: what training over MPI costs
        start = time.perf_counter()
        net.fit(X, y, epochs=epochs, batch_size=workload.batch, optimizer=opt)
        alone = rows * epochs / (time.perf_counter() - start)
    if comm.Get_rank() == 0:
        print(json.dumps({"workload": name, "ranks": comm.Get_size(),
                          "samples_per_s": rows * epochs / seconds,
                          "without_comm_samples_per_s": alone,
                          "allreduce_ms_per_step": 1e3 * per_step,
                          "params": int(net.n_params)}), flush=True)


def _max():
    from mpi4py import MPI

    return MPI.MAX


def run(workloads=DEFAULT_WORKLOADS, ranks=(1, 2), epochs: int = 3, log=print) -> list[dict]:
    """One row per (workload, ranks), each measured by an MPI job of its own."""
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    rows = []
    for name in workloads:
        for r in ranks:
            done = subprocess.run([mpiexec, "-n", str(r), sys.executable, "-m", "mpi4py", "-m",
                                   "benchmarks.distributed", "--worker", name, "--epochs",
                                   str(epochs)], capture_output=True, text=True, env=env,
                                  timeout=1800, check=False)
            if done.returncode:
                raise RuntimeError(f"{name} on {r} ranks failed:\n{done.stderr[-2000:]}")
            row = json.loads(done.stdout.strip().splitlines()[-1])
            one = next((x for x in rows if x["workload"] == name and x["ranks"] == 1), None)
            row["speedup"] = row["samples_per_s"] / one["samples_per_s"] if one else None
            rows.append(row)
            log(f"{name:10s} {r} rank(s): {row['samples_per_s']:12,.0f} samples/s"
                + (f"  ×{row['speedup']:.2f}" if row["speedup"] else "")
                + f"   all-reduce {row['allreduce_ms_per_step']:.3f} ms/step "
                f"({row['params']:,} parameters)"
                + (f"; without comm {row['without_comm_samples_per_s']:,.0f} samples/s"
                   if row["without_comm_samples_per_s"] else ""))
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.distributed",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS))
    parser.add_argument("--ranks", default="1,2")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.epochs)
        return
    run([w for w in args.workloads.split(",") if w],
        [int(r) for r in args.ranks.split(",")], args.epochs)


if __name__ == "__main__":
    main()
