"""Checking a learner's own numbers: ``Trace.check`` and ``fastprop explain --check``.

The step's exact numbers (its own ``--format json``) must pass; a slip planted in each
worked example must be found as the first wrong number and named; numbers agree to the
digits they were written with; a bad answers file is a one-line error naming the field.
"""

import json

import numpy as np
import pytest

import fastprop as fp
from fastprop.cli import main
from fastprop.trace_check import parse_answers

EXAMPLES = fp.examples.names()


def trace_of(name, engine="cython"):
    ex = fp.examples.get(name)
    return ex.network(engine=engine).trace(ex.x, ex.y, ex.lr)


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_steps_own_json_passes(capsys, tmp_path, name, engine):
    status, out, _ = run(capsys, "explain", "--example", name, "--format", "json",
                         "--engine", engine)
    assert status == 0
    answers = tmp_path / "answers.json"
    answers.write_text(out)
    status, out, err = run(capsys, "explain", "--example", name, "--check", str(answers))
    assert (status, err) == (0, "")
    result = trace_of(name).check(parse_answers(answers.read_text()))
    assert result.ok and result.first is None
    # every node, edge and layer number of the step was compared
    assert out.strip() == f"All {result.checked} numbers agree with the step."
    assert result.checked > 4 * len(trace_of(name).edge_names)


def planted(name):
    """One slip per example, each of another kind: (answers, field, words of the slip)."""
    t = trace_of(name)
    if name == "three-inputs-relu-sigmoid-bce":
        # the text's own update of EF: ∂L/∂F·E, the sigmoid's derivative left out
        F, E = t.node("F"), t.node("E")
        slip = 1.0 - t.lr * F["dloss_da"] * E["a"]
        return {"edges": {"EF": {"new": round(slip, 1)}}}, "edges.EF.new", \
            "activation's derivative was left out"
    if name == "two-inputs-sigmoid-mse":
        # ∂L/∂w2 taken as δ_C, without the input B = 2
        return {"edges": {"BC": {"grad": round(t.node("C")["delta"], 5)}}}, \
            "edges.BC.grad", "input factor was left out"
    # the output's δ with its sign flipped
    return {"nodes": {"C": {"delta": round(-t.node("C")["delta"], 5)}}}, \
        "nodes.C.delta", "sign is wrong"


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_planted_slip_is_found_and_named(capsys, tmp_path, name):
    answers, where, words = planted(name)
    # the right numbers before it, with fewer digits, do not hide it
    t = trace_of(name)
    answers.setdefault("nodes", {}).setdefault(t.names[-1][0], {})["a"] = \
        round(t.y_hat[0, 0], 3)
    result = t.check(answers)
    assert [m.field for m in result.mismatches] == [where]
    assert words in result.first.slip
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    status, out, _ = run(capsys, "explain", "--example", name, "--check", str(path))
    assert status == 1
    assert where in out and words in out


def test_the_learning_rate_and_the_losss_half_and_mean():
    t = trace_of("two-inputs-sigmoid-mse")
    w, g = t.edge("CD")["weight"], t.edge("CD")["grad"]
    assert "learning rate was left out" in t.check({"edges": {"CD": {"new": w - g}}}).first.slip
    assert "added, not subtracted" in \
        t.check({"edges": {"CD": {"new": w + t.lr * g}}}).first.slip
    assert "½ was used" in t.check({"loss": t.loss / 2}).first.slip
    bce = trace_of("one-input-sigmoid-bce")
    assert "base 10" in bce.check({"loss": bce.loss / np.log(10)}).first.slip
    # a batch: the gradient summed over the samples instead of their mean
    net = fp.Network([2, 2, 1], activation="tanh", output="identity", loss="mse", seed=3)
    batch = net.trace([[1, 2], [0, 1], [2, -1]], [0.5, -1, 2], lr=0.1)
    summed = 3 * batch.edge("AC")["grad"]
    assert "summed over the 3 samples" in \
        batch.check({"edges": {"AC": {"grad": summed}}}).first.slip


def test_digits_given_decide_agreement():
    t = trace_of("two-inputs-sigmoid-mse")  # ŷ = 0.645703…
    agree = [0.646, 0.645, 0.6457, 0.6, 0.64570391123]
    for given in agree:
        assert t.check({"y_hat": [[given]]}).ok, given
    for given in (0.644, 0.647, 0.6459, 0.64570393):
        assert not t.check({"y_hat": [[given]]}).ok, given
    # digits as written in the file, trailing zeros included
    assert not t.check(parse_answers('{"y_hat": [[0.6400]]}')).ok
    assert t.check(parse_answers('{"y_hat": [[0.65]]}')).ok


def test_the_first_wrong_number_is_the_first_the_step_computes():
    t = trace_of("two-inputs-sigmoid-mse")
    answers = {"edges": {"AC": {"new": 9.0}}, "nodes": {"C": {"a": 0.71}, "D": {"z": 0.1}},
               "loss": 0.21}
    result = t.check(answers)
    assert [m.field for m in result.mismatches] == \
        ["nodes.C.a", "nodes.D.z", "loss", "edges.AC.new"]
    assert "Also wrong (often following from the first): nodes.D.z, loss, edges.AC.new" \
        in str(result)


def test_the_layers_layout_and_a_batch():
    net = fp.Network([2, 3, 2], activation="sigmoid", output="softmax",
                     loss="cross_entropy", seed=1)
    t = net.trace([[1.0, 2.0], [0.5, -1.0]], [0, 1], lr=0.5)
    exact = t.to_dict()
    assert t.check(exact).ok
    wrong = json.loads(json.dumps({"layers": exact["layers"]}))
    wrong["layers"][1]["deltas"][1][0] += 0.25
    result = t.check(wrong)
    assert [m.field for m in result.mismatches] == ["layers[1].deltas[1][0]"]
    assert t.check({"nodes": {"D": {"a": t.node("D")["a"].tolist()}}}).ok


@pytest.mark.parametrize("answers, match", [
    ({"loss": "0.1"}, "answers: loss must be a number, got '0.1'"),
    ({"loss": True}, "answers: loss must be a number"),
    ({"weights": 1}, "answers: no field 'weights'; the fields are loss"),
    ({"nodes": {"Q": {"a": 1}}}, "answers: nodes.Q: no node 'Q'; nodes are named A"),
    ({"nodes": {"C": {"grad": 1}}}, "answers: nodes.C has no field 'grad'"),
    ({"nodes": {"A": {"delta": 1}}}, "answers: nodes.A.delta does not exist"),
    ({"nodes": {"C": {"bias": 1}}}, "answers: nodes.C.bias does not exist"),
    ({"edges": {"AD": {"new": 1}}}, "answers: edges.AD: no edge 'AD'; edges are named AC"),
    ({"edges": {"AC": {"delta": 1}}}, "answers: edges.AC has no field 'delta'"),
    ({"layers": [{"z": [[1, 2]]}]}, r"answers: layers\[0\].z has shape \(1, 2\), the "
                                    r"network's is \(1, 1\)"),
    ({"layers": [{}, {}, {}]}, "answers: layers must be a list of at most 2 objects"),
    ({"x": [[1, 3]]}, "answers: x is .* but this step's is .* another step"),
    ({"y_hat": [[0.5, 0.5]]}, r"answers: y_hat has shape \(1, 2\)"),
])
def test_bad_answers_are_named(answers, match):
    with pytest.raises(ValueError, match=match):
        trace_of("two-inputs-sigmoid-mse").check(answers)


def test_bad_answers_files(capsys, tmp_path):
    bad = tmp_path / "answers.json"
    bad.write_text('{"loss": ')
    status, out, err = run(capsys, "explain", "--example", "two-inputs-sigmoid-mse",
                           "--check", str(bad))
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "answers is not JSON" in err and str(bad) in err
    bad.write_text("[1, 2]")
    status, _, err = run(capsys, "explain", "--example", "two-inputs-sigmoid-mse",
                         "--check", str(bad))
    assert status == 2 and "must be a JSON object" in err
    status, _, err = run(capsys, "explain", "--example", "two-inputs-sigmoid-mse",
                         "--check", str(tmp_path / "missing.json"))
    assert status == 2 and "cannot read" in err and "missing.json" in err
    assert bad.read_text() == "[1, 2]"  # the file is left as it was


def test_one_number_that_agrees_is_said_so():
    ex = fp.examples.get("two-inputs-sigmoid-mse")
    trace = ex.network().trace(ex.x, ex.y, ex.lr)
    assert str(trace.check({"loss": 0.1255})) == "The number agrees with the step."
    assert str(trace.check({"loss": 0.1255, "nodes": {"D": {"a": 0.6457}}})) == \
        "All 2 numbers agree with the step."
