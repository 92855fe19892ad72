"""``TabularModel`` on raw tables: strings, booleans, missing values, a semicolon CSV,
columns matched by name, a model file that round-trips bit for bit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastprop as fp
from fastprop.tabular import ColumnSchema, read_table


def _penguin_like(n=300, seed=0):
    """Three species told apart by two measurements, an island and a sex, with gaps."""
    rng = np.random.default_rng(seed)
    species = rng.choice(["Adelie", "Gentoo", "Chinstrap"], size=n)
    centre = {"Adelie": (38.8, 18.3), "Gentoo": (47.5, 15.0), "Chinstrap": (48.8, 18.4)}
    bill = np.array([centre[s][0] for s in species]) + rng.normal(0, 2.0, n)
    depth = np.array([centre[s][1] for s in species]) + rng.normal(0, 0.8, n)
    island = np.where(species == "Gentoo", "Biscoe",
                      rng.choice(["Dream", "Torgersen", "Biscoe"], size=n))
    sex = rng.choice(["male", "female"], size=n).astype(object)
    bill = bill.astype(object)
    bill[rng.choice(n, 8, replace=False)] = None
    sex[rng.choice(n, 10, replace=False)] = "NA"
    return {"species": species.tolist(), "island": island.tolist(), "bill": bill.tolist(),
            "depth": depth.tolist(), "sex": sex.tolist(),
            "tagged": rng.choice([True, False], size=n).tolist()}


def _split(table, n_train):
    return ({k: v[:n_train] for k, v in table.items()},
            {k: v[n_train:] for k, v in table.items()})


def test_the_schema_learns_kinds_fills_and_categories():
    table = _penguin_like()
    kinds = {n: ColumnSchema.learn(n, v).kind for n, v in table.items()}
    assert kinds == {"species": "categorical", "island": "categorical", "bill": "numeric",
                     "depth": "numeric", "sex": "categorical", "tagged": "boolean"}
    bill = ColumnSchema.learn("bill", table["bill"])
    assert bill.indicator and bill.fill == pytest.approx(np.median(
        [v for v in table["bill"] if v is not None]))
    sex = ColumnSchema.learn("sex", table["sex"])
    assert sex.categories == ["female", "male"] and sex.width == 4  # + unknown + missing
    out = np.empty((3, 4))
    sex.transform(["male", "NA", "unseen"], out)
    assert out.tolist() == [[0, 1, 0, 0], [float(sex.fill == "female"),
                                           float(sex.fill == "male"), 0, 1], [0, 0, 1, 0]]


def test_penguin_like_data_is_learned_and_labels_stay_strings(engine):
    train, test = _split(_penguin_like(), 220)
    model = fp.TabularModel(hidden=(16,), epochs=80, lr=0.01, engine=engine)
    model.fit(train, target="species")
    assert model.classes_.tolist() == ["Adelie", "Chinstrap", "Gentoo"]
    predicted = model.predict(test)
    assert predicted.dtype.kind == "U" and set(predicted) <= set(model.classes_)
    assert model.score(test) > 0.9
    proba = model.predict_proba(test)
    assert proba.shape == (80, 3) and np.allclose(proba.sum(axis=1), 1)


def test_columns_are_matched_by_name(tmp_path):
    train, test = _split(_penguin_like(), 220)
    model = fp.TabularModel(hidden=(8,), epochs=20).fit(train, target="species")
    reordered = {k: test[k] for k in reversed(list(test))}
    reordered["extra"] = ["x"] * 80
    assert (model.predict(reordered) == model.predict(test)).all()
    del reordered["bill"]
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['bill'\]"):
        model.predict(reordered)


def test_a_semicolon_csv_with_gaps_trains_and_round_trips(tmp_path):
    table = _penguin_like(200)
    path = tmp_path / "penguins.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(";".join(table) + "\r\n")
        for row in zip(*table.values()):
            fh.write(";".join("" if v is None else f'"{v}"' if isinstance(v, str)
                              else str(v) for v in row) + "\r\n")
        fh.write("\r\n")
    assert read_table(path)["island"][:2] == table["island"][:2]
    model = fp.TabularModel(hidden=(8,), epochs=30).fit(path, target="species")
    assert model.score(path) > 0.8
    saved = tmp_path / "model.npz"
    model.save(saved)
    back = fp.load(saved)
    assert isinstance(back, fp.TabularModel)
    assert back.predict_proba(path).tobytes() == model.predict_proba(path).tobytes()
    assert (back.predict(path) == model.predict(path)).all()


def test_a_numeric_target_has_its_scaling_undone(engine):
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 10, 400)
    kind = rng.choice(["a", "b"], 400)
    price = 1000 + 300 * x + np.where(kind == "a", 500, 0) + rng.normal(0, 20, 400)
    table = {"x": x.tolist(), "kind": kind.tolist(), "price": price.tolist()}
    model = fp.TabularModel(hidden=(32,), epochs=150, lr=0.01, engine=engine)
    model.fit(table, target="price")
    assert model.classes_ is None and model.score(table) > 0.97
    assert np.mean(model.predict(table)) == pytest.approx(np.mean(price), rel=0.02)


def test_integer_classes_are_as_many_as_there_are_values():
    table = {"x": list(range(60)), "grade": [1, 2, 3] * 20}
    model = fp.TabularModel(hidden=(4,), epochs=2).fit(table, target="grade")
    assert model.classes_.tolist() == [1, 2, 3] and model.network.sizes[-1] == 3
    table = {"x": list(range(60)), "grade": [0, 5, 10] * 20}
    assert fp.TabularModel(hidden=(4,), epochs=2).fit(table, "grade").network.sizes[-1] == 3


@pytest.mark.parametrize("table, target, match", [
    ({"x": [1, 2, 3]}, "y", "target column 'y' is not in the data"),
    ({"x": [1, 2, 3], "y": ["a", "a", "a"]}, "y", "single class"),
    ({"x": [None, None, None], "y": ["a", "b", "a"]}, "y", "column 'x' has no values"),
    ({"x": [1, 2, 3], "y": ["a", None, "b"]}, "y", "target column 'y' has 1 missing"),
    ({"y": ["a", "b"]}, "y", "no feature columns"),
])
def test_bad_tables_are_named(table, target, match):
    with pytest.raises(ValueError, match=match):
        fp.TabularModel(epochs=1).fit(table, target=target)


def test_a_non_numeric_regression_target_is_refused():
    with pytest.raises(ValueError, match="not numeric"):
        fp.TabularModel(epochs=1, task="regression").fit({"x": [1, 2], "y": ["a", "b"]}, "y")


def test_a_dataframe_works_like_a_mapping():
    pd = pytest.importorskip("pandas")
    table = _penguin_like(120)
    frame = pd.DataFrame(table)
    a = fp.TabularModel(hidden=(8,), epochs=5).fit(frame, target="species")
    b = fp.TabularModel(hidden=(8,), epochs=5).fit(table, target="species")
    assert a.predict_proba(frame).tobytes() == b.predict_proba(table).tobytes()


def test_a_plain_network_file_still_loads_as_a_network(tmp_path):
    fp.Network([2, 1]).save(tmp_path / "n.npz")
    assert isinstance(fp.load(tmp_path / "n.npz"), fp.Network)


def test_the_command_line_describes_and_applies_a_table_model(tmp_path, capsys):
    import csv

    from fastprop.cli import main

    table = _penguin_like(160)
    path = tmp_path / "p.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(table))
        writer.writerows(zip(*table.values()))
    model = fp.TabularModel(hidden=(8,), epochs=30).fit(path, target="species")
    model.save(tmp_path / "m.npz")
    assert main(["info", str(tmp_path / "m.npz")]) == 0
    out = capsys.readouterr().out
    assert "target 'species'" in out and "classes: Adelie, Chinstrap, Gentoo" in out
    assert "island: categorical, 3 categories" in out and "tagged: boolean" in out
    assert main(["predict", str(tmp_path / "m.npz"), str(path), "-o",
                 str(tmp_path / "out.csv")]) == 0
    out = capsys.readouterr().out
    assert "wrote 160 predictions" in out and "accuracy" in out
    rows = list(csv.reader(open(tmp_path / "out.csv")))
    assert rows[0] == ["species", "proba_Adelie", "proba_Chinstrap", "proba_Gentoo"]
    assert [r[0] for r in rows[1:]] == model.predict(path).tolist()


def test_a_network_fitted_on_a_dataframe_keeps_its_column_names(tmp_path, engine):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    y = (frame["a"] > 0).astype(float)
    net = fp.Network([3, 4, 1], engine=engine, seed=0)
    net.fit(frame, y, epochs=2)
    assert net.feature_names_in_ == ["a", "b", "c"]
    same = net.predict(frame)
    with pytest.raises(ValueError, match="in another order"):
        net.predict(frame[["c", "b", "a"]])
    with pytest.raises(ValueError, match=r"missing \['c'\]"):
        net.loss(frame.rename(columns={"c": "d"}), y)
    assert (net.predict(frame.to_numpy()) == same).all()  # plain arrays: by position
    net.save(tmp_path / "n.npz")
    back = fp.load(tmp_path / "n.npz")
    assert back.feature_names_in_ == ["a", "b", "c"] and net.copy().feature_names_in_ == \
        ["a", "b", "c"]
    with pytest.raises(ValueError, match="in another order"):
        back.predict(frame[["b", "a", "c"]])


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m.fit([[1, 2], [3, 4]], "y"), TypeError, "DataFrame, a mapping"),
    (lambda m: m.fit({"x": [1, 2, 3], "y": [0, 1]}, "y"), ValueError, "different lengths"),
    (lambda m: m.fit({"x": [[1, 2], [3, 4]], "y": [0, 1]}, "y"), ValueError, "must be 1-D"),
])
def test_tabular_bad_input_is_named(call, error, match):
    model = fp.TabularModel(hidden=(2,), epochs=1)
    with pytest.raises(error, match=match):
        call(model)
    assert model.network is None  # nothing half-fitted


def test_tabular_predict_checks_its_input(engine):
    model = fp.TabularModel(hidden=(2,), epochs=1, engine=engine)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict({"x": [1.0]})
    model.fit({"x": [1.0, 2.0, 3.0, 4.0], "y": ["a", "b", "a", "b"]}, "y")
    with pytest.raises(ValueError, match="column 'x': 'oops' is not a number"):
        model.predict({"x": ["oops"]})
    assert model.predict({"x": [None, float("nan")]}).shape == (2,)  # missing → filled
    with pytest.raises(ValueError, match="TabularModel|optimizer"):
        fp.TabularModel(optimizer="nope", epochs=1).fit({"x": [1, 2], "y": [0, 1]}, "y")
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        fp.TabularModel(epochs=0)


def test_validation_data_dtype_and_evaluate(engine):
    train, test = _split(_penguin_like(), 220)
    model = fp.TabularModel(hidden=(8,), epochs=15, lr=0.01, dtype="float32", engine=engine)
    model.fit(train, "species", validation_data=test)
    assert len(model.history.val_loss) == 15 and len(model.history.val_accuracy) == 15
    assert model.network.dtype == np.float32 and model.transform(test).dtype == np.float32
    scores = model.evaluate(test)
    assert scores["accuracy"] == pytest.approx(model.history.val_accuracy[-1])
    assert scores["loss"] == pytest.approx(model.history.val_loss[-1], rel=1e-5)
    assert len(model.feature_names()) == model.network.sizes[0]
    assert "island=Dream" in model.feature_names() and "bill missing" in model.feature_names()
    # a label never seen in training: wrong, and no loss
    test["species"] = ["Emperor"] + test["species"][1:]
    assert "loss" not in model.evaluate(test)


def test_the_loss_can_be_chosen_and_must_fit_the_target():
    table = {"x": [0.0, 1.0, 2.0, 3.0] * 10, "y": ["a", "b", "a", "c"] * 10}
    model = fp.TabularModel(hidden=(4,), epochs=2, loss="cross_entropy")
    assert model.fit({"x": table["x"], "y": ["a", "b"] * 20}, "y").network.sizes[-1] == 2
    with pytest.raises(ValueError, match="takes two classes"):
        fp.TabularModel(hidden=(4,), epochs=2, loss="bce").fit(table, "y")
    with pytest.raises(ValueError, match="does not fit task"):
        fp.TabularModel(epochs=2, loss="mse", task="classification").fit(table, "y")
    with pytest.raises(ValueError, match="loss must be one of"):
        fp.TabularModel(loss="hinge")
    numbers = {"x": table["x"], "y": [1, 2, 3, 4] * 10}  # integers, but told: a number
    assert fp.TabularModel(hidden=(4,), epochs=2, loss="mse").fit(numbers, "y").classes_ \
        is None


def test_boolean_and_integer_labels_are_scored_from_text():
    x = list(range(40))
    model = fp.TabularModel(hidden=(4,), epochs=40, lr=0.05)
    model.fit({"x": x, "big": [v >= 20 for v in x]}, "big")
    assert model.classes_.tolist() == [False, True]
    as_text = {"x": x, "big": ["true" if v >= 20 else "FALSE" for v in x]}
    assert model.score(as_text) == model.score({"x": x, "big": [v >= 20 for v in x]}) > 0.8


def test_rows_without_a_truth_are_not_scored():
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    model = fp.TabularModel(hidden=(8,), epochs=30).fit({"x": x, "y": 3 * x + 1}, "y")
    truth = (3 * x + 1).astype(object)
    truth[:10] = None
    scores = model.evaluate({"x": x, "y": truth})
    expected = model.evaluate({"x": x[10:], "y": 3 * x[10:] + 1})
    assert scores == pytest.approx(expected) and set(scores) == {"r2", "rmse", "mae"}


def test_a_headerless_csv_names_columns_by_position(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("1.5,2,0\n3,4,1\n")
    assert read_table(path) == {"0": ["1.5", "3"], "1": ["2", "4"], "2": ["0", "1"]}
    path.write_text("1.5,2,a\n3,4,b\n")  # a text cell: the first row is a header
    assert read_table(path) == {"1.5": ["3"], "2": ["4"], "a": ["b"]}
    path.write_text("x|y\n1|2\n")
    assert read_table(path, delimiter="|") == {"x": ["1"], "y": ["2"]}
    with pytest.raises(ValueError, match="one character"):
        read_table(path, delimiter="||")


_CELLS = ["1.5", " 2 ", "-0", "+4", "1e3", "NA", "", "nan", "N/A", "null", "true", "False",
          " TRUE", "red", "Red ", "inf", "?", None, 3, 2.5, 4.0, float("nan"), float("inf"),
          np.float32(0.5), np.int64(7)]


@given(st.lists(st.sampled_from(_CELLS), max_size=12),
       st.lists(st.sampled_from([True, False, None, np.bool_(True)]), max_size=4))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_whole_column_reading_agrees_with_the_cell_by_cell_rules(values, flags):
    """The NumPy fast paths of ``cells`` give what the per-cell definitions say."""
    from fastprop.tabular._columns import _bool, _number, cells, is_missing

    for column in (values, flags, values + flags):
        got = cells(column)
        missing = [is_missing(v) for v in column]
        assert got.missing.tolist() == missing
        present = [v for v, m in zip(column, missing) if not m]
        numbers = [_number(v) for v in present]
        if all(n is not None for n in numbers):
            assert got.numbers is not None
            assert got.numbers[~got.missing].tolist() == numbers
        else:
            assert got.numbers is None
        bools = [_bool(v) for v in present]
        if present and all(b is not None for b in bools):
            assert got.flags[~got.missing].tolist() == bools
        else:
            assert got.flags is None
        assert got.text().tolist() == [
            str(int(v)) if isinstance(v, float) and np.isfinite(v) and v == int(v)
            else str(v).strip() for v in column]


def test_regression_losses_fit_a_table():
    rng = np.random.default_rng(3)
    x = rng.normal(size=300)
    counts = rng.poisson(np.exp(0.8 * x + 1.0))
    table = {"x": x.tolist(), "kind": rng.choice(["a", "b"], 300).tolist(),
             "n": counts.tolist()}
    model = fp.TabularModel(hidden=(8,), epochs=40, lr=0.01, loss="poisson")
    model.fit(table, "n")
    assert model.classes_ is None and model.loss_name == "poisson"
    assert (model.predict(table) > 0).all() and model.score(table) > 0.5
    for loss in ("mae", "huber"):
        fitted = fp.TabularModel(hidden=(8,), epochs=5, loss=loss).fit(table, "n")
        assert fitted.loss_name == loss and fitted.classes_ is None
    with pytest.raises(ValueError, match="negative values"):
        fp.TabularModel(epochs=1, loss="poisson").fit({"x": [1, 2], "y": [-1.0, 2.0]}, "y")


def test_pandas_missing_values_decimals_and_infinities():
    pd = pytest.importorskip("pandas")
    from decimal import Decimal

    frame = pd.DataFrame({"age": pd.array([20, 30, None, 40] * 10, dtype="Int64"),
                          "ok": pd.array([True, None, False, True] * 10, dtype="boolean"),
                          "price": [Decimal("1.5"), Decimal("2.25")] * 20,
                          "y": ["a", "b", "a", "b"] * 10})
    model = fp.TabularModel(hidden=(4,), epochs=1).fit(frame, "y")
    assert [(c.kind, c.indicator) for c in model.columns] == [
        ("numeric", True), ("boolean", True), ("numeric", False)]
    with pytest.raises(ValueError, match=r"column 'x': row 4 is inf \(not finite\)"):
        fp.TabularModel(epochs=1).fit({"x": [1.0, 2.0, 3.0, np.inf], "y": [0, 1, 0, 1]},
                                      "y")
    target = frame.assign(y=pd.array(["a", None, "b", "a"] * 10, dtype="string"))
    with pytest.raises(ValueError, match="target column 'y' has 10 missing"):
        fp.TabularModel(epochs=1).fit(target, "y")


def test_the_target_can_be_forced_to_classes_and_validation_labels_count():
    table = {"x": list(range(60)), "y": [v * 1.5 for v in range(60)]}
    model = fp.TabularModel(hidden=(4,), epochs=1, categorical=["y"]).fit(table, "y")
    assert len(model.classes_) == 60
    with pytest.raises(ValueError, match="listed as categorical but task='regression'"):
        fp.TabularModel(epochs=1, categorical=["y"], task="regression").fit(table, "y")
    train = {"x": [1.0, 2.0, 3.0, 4.0], "y": ["a", "b", "a", "b"]}
    held = {"x": [5.0], "y": ["c"]}  # a class seen only in the held-out rows
    model = fp.TabularModel(hidden=(4,), epochs=2).fit(train, "y", validation_data=held)
    assert model.classes_.tolist() == ["a", "b", "c"] and len(model.history.val_loss) == 2
    with pytest.raises(ValueError, match="validation_data: target column 'y': 'x' is not"):
        fp.TabularModel(epochs=1).fit({"x": [1.0, 2.0], "y": [0.5, 1.5]}, "y",
                                      validation_data={"x": [1.0], "y": ["x"]})


def test_integral_floats_are_the_same_category_as_integers():
    model = fp.TabularModel(hidden=(4,), epochs=1, categorical=["zip"])
    model.fit({"zip": [12345.0, 54321.0, float("nan")] * 5, "y": [0, 1, 0] * 5}, "y")
    assert model.columns[0].categories == ["12345", "54321"]
    X = model.transform({"zip": ["12345", 54321]})
    assert X[:, :3].tolist() == [[1, 0, 0], [0, 1, 0]]  # known, not "unknown"
