"""The activations of current MLPs — GELU (exact and tanh), SiLU, ELU, SELU, softplus —
and leaky ReLU's slope: trained in both engines and both dtypes as PyTorch trains them,
carried to PyTorch, ONNX and the model file."""

import numpy as np
import pytest

import fastprop as fp
from fastprop.activations import ACTIVATIONS

NEW = ["gelu", "gelu_tanh", "silu", "elu", "selu", "softplus"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", NEW)
def test_sgd_training_follows_pytorch(engine, dtype, name):
    """30 SGD steps on a 3→8→8→2 network, hidden and output layers of the activation,
    from the same weights: the parameters PyTorch reaches (its own module classes)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    X = (rng.normal(size=(60, 3)) * 3).astype(dtype)  # both tails: softplus's threshold
    y = rng.normal(size=(60, 2)).astype(dtype)
    net = fp.Network([3, 8, 8, 2], activation=name, output=name, loss="mse", dtype=dtype,
                     engine=engine, seed=4, init="xavier")
    net.params[...] *= 4 if dtype == "float64" else 2  # (float32: rounding compounds)
    record = ACTIVATIONS[name]
    layers = []
    for k, W in enumerate(net.weights):
        linear = torch.nn.Linear(*W.shape, dtype=getattr(torch, dtype))
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(net.biases[k].copy()))
        layers += [linear, getattr(torch.nn, record.torch)(**dict(record.torch_kwargs))]
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for start in range(0, 60, 2):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(torch.from_numpy(X[start:start + 2])),
                                            torch.from_numpy(y[start:start + 2]))
        loss.backward()
        optimizer.step()
    net.fit(X, y, epochs=1, batch_size=2, lr=0.01, shuffle=False)
    tol = 1e-10 if dtype == "float64" else 5e-5
    for k, W in enumerate(net.weights):
        expected = model[2 * k].weight.detach().numpy().T
        np.testing.assert_allclose(W, expected, rtol=tol, atol=tol * np.abs(expected).max())


@pytest.mark.parametrize("name", NEW)
def test_the_engines_agree_in_float32(name):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(20, 4)).astype(np.float32) * 4
    y = rng.normal(size=(20, 3)).astype(np.float32)
    nets = [fp.Network([4, 6, 3], activation=name, loss="mse", dtype="float32", seed=2,
                       engine=e) for e in ("numpy", "cython")]
    results = [net.gradients(X, y) for net in nets]
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-5)
    for a, b in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * np.abs(a).max())


def test_leaky_slope_is_the_networks_and_travels(tmp_path, engine):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 3)), rng.normal(size=(10, 1))
    net = fp.Network([3, 5, 1], activation="leaky_relu", loss="mse", engine=engine,
                     seed=0, leaky_slope=0.2)
    z = X @ net.weights[0] + net.biases[0]
    hidden = np.where(z > 0, z, 0.2 * z)
    np.testing.assert_allclose(net.predict(X), hidden @ net.weights[1] + net.biases[1],
                               rtol=1e-12)
    assert fp.gradcheck(net, X, y) < 1e-6
    other = fp.Network([3, 5, 1], activation="leaky_relu", loss="mse", engine=engine,
                       seed=0)
    assert not np.allclose(other.predict(X), net.predict(X))  # the default is 0.01
    net.save(tmp_path / "n.npz")
    assert fp.load(tmp_path / "n.npz").arch.leaky_slope == 0.2
    assert net.copy().arch.leaky_slope == 0.2
    torch = pytest.importorskip("torch")
    seq = net.to_torch()
    assert seq[1].negative_slope == 0.2
    with torch.no_grad():
        np.testing.assert_allclose(seq(torch.from_numpy(X)).numpy(), net.predict(X),
                                   rtol=1e-12)
    assert fp.Network.from_torch(seq, loss="mse").arch.leaky_slope == 0.2


@pytest.mark.parametrize("value, error", [("x", TypeError), (float("nan"), ValueError),
                                          (True, TypeError)])
def test_a_bad_leaky_slope_is_named(value, error):
    with pytest.raises(error, match="leaky_slope"):
        fp.Network([2, 3, 1], activation="leaky_relu", leaky_slope=value)


def test_the_trace_prints_the_new_activations():
    net = fp.Network([2, 2, 1], activation="gelu", output="softplus", loss="mse", seed=0)
    text = str(net.trace([1.0, -1.0], [0.5], lr=0.1))
    assert "gelu" in text and "softplus" in text and "Φ(z_" in text
    trace = net.trace([1.0, -1.0], [0.5], lr=0.1)
    _, gw, _ = net.gradients([1.0, -1.0], [0.5])
    np.testing.assert_allclose(trace.grad_weights[0], gw[0], rtol=1e-12)
