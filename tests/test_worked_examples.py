"""The three hand-worked examples (docs/worked-examples.md), number for number, on both engines.

Exact values are the float64 column of worked-examples/README.md (relative 1e-12); the
printed digits are what the texts show.
"""

import numpy as np
import pytest
from _helpers import close

import fastprop as fp
from fastprop.engines.numpy_engine import NumpyEngine


def printed(actual, text, digits):
    """Agrees with the text to its printed digits (the texts round or truncate)."""
    assert abs(float(actual) - text) < 10.0**-digits, (actual, text)


def forward_values(net, x):
    zs, acts = NumpyEngine().forward(net.arch, net.params, np.atleast_2d(np.asarray(x, float)))
    return [z[0] for z in zs], [a[0] for a in acts]


def test_two_inputs_sigmoid_mse(engine):
    ex = fp.examples.get("two-inputs-sigmoid-mse")
    net = ex.network(engine=engine)
    zs, acts = forward_values(net, ex.x)
    # z_h = 0.5·1 + 0.3·2 = 1.1 ; h = σ(1.1) ; ŷ = σ(0.8·h)
    close(zs[0][0], 1.1)
    close(acts[1][0], 0.7502601055951177)
    close(float(net.predict(ex.x)[0]), 0.6457039112315864)
    printed(acts[1][0], 0.750, 3)
    printed(net.predict(ex.x)[0], 0.646, 3)
    loss, gw, _ = net.gradients([ex.x], [ex.y])
    close(loss, 0.12552571851659558)  # (1 − 0.6457)²
    printed(loss, 0.125, 3)
    # δ_out = ∂L/∂z_out = −2(y − ŷ)·ŷ(1 − ŷ) ; ∂L/∂w3 = δ_out·h
    delta_out = -2 * (1 - 0.6457039112315864) * 0.6457039112315864 * (1 - 0.6457039112315864)
    close(delta_out, -0.1621048948126419)
    close(gw[1][0, 0], -0.12162083549961815)
    printed(gw[1][0, 0], -0.122, 3)
    # δ_h = δ_out·w3·h(1 − h) ; ∂L/∂w1 = δ_h·x1, ∂L/∂w2 = δ_h·x2
    close(gw[0][0, 0], -0.02429885969208656)
    close(gw[0][1, 0], -0.04859771938417312)
    printed(gw[0][0, 0], -0.0243, 4)
    printed(gw[0][1, 0], -0.0486, 4)
    before = net.step([ex.x], [ex.y], ex.lr)
    close(before, 0.12552571851659558)
    w1, w2, w3 = net.weights[0][0, 0], net.weights[0][1, 0], net.weights[1][0, 0]
    close(w1, 0.5024298859692087)
    close(w2, 0.3048597719384173)
    close(w3, 0.8121620835499619)
    for value, text in [(w1, 0.502), (w2, 0.305), (w3, 0.812)]:
        printed(value, text, 3)


def test_two_inputs_text_loss_digits():
    # The text computes L from the rounded ŷ = 0.646: (1 − 0.646)² = 0.125316 → 0.125.
    assert round((1 - 0.646) ** 2, 3) == 0.125


def test_one_input_sigmoid_bce(engine):
    ex = fp.examples.get("one-input-sigmoid-bce")
    net = ex.network(engine=engine)
    zs, acts = forward_values(net, ex.x)
    close(acts[1][0], 0.6224593312018546)
    printed(acts[1][0], 0.62246, 5)
    y_hat = float(net.predict(ex.x)[0])
    close(y_hat, 0.6507776782147005)
    printed(y_hat, 0.65078, 5)
    loss, gw, gb = net.gradients(ex.x, ex.y)
    assert gb == []
    close(loss, 0.42958720321948496)
    printed(loss, 0.42958, 5)
    # ∂L/∂z_o = ŷ − y ; ∂L/∂w_o = (ŷ − y)·a_h ; ∂a_h/∂z_h = a_h(1 − a_h) ;
    # ∂L/∂w_h = (ŷ − y)·w_o·a_h(1 − a_h)·x
    close(y_hat - 1.0, -0.34922232178529955)
    close(gw[1][0, 0], -0.21737669285923641)
    close(acts[1][0] * (1 - acts[1][0]), 0.2350037122015945)
    close(gw[0][0, 0], -0.08206854200320515)
    printed(gw[1][0, 0], -0.21737, 5)
    printed(gw[0][0, 0], -0.08206, 5)
    net.step(ex.x, ex.y, ex.lr)
    close(net.weights[1][0, 0], 1.0217376692859237)
    close(net.weights[0][0, 0], 0.5082068542003205)
    printed(net.weights[1][0, 0], 1.02174, 5)
    printed(net.weights[0][0, 0], 0.50821, 5)


def test_three_inputs_relu_sigmoid_bce(engine):
    ex = fp.examples.get("three-inputs-relu-sigmoid-bce")
    net = ex.network(engine=engine)
    zs, acts = forward_values(net, ex.x)
    np.testing.assert_array_equal(acts[1], [6.0, 6.0])  # D = E = 1 + 2 + 3
    F = float(net.predict(ex.x)[0])
    close(F, 1 / (1 + np.exp(-12.0)))
    assert F == pytest.approx(0.9999938558, abs=1e-10)
    loss = net.loss(ex.x, ex.y)  # y = 0: −log(1 − F) = softplus(12), computed from the logit
    close(loss, 12.000006144193478)
    assert loss == pytest.approx(12.000006144, abs=1e-9)
    net.step(ex.x, ex.y, ex.lr)  # ∂L/∂EF = (F − y)·E
    close(net.weights[1][1, 0], 1 - 5.99996313 * (1 + 0), rtol=1e-9)
    close(net.weights[1][1, 0], 1 - (F - 0.0) * 6.0)
    assert round(net.weights[1][1, 0], 8) == -4.99996313


def test_bce_is_finite_for_saturated_logits(engine):
    net = fp.Network([3, 2, 1], bias=False, init=1.0, engine=engine)
    # z = 2·(3·1000) = 6000: σ(z) rounds to 1, a naive log(1 − ŷ) would be −inf.
    loss, gw, _ = net.gradients([[1000.0, 1000.0, 1000.0]], [0.0])
    assert np.isfinite(loss) and loss == pytest.approx(6000.0, rel=1e-15)
    assert all(np.isfinite(g).all() for g in gw)


def test_six_points_follow_the_rule():
    X, y = fp.data.six_points()
    np.testing.assert_array_equal(y, (X[:, 2] > 0).astype(float))
    assert set(y) == {0.0, 1.0}
    assert (X.sum(axis=1) > 0).all()  # the all-ones network's hidden values are all positive
    np.testing.assert_array_equal(X[0], [1, 2, 3])


def test_example_network_learns_the_six_point_rule(engine):
    X, y = fp.data.six_points()
    net = fp.examples.get("three-inputs-relu-sigmoid-bce").network(engine=engine)
    net.fit(X, y, epochs=200, batch_size=6, lr=0.1, shuffle=False)
    assert net.evaluate(X, y)["accuracy"] == 1.0
    y_hat = net.predict(X)[:, 0]
    assert (y_hat[y == 1] > 0.5).all()
    # No biases, ReLU, and D = E forever (symmetric init): negatives can at best reach 0.5.
    np.testing.assert_array_equal(y_hat[y == 0], 0.5)
    np.testing.assert_array_equal(net.weights[0][:, 0], net.weights[0][:, 1])


def test_examples_registry():
    assert fp.examples.names() == [
        "three-inputs-relu-sigmoid-bce", "two-inputs-sigmoid-mse", "one-input-sigmoid-bce"]
    with pytest.raises(ValueError, match="no worked example"):
        fp.examples.get("nope")
