"""Optimizer rules against hand-written PyTorch formulas (torch itself: test_torch_parity)."""

import numpy as np
import pytest

import fastprop as fp


def _run(engine, optimizer, steps=4):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    net = fp.Network([3, 4, 2], activation="tanh", loss="mse", engine=engine, seed=1)
    p0 = net.params.copy()
    net.fit(X, y, epochs=steps, batch_size=6, optimizer=optimizer, shuffle=False)
    ref = net.copy(engine="numpy")
    ref.params[...] = p0
    return net, ref, X, y


@pytest.mark.parametrize("momentum,nesterov,wd", [(0, False, 0), (0.9, False, 0),
                                                  (0.9, True, 0.01), (0, False, 0.1)])
def test_sgd_matches_torch_rules(engine, momentum, nesterov, wd):
    net, ref, X, y = _run(engine, fp.SGD(0.05, momentum=momentum, nesterov=nesterov,
                                         weight_decay=wd))
    v = np.zeros_like(ref.params)
    for _ in range(4):
        _, gw, gb = ref.gradients(X, y)
        g = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(gw, gb)])
        g = g + wd * ref.params
        if momentum:
            v = momentum * v + g
            g = g + momentum * v if nesterov else v
        ref.params[...] -= 0.05 * g
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-12, atol=1e-15)


def test_adam_matches_torch_rules(engine):
    b1, b2, eps, lr, wd = 0.8, 0.99, 1e-6, 0.01, 0.05
    net, ref, X, y = _run(engine, fp.Adam(lr, betas=(b1, b2), eps=eps, weight_decay=wd))
    m = np.zeros_like(ref.params)
    v = np.zeros_like(ref.params)
    for t in range(1, 5):
        _, gw, gb = ref.gradients(X, y)
        g = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(gw, gb)])
        g = g + wd * ref.params
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v) / np.sqrt(1 - b2**t) + eps
        ref.params[...] -= lr / (1 - b1**t) * m / denom
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-12, atol=1e-15)


def test_optimizer_state_carries_over_between_fits(engine):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    a = fp.Network([3, 4, 2], loss="mse", engine=engine, seed=1)
    b = a.copy()
    oa, ob = fp.Adam(0.01), fp.Adam(0.01)
    a.fit(X, y, epochs=4, batch_size=3, optimizer=oa, shuffle=False)
    b.fit(X, y, epochs=2, batch_size=3, optimizer=ob, shuffle=False)
    b.fit(X, y, epochs=2, batch_size=3, optimizer=ob, shuffle=False)
    assert oa.t == ob.t == 8
    np.testing.assert_array_equal(a.params, b.params)


def test_optimizer_bound_to_another_network_is_refused():
    opt = fp.SGD(0.1, momentum=0.9)
    fp.Network([2, 2, 1], seed=0).fit([[0, 1]], [1], epochs=1, optimizer=opt)
    other = fp.Network([2, 5, 1], seed=0)
    before = other.params.copy()
    with pytest.raises(ValueError, match="already bound"):
        other.fit([[0, 1]], [1], epochs=1, optimizer=opt)
    assert (other.params == before).all()


def test_reprs():
    assert repr(fp.SGD(0.1)) == "SGD(lr=0.1)"
    assert repr(fp.SGD(0.1, momentum=0.9, nesterov=True)) == \
        "SGD(lr=0.1, momentum=0.9, nesterov=True)"
    assert "betas=(0.9, 0.999)" in repr(fp.Adam())
