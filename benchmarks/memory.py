"""Memory: the cost of importing, the peak resident memory of a training run, and whether
anything is allocated per training step.

Each figure that depends on a process's history is taken in a fresh subprocess (same
interpreter, one BLAS thread). Allocations per step are counted two ways:

* ``tracemalloc`` — Python-level and NumPy allocations across a ``fit`` of N epochs and
  one of 2N epochs: the growth of the peak traced memory per step (zero when nothing
  is held across steps);
* a C-level counter of every ``malloc``/``calloc``/``realloc``/``posix_memalign`` call in
  the process (a tiny ``LD_PRELOAD`` library compiled with ``cc``; Linux/glibc only),
  freed or not, per extra step two ways: a fit over 2m samples vs m samples (same
  epochs), and a fit of 2E epochs vs E (same samples; this one also counts what
  happens once per epoch). A step that allocated would show ≥ 1 call per step; the
  fractions that can appear are one-off allocations whose count depends on the data's
  size (NumPy caches small blocks, not large ones) or on the epochs (the history).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _python(code: str, env_extra: dict | None = None, timeout: float = 300) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object last."""
    env = dict(os.environ, **ONE_THREAD, **(env_extra or {}))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=str(ROOT))
    if proc.returncode != 0:
        raise RuntimeError(f"subprocess failed: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


#: Peak resident memory of this process. ``ru_maxrss`` alone is not enough on Linux: a
#: child started by fork + exec inherits its parent's high-water mark, so for a small
#: child it reports the parent's size; VmHWM (/proc/self/status) is the new process's own.
_PEAK = """
def peak_rss_mib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

_IMPORT = """
import json, resource, time
""" + _PEAK + """
start = time.perf_counter()
{statement}
elapsed = time.perf_counter() - start
with open("/proc/self/statm") as f:
    rss = int(f.read().split()[1]) * resource.getpagesize()
print(json.dumps({{"seconds": elapsed, "rss_mib": rss / 2**20, "peak_rss_mib": peak_rss_mib(),
                  "ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

IMPORTS = {
    "python": "pass",
    "numpy": "import numpy",
    "fastprop": "import fastprop",
    "fastprop+engine": "import fastprop; fastprop.Network([2, 1])",
    "torch": "import torch",
}


def import_costs(runs: int = 5, names=IMPORTS) -> dict:
    """Median time and resident memory of each import in ``runs`` fresh interpreters
    (after one untimed run to warm the file cache). ``fastprop+engine`` also builds a
    network, which loads the compiled engine and SciPy's BLAS."""
    out = {}
    for name in names:
        if name == "torch" and not _has("torch"):
            out[name] = {"skipped": "torch is not installed"}
            continue
        code = _IMPORT.format(statement=IMPORTS[name])
        _python(code)
        samples = [_python(code) for _ in range(runs)]
        out[name] = {key: float(np.median([s[key] for s in samples])) for key in samples[0]}
    return out


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


_TRAIN = """
import json, resource, time
""" + _PEAK + """
from fastprop._bench import WORKLOADS, make_data
from benchmarks.impls import make_trainer
w = WORKLOADS[{workload!r}]
X, y = make_data(w)
after_data = peak_rss_mib()
train, _ = make_trainer({impl!r}, w, X, y)
start, epochs = time.perf_counter(), 0
while time.perf_counter() - start < {seconds}:
    train(w.n_samples, 1)
    epochs += 1
print(json.dumps({{"peak_rss_mib": peak_rss_mib(),
                  "ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "after_data_mib": after_data, "epochs": epochs,
                  "data_mib": (X.nbytes + y.nbytes) / 2**20}}))
"""


def training_peak_rss(impls=("fastprop", "torch"), workload: str = "mnist-mlp",
                      seconds: float = 3.0) -> dict:
    """Peak resident memory (ru_maxrss) of a process that makes the workload's data and
    trains on it for ``seconds``."""
    out = {}
    for impl in impls:
        if impl == "torch" and not _has("torch"):
            out[impl] = {"skipped": "torch is not installed"}
            continue
        out[impl] = _python(_TRAIN.format(workload=workload, impl=impl, seconds=seconds))
    return out


# ------------------------------------------------------------------ allocations per step
def tracemalloc_per_step(workload, impl: str = "fastprop", epochs: int = 3) -> dict:
    """Growth per step of tracemalloc's peak between a fit of N and one of 2N epochs."""
    from fastprop._bench import make_data

    from .impls import make_trainer

    X, y = make_data(workload)
    m = min(workload.n_samples, 64 * workload.batch)
    steps = -(-m // workload.batch) * epochs
    train, _ = make_trainer(impl, workload, X, y)
    train(m, 1)  # warm-up: workspaces, caches
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        result = {}
        for label, n_epochs in (("n", epochs), ("2n", 2 * epochs)):
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            train(m, n_epochs)
            current, peak = tracemalloc.get_traced_memory()
            result[label] = {"peak_bytes": peak - before, "kept_bytes": current - before}
    finally:
        if not was_tracing:
            tracemalloc.stop()
    grow = result["2n"]["peak_bytes"] - result["n"]["peak_bytes"]
    return {"steps": steps, **result, "peak_growth_bytes_per_step": grow / steps}


_COUNTER_C = r"""
#include <errno.h>
#include <stddef.h>
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
static unsigned long long count;
unsigned long long fastprop_bench_allocations(void) {
    return __atomic_load_n(&count, __ATOMIC_RELAXED);
}
#define COUNT() __atomic_fetch_add(&count, 1, __ATOMIC_RELAXED)
void *malloc(size_t n) { COUNT(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { COUNT(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { COUNT(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { COUNT(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { COUNT(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    COUNT();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
"""


def _counter_library() -> str | None:
    """Build the malloc-counting library once (None where it cannot be: no cc, not glibc)."""
    if not sys.platform.startswith("linux") or shutil.which("cc") is None:
        return None
    folder = Path(tempfile.gettempdir()) / f"fastprop-bench-{os.getuid()}"
    folder.mkdir(exist_ok=True)
    lib, src = folder / "malloc_counter.so", folder / "malloc_counter.c"
    stale = not lib.exists() or not src.exists() or src.read_text() != _COUNTER_C
    if stale:
        src.write_text(_COUNTER_C)
        proc = subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(lib), str(src)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            return None
    return str(lib)


_COUNT = """
import ctypes, json
from fastprop._bench import WORKLOADS, make_data
from benchmarks.impls import make_trainer
count = ctypes.CDLL({lib!r}).fastprop_bench_allocations
count.restype = ctypes.c_ulonglong
w = WORKLOADS[{workload!r}]
X, y = make_data(w)
m = min(w.n_samples // 2, 64 * w.batch)
train, _ = make_trainer({impl!r}, w, X, y)
train(2 * m, 1)
train(m, 1)
calls = {{}}
for samples, epochs in ((m, {epochs}), (2 * m, {epochs}), (m, 2 * {epochs})):
    before = count()
    train(samples, epochs)
    calls[samples, epochs] = count() - before
steps = -(-m // w.batch) * {epochs}  # the extra steps of (2m, E) and of (m, 2E) over (m, E)
print(json.dumps({{"steps": steps, "calls": [[k[0], k[1], v] for k, v in calls.items()],
                  "calls_per_step": (calls[2 * m, {epochs}] - calls[m, {epochs}]) / steps,
                  "calls_per_step_epochs": (calls[m, 2 * {epochs}] - calls[m, {epochs}]) / steps}}))
"""


def malloc_per_step(workloads, impls=("fastprop",), epochs: int = 5) -> dict:
    """C-level allocation calls per training step, by implementation and workload."""
    lib = _counter_library()
    if lib is None:
        return {"skipped": "needs Linux with glibc and a C compiler (cc)"}
    out = {}
    for impl in impls:
        if impl == "torch" and not _has("torch"):
            continue
        for w in workloads:
            code = _COUNT.format(lib=lib, workload=w.name, impl=impl, epochs=epochs)
            out[f"{impl}/{w.name}"] = _python(code, {"LD_PRELOAD": lib})
    return out
