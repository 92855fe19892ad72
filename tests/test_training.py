"""fit/step/evaluate: convergence, the History contract, shuffling, both engines agree."""

import numpy as np
import pytest

import fastprop as fp
from fastprop.engines.numpy_engine import NumpyEngine


def test_xor_reaches_95_percent(engine):
    X, y = fp.data.xor(200, seed=1)
    net = fp.Network([2, 16, 1], activation="tanh", engine=engine, seed=0)
    net.fit(X, y, epochs=150, batch_size=16, optimizer=fp.Adam(0.02), seed=0)
    assert net.evaluate(X, y)["accuracy"] >= 0.95


def test_two_moons_reaches_95_percent(engine, dtype):
    X, y = fp.data.two_moons(400, noise=0.1, seed=0)
    Xt, yt = fp.data.two_moons(400, noise=0.1, seed=1)
    net = fp.Network([2, 32, 32, 1], engine=engine, dtype=dtype, seed=0)
    net.fit(X, y, epochs=100, batch_size=32, optimizer=fp.Adam(0.01), seed=0)
    assert net.evaluate(Xt, yt)["accuracy"] >= 0.95


def test_spirals_softmax_cross_entropy(engine):
    X, y = fp.data.spirals(600, seed=0)
    net = fp.Network([2, 64, 64, 3], loss="cross_entropy", engine=engine, seed=0)
    h = net.fit(X, y, epochs=150, batch_size=32, optimizer=fp.Adam(0.01), seed=0)
    assert h.loss[-1] < h.loss[0] / 4
    assert net.evaluate(X, y)["accuracy"] >= 0.9


def test_history_loss_is_size_weighted_mean_with_partial_batch(engine):
    """History.loss = Σ_batches (batch mean loss · batch size) / n, last partial batch kept."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    net = fp.Network([3, 4, 2], loss="mse", engine=engine, seed=0)
    ref = net.copy(engine="numpy")
    h = net.fit(X, y, epochs=1, batch_size=4, lr=0.05, shuffle=False)
    expected, n_batches = 0.0, 0
    for start in range(0, 10, 4):  # batches of 4, 4, 2
        Xb, yb = X[start:start + 4], y[start:start + 4]
        expected += ref.step(Xb, yb, 0.05) * len(Xb)
        n_batches += 1
    assert n_batches == 3
    assert h.loss[0] == pytest.approx(expected / 10, rel=1e-12)
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-12, atol=1e-15)


def test_shuffled_fit_same_weights_on_both_engines(dtype):
    X, y = fp.data.two_moons(50, seed=3)
    nets = [fp.Network([2, 8, 1], engine=e, dtype=dtype, seed=4) for e in ("numpy", "cython")]
    hs = [n.fit(X, y, epochs=5, batch_size=7, optimizer=fp.SGD(0.1, momentum=0.9), seed=11)
          for n in nets]
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(nets[0].params, nets[1].params, rtol=rtol, atol=rtol * 1e-3)
    np.testing.assert_allclose(hs[0].loss, hs[1].loss, rtol=rtol)


def test_shuffle_follows_the_documented_order(engine):
    """fit(shuffle=True, seed=s) visits epoch e in fastprop.shuffle.epoch_order(n, s, e)."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(9, 2)), rng.normal(size=9)
    net = fp.Network([2, 3, 1], loss="mse", engine=engine, seed=0)
    ref = net.copy(engine="numpy")
    net.fit(X, y, epochs=3, batch_size=4, lr=0.1, seed=5)
    for e in range(3):
        order = fp.shuffle.epoch_order(9, 5, e)
        for start in range(0, 9, 4):
            rows = order[start:start + 4]
            ref.step(X[rows], y[rows], 0.1)
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-12)


def test_fit_is_deterministic_and_continues_the_stream(engine):
    X, y = fp.data.two_moons(60, seed=0)
    a = fp.Network([2, 5, 1], engine=engine, seed=7)
    b = fp.Network([2, 5, 1], engine=engine, seed=7)
    a.fit(X, y, epochs=4, batch_size=8, lr=0.1)
    b.fit(X, y, epochs=2, batch_size=8, lr=0.1)
    b.fit(X, y, epochs=2, batch_size=8, lr=0.1)  # epochs 2, 3 of the network's stream
    assert a.params.tobytes() == b.params.tobytes()


def test_fit_with_dataset_and_validation(engine):
    X, y = fp.data.two_moons(200, seed=0)
    train, val = fp.Dataset(X, y).split(0.25, seed=0)
    net = fp.Network([2, 16, 1], engine=engine, seed=0)
    h = net.fit(train, epochs=5, batch_size=16, optimizer=fp.Adam(0.01),
                validation_data=val)
    assert len(h.loss) == len(h.val_loss) == len(h.val_accuracy) == 5
    assert h.val_loss[-1] == pytest.approx(net.evaluate(val)["loss"], rel=1e-12)
    assert net.history is h


def test_step_returns_loss_before_update(engine):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 3, size=6)
    net = fp.Network([3, 4, 3], loss="cross_entropy", engine=engine, seed=0)
    before = net.loss(X, y)
    loss, gw, gb = net.gradients(X, y)
    assert net.step(X, y, 0.5) == pytest.approx(before, rel=1e-15) == loss
    assert net.loss(X, y) < before
    np.testing.assert_allclose(net.params, net.copy().params)


def test_evaluate_metrics(engine):
    net = fp.Network([2, 1], loss="mse", engine=engine, seed=0)
    assert set(net.evaluate([[1, 2]], [3.0])) == {"loss"}
    clf = fp.Network([2, 3], loss="cross_entropy", engine=engine, seed=0)
    assert set(clf.evaluate([[1, 2]], [1])) == {"loss", "accuracy"}


def test_zero_epochs_changes_nothing(engine):
    net = fp.Network([2, 3, 1], engine=engine, seed=0)
    before = net.params.copy()
    h = net.fit([[0, 1]], [1], epochs=0)
    assert h.loss == [] and (net.params == before).all()


def test_divergence_stops_with_parameters_of_last_finite_step(engine):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 4)) * 10, rng.normal(size=32) * 10
    net = fp.Network([4, 16, 1], activation="relu", loss="mse", engine=engine, seed=0)
    with pytest.raises(fp.DivergenceError) as info:
        net.fit(X, y, epochs=50, batch_size=4, lr=50.0, shuffle=False)
    err = info.value
    assert np.isfinite(net.params).all()
    assert err.history is net.history and len(err.history.loss) == err.epoch
    assert "epoch" in str(err) and "batch" in str(err)
    # the restored parameters give a finite loss on the batch that failed
    assert np.isfinite(net.loss(X, y))


def test_float32_stays_float32(engine):
    net = fp.Network([3, 4, 2], loss="cross_entropy", dtype="float32", engine=engine, seed=0)
    X = np.random.default_rng(0).normal(size=(5, 3))
    assert net.predict(X).dtype == np.float32
    _, gw, gb = net.gradients(X, [0, 1, 0, 1, 1])
    assert all(g.dtype == np.float32 for g in gw + gb)
    net.fit(X, [0, 1, 0, 1, 1], epochs=2, batch_size=2, lr=0.1)
    assert net.params.dtype == np.float32


def test_float32_matches_float64_reference(engine):
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(8, 3)), rng.integers(0, 2, size=8)
    n64 = fp.Network([3, 5, 1], activation="tanh", engine=engine, seed=0)
    n32 = n64.copy(dtype="float32")
    l64, g64, _ = n64.gradients(X, y)
    l32, g32, _ = n32.gradients(X, y)
    assert l32 == pytest.approx(l64, rel=1e-5)
    for a, b in zip(g32, g64):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_numpy_engine_is_the_reference_for_cython_predict_and_grads(dtype):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(11, 6))
    y = rng.integers(0, 4, size=11)
    net = fp.Network([6, 9, 7, 4], activation=["relu", "tanh"], loss="cross_entropy",
                     dtype=dtype, engine="cython", seed=3)
    Xv, Y = net._data(X, y)
    ref = NumpyEngine()
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(net.predict(X), ref.predict(net.arch, net.params, Xv), rtol=rtol)
    g_ref = np.empty_like(net.params)
    l_ref = ref.loss_and_grad(net.arch, net.params, Xv, Y, g_ref)
    loss, gw, gb = net.gradients(X, y)
    assert loss == pytest.approx(l_ref, rel=rtol)
    flat = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(gw, gb)])
    np.testing.assert_allclose(flat, g_ref, rtol=rtol, atol=rtol * np.abs(g_ref).max())


def test_both_engines_diverge_at_the_same_step_with_the_same_parameters():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 4)) * 10, rng.normal(size=32) * 10
    outcomes = []
    for engine in ("numpy", "cython"):
        net = fp.Network([4, 16, 1], activation="relu", loss="mse", engine=engine, seed=0)
        with pytest.raises(fp.DivergenceError) as info:
            net.fit(X, y, epochs=50, batch_size=4, lr=50.0, shuffle=False)
        outcomes.append((info.value.epoch, info.value.batch, net.params.copy(),
                         info.value.history.loss))
    (ea, ba, pa, la), (eb, bb, pb, lb) = outcomes
    assert (ea, ba) == (eb, bb)
    np.testing.assert_allclose(pa, pb, rtol=1e-12)
    np.testing.assert_allclose(la, lb, rtol=1e-12)


@pytest.mark.parametrize("batch_size", [4, 5])  # 8 or 7 steps per epoch: even, odd
@pytest.mark.parametrize("validate", [False, True])  # one call for all epochs, or per epoch
def test_divergence_restores_the_same_parameters_on_both_engines(batch_size, validate):
    """Whatever the parity of the steps and however the epochs are split between engine
    calls, a divergence leaves the parameters from before the step that produced it,
    as the reference engine does; stale buffers from an earlier fit play no part."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 4)) * 10, rng.normal(size=32) * 10
    outcomes = []
    for engine in ("numpy", "cython"):
        net = fp.Network([4, 16, 1], activation="relu", loss="mse", engine=engine, seed=0)
        net.fit(X, y, epochs=1, batch_size=3, lr=1e-6, shuffle=False)  # fills the buffers
        with pytest.raises(fp.DivergenceError) as info:
            net.fit(X, y, epochs=50, batch_size=batch_size, lr=30.0, shuffle=False,
                    validation_data=(X, y) if validate else None)
        outcomes.append((info.value.epoch, info.value.batch, net.params.copy()))
    (ea, ba, pa), (eb, bb, pb) = outcomes
    assert (ea, ba) == (eb, bb)
    np.testing.assert_allclose(pa, pb, rtol=1e-12)


def test_divergence_at_the_first_step_leaves_the_parameters_bitwise(engine):
    X, y = np.ones((6, 2)), np.ones(6)
    net = fp.Network([2, 3, 1], loss="mse", engine=engine, seed=0)
    net.fit(X, y, epochs=2, batch_size=4, lr=0.1)  # the kept backup now holds other values
    net.params[:] = 1e200  # the forward pass overflows: non-finite loss at step 0
    before = net.params.copy()
    for epochs, batch_size in ((1, 4), (1, 6), (3, 4)):  # odd and even numbers of steps
        with pytest.raises(fp.DivergenceError) as info:
            net.fit(X, y, epochs=epochs, batch_size=batch_size, lr=0.1)
        assert info.value.batch == 0 and info.value.history.loss == []
        assert net.params.tobytes() == before.tobytes()


@pytest.mark.parametrize("batch_size", [4, 5, 32])
def test_fit_calls_continue_where_the_last_one_ended(engine, batch_size):
    """Two fit calls (with the buffers kept between them) train exactly as one call of
    the same epochs, for either parity of steps."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(27, 3)), rng.integers(0, 2, size=27)
    one = fp.Network([3, 8, 1], engine=engine, seed=2)
    two = one.copy()
    opt_one, opt_two = fp.SGD(0.1, momentum=0.9), fp.SGD(0.1, momentum=0.9)
    h = one.fit(X, y, epochs=5, batch_size=batch_size, optimizer=opt_one, shuffle=False)
    h1 = two.fit(X, y, epochs=2, batch_size=batch_size, optimizer=opt_two, shuffle=False)
    h2 = two.fit(X, y, epochs=3, batch_size=batch_size, optimizer=opt_two, shuffle=False)
    assert one.params.tobytes() == two.params.tobytes()
    assert h.loss == h1.loss + h2.loss
