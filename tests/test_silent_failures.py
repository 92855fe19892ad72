"""No silent non-training and no engine disagreement: extreme sample weights, an Adam
moment that overflows, an optimizer shared between networks, a hyperparameter set to a
bad value after construction."""

import numpy as np
import pytest

import fastprop as fp


def _problem(engine, dtype="float64", n=16):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] > 0).astype(float)
    return fp.Network([3, 4, 1], engine=engine, dtype=dtype, seed=0), X, y


@pytest.mark.parametrize("dtype, tiny", [("float64", 1e-320), ("float32", 1e-44)])
def test_a_single_subnormal_weight_trains_on_both_engines(dtype, tiny):
    results = []
    for engine in ("numpy", "cython"):
        net, X, y = _problem(engine, dtype)
        w = np.zeros(len(X))
        w[3] = tiny
        history = net.fit(X, y, epochs=5, batch_size=16, lr=0.1, sample_weight=w,
                          shuffle=False)
        assert len(history.loss) == 5 and np.isfinite(history.loss).all()
        results.append(net.params.copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5 if dtype == "float32"
                               else 1e-12)
    # the one weighted sample alone, as if its weight were 1
    net, X, y = _problem("numpy", dtype)
    net.fit(X[3:4], y[3:4], epochs=5, batch_size=16, lr=0.1, shuffle=False)
    np.testing.assert_allclose(results[0], net.params, rtol=1e-5 if dtype == "float32"
                               else 1e-12)


def test_huge_uniform_weights_equal_no_weights(engine):
    net, X, y = _problem(engine)
    plain = net.copy()
    weighted = net.fit(X, y, epochs=3, batch_size=4, lr=0.1,
                       sample_weight=np.full(len(X), 1e308)).loss
    unweighted = plain.fit(X, y, epochs=3, batch_size=4, lr=0.1).loss
    assert np.isfinite(weighted).all()
    np.testing.assert_allclose(weighted, unweighted, rtol=1e-12)
    assert net.loss(X, y, sample_weight=np.full(len(X), 1e308)) == \
        pytest.approx(net.loss(X, y), rel=1e-12)


def test_an_overflowing_adam_moment_is_a_divergence(engine):
    net, X, y = _problem(engine, "float32")
    X = X * 1e24  # gradients ~1e23: g² overflows float32, g itself does not
    before = net.params.copy()
    with pytest.raises(fp.DivergenceError, match="optimizer's state"):
        net.fit(X, y, epochs=1, batch_size=16, optimizer=fp.Adam(1e-3), shuffle=False)
    assert net.params.tobytes() == before.tobytes()


def test_an_optimizer_cannot_move_to_a_network_of_another_shape(rng):
    a = fp.Network([3, 4, 1], seed=0)  # 3·4 + 4 + 4 + 1 = 21 parameters
    d = fp.Network([2, 5, 1], seed=0)  # 2·5 + 5 + 5 + 1 = 21: the same count
    X = rng.normal(size=(8, 3))
    y = (X[:, 0] > 0).astype(float)
    opt = fp.Adam(0.01)
    a.fit(X, y, epochs=1, optimizer=opt)
    assert a.n_params == d.n_params
    before = d.params.copy()
    with pytest.raises(ValueError, match="already bound to a network of layout"):
        d.fit(rng.normal(size=(8, 2)), y, epochs=1, optimizer=opt)
    assert d.params.tobytes() == before.tobytes()
    a.fit(X, y, epochs=1, optimizer=opt)  # its own network: fine


@pytest.mark.parametrize("make, name, value", [
    (lambda: fp.SGD(0.1), "lr", -0.5), (lambda: fp.SGD(0.1), "lr", float("nan")),
    (lambda: fp.SGD(0.1), "momentum", -1.0), (lambda: fp.SGD(0.1), "weight_decay", -1e-3),
    (lambda: fp.Adam(), "lr", 0.0), (lambda: fp.Adam(), "eps", -1e-8),
    (lambda: fp.Adam(), "betas", (0.9, 1.5)), (lambda: fp.Adam(), "betas", 0.9),
])
def test_a_bad_hyperparameter_set_after_construction_is_refused(make, name, value):
    opt = make()
    old = getattr(opt, name)
    with pytest.raises((ValueError, TypeError), match=name.rstrip("s")):
        setattr(opt, name, value)
    assert getattr(opt, name) == old


def test_momentum_turned_on_after_a_fit_gets_its_buffer(engine, rng):
    net, X, y = _problem(engine)
    opt = fp.SGD(0.1)
    net.fit(X, y, epochs=1, optimizer=opt)
    opt.momentum = 0.9
    net.fit(X, y, epochs=1, optimizer=opt)
    assert "momentum_buffer" in opt.state and np.abs(opt.state["momentum_buffer"]).sum() > 0
