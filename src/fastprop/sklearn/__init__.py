"""scikit-learn estimators trained by fastprop: change the import, keep the code.

>>> from fastprop.sklearn import MLPClassifier   # was: from sklearn.neural_network import …

``MLPClassifier`` and ``MLPRegressor`` take scikit-learn's constructor parameters with
their meanings and set its fitted attributes (``coefs_``, ``intercepts_``,
``loss_curve_``, ``n_iter_``, ``classes_``, …). They follow scikit-learn's definitions
where those differ from fastprop's core (the ½ in squared error, the L2 penalty on the
weights only, its Adam epsilon and SGD velocity); the passes and updates run in a
fastprop engine (``engine="cython"`` by default, or ``"numpy"``).
"""

from ._classes import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
