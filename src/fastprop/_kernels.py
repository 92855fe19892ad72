"""Which matrix-product kernels the compiled modules run: fastprop's own microkernels
(csrc/mm.c: AVX-512, AVX2 + FMA or portable C, chosen for the CPU when the modules are
imported) where they are faster, SciPy's BLAS elsewhere (``mm_wanted``'s measured rule).

``FASTPROP_KERNELS`` in the environment, read on import, or :func:`use`, overrides it:

- ``auto`` (the default): the rule;
- ``blas``: every product through BLAS;
- ``avx512``, ``avx2``, ``portable``: every product through those kernels (an error if
  this CPU cannot run them) — the tests run each path so.

The rule needs BLAS's thread count; it is asked of SciPy's OpenBLAS when that is the
BLAS SciPy ships (else it is taken as more than one: BLAS keeps the large products).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from . import _engine, _products, _sklearn_epoch

_MODULES = (_engine, _products, _sklearn_epoch)
_AUTO, _ALWAYS, _NEVER = 0, 1, 2

#: Instruction sets by name, as mm.h numbers them.
ISAS = {"portable": 0, "avx2": 1, "avx512": 2}
CHOICES = ("auto", "blas", *ISAS)


def _openblas_threads_query() -> int:
    """The address of SciPy's OpenBLAS ``get_num_threads``, or 0 when not found."""
    try:
        import scipy
    except ImportError:  # pragma: no cover - SciPy is a dependency
        return 0
    root = Path(scipy.__file__).parent
    folders = (root.parent / "scipy.libs", root / ".dylibs")
    for folder in folders:
        for lib in sorted(folder.glob("*openblas*")) if folder.is_dir() else ():
            try:
                handle = ctypes.CDLL(str(lib))
            except OSError:
                continue
            for name in ("scipy_openblas_get_num_threads", "openblas_get_num_threads"):
                func = getattr(handle, name, None)
                if func is not None:
                    return ctypes.cast(func, ctypes.c_void_p).value or 0
    return 0


_QUERY = _openblas_threads_query()


def state() -> dict:
    """The kernels in use: ``choice`` (a name of CHOICES), ``isa`` (the instruction set
    of fastprop's kernels) and ``best`` (the best this CPU runs)."""
    mode, isa, best = _engine._kernel_state()
    names = {v: k for k, v in ISAS.items()}
    choice = {_AUTO: "auto", _NEVER: "blas"}.get(mode, names[isa])
    return {"choice": choice, "isa": names[isa], "best": names[best]}


def configure(choice: str) -> None:
    """Use the kernels ``choice`` (one of CHOICES) from now on, in every compiled module."""
    if choice not in CHOICES:
        raise ValueError(f"kernels must be one of {', '.join(CHOICES)}, not {choice!r}")
    mode = {"auto": _AUTO, "blas": _NEVER}.get(choice, _ALWAYS)
    isa = ISAS.get(choice, -1)
    for module in _MODULES:
        module._configure_kernels(mode, isa, _QUERY)


@contextlib.contextmanager
def use(choice: str) -> Iterator[None]:
    """Within the block, run the products through ``choice`` (see :func:`configure`)."""
    before = state()["choice"]
    configure(choice)
    try:
        yield
    finally:
        configure(before)


def _from_environment() -> None:
    choice = os.environ.get("FASTPROP_KERNELS", "auto").strip().lower() or "auto"
    try:
        configure(choice)
    except ValueError as err:
        print(f"fastprop: FASTPROP_KERNELS ignored: {err}", file=sys.stderr)
        configure("auto")


_from_environment()
