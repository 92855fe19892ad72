"""Row weights in the engines (what fastprop.sklearn's ``sample_weight`` rests on): the
loss is the weighted mean Σ w_r·ℓ_r / Σ w_r of the rows' losses, its gradient is exact,
both engines agree, unit weights change nothing and an integer weight is a repeated row."""

import warnings

import numpy as np
import pytest

import fastprop as fp
from fastprop.engines import get_engine

LOSS_OUTPUTS = [("mse", "identity"), ("mse", "sigmoid"), ("mse", "softmax"),
                ("bce", "sigmoid"), ("cross_entropy", "softmax")]


def problem(loss, output, dtype, n=11, seed=0):
    rng = np.random.default_rng(seed)
    net = fp.Network([4, 6, 3], activation="tanh", output=output, loss=loss, dtype=dtype,
                     seed=seed)
    X = rng.normal(size=(n, 4)).astype(dtype)
    if loss == "cross_entropy":
        Y = np.eye(3, dtype=dtype)[rng.integers(0, 3, size=n)]
    else:
        Y = rng.random((n, 3)).astype(dtype)
    return net, X, Y, rng.uniform(0.1, 3.0, size=n).astype(dtype)


def loss_and_grad(engine, net, X, Y, weights):
    grad = np.empty_like(net.params)
    loss = get_engine(engine).loss_and_grad(net.arch, net.params, X, Y, grad, weights=weights)
    return loss, grad


@pytest.mark.parametrize("loss, output", LOSS_OUTPUTS)
def test_engines_agree_and_the_loss_is_the_weighted_mean(engine, dtype, loss, output):
    net, X, Y, w = problem(loss, output, dtype)
    value, grad = loss_and_grad(engine, net, X, Y, w)
    ref_value, ref_grad = loss_and_grad("numpy", net, X, Y, w)
    tol = 1e-12 if dtype == "float64" else 1e-5
    assert value == pytest.approx(ref_value, rel=tol)
    np.testing.assert_allclose(grad, ref_grad, rtol=tol, atol=tol * np.abs(ref_grad).max())
    rows = [net.loss(X[i:i + 1], Y[i:i + 1]) for i in range(len(X))]
    assert value == pytest.approx(np.dot(w, rows) / w.sum(), rel=10 * tol)


@pytest.mark.parametrize("loss, output", LOSS_OUTPUTS)
def test_unit_weights_change_nothing_and_integer_weights_repeat_rows(engine, loss, output):
    net, X, Y, _ = problem(loss, output, "float64")
    plain = loss_and_grad(engine, net, X, Y, None)
    ones = loss_and_grad(engine, net, X, Y, np.ones(len(X)))
    assert ones[0] == pytest.approx(plain[0], rel=1e-14)
    np.testing.assert_allclose(ones[1], plain[1], rtol=1e-13, atol=1e-15)
    counts = np.array([1, 3, 0, 2, 1, 1, 4, 0, 1, 2, 1], dtype=np.float64)
    repeated = loss_and_grad(engine, net, np.repeat(X, counts.astype(int), axis=0),
                             np.repeat(Y, counts.astype(int), axis=0), None)
    weighted = loss_and_grad(engine, net, X, Y, counts)
    assert weighted[0] == pytest.approx(repeated[0], rel=1e-12)
    np.testing.assert_allclose(weighted[1], repeated[1], rtol=1e-11,
                               atol=1e-12 * np.abs(repeated[1]).max())


@pytest.mark.parametrize("loss, output", LOSS_OUTPUTS)
def test_weighted_gradient_matches_finite_differences(engine, loss, output):
    net, X, Y, w = problem(loss, output, "float64", seed=3)
    _, grad = loss_and_grad(engine, net, X, Y, w)
    params, h = net.params, 1e-5
    numeric = np.empty_like(params)
    for i in range(params.size):
        saved = params[i]
        params[i] = saved + h
        up = loss_and_grad(engine, net, X, Y, w)[0]
        params[i] = saved - h
        down = loss_and_grad(engine, net, X, Y, w)[0]
        params[i] = saved
        numeric[i] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_weights_of_the_wrong_size_are_refused():
    net, X, Y, w = problem("mse", "identity", "float64")
    grad = np.zeros_like(net.params)
    with pytest.raises(ValueError, match="weights"):
        get_engine("cython").loss_and_grad(net.arch, net.params, X, Y, grad, weights=w[:-1])
    assert not grad.any()


# ------------------------------------------------------------------ Network.fit
def weighted_problem(n=23, seed=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] - X[:, 1] > 0).astype(float)
    return X, y, rng.uniform(0.0, 2.5, size=n)


@pytest.mark.parametrize("batch_size", [1, 5, 23])
def test_weighted_fit_is_the_same_on_both_engines(batch_size):
    X, y, w = weighted_problem()
    results = []
    for engine in ("numpy", "cython"):
        net = fp.Network([3, 7, 1], engine=engine, seed=1)
        h = net.fit(X, y, epochs=4, batch_size=batch_size, optimizer=fp.SGD(0.1, momentum=0.9),
                    seed=3, sample_weight=w)
        results.append((net.params.copy(), h.loss))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_weighted_fit_counts_an_integer_weight_as_repeated_samples(engine):
    X, y, _ = weighted_problem()
    counts = np.random.default_rng(5).integers(0, 4, size=len(X))
    counts[0] = 1
    weighted = fp.Network([3, 7, 1], engine=engine, seed=1)
    repeated = weighted.copy()
    h_w = weighted.fit(X, y, epochs=5, batch_size=len(X), lr=0.3, sample_weight=counts)
    h_r = repeated.fit(np.repeat(X, counts, axis=0), np.repeat(y, counts), epochs=5,
                       batch_size=int(counts.sum()), lr=0.3)  # full batch: same steps
    np.testing.assert_allclose(weighted.params, repeated.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_w.loss, h_r.loss, rtol=1e-12)


def test_unit_weights_train_as_no_weights(engine):
    X, y, _ = weighted_problem()
    a = fp.Network([3, 7, 1], engine=engine, seed=1)
    b = a.copy()
    ha = a.fit(X, y, epochs=3, batch_size=4, lr=0.2, seed=0)
    hb = b.fit(X, y, epochs=3, batch_size=4, lr=0.2, seed=0, sample_weight=np.ones(len(X)))
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ha.loss, hb.loss, rtol=1e-12)


def test_a_batch_of_zero_weights_changes_nothing(engine):
    X, y, _ = weighted_problem(n=10)
    w = np.r_[np.zeros(5), np.ones(5)]
    net = fp.Network([3, 4, 1], engine=engine, seed=1)
    half = net.copy()
    net.fit(X, y, epochs=1, batch_size=5, lr=0.5, shuffle=False, sample_weight=w)
    half.fit(X[5:], y[5:], epochs=1, batch_size=5, lr=0.5, shuffle=False)
    np.testing.assert_allclose(net.params, half.params, rtol=1e-14)


@pytest.mark.parametrize("weights, message", [
    (np.ones(22), "one weight per sample"),
    (np.ones((23, 1)), "1-D"),
    (np.r_[np.ones(22), -1.0], ">= 0"),
    (np.r_[np.ones(22), np.nan], "NaN"),
    (np.zeros(23), "0 for every sample"),
    (["a"] * 23, "real numbers"),
])
def test_bad_sample_weights_are_refused_and_lose_nothing(engine, weights, message):
    X, y, _ = weighted_problem()
    net = fp.Network([3, 7, 1], engine=engine, seed=1)
    before = net.params.tobytes()
    with pytest.raises((ValueError, TypeError), match="sample_weight") as info:
        net.fit(X, y, epochs=1, sample_weight=weights)
    assert message in str(info.value)
    assert net.params.tobytes() == before


# ------------------------------------------------- loss, gradients, evaluate
@pytest.mark.parametrize("loss, output", LOSS_OUTPUTS)
def test_weighted_loss_gradients_and_evaluate_of_a_network(engine, dtype, loss, output):
    """Network.loss (computed in chunks of 256 rows by the compiled engine: 600 rows span
    three), gradients and evaluate take sample_weight: the weighted means."""
    net, X, Y, w = problem(loss, output, dtype, n=600, seed=6)
    net = net.copy(engine=engine)
    tol = 1e-12 if dtype == "float64" else 1e-5
    rows = np.array([net.loss(X[i:i + 1], Y[i:i + 1]) for i in range(len(X))])
    expected = np.dot(w.astype(np.float64), rows) / w.astype(np.float64).sum()
    assert net.loss(X, Y, sample_weight=w) == pytest.approx(expected, rel=10 * tol)
    value, gw, gb = net.gradients(X, Y, sample_weight=w)
    ref_value, ref_grad = loss_and_grad("numpy", net, X, Y, w)
    assert value == pytest.approx(ref_value, rel=tol)
    flat = np.concatenate([np.concatenate([a.ravel(), b]) for a, b in zip(gw, gb)])
    np.testing.assert_allclose(flat, ref_grad, rtol=tol, atol=tol * np.abs(ref_grad).max())
    scores = net.evaluate(X, Y, sample_weight=w)
    assert scores["loss"] == pytest.approx(expected, rel=10 * tol)
    if loss == "cross_entropy":
        correct = net.predict(X).argmax(axis=1) == Y.argmax(axis=1)
        assert scores["accuracy"] == pytest.approx(np.average(correct, weights=w), rel=1e-12)
    # unweighted calls are unchanged
    assert net.loss(X, Y, sample_weight=np.ones(len(X))) == pytest.approx(net.loss(X, Y),
                                                                       rel=10 * tol)


def test_weighted_loss_refuses_bad_weights(engine):
    net, X, Y, _ = problem("mse", "identity", "float64")
    for method in (net.loss, net.gradients, net.evaluate):
        with pytest.raises(ValueError, match="sample_weight"):
            method(X, Y, sample_weight=np.ones(len(X) + 1))


def test_compiled_entry_points_check_the_weights_they_get():
    """The compiled engine never trusts a weights array: wrong size, dtype or layout is a
    clear error before any kernel runs, and nothing is written."""
    from fastprop import _engine, _sklearn_epoch

    net, X, Y, w = problem("mse", "identity", "float64")
    plan = get_engine("cython")._plan(net.arch)
    before = net.params.tobytes()
    bad = {"short": w[:-1], "float32": w.astype(np.float32), "strided": np.repeat(w, 2)[::2]}
    for name, weights in bad.items():
        with pytest.raises((ValueError, TypeError), match="weights"):
            _engine.loss(plan, net.params, X, Y, weights)
        grad = np.zeros_like(net.params)
        with pytest.raises((ValueError, TypeError), match="weights"):
            _engine.gradient(plan, net.params, X, Y, grad, None, weights)
        assert not grad.any(), name
        opt = fp.SGD(0.1)
        opt.bind(net.n_params, net.dtype)
        with pytest.raises((ValueError, TypeError), match="weights"):
            _engine.train(plan, net.params, X, Y, epochs=1, first_epoch=0, batch_size=4,
                          optimizer=opt, seed=None, losses=np.full(1, np.nan),
                          backup=net.params.copy(), backup_valid=False,
                          stop=np.zeros(1, np.int8), weights=weights)
        with pytest.raises((ValueError, TypeError), match="weights"):
            _sklearn_epoch.sklearn_epoch(plan, net.params, X, Y, None, 4, opt,
                                         loss_scale=1.0, grad_scale=1.0, alpha=0.0,
                                         sk_eps=-1.0, stop=np.zeros(1, np.int8),
                                         weights=weights)
        assert net.params.tobytes() == before, name


@pytest.mark.parametrize("weights, message", [
    (np.ones(10), "sample_weight"),
    (np.r_[np.ones(22), np.nan], "NaN"),
    (np.ones((23, 2)), "1D"),
])
def test_estimators_refuse_bad_sample_weights_and_keep_their_model(engine, weights, message):
    from fastprop.sklearn import MLPClassifier

    X, y, _ = weighted_problem()
    clf = MLPClassifier((5,), max_iter=5, random_state=0, engine=engine, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    coefs = [c.copy() for c in clf.coefs_]
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y, sample_weight=weights)
    for before, after in zip(coefs, clf.coefs_):
        assert before.tobytes() == after.tobytes()


@pytest.mark.parametrize("loss, class_weight", [
    ("cross_entropy", "balanced"), ("cross_entropy", {0: 2.0, 2: 0.5}),
    ("bce", "balanced"), ("bce", {1: 3.0}), ("bce-multilabel", "balanced"),
])
def test_class_weight_is_scikit_learns_sample_weight(engine, loss, class_weight):
    """fit(class_weight=...) trains exactly as fit(sample_weight=compute_sample_weight(
    class_weight, y)), times any sample_weight given too."""
    from sklearn.utils.class_weight import compute_sample_weight

    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 3))
    if loss == "cross_entropy":
        y, sizes = rng.choice(3, size=50, p=[0.6, 0.3, 0.1]), [3, 5, 3]
    elif loss == "bce":
        y, sizes = (rng.random(50) < 0.2).astype(float), [3, 5, 1]
    else:
        loss, y, sizes = "bce", (rng.random((50, 2)) < [0.2, 0.6]).astype(float), [3, 5, 2]
    base = rng.uniform(0.5, 2.0, size=50)
    nets = [fp.Network(sizes, loss=loss, engine=engine, seed=1) for _ in range(2)]
    nets[0].fit(X, y, epochs=3, batch_size=8, class_weight=class_weight,
                sample_weight=base)
    expected = compute_sample_weight(class_weight, y) * base
    nets[1].fit(X, y, epochs=3, batch_size=8, sample_weight=expected)
    np.testing.assert_allclose(nets[0].params, nets[1].params, rtol=1e-13, atol=1e-15)
    plain = fp.Network(sizes, loss=loss, engine=engine, seed=1)
    plain.fit(X, y, epochs=3, batch_size=8, sample_weight=base)
    assert not np.allclose(plain.params, nets[0].params)  # the class weights mattered


@pytest.mark.parametrize("net, y, class_weight, error, match", [
    (lambda: fp.Network([2, 1], loss="mse"), [0.0, 1.0], "balanced", ValueError,
     "needs a classification loss"),
    (lambda: fp.Network([2, 3], loss="cross_entropy"), [0, 1], {2: 1.0}, ValueError,
     "class 2, which does not occur"),
    (lambda: fp.Network([2, 1]), [0.0, 1.0], {1: -1.0}, ValueError, "must be a finite"),
    (lambda: fp.Network([2, 1]), [0.0, 1.0], "heavy", ValueError, "'balanced' or a map"),
    (lambda: fp.Network([2, 1]), [0.0, 1.0], [1.0, 2.0], TypeError, "'balanced' or a map"),
    (lambda: fp.Network([2, 1]), [0.2, 1.0], "balanced", ValueError, "0/1 targets"),
    (lambda: fp.Network([2, 2], loss="bce"), [[0, 1], [1, 1]], {1: 2.0}, ValueError,
     "needs one output"),
])
def test_bad_class_weights_are_named_and_change_nothing(net, y, class_weight, error, match):
    network = net()
    before = network.params.copy()
    with pytest.raises(error, match=match):
        network.fit([[0.0, 1.0], [1.0, 0.0]], y, epochs=2, class_weight=class_weight)
    assert (network.params == before).all() and network.epochs_trained == 0
