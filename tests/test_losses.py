"""The robust and count losses — MAE, Huber, Poisson — as PyTorch defines them: weights,
targets checked, the trace, and the files and formats that carry them."""

import numpy as np
import pytest

import fastprop as fp


def _data(loss, rng, n=24, k=2):
    X = rng.normal(size=(n, 3))
    y = rng.poisson(2.0, size=(n, k)).astype(float) if loss == "poisson" else \
        rng.normal(size=(n, k))
    return X, y


@pytest.mark.parametrize("loss", ["mae", "huber", "poisson"])
def test_weighted_losses_are_the_weighted_mean_of_the_rows(engine, loss):
    rng = np.random.default_rng(1)
    X, y = _data(loss, rng)
    w = rng.integers(0, 3, size=len(X)).astype(float)
    net = fp.Network([3, 5, 2], loss=loss, engine=engine, seed=0, huber_delta=0.3)
    repeated = np.repeat(np.arange(len(X)), w.astype(int))  # an integer weight = copies
    assert net.loss(X, y, sample_weight=w) == pytest.approx(net.loss(X[repeated],
                                                                     y[repeated]), rel=1e-12)
    _, gw, gb = net.gradients(X, y, sample_weight=w)
    _, gw_r, gb_r = net.gradients(X[repeated], y[repeated])
    for a, b in zip(gw + gb, gw_r + gb_r, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_huber_delta_moves_the_corner(engine):
    X, y = np.zeros((1, 1)), np.array([[3.0]])
    for delta, expected in [(1.0, 1.0 * (3 - 0.5)), (5.0, 0.5 * 9), (0.5, 0.5 * (3 - 0.25))]:
        net = fp.Network([1, 1], loss="huber", init=0.0, engine=engine, huber_delta=delta)
        assert net.loss(X, y) == pytest.approx(expected, rel=1e-15)
        _, gw, gb = net.gradients(X + 1, y)
        assert gb[0][0] == pytest.approx(-min(delta, 3.0), rel=1e-15)


def test_poisson_predicts_the_rate_and_learns_it(engine):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 2))
    rate = np.exp(0.7 * X[:, 0] - 0.3 * X[:, 1] + 0.5)
    y = rng.poisson(rate).astype(float)
    net = fp.Network([2, 1], loss="poisson", engine=engine, seed=0, init=0.0)
    assert net.output == "exp"
    np.testing.assert_allclose(net.predict(X), 1.0)  # e^0
    net.fit(X, y, epochs=60, batch_size=32, optimizer=fp.Adam(0.05), seed=0)
    np.testing.assert_allclose(net.weights[0][:, 0], [0.7, -0.3], atol=0.1)
    assert net.biases[0][0] == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize("make, error, match", [
    (lambda: fp.Network([2, 1], loss="poisson").fit([[0.0, 1.0]], [-1.0]), ValueError,
     "must be >= 0 for loss='poisson'"),
    (lambda: fp.Network([2, 1], loss="poisson", output="identity"), ValueError,
     "needs output='exp'"),
    (lambda: fp.Network([2, 1], loss="huber", huber_delta=0), ValueError,
     "huber_delta must be > 0"),
    (lambda: fp.Network([2, 1], loss="huber", huber_delta=-1.0), ValueError,
     "huber_delta must be > 0"),
    (lambda: fp.Network([2, 1], loss="huber", huber_delta="1"), TypeError, "huber_delta"),
    (lambda: fp.Network([2, 3, 1], activation="exp"), ValueError,
     "can only be the output"),
])
def test_bad_values_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_refused_target_leaves_the_network_unchanged():
    net = fp.Network([2, 1], loss="poisson", seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError):
        net.fit([[0.0, 1.0], [1.0, 0.0]], [1.0, -2.0], epochs=3)
    assert (net.params == before).all() and net.epochs_trained == 0


def test_the_model_file_keeps_the_loss_and_its_delta(tmp_path, engine):
    net = fp.Network([3, 4, 2], loss="huber", huber_delta=0.25, engine=engine, seed=0)
    net.save(tmp_path / "h.npz")
    back = fp.load(tmp_path / "h.npz")
    assert back.loss_name == "huber" and back.arch.huber_delta == 0.25
    X, y = _data("huber", np.random.default_rng(0))
    assert back.loss(X, y) == net.loss(X, y)
    assert net.copy(dtype="float32").arch.huber_delta == 0.25


def test_the_trace_writes_the_new_losses():
    for loss, text in [("mae", "L = |y − ŷ|"), ("huber", "clip("), ("poisson", "log ŷ")]:
        net = fp.Network([2, 1], loss=loss, seed=0)
        y = [2.0] if loss == "poisson" else [0.5]
        trace = net.trace([1.0, -1.0], y, lr=0.1)
        assert text in str(trace), loss
        _, gw, _ = net.gradients([1.0, -1.0], y)
        np.testing.assert_allclose(trace.grad_weights[0], gw[0], rtol=1e-12)


def test_onnx_computes_the_rate(tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    for dtype in ("float64", "float32"):
        net = fp.Network([3, 4, 2], loss="poisson", dtype=dtype, seed=0)
        net.to_onnx(tmp_path / "p.onnx")
        X = np.random.default_rng(0).normal(size=(5, 3)).astype(dtype)
        session = ort.InferenceSession(str(tmp_path / "p.onnx"),
                                       providers=["CPUExecutionProvider"])
        np.testing.assert_allclose(session.run(None, {"X": X})[0], net.predict(X),
                                   rtol=1e-12 if dtype == "float64" else 1e-5)


def test_torch_gets_the_log_rate(engine):
    torch = pytest.importorskip("torch")
    net = fp.Network([3, 4, 1], loss="poisson", engine=engine, seed=0)
    seq = net.to_torch()
    X = np.random.default_rng(0).normal(size=(5, 3))
    with torch.no_grad():
        np.testing.assert_allclose(seq(torch.from_numpy(X)).exp().numpy(), net.predict(X),
                                   rtol=1e-12)
    back = fp.Network.from_torch(seq, loss="poisson", engine=engine)
    assert back.output == "exp" and (back.params == net.params).all()
