"""Smoke tests of the benchmark harness: it runs on tiny settings and writes valid JSON.
No timing is asserted (figures depend on the machine and its load)."""

import json
import sys
from pathlib import Path

import pytest

from fastprop import _bench

ROOT = Path(__file__).resolve().parents[1]


def test_workloads_are_the_issue_table():
    assert list(_bench.WORKLOADS) == ["tiny-3-2-1", "tiny-2-1-1", "tabular", "mnist-mlp", "wide"]
    mnist = _bench.WORKLOADS["mnist-mlp"]
    assert mnist.n_params == 784 * 128 + 128 + 128 * 10 + 10
    assert mnist.flops_per_sample == 6 * mnist.n_params
    X, y = _bench.make_data(_bench.WORKLOADS["tiny-2-1-1"])
    assert X.dtype == y.dtype and X.shape == (4096, 2) and ((y > 0) & (y < 1)).all()


def test_fastprop_only_runner(capsys):
    code = _bench.main(["--fastprop-only", "--workloads", "tiny-3-2-1,tabular",
                        "--engines", "cython,numpy", "--repeats", "1", "--min-time", "0.005"])
    assert code == 0
    out = capsys.readouterr().out
    assert "tiny-3-2-1" in out and "tabular" in out and "numpy" in out


@pytest.fixture
def harness(monkeypatch):
    if not (ROOT / "benchmarks" / "__main__.py").is_file():
        pytest.skip("benchmarks/ is not beside these tests (installed-wheel test run)")
    monkeypatch.syspath_prepend(str(ROOT))
    for name in [m for m in sys.modules if m == "benchmarks" or m.startswith("benchmarks.")]:
        monkeypatch.delitem(sys.modules, name)
    import benchmarks.cli

    return benchmarks.cli


def test_harness_writes_valid_json(harness, tmp_path, capsys):
    code = harness.main(["--quick", "--workloads", "tiny-3-2-1,tabular",
                         "--impls", "fastprop,fastprop-numpy", "--threads", "1",
                         "--sections", "throughput", "--repeats", "1", "--min-time", "0.005",
                         "--gemm-size", "128",
                         "--out", str(tmp_path)])
    assert code == 0
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    results = json.loads(files[0].read_text())
    rows = results["runs"][0]["rows"]
    assert {(r["workload"], r["impl"]) for r in rows} == {
        (w, i) for w in ("tiny-3-2-1", "tabular") for i in ("fastprop", "fastprop-numpy")}
    assert all(r["samples_per_s"] > 0 and r["gemm_flops"] > 0 for r in rows)
    assert all(r["gemm_only"] > 0 for r in rows if r["workload"] == "tabular")
    assert not any("gemm_only" in r for r in rows if r["workload"] == "tiny-3-2-1")  # batch 1
    assert results["runs"][0]["gemm"]["float32"]["numpy_matmul"] > 0
    assert any(t["target"].startswith("tiny-3-2-1") for t in results["targets"])
    assert "| tabular |" in capsys.readouterr().out
    assert harness.main(["--render", str(files[0]), "--readme", "no"]) == 0
    assert "| tiny-3-2-1 |" in capsys.readouterr().out


def test_harness_skips_a_missing_peer(harness, monkeypatch):
    from benchmarks import impls, throughput

    monkeypatch.setattr(impls.Impl, "missing", lambda self: "not here" if
                        self.name == "torch" else None)
    rows = throughput.run_workload(_bench.WORKLOADS["tiny-2-1-1"], ["fastprop", "torch"],
                                   repeats=1, min_time=0.005, log=lambda *a: None)
    assert rows[1]["samples_per_s"] is None and rows[1]["note"] == "skipped: not here"
    assert rows[0]["samples_per_s"] > 0


def test_no_allocation_per_step(harness):
    from benchmarks import memory

    counts = memory.malloc_per_step([_bench.WORKLOADS["tiny-3-2-1"]], epochs=2)
    if "skipped" in counts:
        pytest.skip(counts["skipped"])
    # an allocating step would show >= 1 call per step; one-offs (the history) are fractions
    assert counts["fastprop/tiny-3-2-1"]["calls_per_step"] < 0.1


def test_estimators_section_fits_the_same_model(harness, monkeypatch, tmp_path, capsys):
    from benchmarks import estimators

    monkeypatch.setattr(estimators, "DATASETS", (("iris", "load_iris", "MLPClassifier"),))
    monkeypatch.setattr(estimators, "SETTINGS", (("adam", 16),))
    code = harness.main(["--quick", "--sections", "estimators", "--out", str(tmp_path)])
    assert code == 0
    results = json.loads(next(tmp_path.glob("*.json")).read_text())
    (row,) = results["estimators"]
    assert row["dataset"] == "iris" and row["same_model"] and row["epochs"] == 20
    assert row["sklearn_s"] > 0 and row["fastprop_s"] > 0
    assert "| iris (150 × 4) | MLPClassifier | adam | 16 | 20 |" in capsys.readouterr().out


def test_parallel_section_trains_two_networks_at_once(harness, tmp_path, capsys):
    code = harness.main(["--quick", "--sections", "parallel", "--workloads", "tabular",
                         "--repeats", "1", "--min-time", "0.01", "--out", str(tmp_path)])
    assert code == 0
    results = json.loads(next(tmp_path.glob("*.json")).read_text())
    (row,) = results["parallel"]
    assert row["workload"] == "tabular" and row["sequential"] > 0 and row["concurrent"] > 0
    assert row["speedup"] == row["concurrent"] / row["sequential"]
    assert "| tabular |" in capsys.readouterr().out
