"""Exceptions raised by signal handlers reach the caller from every compiled loop: a
SIGALRM timeout or a custom SIGINT handler during ``fit``, ``predict`` and ``loss``, and
Ctrl-C during ``fastprop.sklearn``'s compiled epochs. The network keeps the parameters of
its last completed step."""

import signal
import sys
import time
import warnings

import numpy as np
import pytest

import fastprop as fp
from fastprop.sklearn import MLPClassifier

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


class Timeout(Exception):
    pass


@pytest.fixture
def alarm():
    """``alarm(seconds)`` raises Timeout from a SIGALRM handler after ``seconds``."""
    def handler(signum, frame):
        raise Timeout("alarm")

    previous = signal.signal(signal.SIGALRM, handler)
    yield lambda seconds: signal.setitimer(signal.ITIMER_REAL, seconds)
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def _problem(engine, n=256):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 16))
    y = (X[:, 0] > 0).astype(float)
    return fp.Network([16, 32, 1], engine=engine, seed=0), X, y


def test_an_alarm_during_fit_raises_and_keeps_the_last_completed_step(engine, alarm):
    net, X, y = _problem(engine)
    start = net.params.copy()
    alarm(0.3)
    t0 = time.perf_counter()
    with pytest.raises(Timeout):  # one step per epoch: full batch, no shuffle
        net.fit(X, y, epochs=10**7, batch_size=256, lr=0.01, shuffle=False)
    assert time.perf_counter() - t0 < 5
    done = len(net.history.loss)
    assert 0 < done < 10**7 and net.epochs_trained == done
    replay = fp.Network([16, 32, 1], engine=engine, seed=0)
    assert replay.params.tobytes() == start.tobytes()
    replay.fit(X, y, epochs=done, batch_size=256, lr=0.01, shuffle=False)
    if engine == "numpy" and replay.params.tobytes() != net.params.tobytes():
        # Python runs the handler between any two bytecodes: the step after the last
        # recorded epoch may be complete, its loss not yet recorded (see NumpyEngine.train)
        replay.fit(X, y, epochs=1, batch_size=256, lr=0.01, shuffle=False)
    assert replay.params.tobytes() == net.params.tobytes()


def test_a_custom_sigint_handler_s_exception_reaches_the_caller(engine):
    class Stop(Exception):
        pass

    def handler(signum, frame):
        raise Stop

    previous = signal.signal(signal.SIGINT, handler)
    try:
        net, X, y = _problem(engine)
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        old_alarm = signal.signal(signal.SIGALRM,
                                  lambda *a: signal.raise_signal(signal.SIGINT))
        try:
            with pytest.raises(Stop):
                net.fit(X, y, epochs=10**7, batch_size=8, lr=0.01)
        finally:
            signal.signal(signal.SIGALRM, old_alarm)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert np.isfinite(net.params).all() and len(net.history.loss) > 0


@pytest.mark.parametrize("call", ["predict", "loss"])
def test_an_alarm_during_a_long_forward_pass_raises(call, alarm):
    net = fp.Network([64, 512, 512, 1], seed=0)
    X = np.random.default_rng(1).normal(size=(400_000, 64))
    alarm(0.2)
    t0 = time.perf_counter()
    with pytest.raises(Timeout):
        for _ in range(1000):  # each call ~0.2 s: the alarm comes inside one
            net.predict(X) if call == "predict" else net.loss(X, np.zeros(len(X)))
    assert time.perf_counter() - t0 < 5


def test_ctrl_c_stops_fastprop_sklearn_s_compiled_epochs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 20))
    y = (X[:, 0] > 0).astype(int)
    est = MLPClassifier(hidden_layer_sizes=(64,), batch_size=1, max_iter=10**6, tol=0.0,
                        n_iter_no_change=10**6, random_state=0)
    previous = signal.signal(signal.SIGALRM, lambda *a: signal.raise_signal(signal.SIGINT))
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.fit(X, y)  # scikit-learn's rule: Ctrl-C ends fit with a warning
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.perf_counter() - t0 < 10
    assert any("interrupted" in str(w.message) for w in caught)
    assert est.n_iter_ < 10**6 and np.isfinite(est.coefs_[0]).all()
