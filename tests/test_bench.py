"""Smoke tests of the benchmark harness: it runs on tiny settings and writes valid JSON.
No timing is asserted (figures depend on the machine and its load)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import fastprop as fp
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


def test_bench_compares_with_the_installed_peers(capsys, monkeypatch):
    pytest.importorskip("sklearn")
    from fastprop import _peers

    monkeypatch.setattr(_peers.Peer, "missing", lambda self: "gone" if self.name == "jax"
                        else None)
    code = _bench.main(["--peers", "sklearn,jax", "--workloads", "tiny-2-1-1",
                        "--repeats", "1", "--min-time", "0.005"])
    out = capsys.readouterr().out
    assert code == 0 and "JAX jit+scan: not installed, not compared (pip install jax)" in out
    row = next(line for line in out.splitlines() if "scikit-learn" in line and "/s" in line)
    assert row.split()[0] == "tiny-2-1-1" and "×" in row
    assert "(with biases (scikit-learn has no bias=False)" in row
    with pytest.raises(SystemExit):
        _bench.main(["--peers", "mxnet"])


def _fastprop_from(workload, weights, biases):
    import fastprop as fp

    net = fp.Network(list(workload.sizes), seed=0, **workload.network_kwargs())
    for k, W in enumerate(weights):
        net.weights[k][...] = W
        if biases[k] is not None:
            net.biases[k][...] = biases[k]
    return net


@pytest.mark.parametrize("name", ["tiny-3-2-1", "tabular", "mnist-mlp"])
def test_the_jax_peer_takes_fastprops_steps(name):
    """JAX's jitted scan epoch trains the same network: 32 SGD steps from the same
    parameters end where fastprop's do."""
    pytest.importorskip("jax")
    import jax.numpy as jnp

    from fastprop._peers import jax_epoch

    workload = _bench.WORKLOADS[name]
    X, y = _bench.make_data(workload)
    params, epoch = jax_epoch(workload)
    m = 32 * workload.batch
    target = y.reshape(len(y), -1) if workload.loss != "cross_entropy" else y
    after = epoch(params, jnp.asarray(X[:m].reshape(32, workload.batch, -1)),
                  jnp.asarray(target[:m].reshape(32, workload.batch, *target.shape[1:])))
    net = _fastprop_from(workload, [np.asarray(W) for W, _ in params],
                         [None if b is None else np.asarray(b) for _, b in params])
    net.fit(X[:m], y[:m], epochs=1, batch_size=workload.batch, shuffle=False,
            optimizer=fp.SGD(workload.lr))
    tol = 1e-12 if workload.dtype == "float64" else 1e-6
    for k, (W, _) in enumerate(after):
        np.testing.assert_allclose(np.asarray(W), net.weights[k], atol=tol)


@pytest.mark.parametrize("name", ["tiny-3-2-1", "tabular", "mnist-mlp"])
def test_the_torch_peer_takes_fastprops_steps(name):
    torch = pytest.importorskip("torch")
    from fastprop._peers import torch_trainer

    workload = _bench.WORKLOADS[name]
    X, y = _bench.make_data(workload)
    train, _ = torch_trainer(workload, X, y)
    linears = [m for m in train.model if isinstance(m, torch.nn.Linear)]
    net = _fastprop_from(workload, [lin.weight.detach().numpy().T.copy() for lin in linears],
                         [None if lin.bias is None else lin.bias.detach().numpy().copy()
                          for lin in linears])
    m = 32 * workload.batch
    train(m, 1)
    net.fit(X[:m], y[:m], epochs=1, batch_size=workload.batch, shuffle=False,
            optimizer=fp.SGD(workload.lr))
    tol = 1e-12 if workload.dtype == "float64" else 1e-6
    for k, lin in enumerate(linears):
        np.testing.assert_allclose(lin.weight.detach().numpy().T, net.weights[k], atol=tol)


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
