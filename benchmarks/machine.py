"""What the benchmark ran on: CPU, cores, memory, library versions, BLAS, and load."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

LIBRARIES = ("fastprop", "numpy", "scipy", "torch", "scikit-learn", "threadpoolctl", "Cython")


def _cpuinfo() -> dict:
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return info


def describe() -> dict:
    """CPU model, cores, SIMD level, memory, OS, Python and library versions."""
    cpu = _cpuinfo()
    flags = set(cpu.get("flags", "").split())
    simd = next((f for f in ("avx512f", "avx2", "avx", "sse4_2", "neon", "asimd")
                 if f in flags), "unknown")
    mem = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open("/proc/meminfo") as f:
            mem = round(int(f.readline().split()[1]) / 2**20, 1)
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            versions[lib] = None
    return {
        "fastprop_commit": _commit(),
        "cpu": cpu.get("model name") or platform.processor() or platform.machine(),
        "cpu_family": cpu.get("cpu family"), "cpu_model": cpu.get("model"),
        "vendor": cpu.get("vendor_id"), "cores": os.cpu_count(),
        "simd": "avx512" if simd == "avx512f" else simd,
        "virtualised": "hypervisor" in flags,
        "memory_gib": mem,
        "os": platform.platform(), "python": sys.version.split()[0],
        "versions": versions,
    }


def _commit() -> str | None:
    """The checkout's commit (with "+changes" when src/ or csrc/ differ from it)."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "csrc"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("+changes" if dirty.strip() else "")) or None


def blas_libraries() -> list[dict]:
    """The BLAS/OpenMP libraries loaded in this process and their thread counts."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{"api": d.get("internal_api"), "library": os.path.basename(d.get("filepath", "")),
             "version": d.get("version"), "architecture": d.get("architecture"),
             "threads": d.get("num_threads")} for d in threadpool_info()]


def _cpu_times():
    with open("/proc/stat") as f:
        fields = [float(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields), idle


class OthersMeter:
    """CPU used by *other* processes while it runs (all cores busy time from /proc/stat,
    minus this process's own CPU time), in cores: 0 on a quiet machine, up to the core
    count when someone else keeps every core busy."""

    def __enter__(self):
        self.result = None
        try:
            self._start = (_cpu_times(), _own_cpu(), time.perf_counter())
        except (OSError, ValueError):
            self._start = None
        return self

    def __exit__(self, *exc):
        if self._start is None:
            return
        with contextlib.suppress(OSError, ValueError):
            (total0, idle0), own0, t0 = self._start
            total1, idle1 = _cpu_times()
            ticks = os.sysconf("SC_CLK_TCK")
            busy = ((total1 - total0) - (idle1 - idle0)) / ticks
            wall = time.perf_counter() - t0
            self.result = round(max(0.0, busy - (_own_cpu() - own0)) / max(wall, 1e-9), 2)


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def load(seconds: float = 1.0) -> dict:
    """How busy the machine is: load averages and the busy share of all cores over
    ``seconds`` (other engineers' tests share these cores)."""
    out = {"loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
           "busy_cores": None}
    with contextlib.suppress(OSError, ValueError):
        total0, idle0 = _cpu_times()
        time.sleep(seconds)
        total1, idle1 = _cpu_times()
        busy = 1 - (idle1 - idle0) / max(total1 - total0, 1e-9)
        out["busy_cores"] = round(busy * (os.cpu_count() or 1), 2)
    return out


@contextlib.contextmanager
def limit_threads(n: int):
    """BLAS (threadpoolctl) and PyTorch limited to ``n`` threads inside; yields the
    libraries as limited. Libraries loaded after entry are not limited: load first."""
    torch = sys.modules.get("torch")
    old = torch.get_num_threads() if torch is not None else None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    with contextlib.ExitStack() as stack:
        if threadpool_limits is not None:
            stack.enter_context(threadpool_limits(limits=n))
        if torch is not None:
            torch.set_num_threads(n)
        try:
            yield blas_libraries()
        finally:
            if torch is not None:
                torch.set_num_threads(old)
