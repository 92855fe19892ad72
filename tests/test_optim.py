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


_ADAPTIVE = {
    "amsgrad": lambda: fp.Adam(0.01, amsgrad=True),
    "adamw": lambda: fp.AdamW(0.01, weight_decay=0.1, amsgrad=True),
    "rmsprop": lambda: fp.RMSprop(0.005, momentum=0.5, centered=True),
    "adagrad": lambda: fp.Adagrad(0.05, lr_decay=0.1, initial_accumulator_value=0.2),
}


@pytest.mark.parametrize("name", list(_ADAPTIVE))
def test_state_carries_over_and_the_engines_agree(name):
    """Two fits of 3 epochs with one optimizer object end where one fit of 6 epochs
    does, on both engines, which agree with each other."""
    X, y = fp.data.two_moons(64, noise=0.2, seed=1)
    ends = []
    for engine in ("numpy", "cython"):
        split, whole = (fp.Network([2, 8, 1], seed=3, engine=engine) for _ in range(2))
        opt = _ADAPTIVE[name]()
        split.fit(X, y, epochs=3, batch_size=16, optimizer=opt)
        split.fit(X, y, epochs=3, batch_size=16, optimizer=opt)
        assert opt.t == 24
        whole.fit(X, y, epochs=6, batch_size=16, optimizer=_ADAPTIVE[name]())
        np.testing.assert_array_equal(split.params, whole.params)
        ends.append(split.params)
    np.testing.assert_allclose(ends[0], ends[1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make, error, match", [
    (lambda: fp.RMSprop(alpha=1.0), ValueError, "alpha must be < 1"),
    (lambda: fp.RMSprop(momentum=-0.1), ValueError, "momentum must be >= 0"),
    (lambda: fp.RMSprop(centered=1), TypeError, "centered must be True or False"),
    (lambda: fp.Adagrad(initial_accumulator_value=-1), ValueError,
     "initial_accumulator_value must be >= 0"),
    (lambda: fp.Adagrad(lr_decay=-0.5), ValueError, "lr_decay must be >= 0"),
    (lambda: fp.Adagrad(eps=0), ValueError, "eps must be > 0"),
    (lambda: fp.AdamW(weight_decay=-1), ValueError, "weight_decay must be >= 0"),
    (lambda: fp.Adam(amsgrad="yes"), TypeError, "amsgrad must be True or False"),
])
def test_bad_optimizer_values_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_defaults_are_pytorchs():
    torch = pytest.importorskip("torch")
    import inspect

    for cls in (fp.AdamW, fp.RMSprop, fp.Adagrad, fp.Adam):
        ours = inspect.signature(cls).parameters
        theirs = inspect.signature(getattr(torch.optim, cls.torch)).parameters
        for name, parameter in ours.items():
            expected = theirs[name].default
            assert parameter.default == (tuple(expected) if isinstance(expected, tuple)
                                         else expected), (cls.__name__, name)


def test_adagrad_starts_from_its_initial_value():
    opt = fp.Adagrad(initial_accumulator_value=0.5)
    opt.bind(3, "float32")
    assert opt.state["sum"].tolist() == [0.5] * 3 and opt.state["sum"].dtype == np.float32
