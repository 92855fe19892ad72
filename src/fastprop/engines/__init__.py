"""Engines compute forward, backward and update over a network's flat buffers.

``"numpy"`` is the reference (plain NumPy); ``"cython"`` is the compiled drop-in and the
default. Both take the same inputs and give the same numbers. Engines are imported on
first use, so ``import fastprop`` stays cheap.
"""

from __future__ import annotations

ENGINES = ("cython", "numpy")
_instances: dict = {}


def get_engine(name):
    """Return the engine called ``name`` ("cython" or "numpy")."""
    if not isinstance(name, str):
        raise TypeError(f"engine must be 'cython' or 'numpy', got {name!r}")
    if name not in ENGINES:
        raise ValueError(f"engine={name!r} is not an engine; expected one of {ENGINES}")
    if name not in _instances:
        if name == "numpy":
            from .numpy_engine import NumpyEngine

            _instances[name] = NumpyEngine()
        else:
            from .cython_engine import CythonEngine

            _instances[name] = CythonEngine()
    return _instances[name]
