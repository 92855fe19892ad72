"""``Network.step`` runs on the network's own engine in kept buffers, and the kept
workspace is never shared by two threads: concurrent ``gradients`` calls are all right,
and ``gradients`` while another thread trains is refused."""

import threading
import time
import tracemalloc

import numpy as np
import pytest

import fastprop as fp
from fastprop.engines import cython_engine


def _problem(engine, dtype="float64"):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(64, 12))
    y = (X[:, 0] > 0).astype(float)
    return fp.Network([12, 24, 1], engine=engine, dtype=dtype, seed=0), X, y


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_step_equals_the_reference_engine_bit_for_bit(dtype):
    nets = {e: _problem(e, dtype)[0] for e in ("numpy", "cython")}
    _, X, y = _problem("numpy", dtype)
    for _ in range(5):
        losses = {e: net.step(X, y, lr=0.5) for e, net in nets.items()}
        assert losses["numpy"] == pytest.approx(losses["cython"], rel=1e-12 if
                                                dtype == "float64" else 1e-5)
    np.testing.assert_allclose(nets["numpy"].params, nets["cython"].params,
                               rtol=1e-12 if dtype == "float64" else 1e-5)


def test_step_runs_compiled(monkeypatch):
    net, X, y = _problem("cython")
    calls = []
    real = cython_engine._engine.sgd_step
    monkeypatch.setattr(cython_engine._engine, "sgd_step",
                        lambda *a: calls.append(1) or real(*a))
    net.step(X, y, lr=0.1)
    assert calls == [1]


def test_step_allocates_no_parameter_sized_buffer_per_call():
    big = fp.Network([512, 512, 1], seed=0)
    Xb = np.random.default_rng(0).normal(size=(8, 512))
    yb = np.ones(8)
    big.step(Xb, yb, lr=1e-3)  # first call: the kept buffers are made
    tracemalloc.start()
    for _ in range(3):
        big.step(Xb, yb, lr=1e-3)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < big.params.nbytes / 4, peak  # the parameters are 2 MB


def test_a_step_that_would_diverge_is_not_taken(engine):
    net, X, y = _problem(engine)
    before = net.params.copy()
    with pytest.raises(fp.DivergenceError, match="not taken"):
        net.step(X * 1e300, y, lr=1e300)
    assert net.params.tobytes() == before.tobytes()


def test_gradients_from_two_threads_are_all_right(engine):
    net, X, y = _problem(engine)
    expected = net.gradients(X, y)
    wrong, errors = [], []

    def work():
        try:
            for _ in range(100):
                loss, gW, gb = net.gradients(X, y)
                if loss != expected[0] or any(
                        not np.array_equal(a, b) for a, b in zip(gW + gb,
                                                                 expected[1] + expected[2])):
                    wrong.append(1)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and wrong == []


@pytest.mark.parametrize("call", ["gradients", "predict", "loss", "evaluate"])
def test_reading_while_another_thread_trains_is_refused(engine, call):
    net, X, y = _problem(engine)
    started, stop = threading.Event(), threading.Event()

    def train():
        X_big = np.repeat(X, 200, axis=0)
        y_big = np.repeat(y, 200)
        started.set()
        while not stop.is_set():
            net.fit(X_big, y_big, epochs=1, batch_size=1, lr=1e-4, progress=False)

    thread = threading.Thread(target=train)
    thread.start()
    started.wait()
    refused, deadline = 0, time.monotonic() + 20  # until a call meets the training one
    try:
        while refused < 3 and time.monotonic() < deadline:
            try:
                if call == "predict":
                    net.predict(X)
                else:
                    getattr(net, call)(X, y)
            except RuntimeError as exc:
                assert "being trained in another thread" in str(exc)
                refused += 1
    finally:
        stop.set()
        thread.join()
    assert refused > 0


def test_predict_loss_and_evaluate_from_several_threads_are_all_right(engine):
    net, X, y = _problem(engine)
    expected = (net.predict(X), net.loss(X, y), net.evaluate(X, y))
    wrong = []

    def work():
        for _ in range(100):
            out = (net.predict(X), net.loss(X, y), net.evaluate(X, y))
            if not (np.array_equal(out[0], expected[0]) and out[1:] == expected[1:]):
                wrong.append(1)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
