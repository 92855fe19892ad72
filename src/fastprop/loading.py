"""``fp.load``: read a model file and hand it to the class that owns its kind.

The file is ``fastprop.io``'s format; the model is built by the class its metadata names
(``Network``, or ``TabularModel`` for ``"model": "tabular"``).
"""

from __future__ import annotations

from .io import ModelFileError, read_model
from .network import Network


def load(path, engine: str | None = None):
    """Read a model written by ``Network.save`` (a ``Network``) or ``TabularModel.save``
    (a ``TabularModel``).

    Parameters
    ----------
    path : str or os.PathLike
    engine : {"cython", "numpy"}, optional
        Engine of the loaded network (default: the one it was saved with).

    Raises
    ------
    ModelFileError
        (a ``ValueError``) when the file is not a valid fastprop model file.

    Examples
    --------
    >>> import fastprop as fp, tempfile, os
    >>> net = fp.Network([2, 3, 1], seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> net.save(path)
    >>> bool((fp.load(path).params == net.params).all())
    True
    """
    arch, meta, params = read_model(path)
    try:
        if meta.get("model") == "tabular":
            from .tabular import TabularModel

            return TabularModel._from_saved(arch, meta, params, engine)
        return Network._from_saved(arch, meta, params, engine)
    except (TypeError, ValueError, KeyError, ArithmeticError) as exc:
        raise ModelFileError(f"{path}: invalid network description ({exc})") from None
