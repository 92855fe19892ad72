"""The compiled engine: the reference engine with its hot paths replaced by Cython kernels."""

from __future__ import annotations

from .numpy_engine import NumpyEngine

try:
    from .. import _shuffle
except ImportError as exc:  # pragma: no cover - a broken install
    raise ImportError(
        "fastprop's compiled extension is missing: reinstall with `pip install .` "
        "(needs a C compiler), or use engine='numpy'"
    ) from exc


class CythonEngine(NumpyEngine):
    """Drop-in for ``NumpyEngine`` (same inputs, same results)."""

    name = "cython"

    def epoch_order(self, n, seed, epoch):
        return _shuffle.epoch_order(n, seed, epoch)
