"""Saving and loading networks: a versioned ``.npz`` (arrays + JSON metadata), never pickle.

File layout (format version 1)::

    metadata.npy   0-d unicode array: JSON {"format": "fastprop", "format_version": 1,
                   "fastprop_version", "sizes", "activations", "loss", "bias", "dtype",
                   "leaky_slope", "n_params", "engine", "seed", "effective_seed",
                   "epochs_trained"}
    params.npy     the flat parameter buffer (n_params,) in the network's dtype

``write_model`` writes atomically (``fastprop._files.atomic_write``): a crash mid-save
leaves any old file intact. ``read_model`` reads with ``allow_pickle=False`` and validates everything. This
module knows the file, not the classes: ``Network.save`` hands it metadata and arrays,
and ``fp.load`` (``fastprop.loading``) builds the model from what it reads.
"""

from __future__ import annotations

import os

import numpy as np

from ._version import __version__

FORMAT = "fastprop"
FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """A file that is not a valid fastprop model (or not a supported version of one).

    Examples
    --------
    >>> import fastprop as fp, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "not-a-model.npz")
    >>> _ = open(path, "w").write("hello")
    >>> try:
    ...     fp.load(path)
    ... except fp.ModelFileError as exc:
    ...     print("not a readable fastprop model file" in str(exc))
    True
    """


def write_model(path, meta: dict, params: np.ndarray) -> None:
    """Write a model's metadata (JSON-ready) and flat parameters to ``path`` (a ``.npz``
    file), atomically and without ever destroying a good file (``fastprop._files``); the
    format fields are added here. Non-finite parameters are refused (``ModelFileError``:
    such a file could not be loaded), and so is a path that is not a regular file.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "m.npz")
    >>> write_model(path, {"note": "any JSON"}, np.zeros(3))
    >>> sorted(np.load(path).files)
    ['metadata', 'params']
    """
    import json  # here, not at the top: keeps `import fastprop` cheap

    from ._files import atomic_write

    if not np.isfinite(params).all():
        bad = int(np.argmin(np.isfinite(params)))
        raise ModelFileError(
            f"not saved: the parameters hold NaN or infinity (first at index {bad}); "
            f"{os.fspath(path)!r} is left as it was")
    meta = dict(meta, format=FORMAT, format_version=FORMAT_VERSION,
                fastprop_version=__version__)
    text = np.array(json.dumps(meta))
    atomic_write(path, lambda fh: np.savez(fh, metadata=text, params=params))


def read_model(path):
    """Read and check a model file: ``(arch, meta, params)``, the network's
    ``Architecture``, the metadata dict and the flat parameters (finite, of the
    architecture's size and dtype).

    Raises
    ------
    ModelFileError
        (a ``ValueError``) when the file is not a valid fastprop model file.

    Examples
    --------
    >>> import fastprop as fp, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "m.npz")
    >>> fp.Network([2, 1], seed=0).save(path)
    >>> arch, meta, params = read_model(path)
    >>> arch.sizes, meta["format_version"], params.shape
    ((2, 1), 1, (3,))
    """
    import zipfile

    from .architecture import Architecture

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"{path!r} is not a file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = set(npz.files)
            if names != {"metadata", "params"}:
                raise ModelFileError(f"{path}: not a fastprop model (arrays {sorted(names)})")
            raw_meta, params = npz["metadata"], npz["params"]
    except ModelFileError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: not a readable fastprop model file ({exc})") from None
    meta = _parse_metadata(raw_meta, path)
    try:
        arch = Architecture(tuple(meta["sizes"]), tuple(meta["activations"]), meta["loss"],
                            meta["bias"], np.dtype(meta["dtype"]), float(meta["leaky_slope"]))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: invalid architecture ({exc})") from None
    if params.dtype != arch.dtype or params.shape != (arch.n_params,) or \
            meta["n_params"] != arch.n_params:
        raise ModelFileError(
            f"{path}: params must be {arch.n_params} {arch.dtype} values, "
            f"got shape {params.shape} {params.dtype}"
        )
    if not np.isfinite(params).all():
        raise ModelFileError(f"{path}: params contain NaN or infinity")
    return arch, meta, params


def _parse_metadata(raw, path) -> dict:
    import json

    if raw.shape != () or raw.dtype.kind != "U":
        raise ModelFileError(f"{path}: metadata must be a JSON string")
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: metadata is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a fastprop model file")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: format version {version!r} is not supported (this fastprop reads "
            f"version {FORMAT_VERSION}); upgrade fastprop to read it"
        )
    kinds: dict[str, type | tuple[type, ...]] = {
        "sizes": list, "activations": list, "loss": str, "bias": bool, "dtype": str,
        "leaky_slope": (int, float), "n_params": int, "engine": str,
        "effective_seed": int, "epochs_trained": int}
    for key, kind in kinds.items():
        if not isinstance(meta.get(key), kind) or (kind is int and isinstance(meta[key], bool)):
            raise ModelFileError(f"{path}: metadata field {key!r} is missing or invalid")
    if meta.get("seed") is not None and not isinstance(meta["seed"], int):
        raise ModelFileError(f"{path}: metadata field 'seed' is invalid")
    if not all(isinstance(s, int) and not isinstance(s, bool) and 0 < s < 2**31
               for s in meta["sizes"]) or len(meta["sizes"]) < 2:
        raise ModelFileError(f"{path}: metadata field 'sizes' is invalid")
    if len(meta["activations"]) != len(meta["sizes"]) - 1:
        raise ModelFileError(f"{path}: metadata needs one activation per layer")
    if not 0 <= meta["effective_seed"] < 2**64 or meta["epochs_trained"] < 0:
        raise ModelFileError(f"{path}: metadata seed or epoch count is invalid")
    return meta
