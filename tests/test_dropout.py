"""Dropout: inverted, on the hidden activations, during fit only; masks from the
documented generator, the same on both engines; carried by the file and PyTorch."""

import numpy as np
import pytest

import fastprop as fp
from fastprop.dropout import keep_scales


def _data(n=37, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), (rng.random(n) < 0.5).astype(float)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "gelu", "tanh"])
def test_the_engines_agree_with_dropout(dtype, activation):
    X, y = _data()
    nets = [fp.Network([4, 9, 7, 1], activation=activation, dropout=[0.3, 0.5], seed=1,
                       dtype=dtype, engine=e) for e in ("numpy", "cython")]
    for net in nets:
        net.fit(X, y, epochs=4, batch_size=8, optimizer=fp.Adam(0.01))
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(nets[0].params, nets[1].params, rtol=tol, atol=tol)
    plain = fp.Network([4, 9, 7, 1], activation=activation, seed=1, dtype=dtype)
    plain.fit(X, y, epochs=4, batch_size=8, optimizer=fp.Adam(0.01))
    assert not np.allclose(plain.params, nets[1].params)  # the masks mattered


def test_training_gradients_are_autograd_with_the_documented_masks(engine):
    """gradients(training=True) = PyTorch's autograd of the network with the masks of
    ``fastprop.dropout`` (seed, epoch 0, batch 0) multiplied into its hidden layers."""
    torch = pytest.importorskip("torch")
    X, y = _data(12)
    net = fp.Network([4, 6, 5, 1], activation="tanh", dropout=[0.4, 0.25], seed=3,
                     engine=engine)
    loss, gw, gb = net.gradients(X, y, training=True)
    masks = [keep_scales(p, (12, w), 3, 0, 0, layer, "float64")
             for layer, (p, w) in enumerate([(0.4, 6), (0.25, 5)], start=1)]
    Ws = [torch.tensor(W, requires_grad=True) for W in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    a = torch.tensor(X)
    for k in range(2):
        a = torch.tanh(a @ Ws[k] + bs[k]) * torch.tensor(masks[k])
    z = a @ Ws[2] + bs[2]
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        z, torch.tensor(y).reshape(-1, 1))
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    for ours, theirs in zip(gw + gb, Ws + bs, strict=True):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_dropout_only_in_training(engine):
    X, y = _data()
    net = fp.Network([4, 9, 1], dropout=0.5, seed=0, engine=engine)
    same = fp.Network([4, 9, 1], seed=0, engine=engine)
    assert (net.predict(X) == same.predict(X)).all()
    assert net.loss(X, y) == same.loss(X, y) and net.evaluate(X, y) == same.evaluate(X, y)
    assert net.gradients(X, y)[0] == same.gradients(X, y)[0]
    assert net.gradients(X, y, training=True)[0] != same.gradients(X, y)[0]


def test_masks_keep_about_one_minus_p_and_scale_the_kept():
    m = keep_scales(0.3, (400, 50), seed=5, epoch=2, batch=7, layer=1, dtype="float32")
    kept = m > 0
    assert m.dtype == np.float32 and 0.68 < kept.mean() < 0.72
    assert np.all(m[kept] == np.float32(1 / 0.7))
    other = keep_scales(0.3, (400, 50), seed=5, epoch=2, batch=8, layer=1, dtype="float32")
    assert (other != m).any()  # a new mask each step


def test_resumed_fits_draw_the_masks_of_one_long_fit(engine):
    X, y = _data()
    a, b = (fp.Network([4, 8, 1], dropout=0.3, seed=2, engine=engine) for _ in range(2))
    a.fit(X, y, epochs=3, batch_size=8, lr=0.1)
    a.fit(X, y, epochs=3, batch_size=8, lr=0.1)
    b.fit(X, y, epochs=6, batch_size=8, lr=0.1)
    np.testing.assert_array_equal(a.params, b.params)
    c = fp.Network([4, 8, 1], dropout=0.3, seed=2, engine=engine)
    c.fit(X, y, epochs=6, batch_size=8, lr=0.1, shuffle=False)
    assert not np.allclose(c.params, b.params)  # (no shuffle, but masks still drawn)


def test_the_file_copies_and_torch_carry_the_rates(tmp_path, engine):
    net = fp.Network([4, 6, 5, 2], loss="mse", dropout=[0.2, 0.0], seed=0, engine=engine)
    net.save(tmp_path / "d.npz")
    assert fp.load(tmp_path / "d.npz").arch.dropout == (0.2, 0.0)
    assert net.copy().arch.dropout == (0.2, 0.0)
    torch = pytest.importorskip("torch")
    seq = net.to_torch()
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Dropout", "Linear",
                                               "ReLU", "Linear"]
    assert not seq.training and seq[2].p == 0.2
    X = _data()[0]
    with torch.no_grad():
        np.testing.assert_allclose(seq(torch.from_numpy(X)).numpy(), net.predict(X),
                                   rtol=1e-12)
    back = fp.Network.from_torch(seq, loss="mse", engine=engine)
    assert back.arch.dropout == (0.2, 0.0) and (back.params == net.params).all()
    nn = torch.nn
    with pytest.raises(ValueError, match="after the output layer"):
        fp.Network.from_torch(nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.1)))


@pytest.mark.parametrize("dropout, error, match", [
    (1.0, ValueError, r"dropout\[0\] must be in \[0, 1\)"),
    (-0.1, ValueError, "must be in"), ([0.1], ValueError, "one rate or 2 rates"),
    ("0.2", TypeError, "dropout must be a rate"), (True, TypeError, "dropout must be"),
])
def test_bad_rates_are_named(dropout, error, match):
    with pytest.raises(error, match=match):
        fp.Network([3, 4, 4, 1], dropout=dropout)
