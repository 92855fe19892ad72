"""Interchange: scikit-learn estimators, torch.nn.Sequential and ONNX compute what the
network computes (torch and ONNX parts skip when those packages are not installed)."""

import os
import warnings

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

import fastprop as fp
from fastprop import interop
from fastprop import sklearn as fp_sklearn


def fitted(module, kind, **params):
    if kind == "regressor":
        X, y = make_regression(60, 4, n_targets=2, random_state=0)
        est = module.MLPRegressor(hidden_layer_sizes=(5, 3), max_iter=5, random_state=0,
                                  **params)
        y = y / 100
    else:
        if kind == "multilabel":
            X, y = make_multilabel_classification(60, 4, n_classes=3, random_state=0)
        else:
            X, y = make_classification(60, 4, n_informative=3, n_redundant=0,
                                       random_state=0, n_classes=2 if kind == "binary" else 3)
        est = module.MLPClassifier((5,), activation="tanh", max_iter=5, random_state=0,
                                   **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y), X


def network_outputs_of(est, X):
    """What Network.predict must give: predict_proba's positive column(s) or predict."""
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        return proba[:, 1:] if est.n_outputs_ == 1 else proba
    out = est.predict(X)
    return out.reshape(len(X), -1)


# ------------------------------------------------------------------ scikit-learn
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel", "regressor"])
@pytest.mark.parametrize("module", [neural_network, fp_sklearn], ids=["sklearn", "fastprop"])
def test_from_sklearn(engine, kind, module):
    est, X = fitted(module, kind)
    net = fp.Network.from_sklearn(est, engine=engine)
    assert net.engine == engine and net.bias
    assert net.loss_name == {"binary": "bce", "multilabel": "bce", "multiclass": "cross_entropy",
                             "regressor": "mse"}[kind]
    np.testing.assert_allclose(net.predict(X), network_outputs_of(est, X), rtol=1e-12,
                               atol=1e-15)
    est.coefs_[0][...] = 0.0  # a copy: the network does not share the estimator's memory
    assert np.abs(net.weights[0]).max() > 0


def test_a_poisson_regressor_goes_both_ways(engine):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    est = neural_network.MLPRegressor(hidden_layer_sizes=(6,), loss="poisson", max_iter=30,
                                      random_state=0)
    with pytest.warns(Warning):
        est.fit(X, y)
    net = fp.Network.from_sklearn(est, engine=engine)
    assert net.loss_name == "poisson" and net.output == "exp"
    np.testing.assert_allclose(net.predict(X)[:, 0], est.predict(X), rtol=1e-12)
    back = net.to_sklearn()
    assert back.loss == "poisson" and back.out_activation_ == "exp"
    np.testing.assert_allclose(back.predict(X), est.predict(X), rtol=1e-12)
    with pytest.raises(ValueError, match="no MLP with output 'identity' and loss 'mae'"):
        fp.Network([3, 2, 1], loss="mae").to_sklearn()


def test_from_sklearn_rejects_what_it_cannot_represent():
    with pytest.raises(TypeError, match="fitted"):
        fp.Network.from_sklearn(neural_network.MLPClassifier())
    est, _ = fitted(neural_network, "regressor")
    est.out_activation_ = "softplus"
    with pytest.raises(ValueError, match="no fastprop equivalent"):
        fp.Network.from_sklearn(est)


@pytest.mark.parametrize("fastprop_estimator", [False, True])
@pytest.mark.parametrize("sizes, output, loss", [
    ([4, 6, 1], "sigmoid", "bce"), ([4, 6, 3], "sigmoid", "bce"),
    ([4, 6, 5, 3], "softmax", "cross_entropy"), ([4, 2], "softmax", "cross_entropy"),
    ([4, 6, 2], "identity", "mse"), ([4, 1], "identity", "mse"),
])
def test_to_sklearn_predicts_what_the_network_predicts(engine, sizes, output, loss,
                                                       fastprop_estimator):
    net = fp.Network(sizes, activation="tanh", output=output, loss=loss, engine=engine,
                     init="uniform", seed=3)
    est = interop.to_sklearn(net, fastprop=fastprop_estimator)
    X = np.random.default_rng(0).normal(size=(20, 4))
    expected = net.predict(X)
    np.testing.assert_allclose(network_outputs_of(est, X), expected[:, 1:]
                               if (output, sizes[-1]) == ("softmax", 2) else expected,
                               rtol=1e-12, atol=1e-15)
    assert est.n_features_in_ == 4 and est.hidden_layer_sizes == tuple(sizes[1:-1])
    assert est.activation == "tanh" or len(sizes) == 2
    if loss == "cross_entropy":
        np.testing.assert_array_equal(est.predict(X), expected.argmax(axis=1))
    back = fp.Network.from_sklearn(est, engine=engine)
    np.testing.assert_allclose(back.predict(X)[:, -1], expected[:, -1], rtol=1e-12)


def test_to_sklearn_estimator_keeps_training(engine):
    X, y = make_classification(80, 4, n_informative=3, n_redundant=0, n_classes=3,
                               random_state=0)
    net = fp.Network([4, 8, 3], loss="cross_entropy", engine=engine, seed=0)
    est = net.to_sklearn()
    before = est.score(X, y)
    for _ in range(100):
        est.partial_fit(X, y)
    assert est.score(X, y) > before and len(est.loss_curve_) == 100


def test_to_sklearn_classes_and_no_bias():
    net = fp.Network([3, 4, 3], loss="cross_entropy", bias=False, seed=0)
    est = interop.to_sklearn(net, classes=["a", "b", "c"])
    assert list(est.classes_) == ["a", "b", "c"]
    assert all((b == 0).all() for b in est.intercepts_)
    with pytest.raises(ValueError, match="3 distinct labels"):
        interop.to_sklearn(net, classes=["a", "a", "b"])


@pytest.mark.parametrize("kwargs, match", [
    ({"activation": "leaky_relu"}, "one hidden activation"),
    ({"activation": ["relu", "tanh"]}, "one hidden activation"),
    ({"output": "sigmoid", "loss": "mse"}, "no MLP with output"),
])
def test_to_sklearn_rejects_what_it_cannot_represent(kwargs, match):
    sizes = [3, 4, 4, 2] if isinstance(kwargs.get("activation"), list) else [3, 4, 2]
    with pytest.raises(ValueError, match=match):
        fp.Network(sizes, **{"loss": "bce", **kwargs}).to_sklearn()


# ----------------------------------------------------------------------- PyTorch
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation, output, loss, bias", [
    (["relu", "leaky_relu"], "sigmoid", "bce", True),
    (["tanh", "identity"], "softmax", "cross_entropy", False),
    (["sigmoid"], "identity", "mse", True),
    ([], "tanh", "mse", True),
    (["gelu", "gelu_tanh", "silu"], "elu", "mse", True),
    (["selu", "softplus", "elu"], "softplus", "mse", False),
])
def test_torch_round_trip(torch, engine, dtype, activation, output, loss, bias):
    sizes = [4] + [6] * len(activation) + [3]
    net = fp.Network(sizes, activation=activation, output=output, loss=loss, bias=bias,
                     dtype=dtype, engine=engine, init="uniform", seed=1)
    seq = net.to_torch()
    X = np.random.default_rng(0).normal(size=(9, 4)).astype(dtype)
    with torch.no_grad():
        out = seq(torch.from_numpy(X)).numpy()
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, net.predict(X), rtol=1e-12 if dtype == "float64" else 1e-5,
                               atol=1e-6 if dtype == "float32" else 0)
    back = fp.Network.from_torch(seq, loss=loss, engine=engine)
    assert back.activations == net.activations and back.loss_name == loss
    assert back.bias == bias and back.dtype == net.dtype and back.engine == engine
    np.testing.assert_array_equal(back.params, net.params)
    seq[0].weight.data.zero_()  # a copy, in both directions
    assert np.abs(net.weights[0]).max() > 0 and np.abs(back.weights[0]).max() > 0


def test_from_torch_logits_and_loss_inference(torch):
    nn = torch.nn
    logits = nn.Sequential(nn.Linear(3, 5), nn.Sequential(nn.ReLU(), nn.Linear(5, 4)))
    assert fp.Network.from_torch(logits).loss_name == "mse"
    net = fp.Network.from_torch(logits, loss="cross_entropy")
    assert net.output == "softmax" and net.sizes == (3, 5, 4)
    assert fp.Network.from_torch(nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())).loss_name == "bce"
    net = fp.Network.from_torch(nn.Linear(3, 2, bias=False), loss="bce")
    assert net.output == "sigmoid" and not net.bias
    two = fp.Network.from_torch(nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)))
    assert two.activations == ("identity", "identity")


@pytest.mark.parametrize("build, match", [
    (lambda nn: nn.Sequential(nn.Linear(3, 4), nn.AlphaDropout(0.5), nn.Linear(4, 1)),
     "not supported"),
    (lambda nn: nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Linear(4, 4),
                              nn.LeakyReLU(0.1), nn.Linear(4, 1)), "same negative_slope"),
    (lambda nn: nn.Sequential(nn.Linear(3, 4), nn.ELU(alpha=0.5), nn.Linear(4, 1)),
     "alpha=1.0"),
    (lambda nn: nn.Sequential(nn.Linear(3, 4), nn.Softplus(beta=2), nn.Linear(4, 1)),
     "beta=1.0"),
    (lambda nn: nn.Sequential(nn.ReLU(), nn.Linear(3, 1)), "must follow a Linear"),
    (lambda nn: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Tanh()), "must follow a Linear"),
    (lambda nn: nn.Sequential(nn.Linear(3, 4), nn.Softmax(dim=1), nn.Linear(4, 2)),
     "Softmax can only be the last"),
    (lambda nn: nn.Sequential(nn.Linear(3, 4), nn.Softmax(dim=0)), "last dimension"),
    (lambda nn: nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2, bias=False)), "bias"),
    (lambda nn: nn.Sequential(nn.Linear(3, 4, dtype=nn.Linear(1, 1).weight.dtype),
                              nn.Linear(4, 2).double()), "float32 or all float64"),
    (lambda nn: nn.Sequential(nn.Tanh()), "must follow"),
])
def test_from_torch_rejects_what_it_cannot_represent(torch, build, match):
    with pytest.raises(ValueError, match=match):
        fp.Network.from_torch(build(torch.nn))


def test_from_torch_needs_a_module(torch):
    with pytest.raises(TypeError, match="Sequential"):
        fp.Network.from_torch([torch.nn.Linear(2, 2)])
    with pytest.raises(ValueError, match="no Linear"):
        fp.Network.from_torch(torch.nn.Sequential())


# -------------------------------------------------------------------------- ONNX
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation, output, loss, bias", [
    (["relu", "leaky_relu", "tanh"], "sigmoid", "bce", True),
    (["sigmoid", "identity"], "softmax", "cross_entropy", False),
    (["leaky_relu"], "identity", "mse", True),
    ([], "softmax", "mse", True),
    (["gelu", "gelu_tanh", "silu"], "elu", "mse", True),
    (["selu", "softplus"], "softplus", "mse", False),
])
def test_onnx_export_runs_like_predict(tmp_path, dtype, activation, output, loss, bias):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    sizes = [5] + [7] * len(activation) + [3]
    net = fp.Network(sizes, activation=activation, output=output, loss=loss, bias=bias,
                     dtype=dtype, init="uniform", seed=2)
    path = tmp_path / "model.onnx"
    net.to_onnx(path)
    assert os.listdir(tmp_path) == ["model.onnx"]  # written atomically, nothing left over
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    X = np.random.default_rng(1).normal(size=(11, 5)).astype(dtype)
    (out,) = session.run(None, {"X": X})
    assert out.dtype == np.dtype(dtype) and out.shape == (11, 3)
    rtol = 1e-5 if dtype == "float32" else 1e-6 if "gelu" in activation else 1e-12
    np.testing.assert_allclose(out, net.predict(X), rtol=rtol,
                               atol=1e-6 if dtype == "float32" else 1e-12)


def test_onnx_missing_package_is_a_clear_error(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(ImportError, match="pip install onnx"):
        fp.Network([2, 1]).to_onnx(tmp_path / "m.onnx")
