"""Backprop against central finite differences, every activation × loss, both engines."""

import zlib

import numpy as np
import pytest

import fastprop as fp
from fastprop.activations import ACTIVATIONS

HIDDEN = [a.name for a in ACTIVATIONS.values() if not a.output_only]
MSE_OUTPUTS = list(ACTIVATIONS)
LOSS_OUTPUTS = [("mse", o) for o in MSE_OUTPUTS] + [
    ("bce", "sigmoid"), ("cross_entropy", "softmax"), ("mae", "identity"), ("mae", "tanh"),
    ("huber", "identity"), ("huber", "softmax"), ("poisson", "exp")]


def _targets(loss, rng, n, k):
    if loss == "bce":
        return rng.uniform(size=(n, k))
    if loss == "cross_entropy":
        return rng.integers(0, k, size=n)
    if loss == "poisson":
        return rng.poisson(1.5, size=(n, k)).astype(float)
    return rng.normal(size=(n, k))


@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("loss,output", LOSS_OUTPUTS)
def test_gradcheck_every_activation_and_loss(engine, activation, loss, output):
    rng = np.random.default_rng(zlib.crc32(f"{activation}-{loss}-{output}".encode()))
    net = fp.Network([4, 5, 3, 3], activation=activation, output=output, loss=loss,
                     init="normal", engine=engine, seed=1)
    if net.bias:
        for b in net.biases:
            b[...] = rng.normal(scale=0.3, size=b.shape)
    X = _off_the_kinks(net, rng)
    err = fp.gradcheck(net, X, _targets(loss, rng, 7, 3))
    assert err < 1e-6


def _off_the_kinks(net, rng, margin=1e-3):
    """Inputs whose pre-activations all lie more than ``margin`` from 0, where ReLU's f′
    and ELU's f″ jump: a finite difference straddling the jump measures the jump, not
    the gradient (both are checked against PyTorch's autograd elsewhere)."""
    from fastprop.engines import get_engine

    for _ in range(100):
        X = rng.normal(size=(7, 4))
        zs, _ = get_engine("numpy").forward(net.arch, net.params, X)
        if min(float(np.abs(z).min()) for z in zs) > margin:
            return X
    raise AssertionError("no inputs off the kinks")


@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck_deep_and_without_bias(engine, bias):
    rng = np.random.default_rng(3)
    net = fp.Network([3, 6, 4, 5, 2], activation=["tanh", "sigmoid", "leaky_relu"],
                     loss="bce", bias=bias, init="xavier", engine=engine, seed=2)
    assert fp.gradcheck(net, rng.normal(size=(9, 3)), rng.integers(0, 2, size=(9, 2))) < 1e-6


def test_gradcheck_detects_a_wrong_gradient(engine, monkeypatch):
    """The check can fail: corrupt backprop and it must report a large error."""
    net = fp.Network([3, 4, 1], activation="tanh", loss="mse", engine=engine, seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=5)
    eng = net._engine
    original = type(eng).loss_and_grad

    def wrong(self, arch, params, X, Y, grad):
        loss = original(self, arch, params, X, Y, grad)
        grad[0] *= 1.5
        return loss

    monkeypatch.setattr(type(eng), "loss_and_grad", wrong)
    assert fp.gradcheck(net, X, y) > 0.1


def test_gradcheck_float32_network_uses_float64_copy(engine):
    net = fp.Network([2, 3, 1], activation="sigmoid", dtype="float32", engine=engine, seed=0)
    before = net.params.copy()
    rng = np.random.default_rng(0)
    assert fp.gradcheck(net, rng.normal(size=(4, 2)), [0, 1, 1, 0]) < 1e-6
    assert net.params.dtype == np.float32 and (net.params == before).all()
