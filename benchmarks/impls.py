"""The implementations benchmarked, each a factory of trainers over the same pre-made data.

A trainer ``train(m, epochs)`` trains on the first ``m`` samples for ``epochs`` epochs, in
order (no shuffling), with plain SGD at the workload's learning rate; state carries over
between calls (the network keeps training). Every implementation gets the very same
NumPy arrays. The peers (PyTorch, scikit-learn, JAX) are defined in ``fastprop._peers``,
which ships with the package so that ``fastprop bench`` can compare with them too.
"""

from __future__ import annotations

from fastprop._bench import Trainer, Workload, fastprop_trainer
from fastprop._peers import PEERS, Peer

#: An implementation is a peer record (name, label, module to import, factory).
Impl = Peer


def _fastprop(workload, X, y):
    return fastprop_trainer(workload, X, y, "cython"), ""


def _fastprop_numpy(workload, X, y):
    return fastprop_trainer(workload, X, y, "numpy"), ""


IMPLS: dict[str, Impl] = {i.name: i for i in (
    Impl("fastprop", "fastprop (cython)", "fastprop._engine", _fastprop),
    Impl("fastprop-numpy", "fastprop (numpy engine)", "fastprop", _fastprop_numpy),
    *PEERS.values(),
)}


def make_trainer(name: str, workload: Workload, X, y) -> tuple[Trainer, str]:
    return IMPLS[name].factory(workload, X, y)


def load_libraries(names) -> None:
    """Import every library that brings its own BLAS/OpenMP, so that thread limits set
    afterwards (threadpoolctl) reach all of them: fastprop's compiled engine loads SciPy's
    OpenBLAS, NumPy has its own, PyTorch its own."""
    import fastprop._engine  # noqa: F401
    import scipy.linalg  # noqa: F401
    for name in names:
        if IMPLS[name].missing() is None:
            __import__(IMPLS[name].module)
