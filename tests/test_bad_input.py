"""Every public entry point validates first: a clear error naming the argument, and the
network's parameters bitwise unchanged. Safe conversions are accepted and give the same
result as the clean array."""

import numpy as np
import pytest

import fastprop as fp

X3 = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
Y1 = np.array([1.0, 0.0])

CONSTRUCTOR = [
    (dict(sizes=[]), ValueError, "sizes"),
    (dict(sizes=[3]), ValueError, "sizes"),
    (dict(sizes=[3, 0, 1]), ValueError, r"sizes\[1\]"),
    (dict(sizes=[3, -2, 1]), ValueError, r"sizes\[1\]"),
    (dict(sizes=[3, 2.5, 1]), TypeError, r"sizes\[1\]"),
    (dict(sizes="321"), TypeError, "sizes"),
    (dict(sizes=None), TypeError, "sizes"),
    (dict(sizes=[3, 2, 1], activation="swish"), ValueError, "activation"),
    (dict(sizes=[3, 2, 1], activation="softmax"), ValueError, "activation"),
    (dict(sizes=[3, 2, 2, 1], activation=["relu"]), ValueError, "activation"),
    (dict(sizes=[3, 2, 1], activation=3), TypeError, "activation"),
    (dict(sizes=[3, 2, 1], output="gelu"), ValueError, "output"),
    (dict(sizes=[3, 2, 1], loss="hinge"), ValueError, "loss"),
    (dict(sizes=[3, 2, 1], loss="bce", output="tanh"), ValueError, "output"),
    (dict(sizes=[3, 2, 1], loss="cross_entropy"), ValueError, "cross_entropy"),
    (dict(sizes=[3, 2, 1], init="zeros"), ValueError, "init"),
    (dict(sizes=[3, 2, 1], init=float("nan")), ValueError, "init"),
    (dict(sizes=[3, 2, 1], dtype="float16"), ValueError, "dtype"),
    (dict(sizes=[3, 2, 1], dtype="int32"), ValueError, "dtype"),
    (dict(sizes=[3, 2, 1], engine="gpu"), ValueError, "engine"),
    (dict(sizes=[3, 2, 1], bias="yes"), TypeError, "bias"),
    (dict(sizes=[3, 2, 1], seed=-1), ValueError, "seed"),
    (dict(sizes=[3, 2, 1], seed=1.5), TypeError, "seed"),
]


@pytest.mark.parametrize("kwargs,exc,match", CONSTRUCTOR)
def test_constructor_rejects(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fp.Network(**kwargs)


def _net(engine, **kw):
    kw.setdefault("seed", 0)
    return fp.Network(kw.pop("sizes", [3, 2, 1]), engine=engine, **kw)


CALLS = [
    # predict
    ("predict", lambda n: n.predict(np.zeros((2, 4))), ValueError, "X must have 3 columns"),
    ("predict", lambda n: n.predict(np.zeros((2, 3, 1))), ValueError, "X must be 2-D"),
    ("predict", lambda n: n.predict(5.0), ValueError, "X must be 2-D"),
    ("predict", lambda n: n.predict(np.zeros((0, 3))), ValueError, "X has no samples"),
    ("predict", lambda n: n.predict([[1, np.nan, 2]]), ValueError, "X contains NaN"),
    ("predict", lambda n: n.predict([[1, np.inf, 2]]), ValueError, "X contains NaN or inf"),
    ("predict", lambda n: n.predict(None), TypeError, "X must be an array"),
    ("predict", lambda n: n.predict("abc"), TypeError, "X must be an array"),
    ("predict", lambda n: n.predict([["a", "b", "c"]]), TypeError, "X must hold real numbers"),
    ("predict", lambda n: n.predict(np.array([[1, 2, 3]], dtype=object)), TypeError, "X must hold"),
    ("predict", lambda n: n.predict([[1, 2, 3], [1, 2]]), ValueError, "X must be a rectangular"),
    # loss / gradients targets
    ("loss", lambda n: n.loss(X3, [1.0]), ValueError, "y has 1 samples but X has 2"),
    ("loss", lambda n: n.loss(X3, [2.0, 0.0]), ValueError, r"y must lie in \[0, 1\]"),
    ("loss", lambda n: n.loss(X3, [-0.5, 0.0]), ValueError, r"y must lie in \[0, 1\]"),
    ("loss", lambda n: n.loss(X3, [np.nan, 0.0]), ValueError, "y contains NaN"),
    ("loss", lambda n: n.loss(X3, np.zeros((2, 2))), ValueError, "y must have 1 columns"),
    ("loss", lambda n: n.loss(X3, np.zeros((2, 1, 1))), ValueError, "y must be 1-D or 2-D"),
    ("loss", lambda n: n.loss(X3, None), TypeError, "y"),
    ("loss", lambda n: n.loss(X3, ["a", "b"]), TypeError, "y must hold real numbers"),
    ("gradients", lambda n: n.gradients(np.zeros((2, 2)), Y1), ValueError, "X must have 3"),
    # step
    ("step", lambda n: n.step(X3, Y1, lr=0), ValueError, "lr must be > 0"),
    ("step", lambda n: n.step(X3, Y1, lr=-0.1), ValueError, "lr must be > 0"),
    ("step", lambda n: n.step(X3, Y1, lr=float("nan")), ValueError, "lr must be finite"),
    ("step", lambda n: n.step(X3, Y1, lr="0.1"), TypeError, "lr must be a real number"),
    ("step", lambda n: n.step(X3, [1.0, 5.0], lr=0.1), ValueError, "y must lie"),
    # fit arguments
    ("fit", lambda n: n.fit(X3, Y1, batch_size=0), ValueError, "batch_size must be >= 1"),
    ("fit", lambda n: n.fit(X3, Y1, batch_size=-3), ValueError, "batch_size"),
    ("fit", lambda n: n.fit(X3, Y1, batch_size=2.0), TypeError, "batch_size must be an integer"),
    ("fit", lambda n: n.fit(X3, Y1, epochs=-1), ValueError, "epochs must be >= 0"),
    ("fit", lambda n: n.fit(X3, Y1, lr=0.0), ValueError, "lr must be > 0"),
    ("fit", lambda n: n.fit(X3, Y1, lr=float("inf")), ValueError, "lr must be finite"),
    ("fit", lambda n: n.fit(X3, Y1, lr=0.1, optimizer=fp.SGD(0.1)), TypeError, "not both"),
    ("fit", lambda n: n.fit(X3, Y1, optimizer="adam"), TypeError, "optimizer must be"),
    ("fit", lambda n: n.fit(X3, Y1, shuffle="yes"), TypeError, "shuffle"),
    ("fit", lambda n: n.fit(X3, Y1, seed=-5), ValueError, "seed"),
    ("fit", lambda n: n.fit(X3), TypeError, "y is required"),
    ("fit", lambda n: n.fit(X3, [1.0, 0.0, 1.0]), ValueError, "y has 3 samples"),
    ("fit", lambda n: n.fit(X3, Y1, validation_data=X3), TypeError, "validation_data"),
    ("fit", lambda n: n.fit(X3, Y1, validation_data=(X3, [3.0, 0.0])), ValueError,
     r"validation_data\[1\]"),
    ("fit", lambda n: n.fit(X3, Y1, validation_data=(np.zeros((2, 5)), Y1)), ValueError,
     r"validation_data\[0\] must have 3 columns"),
    ("fit", lambda n: n.fit(X3, Y1, progress="loud"), ValueError, "progress"),
    ("fit", lambda n: n.fit(fp.Dataset(X3, Y1), Y1), TypeError, "Dataset"),
    # set_weights
    ("set_weights", lambda n: n.set_weights([np.zeros((3, 2))]), ValueError,
     "weights must hold 2 arrays"),
    ("set_weights", lambda n: n.set_weights([np.zeros((2, 3)), np.zeros((2, 1))]), ValueError,
     r"weights\[0\] must have shape \(3, 2\)"),
    ("set_weights", lambda n: n.set_weights([np.zeros((3, 2)), [[np.nan], [0]]]), ValueError,
     r"weights\[1\] contains NaN"),
    ("set_weights", lambda n: n.set_weights(None), TypeError, "weights must be a list"),
    ("set_weights", lambda n: n.set_weights([np.zeros((3, 2)), "ab"]), TypeError, r"weights\[1\]"),
    ("set_weights", lambda n: n.set_weights([np.ones((3, 2)), np.ones((2, 1))], [[0, 0]]),
     ValueError, "biases must hold 2 arrays"),
    # evaluate
    ("evaluate", lambda n: n.evaluate(X3, [0.5, 1.5]), ValueError, "y must lie"),
]


@pytest.mark.parametrize("entry,call,exc,match", CALLS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CALLS)])
def test_entry_points_reject_and_leave_network_unchanged(engine, entry, call, exc, match):
    net = _net(engine)
    before = net.params.copy()
    with pytest.raises(exc, match=match):
        call(net)
    assert net.params.tobytes() == before.tobytes()


CLASS_LABELS = [
    ([0, 3], "class ids must be in \\[0, 2\\]"),
    ([-1, 0], "class ids must be in \\[0, 2\\]"),
    ([0.5, 1.0], "class ids must be integers"),
    ([[0.5, 0.2, 0.2], [1, 0, 0]], "rows must sum to 1"),
    ([[-1, 2, 0], [1, 0, 0]], "rows must be class probabilities"),
]


@pytest.mark.parametrize("labels,match", CLASS_LABELS)
def test_cross_entropy_labels(engine, labels, match):
    net = _net(engine, sizes=[3, 4, 3], loss="cross_entropy")
    before = net.params.copy()
    with pytest.raises(ValueError, match=match):
        net.fit(X3, labels, epochs=1)
    assert net.params.tobytes() == before.tobytes()


def test_set_weights_biases_on_network_without_bias(engine):
    net = _net(engine, bias=False)
    before = net.params.copy()
    with pytest.raises(ValueError, match="bias=False"):
        net.set_weights([np.ones((3, 2)), np.ones((2, 1))], [np.zeros(2), np.zeros(1)])
    assert net.params.tobytes() == before.tobytes()


def test_optimizer_arguments():
    for make, match in [(lambda: fp.SGD(0), "lr"), (lambda: fp.SGD(-1), "lr"),
                        (lambda: fp.SGD(0.1, momentum=-0.5), "momentum"),
                        (lambda: fp.SGD(0.1, nesterov=True), "nesterov"),
                        (lambda: fp.SGD(0.1, weight_decay=-1), "weight_decay"),
                        (lambda: fp.Adam(betas=(1.0, 0.9)), r"betas\[0\]"),
                        (lambda: fp.Adam(betas=0.9), "betas"),
                        (lambda: fp.Adam(eps=0), "eps")]:
        with pytest.raises((ValueError, TypeError), match=match):
            make()


def test_dataset_rejects():
    for args, exc, match in [((np.zeros((3, 2)), np.zeros(2)), ValueError, "y has 2 samples"),
                             ((np.zeros(3), np.zeros(3)), ValueError, "X must be 2-D"),
                             (([[1, np.nan]], [0]), ValueError, "X contains NaN"),
                             (([[1, 2]], [np.inf]), ValueError, "y contains NaN"),
                             (([[1, 2]], np.zeros((1, 1, 1))), ValueError, "y must be 1-D"),
                             ((None, [0]), TypeError, "X must be an array")]:
        with pytest.raises(exc, match=match):
            fp.Dataset(*args)


CONVERSIONS = [
    ("fortran", lambda X: np.asfortranarray(X)),
    ("strided", lambda X: np.repeat(X, 2, axis=1)[:, ::2]),
    ("float32", lambda X: X.astype(np.float32)),
    ("list", lambda X: X.tolist()),
]


@pytest.mark.parametrize("name,convert", CONVERSIONS)
def test_safe_conversions_give_the_clean_result(engine, name, convert):
    X = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [0.0, 1.0, 0.0]])
    if name == "float32":
        X = X.astype(np.float32).astype(np.float64)  # values exactly representable
    net = _net(engine)
    assert net.predict(convert(X)).tobytes() == net.predict(X).tobytes()
    assert net.loss(convert(X), [1, 0, 1]) == net.loss(X, [1, 0, 1])


def test_integer_inputs_are_converted(engine):
    net = _net(engine)
    Xi = np.array([[1, 2, 3], [0, -1, 2]], dtype=np.int64)
    np.testing.assert_array_equal(net.predict(Xi), net.predict(Xi.astype(float)))
    assert net.loss(Xi, np.array([1, 0])) == net.loss(Xi.astype(float), [1.0, 0.0])


TRACE_CALLS = [
    (lambda n: n.trace([1, 2], [1.0], 0.1), ValueError, "x"),
    (lambda n: n.trace([1, 2, np.nan], [1.0], 0.1), ValueError, "NaN"),
    (lambda n: n.trace([1, 2, 3], [1.0], 0.0), ValueError, "lr"),
    (lambda n: n.trace([1, 2, 3], [7.0], 0.1), ValueError, "y"),
    (lambda n: n.trace(None, [1.0], 0.1), TypeError, "x"),
]


@pytest.mark.parametrize("call,exc,match", TRACE_CALLS)
def test_trace_rejects_and_leaves_network_unchanged(engine, call, exc, match):
    net = _net(engine)
    before = net.params.copy()
    with pytest.raises(exc, match=match):
        call(net)
    assert net.params.tobytes() == before.tobytes()


def test_loaders_reject_bad_files(tmp_path):
    (tmp_path / "text.csv").write_text("a,b\n1,2\n3,oops\n")
    with pytest.raises(ValueError, match="not a numeric CSV"):
        fp.Dataset.from_csv(tmp_path / "text.csv")
    with pytest.raises(ValueError, match="X_path"):
        fp.Dataset.from_npy(tmp_path / "nope.npy", tmp_path / "nope.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    np.save(tmp_path / "y.npy", np.zeros(3))
    with pytest.raises(ValueError, match="X_path"):
        fp.Dataset.from_npy(tmp_path / "junk.npy", tmp_path / "y.npy")
    with pytest.raises(fp.ModelFileError):
        fp.load(tmp_path / "junk.npy")


def test_sklearn_estimators_reject_bad_input():
    from fastprop.sklearn import MLPClassifier, MLPRegressor

    for est, X, y, exc, match in [
        (MLPClassifier(max_iter=5), [[1.0, np.nan]], [0], ValueError, "NaN"),
        (MLPRegressor(max_iter=5), [[1.0, 2.0], [3.0, 4.0]], [1.0], ValueError, "samples"),
        (MLPRegressor(hidden_layer_sizes=(0,)), [[1.0, 2.0]], [1.0], ValueError,
         "hidden_layer_sizes"),
        (MLPClassifier(activation="swish"), [[1.0, 2.0]], [0], ValueError, "activation"),
        (MLPClassifier(learning_rate_init=-1.0), [[1.0, 2.0]], [0], ValueError,
         "learning_rate_init"),
    ]:
        with pytest.raises(exc, match=match):
            est.fit(X, y)


@pytest.mark.parametrize("argv", [
    ["train", "missing.csv", "--target", "y"],
    ["train", "data.csv", "--target", "nope"],
    ["train", "data.csv", "--target", "y", "--epochs", "-1"],
    ["train", "data.csv", "--target", "y", "--batch-size", "0"],
    ["predict", "missing.npz", "data.csv"],
    ["info", "data.csv"],
    ["explain", "--example", "no-such-example"],
])
def test_cli_bad_arguments_one_line_no_traceback(tmp_path, monkeypatch, capsys, argv):
    from fastprop.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    code = main(argv)
    err = capsys.readouterr().err
    assert code != 0
    assert "Traceback" not in err and err.strip()
