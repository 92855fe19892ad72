"""Ctrl-C during fit, the GIL, threads, determinism, allocations per step."""

import os
import signal
import sys
import threading
import time
import tracemalloc

import numpy as np
import pytest

import fastprop as fp

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGINT from a timer")


def _long_problem(engine):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 16))
    y = (X[:, 0] > 0).astype(float)
    net = fp.Network([16, 32, 1], engine=engine, seed=0)
    return net, X, y


@pytest.mark.skipif(signal.getsignal(signal.SIGINT) is signal.SIG_IGN,
                    reason="SIGINT is ignored in this process (started in the background "
                    "by a shell without job control): Ctrl-C cannot be simulated")
def test_ctrl_c_stops_fit_at_a_step_boundary(engine):
    net, X, y = _long_problem(engine)
    start_params = net.params.copy()
    # one step per epoch (full batch, no shuffle): the parameters after an interruption
    # must equal those after exactly len(history.loss) epochs
    def interrupt_once_training():
        # fit installs its own SIGINT handler while it trains; Ctrl-C after that
        while signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            time.sleep(0.001)
        time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Thread(target=interrupt_once_training, daemon=True)
    timer.start()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, y, epochs=10**7, batch_size=256, lr=0.01, shuffle=False)
    elapsed = time.perf_counter() - t0
    timer.join()
    assert elapsed < 5, f"fit took {elapsed:.1f}s to stop after Ctrl-C"
    h = net.history
    assert h.interrupted and 0 < len(h.loss) < 10**7
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    replay = fp.Network([16, 32, 1], engine=engine, seed=0)
    assert replay.params.tobytes() == start_params.tobytes()
    replay.fit(X, y, epochs=len(h.loss), batch_size=256, lr=0.01, shuffle=False)
    assert replay.params.tobytes() == net.params.tobytes()


def test_compiled_fit_releases_the_gil():
    net, X, y = _long_problem("cython")
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        before = len(ticks)
        t0 = time.perf_counter()
        net.fit(X, y, epochs=3000, batch_size=8, lr=0.01)
        duration = time.perf_counter() - t0
        during = len(ticks) - before
    finally:
        done.set()
        t.join()
    assert duration > 0.1
    # with the GIL held for the whole fit the other thread could not tick at all
    assert during >= 10, (during, duration)


def test_two_threads_two_networks_same_results_as_sequential(engine):
    X, y = fp.data.two_moons(300, seed=0)
    nets = [fp.Network([2, 64, 64, 1], engine=engine, seed=s) for s in (1, 2)]
    sequential = [n.copy() for n in nets]
    for n in sequential:
        n.fit(X, y, epochs=20, batch_size=16, optimizer=fp.Adam(0.01))
    threads = [threading.Thread(target=n.fit, args=(X, y),
                                kwargs=dict(epochs=20, batch_size=16, optimizer=fp.Adam(0.01)))
               for n in nets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(nets, sequential):
        assert a.params.tobytes() == b.params.tobytes()


def test_one_network_in_two_threads_is_refused():
    net, X, y = _long_problem("cython")
    errors = []

    def second():
        time.sleep(0.05)
        try:
            net.fit(X, y, epochs=1, batch_size=8)
        except RuntimeError as exc:
            errors.append(str(exc))

    t = threading.Thread(target=second)
    t.start()
    net.fit(X, y, epochs=4000, batch_size=8, lr=0.01)
    t.join()
    assert errors and "another thread" in errors[0]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_seeded_fit_is_bit_identical_run_after_run(engine, optimizer):
    from threadpoolctl import threadpool_limits

    X, y = fp.data.spirals(300, seed=0)
    results = []
    with threadpool_limits(1):
        for _ in range(2):
            net = fp.Network([2, 128, 128, 3], loss="cross_entropy", engine=engine, seed=5)
            opt = fp.Adam(0.01) if optimizer == "adam" else fp.SGD(0.1, momentum=0.9)
            h = net.fit(X, y, epochs=3, batch_size=50, optimizer=opt, seed=9)
            results.append((net.params.tobytes(), h.loss))
    assert results[0] == results[1]


def test_no_python_allocation_grows_with_steps():
    """Training allocates per fit call (and per epoch: its loss), never per step
    (tracemalloc sees Python-level and NumPy allocations): the same epochs in 8 steps
    or in 2048 steps each peak alike."""
    X, y = fp.data.two_moons(256, seed=0)
    net = fp.Network([2, 32, 32, 1], engine="cython", seed=0)
    opt = fp.SGD(0.01)
    net.fit(X, y, epochs=1, batch_size=1, optimizer=opt)  # warm-up: caches, buffers
    peaks = []
    for batch_size in (32, 1):
        tracemalloc.start()
        net.fit(X, y, epochs=8, batch_size=batch_size, optimizer=opt)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    # 2048 steps: one float64 allocation per step would add > 32 kB
    assert peaks[1] <= peaks[0] + 4096, peaks
