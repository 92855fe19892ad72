"""The ``fastprop`` command line, end to end: explain, demo, train, predict, info, bench."""

import csv
import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastprop as fp
from fastprop.cli import main
from fastprop.cli.explain import TEXT_QUANTITIES

# The exact float64 values of worked-examples/README.md, by the examples' own keys.
README_EXACT = {
    "two-inputs-sigmoid-mse": {
        "z_h": 1.1, "h": 0.7502601055951177, "y_hat": 0.6457039112315864,
        "L": 0.12552571851659558, "delta_out": -0.1621048948126419,
        "dw3": -0.12162083549961815, "delta_h": -0.02429885969208656,
        "dw1": -0.02429885969208656, "dw2": -0.04859771938417312,
        "w1": 0.5024298859692087, "w2": 0.3048597719384173, "w3": 0.8121620835499619},
    "one-input-sigmoid-bce": {
        "a_h": 0.6224593312018546, "y_hat": 0.6507776782147005, "L": 0.42958720321948496,
        "delta_out": -0.34922232178529955, "dw_o": -0.21737669285923641,
        "da_h_dz_h": 0.2350037122015945, "dw_h": -0.08206854200320515,
        "w_o": 1.0217376692859237, "w_h": 0.5082068542003205},
    "three-inputs-relu-sigmoid-bce": {"D": 6.0, "E": 6.0, "F": 0.9999938558253978,
                                      "EF_new": 1 - 6 / (1 + np.exp(-12.0))},
}
NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?"


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def fails(capsys, status_expected, *argv, match=None):
    """One clear line on stderr, the expected non-zero status, no traceback."""
    status, out, err = run(capsys, *argv)
    assert status == status_expected, (status, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("fastprop")
    if match:
        assert re.search(match, err), err
    return err


@pytest.mark.parametrize("name", fp.examples.names())
def test_explain_examples_print_the_texts_numbers(capsys, engine, name):
    status, out, err = run(capsys, "explain", "--example", name, "--engine", engine)
    assert status == 0 and err == ""
    table = out.split("Compared with the text")[1]
    ex = fp.examples.get(name)
    for key in TEXT_QUANTITIES[name]:
        line = next(line for line in table.splitlines() if line.split()[:1] == [key])
        ours = float(re.search(rf"fastprop ({NUMBER})", line).group(1))
        assert ours == pytest.approx(README_EXACT[name][key], rel=1e-9)
        text = ex.text_values[key]
        if text is not None:  # the printed text value, and agreement to its digits
            assert float(re.search(rf"text ({NUMBER})", line).group(1)) == text
            assert "agrees" in line
    assert "DIFFERS" not in out


def test_explain_prints_the_issue_numbers(capsys):
    two = run(capsys, "explain", "--example", "two-inputs-sigmoid-mse")[1]
    for number in ("0.646", "0.125", "0.812"):  # the text's digits, beside fastprop's
        assert f"text {number}" in two
    assert "D = σ(z_D) = σ(0.60021) = 0.6457" in two and "CD = 0.81216" in two
    one = run(capsys, "explain", "--example", "one-input-sigmoid-bce")[1]
    for number in ("0.65078", "0.42958", "1.02174", "0.50821"):
        assert number in one
    three = run(capsys, "explain", "--example", "three-inputs-relu-sigmoid-bce")[1]
    assert "F = σ(z_F) = σ(12) = 0.99999" in three
    assert "EF_new = EF − η·∂L/∂EF = 1 − 1×5.99996 = -4.99996" in three
    assert "−5999" in three  # the note on the text's shortcut


def test_custom_form_reproduces_the_two_input_example(capsys, engine):
    status, out, err = run(capsys, "explain", "--sizes", "2,1,1", "--weights", "0.5,0.3,0.8",
                           "--x", "1,2", "--y", "1", "--activation", "sigmoid", "--output",
                           "sigmoid", "--loss", "mse", "--lr", "0.1", "--no-bias",
                           "--engine", engine)
    assert status == 0 and err == ""
    ex = fp.examples.get("two-inputs-sigmoid-mse")
    assert out == str(ex.network(engine=engine).trace(ex.x, ex.y, ex.lr)) + "\n"
    # layers separated by ';' mean the same
    same = run(capsys, "explain", "--sizes", "2,1,1", "--weights", "0.5,0.3;0.8", "--x", "1,2",
               "--y", "1", "--activation", "sigmoid", "--output", "sigmoid", "--loss", "mse",
               "--no-bias", "--engine", engine)[1]
    assert same == out


def test_explain_batch_formats_and_list(capsys, tmp_path):
    status, out, _ = run(capsys, "explain", "--list")
    assert status == 0 and out.split()[::15][:1] == ["three-inputs-relu-sigmoid-bce"]
    assert all(name in out for name in fp.examples.names())
    out = run(capsys, "explain", "--sizes", "2,2,1", "--x", "1,2;3,4", "--y", "1;0",
              "--format", "markdown")[1]
    assert out.startswith("**One training step**") and "| b_E |" in out
    data = json.loads(run(capsys, "explain", "--example", "one-input-sigmoid-bce",
                          "--format", "json")[1])
    assert data["edges"]["BC"]["new"] == pytest.approx(1.0217376692859237, rel=1e-12)
    pytest.importorskip("matplotlib")
    png = tmp_path / "step.png"
    status, out, _ = run(capsys, "explain", "--example", "one-input-sigmoid-bce", "--png",
                         str(png))
    assert status == 0 and png.stat().st_size > 1000 and str(png) in out


@pytest.mark.parametrize("argv, status, match", [
    (["explain"], 2, "--example"),
    (["explain", "--example", "nope"], 1, "no worked example"),
    (["explain", "--sizes", "2,x", "--x", "1", "--y", "1"], 2, "--sizes"),
    (["explain", "--sizes", "2,1,1", "--weights", "1,2", "--x", "1,2", "--y", "1"], 2,
     "--weights needs 3 numbers"),
    (["explain", "--sizes", "2,1,1", "--x", "1,2,3", "--y", "1"], 1, r"\bx\b"),
    (["explain", "--sizes", "2,1,1", "--x", "1,2", "--y", "3"], 1, r"\by\b"),
    (["explain", "--sizes", "2,1,1", "--x", "1,nan", "--y", "1"], 1, "NaN"),
    (["explain", "--sizes", "2,1,1", "--x", "1,2", "--y", "1", "--lr", "0"], 1, r"\blr\b"),
    (["explain", "--sizes", "2,1,1", "--x", "1,2", "--y", "1", "--loss", "hinge"], 2,
     "invalid choice"),
    (["explain", "--example", "one-input-sigmoid-bce", "--digits", "0"], 2, "digits"),
    ([], 2, "choose a command"),
    (["fly"], 2, "invalid choice"),
])
def test_explain_and_usage_errors(capsys, argv, status, match):
    fails(capsys, status, *argv, match=match)


def test_version_and_help(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.strip() == f"fastprop {fp.__version__}"
    status, out, _ = run(capsys, "train", "--help")
    assert status == 0 and "--val-split" in out


# --------------------------------------------------------------------------- demo
def test_demo(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "demo")
    assert status == 0
    assert "One training step of Network([3, 2, 1]" in out and "batch of 6 samples" in out
    assert "accuracy 1.00 (6 of 6 points)" in out and "ŷ = 0.50000" in out
    assert "symmetry" in out and "bias" in out
    assert re.search(r"150 epochs: training loss \d\.\d+, accuracy 0\.9\d+; held-out loss "
                     r"\d\.\d+, accuracy 0\.9\d+", out), out
    folder = tmp_path / "fastprop-output"
    assert f"Pictures in {folder}" in out
    for name in ("moons-loss.png", "moons-boundary.png", "three-inputs-step.png"):
        assert (folder / name).read_bytes()[:4] == b"\x89PNG"


def test_demo_without_matplotlib(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, out, _ = run(capsys, "demo", "--out", str(tmp_path / "pics"), "--epochs", "5",
                         "--engine", "numpy")
    assert status == 0 and "matplotlib is not installed" in out
    assert not (tmp_path / "pics").exists()


def test_demo_as_a_program_without_a_terminal(tmp_path):
    """``python -m fastprop demo`` with no arguments, output to pipes, in a fresh dir."""
    env = dict(os.environ, MPLBACKEND="", PYTHONIOENCODING="ascii")  # even a 7-bit pipe
    done = subprocess.run([sys.executable, "-m", "fastprop", "demo", "--epochs", "20"],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120,
                          encoding="ascii", errors="replace")
    assert done.returncode == 0, done.stderr
    assert "accuracy 1.00" in done.stdout and "Done in" in done.stdout
    assert done.stderr == ""  # no progress bar when not on a terminal


# ---------------------------------------------------------- train, predict, info
@pytest.fixture
def moons_csv(tmp_path):
    X, y = fp.data.two_moons(120, noise=0.15, seed=3)
    path = tmp_path / "moons.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="x1,x2,label",
               comments="", fmt="%.6g")
    return path


def test_train_predict_info(capsys, tmp_path, moons_csv, engine):
    model, curve = tmp_path / "model.npz", tmp_path / "loss.png"
    plot = ["--plot", str(curve)] if importlib.util.find_spec("matplotlib") else []
    status, out, err = run(capsys, "train", str(moons_csv), "--target", "label", "--hidden",
                           "16", "--epochs", "40", "--lr", "0.01", "--progress", "--engine",
                           engine, "-o", str(model), "--seed", "1", "--no-early-stopping",
                           *plot)
    assert status == 0, err
    assert not plot or curve.read_bytes()[:4] == b"\x89PNG"
    assert "120 rows, 3 columns; 24 held out for validation" in out
    assert "target 'label': 2 classes (0, 1); loss bce; 2 feature columns → 2 inputs" in out
    final = out.strip().splitlines()[-1 - bool(plot)]
    assert re.search(r"train accuracy 0\.[89]\d+, loss [\d.]+ · validation accuracy "
                     r"0\.\d+, loss [\d.]+ · 40 epochs in", final), final
    assert "40/40" in err and "val_loss=" in err and "val_acc=" in err  # the bar, asked for
    trained = fp.load(model)
    assert isinstance(trained, fp.TabularModel) and trained.classes_.tolist() == [0, 1]
    assert trained.network.sizes == (2, 16, 1) and trained.loss_name == "bce"

    status, out, _ = run(capsys, "info", str(model))
    assert status == 0 and "Network([2, 16, 1], relu→sigmoid, bce" in out
    assert "parameters: 65 float64" in out and "epochs trained: 40" in out
    assert "x1: numeric, mean" in out and "classes: 0, 1" in out

    # the very file it was trained on: the target column is ignored, then scored
    preds = tmp_path / "preds.csv"
    status, out, _ = run(capsys, "predict", str(model), str(moons_csv), "-o", str(preds))
    assert status == 0 and "wrote 120 predictions" in out
    rows = list(csv.reader(open(preds)))
    assert rows[0] == ["label", "proba_0", "proba_1"]
    X = np.loadtxt(moons_csv, delimiter=",", skiprows=1)
    p1 = trained.predict_proba({"x1": X[:, 0], "x2": X[:, 1]})[:, 1]
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], p1, rtol=1e-5)
    assert [int(r[0]) for r in rows[1:]] == (p1 > 0.5).astype(int).tolist()
    accuracy = float(re.search(r"accuracy ([\d.]+)", out).group(1))
    assert accuracy == pytest.approx(np.mean((p1 > 0.5) == X[:, 2]), abs=1e-4)
    # features only, in another order, predictions to stdout
    features = tmp_path / "features.csv"
    np.savetxt(features, X[:, [1, 0]], delimiter=",", header="x2,x1", comments="")
    status, out, err = run(capsys, "predict", str(model), str(features))
    assert status == 0 and out.splitlines()[0] == "label,proba_0,proba_1" and err == ""
    assert [float(r[2]) for r in csv.reader(out.splitlines()[1:])] == \
        [float(r[2]) for r in rows[1:]]


def test_train_classes_and_regression(capsys, tmp_path):
    X, y = fp.data.spirals(90, seed=0)
    classes = tmp_path / "spirals.csv"  # no header: columns are named 0, 1, 2
    np.savetxt(classes, np.column_stack([X, y]), delimiter=",", fmt="%.6g")
    status, out, _ = run(capsys, "train", str(classes), "--target", "2", "--epochs", "3",
                         "-o", str(tmp_path / "s.npz"), "--engine", "numpy")
    assert status == 0 and "3 classes (0, 1, 2); loss cross_entropy" in out
    status, out, _ = run(capsys, "predict", str(tmp_path / "s.npz"), str(classes))
    assert status == 0 and out.splitlines()[0] == "2,proba_0,proba_1,proba_2"
    # class ids far apart are still three classes, not eleven outputs
    sparse = tmp_path / "sparse.csv"
    sparse.write_text("x,grade\n" + "".join(f"{i},{[0, 5, 10][i % 3]}\n" for i in range(30)))
    status, out, _ = run(capsys, "train", str(sparse), "--target", "grade", "--epochs", "2",
                         "-o", str(tmp_path / "g.npz"))
    assert status == 0 and "3 classes (0, 5, 10)" in out
    assert fp.load(tmp_path / "g.npz").network.sizes[-1] == 3
    regression = tmp_path / "reg.csv"
    target = 100 + 50 * np.sin(X[:, 0])
    np.savetxt(regression, np.column_stack([X, target]), delimiter=",", header="a,b,t",
               comments="")
    status, out, _ = run(capsys, "train", str(regression), "--target", "-1", "--epochs",
                         "3", "--optimizer", "sgd", "--val-split", "0", "--hidden", "none",
                         "-o", str(tmp_path / "r.npz"), "--engine", "numpy")
    assert status == 0 and "target 't': numeric (mean" in out and "loss mse" in out
    assert "validation" not in out and re.search(r"train R² -?[\d.]+, RMSE [\d.]+, MAE", out)
    model = fp.load(tmp_path / "r.npz")
    assert model.network.sizes == (2, 1) and model.classes_ is None
    status, out, err = run(capsys, "predict", str(tmp_path / "r.npz"), str(regression))
    predicted = np.array([float(v) for v in out.splitlines()[1:]])
    np.testing.assert_allclose(predicted, model.predict(regression), rtol=1e-9)
    rmse = float(np.sqrt(np.mean((predicted - target) ** 2)))
    assert f"RMSE {rmse:.4g}" in err and "R² " in err and "MAE " in err


def test_train_on_a_raw_csv_with_text_gaps_booleans_and_semicolons(capsys, tmp_path):
    rng = np.random.default_rng(0)
    n = 240
    kind = rng.choice(["red", "green", "blue"], n)
    size = rng.normal(10, 3, n)
    label = np.where((kind == "red") | (size > 12), "yes", "no")
    rows = ["kind;size;flag;label"]
    for i in range(n):
        size_cell = "NA" if i % 17 == 0 else f"{size[i]:.3f}"
        kind_cell = "" if i % 23 == 0 else f'"{kind[i]}"'
        rows.append(f"{kind_cell};{size_cell};{['True', 'False'][i % 2]};{label[i]}")
    path = tmp_path / "raw.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(rows) + "\r\n\r\n").encode("utf-8"))
    model = tmp_path / "m.npz"
    status, out, err = run(capsys, "train", str(path), "--target", "label", "--epochs",
                           "60", "--hidden", "16", "--lr", "0.01", "-o", str(model))
    assert status == 0, err
    assert "2 classes (no, yes); loss bce; 3 feature columns" in out
    held_out = float(re.search(r"validation accuracy ([\d.]+)", out).group(1))
    assert held_out > 0.85
    status, out, _ = run(capsys, "info", str(model))
    assert "kind: categorical, 3 categories (blue, green, red)" in out
    assert "size: numeric" in out and "missing indicator" in out and "flag: boolean" in out
    # reordered, an extra column, the target gone: predictions by name
    other = tmp_path / "other.csv"
    other.write_text("extra,flag,size,kind\n1,true,15,green\n2,false,5,red\n3,,NA,purple\n")
    status, out, _ = run(capsys, "predict", str(model), str(other))
    assert status == 0 and out.splitlines()[0] == "label,proba_no,proba_yes"
    assert [r.split(",")[0] for r in out.splitlines()[1:3]] == ["yes", "yes"]
    missing = tmp_path / "missing.csv"
    missing.write_text("flag,kind\ntrue,red\n")
    fails(capsys, 1, "predict", str(model), str(missing), match=r"lacks the column\(s\) "
          r"\['size'\]")
    forced = tmp_path / "forced.csv"  # a forced delimiter reads the file as one column
    fails(capsys, 1, "train", str(path), "--target", "label", "--delimiter", ",", "-o",
          str(forced), match="no column named 'label'")
    assert not forced.exists()


def test_a_network_file_predicts_by_column_name(capsys, tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"])
    net = fp.Network([2, 1], seed=0)
    net.fit(frame, (frame["a"] > 0).astype(float), epochs=2)
    net.save(tmp_path / "n.npz")
    path = tmp_path / "x.csv"
    frame[["b", "a"]].assign(other=1.0).to_csv(path, index=False)
    status, out, _ = run(capsys, "predict", str(tmp_path / "n.npz"), str(path))
    assert status == 0 and out.splitlines()[0] == "probability,prediction"
    expected = net.predict(frame)[:, 0]
    np.testing.assert_allclose([float(r.split(",")[0]) for r in out.splitlines()[1:]],
                               expected, rtol=1e-9)
    frame[["b"]].to_csv(path, index=False)
    fails(capsys, 1, "predict", str(tmp_path / "n.npz"), str(path),
          match=r"lacks the column\(s\) \['a'\]")


def test_what_a_test_file_and_a_rare_class_need(capsys, tmp_path):
    """A test file with its target column left empty is predicted, not scored; a class
    with one row trains whatever the split; '?' is a missing value; quoted line breaks
    stay in their cell; a pandas index column is named as pandas names it."""
    rows = ["id,x,kind,label"] + [f"{i},{i % 7},\"a\nb\" ,{'yes' if i % 2 else 'no'}"
                                  for i in range(40)] + ["40,?,c,rare"]
    data = tmp_path / "d.csv"
    data.write_text("\n".join(rows) + "\n")
    for seed in ("0", "1", "2", "3"):
        status, out, err = run(capsys, "train", str(data), "--target", "label", "--seed",
                               seed, "--epochs", "2", "-o", str(tmp_path / "m.npz"))
        assert status == 0, err
        assert "3 classes (no, rare, yes)" in out
    model = fp.load(tmp_path / "m.npz")
    assert [c.kind for c in model.columns] == ["numeric", "numeric", "categorical"]
    assert model.columns[1].indicator and model.columns[2].categories == ["a\nb", "c"]
    test = tmp_path / "test.csv"
    test.write_text("id,x,kind,label\n1,2,c,\n2,3,a,\n")
    status, out, err = run(capsys, "predict", str(tmp_path / "m.npz"), str(test))
    assert status == 0 and len(out.splitlines()) == 3 and err == ""
    indexed = tmp_path / "indexed.csv"
    indexed.write_text(",x,y\n0,1,a\n1,2,b\n2,3,a\n3,4,b\n")
    assert "Unnamed: 0" in fp.tabular.read_table(indexed)


def test_bad_arguments_and_files(capsys, tmp_path, moons_csv):
    csv_, model = str(moons_csv), str(tmp_path / "m.npz")
    fails(capsys, 2, "train", csv_, match="--target")
    fails(capsys, 1, "train", str(tmp_path / "none.csv"), "--target", "y", match="not a file")
    fails(capsys, 1, "train", csv_, "--target", "nope", match="no column named 'nope'")
    fails(capsys, 1, "train", csv_, "--target", "9", match="--target 9: .* has 3 columns")
    fails(capsys, 2, "train", csv_, "--target", "label", "--hidden", "0,3", match="--hidden")
    fails(capsys, 2, "train", csv_, "--target", "label", "--epochs", "many", match="--epochs")
    fails(capsys, 2, "train", csv_, "--target", "label", "--epochs", "0", match="--epochs")
    fails(capsys, 2, "train", csv_, "--target", "label", "--val-split", "1.5",
          match="--val-split")
    fails(capsys, 2, "train", csv_, "--target", "label", "--optimizer", "lbfgs",
          match="invalid choice")
    fails(capsys, 1, "train", csv_, "--target", "label", "--categorical", "nope",
          match="column 'nope'")
    fails(capsys, 1, "train", csv_, "--target", "label", "--loss", "mse", "--task",
          "classification", match="does not fit")
    fails(capsys, 1, "train", csv_, "--target", "label", "-o", str(tmp_path / "no" / "m.npz"),
          match="does not exist")
    text = tmp_path / "text.csv"
    text.write_text("x,y\n1,a\n2,b\n3,a\n")
    fails(capsys, 1, "train", str(text), "--target", "y", "--task", "regression",
          match="'y' is not numeric")
    one = tmp_path / "one.csv"
    one.write_text("x,y\n1,a\n2,a\n3,a\n")
    fails(capsys, 1, "train", str(one), "--target", "y", "--val-split", "0",
          match="single class")
    empty = tmp_path / "empty.csv"
    empty.write_text("x,z,y\n1,,a\n2,NA,b\n3,,a\n")
    fails(capsys, 1, "train", str(empty), "--target", "y", "--val-split", "0",
          match="column 'z' has no values")
    assert not os.path.exists(model)
    fails(capsys, 1, "info", csv_, match="not a readable fastprop model")
    fails(capsys, 1, "info", str(tmp_path / "missing.npz"), match="not a file")
    run(capsys, "train", csv_, "--target", "label", "--epochs", "1", "-o", model)
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2\n1,2\nx,y\n")
    fails(capsys, 1, "predict", model, str(bad), match="'x' is not a number")
    fails(capsys, 1, "predict", model, csv_, "--target", "nope", match="no column named")
    fails(capsys, 2, "predict", model, csv_, "-o", csv_, match="is the data")
    fails(capsys, 2, "train", csv_, "--target", "label", "-o", csv_,
          match="is the training data")
    assert open(csv_).readline().startswith("x1,x2,label")  # the data, untouched
    fails(capsys, 2, "predict", model, match="required")


def test_bench_is_delegated(capsys):
    if importlib.util.find_spec("fastprop._bench") is None:
        fails(capsys, 1, "bench", "--anything", match="not available yet")
    else:  # everything after "bench" goes to fastprop._bench.main
        status, out, _ = run(capsys, "bench", "--help")
        assert status == 0 and "usage: fastprop bench" in out


def test_train_stops_early_by_default_and_keeps_the_best_epoch(capsys, tmp_path, moons_csv):
    model = tmp_path / "m.npz"
    status, out, err = run(capsys, "train", str(moons_csv), "--target", "label", "--hidden",
                           "16", "--epochs", "500", "--lr", "0.05", "-o", str(model))
    assert status == 0, err
    assert "has not improved for 10 epochs" in out and "of 500 epochs in" in out, out
    status, out, err = run(capsys, "train", str(moons_csv), "--target", "label", "--hidden",
                           "16", "--epochs", "300", "--lr", "0.05", "--early-stopping", "3",
                           "-o", str(model))
    assert status == 0, err
    stop = re.search(r"early stopping after epoch (\d+): the validation loss has not "
                     r"improved for 3 epochs; keeping epoch (\d+) \(val_loss ([\d.]+)\)", out)
    assert stop, out
    stopped, best = int(stop[1]), int(stop[2])
    assert stopped - best == 3 and f"{stopped} of 300 epochs in" in out
    trained = fp.load(model)
    assert trained.network.epochs_trained == stopped


def test_train_lr_schedules(capsys, tmp_path, moons_csv):
    for name in ("constant", "cosine", "step"):
        status, out, err = run(capsys, "train", str(moons_csv), "--target", "label",
                               "--epochs", "6", "--lr-schedule", name, "--clip-norm", "1",
                               "-o", str(tmp_path / f"{name}.npz"))
        assert status == 0, err
        saved = fp.load(tmp_path / f"{name}.npz")
        assert saved.network.optimizer.epochs == 6  # the schedule's position, saved
    params = [fp.load(tmp_path / f"{n}.npz").network.params for n in ("constant", "cosine",
                                                                     "step")]
    assert not np.allclose(params[0], params[1]) and not np.allclose(params[0], params[2])
    status, out, err = run(capsys, "train", str(moons_csv), "--target", "label", "--epochs",
                           "80", "--lr", "0.3", "--optimizer", "sgd", "--lr-schedule",
                           "plateau", "--no-early-stopping", "-o", str(tmp_path / "p.npz"))
    assert status == 0, err
    assert re.search(r"epoch \d+: val_loss [\d.]+ has not improved for 3 epochs; learning "
                     r"rate 0\.3 → 0\.15", out), out


@pytest.mark.parametrize("argv, match", [
    (["--early-stopping", "-1"], "--early-stopping"),
    (["--early-stopping", "4", "--val-split", "0"], "validation split"),
    (["--early-stopping", "4", "--no-early-stopping"], "no-early-stopping"),
    (["--clip-norm", "0"], "--clip-norm"),
    (["--lr-schedule", "linear"], "--lr-schedule"),
])
def test_train_control_usage_errors(capsys, tmp_path, moons_csv, argv, match):
    model = tmp_path / "m.npz"
    fails(capsys, 2, "train", str(moons_csv), "--target", "label", "-o", str(model), *argv,
          match=match)
    assert not model.exists()
