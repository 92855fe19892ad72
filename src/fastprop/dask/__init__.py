"""fastprop's scikit-learn estimators for data that lives on a Dask cluster.

>>> from fastprop.dask import MLPClassifier   # was: from fastprop.sklearn import …

``MLPClassifier`` and ``MLPRegressor`` are those of ``fastprop.sklearn`` (the same
parameters, fitted attributes and NumPy behaviour) whose ``fit``, ``partial_fit``,
``predict`` and ``score`` also take dask arrays, DataFrames and Series. Training runs on
the workers of the connected ``distributed.Client``, where the partitions are:

* ``solver="lbfgs"`` trains on all the rows at once, exactly: every worker computes the
  loss and gradient of the partitions it holds with fastprop's compiled engine, this
  process adds them and runs SciPy's L-BFGS (as Spark MLlib trains its perceptrons). The
  result is ``fastprop.sklearn``'s on the concatenated data, up to the order of sums.
* ``solver="adam"`` or ``"sgd"``: each epoch every worker trains on its own rows, from the
  same parameters and optimizer state, and the models are averaged (weighted by their
  rows). One exchange per epoch; the average of models trained apart is close to, not
  equal to, one model trained on all the rows.

``predict`` and ``predict_proba`` of a dask collection return dask arrays, computed
block by block where the blocks are. ``to_sklearn()`` gives the fitted model as a
``fastprop.sklearn`` estimator.

Needs ``pip install "fastprop-mlp[dask]"`` (``dask[distributed]``).
"""

try:
    import dask.array  # noqa: F401
    import distributed  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError("fastprop.dask needs dask and distributed: "
                      "pip install 'fastprop-mlp[dask]'") from None

from ._estimators import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
