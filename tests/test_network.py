"""Network construction, the flat buffer, set_weights, predict shapes, copy, repr."""

import pickle

import numpy as np
import pytest

import fastprop as fp


def test_weights_and_biases_are_views_of_one_flat_buffer(engine):
    net = fp.Network([3, 4, 2], engine=engine, seed=0)
    assert net.params.shape == (3 * 4 + 4 + 4 * 2 + 2,) == (net.n_params,)
    assert [w.shape for w in net.weights] == [(3, 4), (4, 2)]
    assert [b.shape for b in net.biases] == [(4,), (2,)]
    for arr in net.weights + net.biases:
        assert np.shares_memory(arr, net.params)
    net.weights[1][2, 1] = 42.0
    assert 42.0 in net.params
    net.params[:] = 0
    assert all((w == 0).all() for w in net.weights)


def test_no_bias_network_has_no_bias_parameters():
    net = fp.Network([3, 2, 1], bias=False, init=1.0)
    assert net.biases == () and net.n_params == 8 and (net.params == 1).all()


@pytest.mark.parametrize("init", ["he", "xavier", "normal", "uniform", 0.5])
def test_initialisers_are_seeded_and_scaled(init):
    a = fp.Network([50, 40, 3], init=init, seed=3)
    b = fp.Network([50, 40, 3], init=init, seed=3)
    c = fp.Network([50, 40, 3], init=init, seed=4)
    assert a.params.tobytes() == b.params.tobytes()
    W = a.weights[0]
    if init == 0.5:
        assert (W == 0.5).all() and (a.biases[0] == 0).all()
        return
    assert a.params.tobytes() != c.params.tobytes()
    expected_std = {"he": np.sqrt(2 / 50), "xavier": np.sqrt(6 / 90) / np.sqrt(3),
                    "normal": np.sqrt(1 / 50), "uniform": 1 / np.sqrt(50) / np.sqrt(3)}[init]
    assert W.std() == pytest.approx(expected_std, rel=0.1)
    assert (a.biases[0] == 0).all() != (init == "uniform")


def test_set_weights_copies_in_and_keeps_biases():
    net = fp.Network([2, 2, 1], seed=0)
    b_before = [b.copy() for b in net.biases]
    net.set_weights([np.eye(2), [[1], [2]]])
    np.testing.assert_array_equal(net.weights[0], np.eye(2))
    np.testing.assert_array_equal(net.weights[1], [[1], [2]])
    for b, old in zip(net.biases, b_before):
        np.testing.assert_array_equal(b, old)
    net.set_weights([np.zeros((2, 2)), np.zeros((2, 1))], [[1, 2], [3]])
    np.testing.assert_array_equal(net.biases[0], [1, 2])


def test_predict_shapes(engine):
    net = fp.Network([3, 4, 2], loss="mse", engine=engine, seed=0)
    assert net.predict(np.zeros((5, 3))).shape == (5, 2)
    assert net.predict([1, 2, 3]).shape == (2,)
    np.testing.assert_allclose(net.predict([1, 2, 3]), net.predict([[1, 2, 3]])[0])


def test_softmax_outputs_are_probabilities(engine):
    net = fp.Network([3, 4, 5], loss="cross_entropy", engine=engine, seed=0)
    p = net.predict(np.random.default_rng(0).normal(size=(6, 3)) * 100)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


def test_default_output_follows_loss():
    assert fp.Network([2, 1]).output == "sigmoid"
    assert fp.Network([2, 1], loss="mse").output == "identity"
    assert fp.Network([2, 3], loss="cross_entropy").output == "softmax"


def test_per_layer_activations_and_repr():
    net = fp.Network([2, 3, 3, 1], activation=["tanh", "relu"], loss="mse", output="sigmoid",
                     engine="numpy")
    assert net.activations == ("tanh", "relu", "sigmoid")
    assert repr(net) == "Network([2, 3, 3, 1], tanh→relu→sigmoid, mse, float64, numpy)"
    assert repr(fp.Network([3, 2, 1], bias=False)) == \
        "Network([3, 2, 1], relu→sigmoid, bce, float64, cython, no bias)"


def test_copy_is_independent_and_can_change_dtype_and_engine():
    net = fp.Network([2, 3, 1], seed=0)
    twin = net.copy()
    twin.params[:] = 0
    assert (net.params != 0).any()
    n32 = net.copy(dtype="float32", engine="numpy")
    assert n32.dtype == np.float32 and n32.engine == "numpy"
    np.testing.assert_allclose(n32.params, net.params, rtol=1e-7)


def test_pickle_round_trip(engine):
    net = fp.Network([2, 3, 1], engine=engine, seed=0)
    back = pickle.loads(pickle.dumps(net))
    assert back.params.tobytes() == net.params.tobytes() and back.engine == engine
    assert np.shares_memory(back.weights[0], back.params)
    X = [[0.1, 0.2]]
    np.testing.assert_array_equal(back.predict(X), net.predict(X))


def test_version():
    assert isinstance(fp.__version__, str) and fp.__version__.count(".") >= 2
