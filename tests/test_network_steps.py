"""``gradients(..., flat=True, reduction="sum")`` and ``apply_gradient``: the two halves of
a training step, checked against ``fit`` taking the same steps and against the sum of the
per-row losses."""

import numpy as np
import pytest

import fastprop as fp
from fastprop.errors import DivergenceError


def problem(rng, n=10, dtype="float64", engine="cython"):
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(float)
    return fp.Network([4, 5, 1], seed=0, dtype=dtype, engine=engine), X, y


def test_flat_is_the_layers_in_the_params_layout(engine, rng):
    net, X, y = problem(rng, engine=engine)
    loss, gW, gb = net.gradients(X, y)
    flat_loss, flat = net.gradients(X, y, flat=True)
    assert flat_loss == loss and flat.shape == net.params.shape and flat.dtype == net.dtype
    for view, g in zip(net.arch.weight_views(flat), gW, strict=True):
        np.testing.assert_array_equal(view, g)
    for view, g in zip(net.arch.bias_views(flat), gb, strict=True):
        np.testing.assert_array_equal(view, g)


@pytest.mark.parametrize("weighted", [False, True])
def test_sums_of_unequal_shards_give_the_mean_of_their_union(engine, rng, weighted):
    """Shards of 3, 5 and 2 rows: Σ sums / Σ rows (Σ weights) is the union's mean."""
    net, X, y = problem(rng, engine=engine)
    w = rng.uniform(0.5, 2.0, size=len(X)) if weighted else None
    loss, grad = net.gradients(X, y, flat=True, sample_weight=w)
    total_loss, total_grad, rows = 0.0, np.zeros_like(grad), 0.0
    for part in (slice(0, 3), slice(3, 8), slice(8, 10)):
        s, g = net.gradients(X[part], y[part], flat=True, reduction="sum",
                             sample_weight=None if w is None else w[part])
        total_loss += s
        total_grad += g
        rows += (part.stop - part.start) if w is None else w[part].sum()
    assert total_loss / rows == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(total_grad / rows, grad, rtol=1e-11, atol=1e-15)
    single = [net.loss(X[i:i + 1], y[i:i + 1]) for i in range(len(X))]
    if not weighted:
        assert net.gradients(X, y, flat=True, reduction="sum")[0] == pytest.approx(
            sum(single), rel=1e-12)


@pytest.mark.parametrize("make", [lambda: fp.SGD(0.1, momentum=0.9, nesterov=True),
                                  lambda: fp.Adam(0.01), lambda: fp.RMSprop(0.01),
                                  lambda: fp.AdamW(0.01, weight_decay=0.1)])
def test_gradients_then_apply_gradient_is_fit(engine, dtype, rng, make):
    net, X, y = problem(rng, dtype=dtype, engine=engine)
    fitted = net.copy()
    fitted.fit(X, y, epochs=6, batch_size=len(X), shuffle=False, optimizer=make())
    opt = make()
    for _ in range(6):
        _, grad = net.gradients(X, y, flat=True)
        net.apply_gradient(grad, opt)
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(net.params, fitted.params, rtol=tol, atol=tol)
    assert net.optimizer is opt and opt.t == 6 == fitted.optimizer.t
    for name, buffer in fitted.optimizer.state.items():
        np.testing.assert_allclose(opt.state[name], buffer, rtol=tol, atol=tol)


def test_the_pair_is_the_flat_gradient(rng):
    net, X, y = problem(rng)
    other = net.copy()
    _, gW, gb = net.gradients(X, y)
    _, flat = net.gradients(X, y, flat=True)
    net.apply_gradient((gW, gb), lr=0.5)
    other.apply_gradient(flat, lr=0.5)
    np.testing.assert_array_equal(net.params, other.params)


def test_a_bad_gradient_changes_nothing(rng):
    net, X, y = problem(rng)
    opt = fp.Adam(0.01)
    _, grad = net.gradients(X, y, flat=True)
    net.apply_gradient(grad, opt)
    params, t, state = net.params.copy(), opt.t, {k: v.copy() for k, v in opt.state.items()}

    def unchanged():
        assert np.array_equal(net.params, params) and opt.t == t
        assert all(np.array_equal(opt.state[k], v) for k, v in state.items())

    for bad, kind, match in [(grad[:-1], ValueError, "flat array of the network's 31"),
                             (grad.reshape(1, -1), ValueError, "grad must be"),
                             ("nope", ValueError, "grad must be"),
                             (np.where(np.arange(grad.size) == 3, np.nan, grad),
                              DivergenceError, "non-finite")]:
        with pytest.raises(kind, match=match):
            net.apply_gradient(bad, opt)
        unchanged()
    huge = np.full_like(grad, 1e300)
    sgd = fp.SGD(1e300)
    with pytest.raises(DivergenceError, match="non-finite: not taken"):
        net.apply_gradient(huge, sgd)
    assert np.array_equal(net.params, params) and sgd.t == 0
    with pytest.raises(TypeError, match="exactly one"):
        net.apply_gradient(grad, opt, lr=0.1)
    with pytest.raises(TypeError, match="exactly one"):
        net.apply_gradient(grad)
    with pytest.raises(ValueError, match="reduction"):
        net.gradients(X, y, reduction="max")
