"""The catalogues are the one source of truth: the codes that cross into the kernels are
the same on both sides, and every table elsewhere is derived from the records."""

import numpy as np
import pytest

import fastprop as fp
from fastprop import _codes, activations, losses, optim
from fastprop.engines import get_engine


@pytest.mark.parametrize("enum, catalogue", [
    (_codes.ActivationCode, {a.name: a.code for a in activations.ACTIVATIONS.values()}),
    (_codes.LossCode, {loss.name: loss.code for loss in losses.LOSSES.values()}),
    (_codes.OptimizerCode, {name: cls.code for name, cls in optim.OPTIMIZERS.items()}),
])
def test_python_codes_equal_the_kernels_codes(enum, catalogue):
    assert {member.name.lower(): member.value for member in enum} == catalogue


def test_codes_are_distinct_and_dense():
    for enum in (_codes.ActivationCode, _codes.LossCode, _codes.OptimizerCode, _codes.Status):
        assert sorted(m.value for m in enum) == list(range(len(enum)))


def test_status_codes_are_what_the_engine_returns(rng):
    net = fp.Network([2, 3, 1], seed=0)
    X, y = rng.normal(size=(8, 2)), rng.integers(0, 2, 8)
    Xv, Y = net._data(X, y)
    engine = get_engine("cython")
    from fastprop import _engine

    status, _, _ = _engine.train(
        engine._plan(net.arch), net.params, Xv, Y, epochs=1, first_epoch=0, batch_size=4,
        optimizer=fp.SGD(0.1), seed=None, losses=np.zeros(1), backup=net.params.copy(),
        backup_valid=False, stop=np.zeros(1, np.int8))
    assert status == _codes.Status.DONE
    net.params[0] = 1e308
    X_huge = np.full_like(Xv, 1e300)
    status, epoch, batch = _engine.train(
        engine._plan(net.arch), net.params, X_huge, Y, epochs=1, first_epoch=0,
        batch_size=4, optimizer=fp.SGD(1e300), seed=None, losses=np.zeros(1),
        backup=net.params.copy(), backup_valid=False, stop=np.zeros(1, np.int8))
    assert status in (_codes.Status.DIVERGED_LOSS, _codes.Status.DIVERGED_UPDATE)
    assert (epoch, batch) == (0, 0)


def test_an_optimizer_with_an_unknown_code_is_refused_by_the_kernels(rng):
    class Bogus(optim.SGD):
        code = 99

    net = fp.Network([2, 2, 1], seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError, match="unknown optimizer"):
        net.fit(rng.normal(size=(4, 2)), [0, 1, 0, 1], epochs=1, optimizer=Bogus(0.1))
    assert (net.params == before).all()


def test_every_activation_record_is_complete_and_used_by_both_engines(rng):
    z = rng.normal(size=(5, 3))
    for act in activations.ACTIVATIONS.values():
        a = act.forward(z, activations.LEAKY_SLOPE)
        assert a.shape == z.shape and np.isfinite(a).all()
        assert act.symbol and (act.torch or act.output_only)  # exp: to_torch ends at z
        if act.derivative is not None:  # f′ against a central difference of f
            slope, h = activations.LEAKY_SLOPE, 1e-6
            wide = np.concatenate([z, 4 * z, z + 20.5]) + 1e-3  # (off the kinks at 0, 20)
            numeric = (act.forward(wide + h, slope) - act.forward(wide - h, slope)) / (2 * h)
            np.testing.assert_allclose(
                act.derivative(wide, act.forward(wide, slope), slope), numeric,
                rtol=1e-6, atol=1e-8, err_msg=act.name)
            assert act.derivative_text is not None
        output = act.name if act.output_only else "identity"
        hidden = "relu" if act.output_only else act.name
        nets = [fp.Network([3, 4, 3], activation=hidden, output=output, loss="mse",
                           engine=e, seed=1) for e in ("numpy", "cython")]
        np.testing.assert_allclose(nets[0].predict(z), nets[1].predict(z), rtol=1e-12)


def test_loss_records_agree_with_the_engines(rng):
    for loss in losses.LOSSES.values():
        net = fp.Network([3, 4, 3], loss=loss.name, seed=2)
        X = rng.normal(size=(6, 3))
        y = rng.integers(0, 2, size=(6, 3)).astype(float)
        if loss.targets == "classes":
            y = rng.integers(0, 3, size=6)
        assert net.output == loss.default_output
        Xv, Y = net._data(X, y)
        zs, acts = get_engine("numpy").forward(net.arch, net.params, Xv)
        assert loss.classification == net.is_classifier
        assert loss.rows(zs[-1], acts[-1], Y, 1.0).mean() == pytest.approx(
            loss.mean(zs[-1], acts[-1], Y, 1.0), rel=1e-12)
        assert loss.mean(zs[-1], acts[-1], Y, 1.0) == pytest.approx(net.loss(X, y), rel=1e-12)
        values = [fp.Network([3, 4, 3], loss=loss.name, seed=2, engine=e).loss(X, y)
                  for e in ("numpy", "cython")]
        assert values[0] == pytest.approx(values[1], rel=1e-12)


def test_derived_tables():
    from fastprop.sklearn._base import ACTIVATION_NAMES, OUTPUT_LOSS

    assert ACTIVATION_NAMES == {"identity": "identity", "logistic": "sigmoid",
                                "tanh": "tanh", "relu": "relu", "softmax": "softmax",
                                "exp": "exp"}
    assert OUTPUT_LOSS == {"identity": "mse", "logistic": "bce", "softmax": "cross_entropy",
                           "exp": "poisson"}
    assert losses.loss_for_output("sigmoid") == "bce"
    assert activations.by_sklearn_name("tanh").name == "tanh"
    assert activations.by_sklearn_name("gelu") is None
