"""fastprop's math is PyTorch's: gradients equal autograd, and fit equals torch.optim.

On a seeded grid of random architectures (depth 1–4, widths 1–64, every hidden
activation, every loss with every output it allows, with and without biases), the
network's initial weights are copied into an equivalent ``torch.nn.Sequential`` built
here independently of ``fastprop.interop``. In float64:

* ``net.gradients`` equals autograd's gradients (relative 1e-10);
* 30 steps of ``net.fit(..., shuffle=False)`` (SGD with momentum 0/0.9, Nesterov on/off,
  weight decay; Adam) end at torch.optim's weights on the same batches (relative 1e-8).

Skipped without torch (``pip install torch==2.13.0``; CI installs it).
"""

import numpy as np
import pytest

import fastprop as fp
from fastprop.activations import ACTIVATIONS

torch = pytest.importorskip("torch")
nn = torch.nn

@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """These tensors are tiny: torch's thread pool only adds overhead (and contention)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


HIDDEN = [a.name for a in ACTIVATIONS.values() if not a.output_only]
#: (loss, output activation): every loss, and mse with every output activation.
HEADS = [("bce", "sigmoid"), ("cross_entropy", "softmax")] + \
    [("mse", a) for a in ACTIVATIONS] + \
    [("mae", "identity"), ("mae", "tanh"), ("huber", "identity"), ("huber", "sigmoid"),
     ("poisson", "exp")]


class _Exp(nn.Module):  # torch has no module for e^z (the rate of a Poisson output)
    def forward(self, z):
        return torch.exp(z)


def _torch_activation(name):
    """The torch module of the catalogue's record, built independently of fastprop's
    interchange: class and fixed arguments, the slope for leaky ReLU."""
    record = ACTIVATIONS[name]
    if record.torch is None:
        return _Exp()
    kwargs = dict(record.torch_kwargs)
    if record.uses_slope:
        kwargs["negative_slope"] = 0.01
    if name == "softmax":
        kwargs["dim"] = 1
    return getattr(nn, record.torch)(**kwargs)


TORCH_ACT = {name: (lambda name=name: _torch_activation(name)) for name in ACTIVATIONS}


def architecture(case: int):
    """Case ``case`` of the grid: cycles through heads, biases and hidden activations;
    depth and widths are drawn from a generator seeded by the case number."""
    rng = np.random.default_rng(7000 + case)
    depth = int(rng.integers(1, 5))  # layers of weights
    sizes = [int(s) for s in rng.integers(1, 65, size=depth + 1)]
    if case % 5 == 0:  # make width 1 and width 64 common, not just possible
        sizes[int(rng.integers(0, depth + 1))] = 1
    elif case % 5 == 1:
        sizes[int(rng.integers(0, depth + 1))] = 64
    loss, output = HEADS[case % len(HEADS)]
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    hidden = [HIDDEN[(case + j) % len(HIDDEN)] for j in range(depth - 1)]
    bias = (case // len(HEADS)) % 2 == 0
    return sizes, hidden, output, loss, bias


def make_case(case: int, engine: str, n: int):
    sizes, hidden, output, loss, bias = architecture(case)
    net = fp.Network(sizes, activation=hidden, output=output, loss=loss, bias=bias,
                     init="uniform" if bias else "xavier", dtype="float64", engine=engine,
                     seed=case, huber_delta=0.5 if case % 2 else 1.0)
    rng = np.random.default_rng(case)
    X = rng.normal(size=(n, sizes[0]))
    if loss == "bce":
        y = (rng.random((n, sizes[-1])) < 0.5).astype(np.float64)
    elif loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], size=n)
    elif loss == "poisson":
        y = rng.poisson(2.0, size=(n, sizes[-1])).astype(np.float64)
    else:
        y = rng.normal(size=(n, sizes[-1]))
    return net, X, y


def torch_copy(net):
    """(body, loss_fn): ``body`` maps x to the last pre-activation (the logits), with the
    network's weights; ``loss_fn(body, X, y)`` is the torch loss with fastprop's meaning."""
    layers = []
    for layer, W in enumerate(net.weights):
        linear = nn.Linear(W.shape[0], W.shape[1], bias=net.bias, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(W.T))
            if net.bias:
                linear.bias.copy_(torch.tensor(net.biases[layer]))
        layers.append(linear)
        if layer < len(net.weights) - 1:
            layers.append(TORCH_ACT[net.activations[layer]]())
    body = nn.Sequential(*layers)
    if net.loss_name == "bce":
        def loss_fn(model, X, y):
            return nn.functional.binary_cross_entropy_with_logits(model(X), y)
    elif net.loss_name == "cross_entropy":
        def loss_fn(model, X, y):
            return nn.functional.cross_entropy(model(X), y)
    elif net.loss_name == "poisson":  # the body gives the log-rate
        def loss_fn(model, X, y):
            return nn.functional.poisson_nll_loss(model(X), y, log_input=True, full=False)
    else:
        head = TORCH_ACT[net.output]()
        delta = net.arch.huber_delta
        pointwise = {"mse": nn.functional.mse_loss, "mae": nn.functional.l1_loss,
                     "huber": lambda a, y: nn.functional.huber_loss(a, y, delta=delta)}
        compare = pointwise[net.loss_name]

        def loss_fn(model, X, y):
            return compare(head(model(X)), y)
    return body, loss_fn


def torch_params(body):
    """Weights (fan_in, fan_out) and biases of the Linear layers, as NumPy arrays."""
    linears = [m for m in body if isinstance(m, nn.Linear)]
    weights = [m.weight.detach().numpy().T for m in linears]
    biases = [m.bias.detach().numpy() for m in linears if m.bias is not None]
    return weights, biases


def torch_tensors(X, y):
    Xt = torch.tensor(X)
    yt = torch.tensor(y) if y.dtype.kind == "f" else torch.tensor(y, dtype=torch.long)
    return Xt, yt


def assert_close(actual, expected, rtol):
    """Elementwise, relative to each array's scale: |a − e| <= rtol·max(|e|, scale)."""
    for a, e in zip(actual, expected, strict=True):
        scale = max(float(np.abs(e).max(initial=0.0)), 1e-300)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * scale)


def test_grid_covers_the_spec():
    cases = [architecture(c) for c in range(len(HEADS) * 3)]
    assert {len(s) - 1 for s, *_ in cases} == {1, 2, 3, 4}
    assert {a for _, h, *_ in cases for a in h} == set(HIDDEN)
    assert {(loss, out) for _, _, out, loss, _ in cases} == set(HEADS)
    assert {b for *_, b in cases} == {True, False}
    widths = [w for s, *_ in cases for w in s]
    assert min(widths) == 1 and max(widths) == 64


@pytest.mark.parametrize("case", range(len(HEADS) * 3))
def test_gradients_equal_autograd(engine, case):
    net, X, y = make_case(case, engine, n=23)
    loss, grad_w, grad_b = net.gradients(X, y)
    body, loss_fn = torch_copy(net)
    t_loss = loss_fn(body, *torch_tensors(X, y))
    t_loss.backward()
    linears = [m for m in body if isinstance(m, nn.Linear)]
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    assert_close(grad_w, [m.weight.grad.numpy().T for m in linears], rtol=1e-10)
    assert_close(grad_b, [m.bias.grad.numpy() for m in linears if net.bias], rtol=1e-10)


OPTIMIZERS = {
    "sgd": (lambda: fp.SGD(0.02), lambda p: torch.optim.SGD(p, lr=0.02)),
    "sgd-momentum": (lambda: fp.SGD(0.02, momentum=0.9),
                     lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9)),
    "sgd-nesterov": (lambda: fp.SGD(0.02, momentum=0.9, nesterov=True),
                     lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9, nesterov=True)),
    "sgd-weight-decay": (lambda: fp.SGD(0.02, weight_decay=0.05),
                         lambda p: torch.optim.SGD(p, lr=0.02, weight_decay=0.05)),
    "sgd-nesterov-weight-decay": (
        lambda: fp.SGD(0.02, momentum=0.9, nesterov=True, weight_decay=0.05),
        lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.05)),
    "adam": (lambda: fp.Adam(0.005), lambda p: torch.optim.Adam(p, lr=0.005)),
    "adam-weight-decay": (
        lambda: fp.Adam(0.005, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05),
        lambda p: torch.optim.Adam(p, lr=0.005, betas=(0.8, 0.99), eps=1e-6,
                                   weight_decay=0.05)),
    "amsgrad": (lambda: fp.Adam(0.01, amsgrad=True, weight_decay=0.01),
                lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.01)),
    "adamw": (lambda: fp.AdamW(0.01), lambda p: torch.optim.AdamW(p, lr=0.01)),
    "adamw-amsgrad": (
        lambda: fp.AdamW(0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True),
        lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1,
                                    amsgrad=True)),
    "rmsprop": (lambda: fp.RMSprop(0.005), lambda p: torch.optim.RMSprop(p, lr=0.005)),
    "rmsprop-centered-momentum": (
        lambda: fp.RMSprop(0.002, alpha=0.9, momentum=0.8, centered=True,
                           weight_decay=0.01),
        lambda p: torch.optim.RMSprop(p, lr=0.002, alpha=0.9, momentum=0.8, centered=True,
                                      weight_decay=0.01)),
    "adagrad": (lambda: fp.Adagrad(0.05), lambda p: torch.optim.Adagrad(p, lr=0.05)),
    "adagrad-decay": (
        lambda: fp.Adagrad(0.05, lr_decay=0.01, weight_decay=0.01,
                           initial_accumulator_value=0.1, eps=1e-8),
        lambda p: torch.optim.Adagrad(p, lr=0.05, lr_decay=0.01, weight_decay=0.01,
                                      initial_accumulator_value=0.1, eps=1e-8)),
}


@pytest.mark.parametrize("case", range(0, len(HEADS) * 3, 3))
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_fit_equals_torch_optim(engine, name, case):
    n, batch_size, epochs = 55, 10, 5  # 6 batches (the last of 5) x 5 epochs = 30 steps
    net, X, y = make_case(case + len(name), engine, n=n)
    make_fp, make_torch = OPTIMIZERS[name]
    body, loss_fn = torch_copy(net)
    optimizer = make_torch(body.parameters())
    Xt, yt = torch_tensors(X, y)
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            optimizer.zero_grad()
            loss_fn(body, Xt[start:start + batch_size], yt[start:start + batch_size]).backward()
            optimizer.step()
    history = net.fit(X, y, epochs=epochs, batch_size=batch_size, optimizer=make_fp(),
                      shuffle=False)
    assert len(history.loss) == epochs
    weights, biases = torch_params(body)
    assert all(np.isfinite(w).all() for w in weights)
    assert_close(net.weights, weights, rtol=1e-8)
    assert_close(net.biases, biases, rtol=1e-8)
