"""Several steps in one trace, with any optimizer: ``net.trace(..., steps=k)``.

Each step of a multi-step trace is checked against ``fit`` taking the same steps (one
epoch per step, full batch or ``batch_size`` rows in order), with the compiled and the
reference engine; each optimizer's formula lines are checked to compute the number the
engine's step gives.
"""

import json
import re

import numpy as np
import pytest

import fastprop as fp

OPTIMIZERS = {
    "sgd": lambda: fp.SGD(0.3),
    "sgd-momentum": lambda: fp.SGD(0.3, momentum=0.9),
    "nesterov-decay": lambda: fp.SGD(0.3, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda: fp.Adam(0.05),
    "amsgrad-decay": lambda: fp.Adam(0.05, amsgrad=True, weight_decay=0.02),
    "adamw": lambda: fp.AdamW(0.05, weight_decay=0.1),
    "rmsprop": lambda: fp.RMSprop(0.01),
    "rmsprop-centered-momentum": lambda: fp.RMSprop(0.01, centered=True, momentum=0.5),
    "adagrad": lambda: fp.Adagrad(0.1, lr_decay=0.01, initial_accumulator_value=0.1),
}


def data(rng, n=6):
    return rng.normal(size=(n, 3)), rng.normal(size=(n, 2))


@pytest.mark.parametrize("batch_size", [None, 4])
@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_steps_equal_fit_step_by_step(kind, batch_size, engine, rng):
    """Step k of the trace starts where fit's k−1 steps left the network and ends where
    its k steps do; the network and the optimizer given are left alone."""
    X, y = data(rng)
    net = fp.Network([3, 4, 2], loss="mse", activation="tanh", seed=1, engine=engine)
    before = [W.copy() for W in net.weights]
    opt = OPTIMIZERS[kind]()
    trace = net.trace(X, y, optimizer=opt, steps=5, batch_size=batch_size)
    assert isinstance(trace, fp.MultiStepTrace) and len(trace.steps) == 5
    assert opt.t == 0 and not opt.state
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights, strict=True))
    trained, fit_opt = net.copy(), OPTIMIZERS[kind]()
    size = batch_size or len(X)
    for k, step in enumerate(trace.steps):
        assert step.step == k + 1 and step.optimizer.t == k + 1
        start = [0, 4][k % 2] if batch_size else 0
        np.testing.assert_array_equal(step.x, X[start:start + size])
        for W, fitted in zip(step.weights, trained.weights, strict=True):
            np.testing.assert_allclose(W, fitted, rtol=1e-12, atol=1e-14)
        trained.fit(X[start:start + size], y[start:start + size], epochs=1,
                    batch_size=size, optimizer=fit_opt, shuffle=False)
        for new, fitted in zip(step.new_weights, trained.weights, strict=True):
            np.testing.assert_allclose(new, fitted, rtol=1e-12, atol=1e-14)
        for new, fitted in zip(step.new_biases, trained.biases, strict=True):
            np.testing.assert_allclose(new, fitted, rtol=1e-12, atol=1e-14)
        for name, buffer in fit_opt.state.items():
            np.testing.assert_allclose(step.optimizer.state[name], buffer, rtol=1e-12,
                                       atol=1e-15)
    assert trace.losses == [step.loss for step in trace.steps]


def test_batch_size_cycles_through_the_rows_as_fit_does(rng):
    """Batches of 4 from 6 rows: rows 0–3, 4–5, 0–3, …; six steps equal three of fit's epochs."""
    X, y = data(rng)
    net = fp.Network([3, 4, 2], loss="mse", seed=0)
    trace = net.trace(X, y, lr=0.2, steps=6, batch_size=4)
    assert [s.n_samples for s in trace.steps] == [4, 2] * 3
    net.fit(X, y, epochs=3, batch_size=4, lr=0.2, shuffle=False)
    for new, W in zip(trace.new_weights, net.weights, strict=True):
        np.testing.assert_allclose(new, W, rtol=1e-12)


def test_gradient_descent_steps_chain(rng):
    """With lr, step k + 1 starts from step k's w − η·∂L/∂w."""
    X, y = data(rng, 3)
    trace = fp.Network([3, 2, 2], loss="mse", seed=0).trace(X, y, lr=0.5, steps=3)
    for a, b in zip(trace.steps, trace.steps[1:]):
        for new, W in zip(a.new_weights, b.weights, strict=True):
            np.testing.assert_array_equal(new, W)
    assert trace.optimizer is None and "η·∂L/∂" in str(trace)


def _numbers_after_last_equals(line):
    """The number the line ends with: '… = 0.12345   (step …)' → 0.12345."""
    return float(re.search(r"= (\S+)(?:   \(step \S+\))?$", line).group(1))


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_each_formula_line_computes_its_number(kind, rng):
    """For every parameter of every step, the optimizer's lines evaluate (from the
    numbers they show, to 12 digits) to the state and new value the engine computed."""
    X, y = data(rng, 2)
    trace = fp.Network([3, 2, 2], loss="mse", seed=3).trace(
        X, y, optimizer=OPTIMIZERS[kind](), steps=3)
    opt_class = type(trace.optimizer)
    checked = 0
    for step in trace.steps:
        for name, (li, i, j) in step.edge_positions.items():
            e = step.edge(name)
            lines = step.optimizer.explain(
                name, e["weight"], e["grad"], step.parameter_state(0, li, (i, j), before=True),
                e["state"], e["new"], lambda v: f"{v:.12g}", lambda v: f"({v:.12g})")
            assert lines[-1].startswith(f"{name}_new = ")
            assert _numbers_after_last_equals(lines[-1]) == pytest.approx(e["new"], rel=1e-10)
            for buffer, value in e["state"].items():
                symbol = opt_class.symbols[buffer]
                line = next(ln for ln in lines if ln.startswith(f"{symbol} = "))
                assert _numbers_after_last_equals(line) == pytest.approx(value, rel=1e-10,
                                                                         abs=1e-300)
                checked += 1
            # the formula's numbers recompute the new value: evaluate the last line
            expr = lines[-1].split(" = ")[2].replace("×", "*").replace("−", "-")
            expr = re.sub(r"√(\(?[^ )+]+\)?)", r"(\1)**0.5", expr).replace("²", "**2")
            assert eval(expr) == pytest.approx(e["new"], rel=1e-9)  # noqa: S307
    assert checked or kind == "sgd"


def test_text_markdown_and_json_show_every_step():
    ex = fp.examples.get("two-inputs-sigmoid-mse")
    trace = ex.network().trace(ex.x, ex.y, optimizer=fp.Adam(0.1), steps=3)
    text = str(trace)
    assert text.count("=== Step ") == 3 and "bias corrections 1 − β₁ᵗ = 0.271" in text
    assert "m̂ = m/(1 − β₁ᵗ)" in text and "(step " in text
    md = trace.to_markdown()
    assert md.count("### Step ") == 3 and "| m (exp_avg) | v (exp_avg_sq) | step |" in md
    assert "at step t = 3" in md
    d = json.loads(json.dumps(trace.to_dict()))
    assert d["n_steps"] == 3 and len(d["steps"]) == 3 and d["losses"] == trace.losses
    cd = d["steps"][1]["edges"]["CD"]
    assert cd["state"]["exp_avg"] == trace.steps[1].edge("CD")["state"]["exp_avg"]
    assert cd["step"] == pytest.approx(cd["new"] - cd["weight"])
    assert d["steps"][0]["state_before"]["exp_avg"]["weights"] == [[[0.0], [0.0]], [[0.0]]]


def test_a_trace_continues_the_optimizers_state(rng):
    """An optimizer that has trained goes on from its step count and moments."""
    X, y = data(rng)
    net = fp.Network([3, 4, 2], loss="mse", seed=0)
    opt = fp.Adam(0.05)
    net.fit(X, y, epochs=2, batch_size=6, optimizer=opt, shuffle=False)
    trace = net.trace(X, y, optimizer=opt, steps=2)
    assert [s.optimizer.t for s in trace.steps] == [3, 4]
    np.testing.assert_array_equal(trace.steps[0].state_before["exp_avg"][0][0],
                                  net.arch.weight_views(opt.state["exp_avg"])[0])


def test_check_several_steps():
    ex = fp.examples.get("one-input-sigmoid-bce")
    trace = ex.network().trace(ex.x, ex.y, optimizer=fp.SGD(0.5, momentum=0.9), steps=2)
    bc = trace.steps[1].edge("BC")
    good = {"steps": [{"edges": {"BC": {"state": {"momentum_buffer": round(
        trace.steps[0].edge("BC")["state"]["momentum_buffer"], 4)}}}},
        {"loss": round(trace.losses[1], 5), "edges": {"BC": {"new": round(bc["new"], 5),
                                                             "step": round(bc["step"], 5)}}}]}
    assert trace.check(good).ok
    bad = json.loads(json.dumps(good))
    bad["steps"][1]["edges"]["BC"]["new"] = round(bc["new"] + 0.01, 5)
    result = trace.check(bad)
    assert not result.ok and result.first.field == "steps[1].edges.BC.new"
    with pytest.raises(ValueError, match=r"steps\[1\]\.edges\.BC\.state has no buffer"):
        trace.check({"steps": [{}, {"edges": {"BC": {"state": {"exp_avg": 1}}}}]})
    with pytest.raises(ValueError, match="at most 2"):
        trace.check({"steps": [{}, {}, {}]})
    one = ex.network().trace(ex.x, ex.y, lr=ex.lr)
    with pytest.raises(ValueError, match="no optimizer state"):
        one.check({"edges": {"BC": {"step": 0.1}}})


@pytest.mark.parametrize("kwargs, kind, word", [
    ({"steps": 0}, ValueError, "steps"), ({"steps": 2.5}, TypeError, "steps"),
    ({"steps": True}, TypeError, "steps"), ({"batch_size": 0}, ValueError, "batch_size"),
])
def test_bad_steps(kwargs, kind, word):
    net = fp.Network([2, 2, 1], seed=0)
    with pytest.raises(kind, match=word):
        net.trace([0.5, 1.0], 1.0, lr=0.1, **kwargs)


# ---------------------------------------------------------------- the command line
def test_cli_steps_and_optimizer(capsys):
    from fastprop.cli import main

    ex = fp.examples.get("two-inputs-sigmoid-mse")
    status = main(["explain", "--example", ex.name, "--optimizer", "adam", "--lr", "0.1",
                   "--steps", "3", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0 and out["n_steps"] == 3
    expected = ex.network().trace(ex.x, ex.y, optimizer=fp.Adam(0.1), steps=3)
    assert out["losses"] == expected.losses
    assert out["steps"][2]["edges"]["CD"]["new"] == expected.steps[2].edge("CD")["new"]
    status = main(["explain", "--example", ex.name, "--optimizer", "sgd-momentum",
                   "--steps", "2"])
    text = capsys.readouterr().out
    assert status == 0 and f"SGD(lr={ex.lr}, momentum=0.9)" in text and "v = μ·v + g" in text
    assert "Compared with the text" not in text  # not the text's step
    status = main(["explain", "--example", ex.name, "--lr", "0.5"])  # the text takes 0.1
    text = capsys.readouterr().out
    expected = ex.network().trace(ex.x, ex.y, lr=0.5).edge("CD")["new"]
    assert status == 0 and f"= {expected:.5f}" in text and "Compared with" not in text
    status = main(["explain", "--sizes", "2,2,1", "--x", "1,2;3,4;5,6", "--y", "1;0;1",
                   "--steps", "3", "--batch-size", "2", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0 and [s["n_samples"] for s in out["steps"]] == [2, 1, 2]


@pytest.mark.parametrize("argv, match", [
    (["--steps", "0"], "--steps must be >= 1"),
    (["--batch-size", "0"], "--batch-size must be >= 1"),
    (["--optimizer", "lbfgs"], "invalid choice"),
])
def test_cli_bad_steps(capsys, argv, match):
    from fastprop.cli import main

    status = main(["explain", "--example", "one-input-sigmoid-bce", *argv])
    err = capsys.readouterr().err
    assert status == 2 and re.search(match, err) and len(err.strip().splitlines()) == 1


def test_cli_checks_several_steps(capsys, tmp_path):
    from fastprop.cli import main

    ex = fp.examples.get("one-input-sigmoid-bce")
    trace = ex.network().trace(ex.x, ex.y, optimizer=fp.Adam(0.5), steps=2)
    answers = tmp_path / "answers.json"
    m = trace.steps[1].edge("BC")["state"]["exp_avg"]
    answers.write_text(json.dumps({"steps": [{}, {"edges": {"BC": {"state": {
        "exp_avg": round(m, 4)}}}}]}))
    argv = ["explain", "--example", ex.name, "--optimizer", "adam", "--lr", "0.5",
            "--steps", "2", "--check", str(answers)]
    assert main(argv) == 0 and "agree" in capsys.readouterr().out
    answers.write_text(json.dumps({"steps": [{}, {"edges": {"BC": {"state": {
        "exp_avg": round(m + 0.01, 4)}}}}]}))
    assert main(argv) == 1
    assert "steps[1].edges.BC.state.exp_avg" in capsys.readouterr().out


def test_check_of_several_steps_reads_every_field():
    """losses answer each step's loss; network and n_steps must be this trace's; a
    step's answers that are not an object are named once."""
    ex = fp.examples.get("one-input-sigmoid-bce")
    trace = ex.network().trace(ex.x, ex.y, optimizer=fp.Adam(0.1), steps=2)
    right = [round(loss, 4) for loss in trace.losses]
    assert trace.check({"losses": right, "n_steps": 2,
                        "network": trace.to_dict()["network"]}).checked == 2
    result = trace.check({"losses": [right[0], right[1] + 0.1]})
    assert not result.ok and result.first.field == "steps[1].loss"
    with pytest.raises(ValueError, match="another network"):
        trace.check({"network": {"sizes": [9]}})
    with pytest.raises(ValueError, match="n_steps is 3"):
        trace.check({"n_steps": 3})
    with pytest.raises(ValueError, match=r"^answers: steps\[0\] must be an object"):
        trace.check({"steps": [5]})


def test_the_first_wrong_state_is_the_one_the_rule_computes_first():
    """RMSprop computes s, then ḡ, then its momentum u: a wrong s comes first."""
    ex = fp.examples.get("two-inputs-sigmoid-mse")
    trace = ex.network().trace(ex.x, ex.y,
                               optimizer=fp.RMSprop(0.1, momentum=0.9, centered=True))
    state = trace.edge("CD")["state"]
    wrong = {name: 2 * value for name, value in state.items()}
    result = trace.check({"edges": {"CD": {"state": wrong}}})
    assert [m.field for m in result.mismatches] == [
        "edges.CD.state.square_avg", "edges.CD.state.grad_avg",
        "edges.CD.state.momentum_buffer"]
    plain = ex.network().trace(ex.x, ex.y, optimizer=fp.SGD(0.1))
    with pytest.raises(ValueError, match="keeps no state"):
        plain.check({"edges": {"CD": {"state": {"momentum_buffer": 0}}}})
