"""``net.trace``: every number of one step, named A, B, C…, against the worked examples.

Exact values are the float64 column of worked-examples/README.md (relative 1e-12).
"""

import json
import math
import re

import numpy as np
import pytest
from _helpers import close, params_equal

import fastprop as fp
from fastprop.trace import node_names


def example_trace(name, engine, dtype="float64"):
    ex = fp.examples.get(name)
    return ex.network(engine=engine, dtype=dtype).trace(ex.x, ex.y, ex.lr)


def test_two_inputs_sigmoid_mse(engine):
    t = example_trace("two-inputs-sigmoid-mse", engine)
    close(t.node("C")["z"], 1.1)
    close(t.node("C")["a"], 0.7502601055951177)
    close(t.node("D")["a"], 0.6457039112315864)
    close(t.loss, 0.12552571851659558)
    close(t.node("D")["delta"], -0.1621048948126419)
    close(t.edge("CD")["grad"], -0.12162083549961815)
    close(t.node("C")["delta"], -0.02429885969208656)
    close(t.edge("AC")["grad"], -0.02429885969208656)
    close(t.edge("BC")["grad"], -0.04859771938417312)
    close(t.edge("AC")["new"], 0.5024298859692087)
    close(t.edge("BC")["new"], 0.3048597719384173)
    close(t.edge("CD")["new"], 0.8121620835499619)
    # the quantities the text prints along the way: ∂L/∂ŷ = −2(y − ŷ), ∂ŷ/∂z_out = ŷ(1 − ŷ)
    close(t.node("D")["dloss_da"], -2 * (1 - 0.6457039112315864))
    close(t.node("D")["fprime"], 0.6457039112315864 * (1 - 0.6457039112315864))
    close(t.node("C")["dloss_da"], -0.1621048948126419 * 0.8)


def test_one_input_sigmoid_bce(engine):
    t = example_trace("one-input-sigmoid-bce", engine)
    close(t.node("B")["a"], 0.6224593312018546)
    close(t.node("C")["a"], 0.6507776782147005)
    close(t.loss, 0.42958720321948496)
    close(t.node("C")["delta"], -0.34922232178529955)
    close(t.edge("BC")["grad"], -0.21737669285923641)
    close(t.node("B")["fprime"], 0.2350037122015945)
    close(t.edge("AB")["grad"], -0.08206854200320515)
    close(t.edge("BC")["new"], 1.0217376692859237)
    close(t.edge("AB")["new"], 0.5082068542003205)


def test_three_inputs_relu_sigmoid_bce(engine):
    t = example_trace("three-inputs-relu-sigmoid-bce", engine)
    assert t.node("D")["a"] == t.node("E")["a"] == 6.0
    F = 1 / (1 + math.exp(-12.0))
    close(t.node("F")["a"], F)
    close(t.loss, 12 + math.log1p(math.exp(-12.0)))  # softplus(12), from the logit
    close(t.edge("EF")["grad"], F * 6.0)  # (F − y)·E with y = 0
    close(t.edge("EF")["grad"], 5.99996313, rtol=1e-9)
    close(t.edge("EF")["new"], -4.99996313, rtol=1e-9)
    assert round(t.edge("EF")["new"], 8) == -4.99996313


def _line(text, start):
    return next(line.strip() for line in text.splitlines() if line.strip().startswith(start))


def test_str_prints_the_texts_quantities():
    ex1 = str(example_trace("three-inputs-relu-sigmoid-bce", "numpy"))
    assert _line(ex1, "D: z_D") == "D: z_D = AD·A + BD·B + CD·C = 1×1 + 1×2 + 1×3 = 6"
    assert _line(ex1, "F = σ") == "F = σ(z_F) = σ(12) = 0.99999   (output ŷ)"
    assert _line(ex1, "EF: ∂L/∂EF") == "EF: ∂L/∂EF = δ_F·E = 0.99999×6 = 5.99996"
    assert _line(ex1, "EF_new") == "EF_new = EF − η·∂L/∂EF = 1 − 1×5.99996 = -4.99996"
    assert _line(ex1, "L =").endswith("= 12.00001")
    ex2 = str(example_trace("two-inputs-sigmoid-mse", "numpy"))
    assert _line(ex2, "C: z_C") == "C: z_C = AC·A + BC·B = 0.5×1 + 0.3×2 = 1.1"
    assert _line(ex2, "L =") == "L = (y − ŷ)² = (1 − 0.6457)² = 0.12553"
    assert _line(ex2, "D: ∂L/∂D") == "D: ∂L/∂D = −2(y − D) = -0.70859"
    assert _line(ex2, "CD_new") == "CD_new = CD − η·∂L/∂CD = 0.8 − 0.1×(-0.12162) = 0.81216"
    ex3 = str(example_trace("one-input-sigmoid-bce", "numpy"))
    assert _line(ex3, "δ_C") .startswith("δ_C = ∂L/∂z_C = C − y = 0.65078 − 1 = -0.34922")
    assert _line(ex3, "∂B/∂z_B") == "∂B/∂z_B = σ′(z_B) = B(1 − B) = 0.235"
    assert "AB = 0.50821, BC = 1.02174" in ex3
    # order: forward, loss, backward from the output back (edge BC before edge AB)
    assert ex3.index("Forward") < ex3.index("Loss") < ex3.index("BC_new") < ex3.index("AB_new")


def test_trace_agrees_with_the_network_and_leaves_it_alone(engine, dtype, rng):
    net = fp.Network([3, 4, 2], activation="tanh", loss="mse", seed=1, engine=engine,
                     dtype=dtype)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    before = net.params.copy()
    t = net.trace(X, Y, lr=0.05)
    assert params_equal(net.params, before)
    loss, gw, gb = net.gradients(X, Y)
    rtol = 1e-12 if dtype == "float64" else 1e-5
    close(t.loss, loss, rtol)
    for a, b in zip(t.grad_weights + t.grad_biases, gw + gb, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-14)
    assert t.z[0].dtype == np.dtype(dtype)
    stepped = net.copy()
    stepped.step(X, Y, lr=0.05)
    for a, b in zip(t.new_weights + t.new_biases, stepped.weights + stepped.biases,
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-14)


def test_batch_is_the_mean_of_single_samples(engine):
    X, y = fp.data.six_points()
    net = fp.examples.get("three-inputs-relu-sigmoid-bce").network(engine=engine)
    batch = net.trace(X, y, lr=0.1)
    singles = [net.trace(x, t, lr=0.1) for x, t in zip(X, y, strict=True)]
    close(batch.loss, np.mean([s.loss for s in singles]))
    for name in ("AD", "CE", "EF"):
        close(batch.edge(name)["grad"], np.mean([s.edge(name)["grad"] for s in singles]))
    assert batch.node("F")["a"].shape == (6,)
    text = str(batch)
    assert "batch of 6 samples" in text and "Σ δ_F·E over the batch" in text


@pytest.mark.parametrize("bad, kind, word", [
    (dict(x=[1, 2], y=1, lr=0.1), ValueError, "x"),
    (dict(x=[[1, 2, float("nan")]], y=[1], lr=0.1), ValueError, "x"),
    (dict(x=[1, 2, 3], y=2, lr=0.1), ValueError, "y"),
    (dict(x=[[1, 2, 3], [1, 2, 3]], y=[1], lr=0.1), ValueError, "y"),
    (dict(x=[1, 2, 3], y=1, lr=0.0), ValueError, "lr"),
    (dict(x=[1, 2, 3], y=1, lr=-1), ValueError, "lr"),
    (dict(x=[1, 2, 3], y=1, lr="big"), TypeError, "lr"),
    (dict(x="abc", y=1, lr=0.1), TypeError, "x"),
])
def test_bad_input(engine, bad, kind, word):
    net = fp.examples.get("three-inputs-relu-sigmoid-bce").network(engine=engine)
    before = net.params.copy()
    with pytest.raises(kind, match=rf"\b{word}\b"):
        net.trace(**bad)
    assert params_equal(net.params, before)


def test_names_letters_then_layer_scheme():
    assert node_names([3, 2, 1]) == [["A", "B", "C"], ["D", "E"], ["F"]]
    assert node_names([20, 5, 1])[-1] == ["Z"]
    big = node_names([20, 6, 1])
    assert big[0][0] == "x1" and big[1][5] == "h1_6" and big[2] == ["o1"]
    net = fp.Network([20, 6, 1], seed=0)
    t = net.trace(np.ones(20), 1, lr=0.1)
    assert t.edge("x3-h1_2")["weight"] == net.weights[0][2, 1]
    assert t.edge_names[:2] == ["x1-h1_1", "x1-h1_2"]
    with pytest.raises(KeyError, match="no edge"):
        t.edge("AB")
    with pytest.raises(KeyError, match="no node"):
        t.node("Q")


def test_big_networks_are_summarised():
    X, y = fp.data.two_moons(40, seed=0)
    t = fp.Network([2, 32, 32, 1], seed=0).trace(X, y, lr=0.1)
    text = str(t)
    assert "summarised" in text and len(text.splitlines()) < 20
    assert "layer 3: h2_1 … h2_32 → o1" in text
    full = t.format(detail="full")
    assert len(full.splitlines()) > 1000 and "h2_32-o1: ∂L/∂h2_32-o1" in full
    with pytest.raises(ValueError, match="detail"):
        t.format(detail="everything")
    with pytest.raises(ValueError, match="digits"):
        t.format(digits=0)


def test_to_dict_and_markdown():
    t = example_trace("two-inputs-sigmoid-mse", "numpy")
    d = json.loads(json.dumps(t.to_dict()))
    assert d["edges"]["CD"]["new"] == t.edge("CD")["new"]
    assert d["nodes"]["D"]["a"] == t.node("D")["a"]
    assert d["layers"][1]["deltas"] == [[t.node("D")["delta"]]]
    assert d["layers"][0]["biases"] is None and d["names"] == [["A", "B"], ["C"], ["D"]]
    md = t.to_markdown()
    assert "| CD | 0.8 | -0.12162 | 0.81216 |" in md
    assert "| D | 2 | 0.60021 | 0.6457 | -0.70859 | -0.1621 |" in md
    with_bias = fp.Network([2, 2, 3], loss="cross_entropy", seed=0).trace([[1, 2], [3, 4]],
                                                                          [0, 2], lr=0.1)
    assert "| b_G |" in with_bias.to_markdown()
    assert "b_G_new" in str(with_bias) and "(G − y)/2" in str(with_bias)
    assert re.search(r"loss=\d", repr(with_bias))


def test_every_activation_renders():
    for act in ("identity", "relu", "leaky_relu", "sigmoid", "tanh"):
        net = fp.Network([2, 2, 2], activation=act, loss="mse", output="softmax", seed=0)
        text = str(net.trace([0.5, -1], [0.2, 0.8], lr=0.1))
        assert "δ_C" in text and "softmax" in text


@pytest.mark.parametrize("make", [
    lambda: fp.SGD(0.1, momentum=0.9, nesterov=True), lambda: fp.Adam(0.05, amsgrad=True),
    lambda: fp.AdamW(0.05), lambda: fp.RMSprop(0.01, centered=True, momentum=0.5),
    lambda: fp.Adagrad(0.1)])
def test_an_optimizers_step_is_traced_with_its_state(make, engine):
    """trace(..., optimizer=opt) shows the step fit would take with that optimizer (a
    copy steps: opt is unchanged) and its state after it, in the text and the dict."""
    net = fp.Network([3, 4, 2], loss="mse", seed=0, engine=engine)
    X, y = np.array([[0.5, -1.0, 2.0]]), np.array([[0.3, -0.2]])
    opt = make()
    trace = net.trace(X, y, optimizer=opt)
    assert opt.t == 0 and not opt.state  # untouched
    stepped = net.copy()
    stepped.fit(X, y, epochs=1, batch_size=1, optimizer=make(), shuffle=False)
    for new, W in zip(trace.new_weights, stepped.weights, strict=True):
        np.testing.assert_allclose(new, W, rtol=1e-12)
    names = list(trace.state)
    assert names and set(names) == set(trace.to_dict()["state"])
    text = str(trace)
    symbol = type(opt).symbols[names[0]]
    assert repr(opt) in text and f" {symbol} = " in text and "η·∂L" not in text
    with pytest.raises(TypeError, match="exactly one"):
        net.trace(X, y, lr=0.1, optimizer=opt)
    with pytest.raises(TypeError, match="exactly one"):
        net.trace(X, y)
