"""Saving and loading networks: a versioned ``.npz`` (arrays + JSON metadata), never pickle.

File layout (format version 2; version 1, the same without an optimizer, still reads)::

    metadata.npy   0-d unicode array: JSON {"format": "fastprop", "format_version": 2,
                   "fastprop_version", "sizes", "activations", "loss", "bias", "dtype",
                   "leaky_slope", "huber_delta" (optional, 1.0 when absent), "dropout"
                   (optional: one rate per hidden layer, [] for none), "n_params",
                   "engine", "seed", "effective_seed", "epochs_trained", "optimizer"
                   (optional: {"kind", "config", "t", "epochs", "state": [names]})}
    params.npy     the flat parameter buffer (n_params,) in the network's dtype
    optimizer.<name>.npy   each optimizer state buffer (n_params,), same dtype

A file is written as version 1 when it holds no optimizer, so older fastprop reads it.

``write_model`` writes atomically (``fastprop._files.atomic_write``): a crash mid-save
leaves any old file intact. ``read_model`` checks every member's header against the
metadata before reading its data, and never unpickles. This module knows the file, not
the classes: ``Network.save`` hands it metadata and arrays, and ``fp.load``
(``fastprop.loading``) builds the model from what it reads.
"""

from __future__ import annotations

import os

import numpy as np

from ._version import __version__

FORMAT = "fastprop"
FORMAT_VERSION = 2
READS_VERSIONS = (1, 2)


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


def write_model(path, meta: dict, params: np.ndarray, optimizer: dict | None = None) -> None:
    """Write a model's metadata (JSON-ready) and flat parameters to ``path`` (a ``.npz``
    file), atomically and without ever destroying a good file (``fastprop._files``); the
    format fields are added here. ``optimizer`` is an ``Optimizer.state_dict()`` (or
    None). Non-finite parameters or optimizer state are refused (``ModelFileError``:
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
    arrays = {"params": params}
    meta = dict(meta, format=FORMAT, format_version=1, fastprop_version=__version__)
    if optimizer is not None:
        state = optimizer["state"]
        if not all(np.isfinite(buffer).all() for buffer in state.values()):
            raise ModelFileError(f"not saved: the optimizer's state holds NaN or infinity; "
                                 f"{os.fspath(path)!r} is left as it was")
        meta["optimizer"] = dict(optimizer, state=sorted(state))
        meta["format_version"] = FORMAT_VERSION
        arrays.update((f"optimizer.{name}", state[name]) for name in sorted(state))
    text = np.array(json.dumps(meta))
    atomic_write(path, lambda fh: np.savez(fh, metadata=text, **arrays))


def read_model(path):
    """Read and check a model file: ``(arch, meta, params)``, the network's
    ``Architecture``, the metadata dict and the flat parameters (finite, of the
    architecture's size and dtype, in native byte order whichever order the file holds).

    Each member's declared shape, dtype and size are checked against the metadata before
    its data is read (so a hostile file costs no memory), and the metadata is capped at
    ``MAX_METADATA_BYTES``.

    Raises
    ------
    ModelFileError
        (a ``ValueError``) naming the path, whatever is wrong with the file.

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
    import zlib

    path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    if not os.path.isfile(path):
        raise ModelFileError(f"{path!r} is not a file")
    try:
        if not zipfile.is_zipfile(path):
            raise ModelFileError(
                f"{path}: not a readable fastprop model file (not an .npz archive)")
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            if "metadata.npy" not in members:
                names = sorted(name.removesuffix(".npy") for name in members)
                raise ModelFileError(f"{path}: not a fastprop model (arrays {names})")
            raw = _member(archive, members["metadata.npy"], path, "metadata",
                          lambda dtype, shape: dtype.kind == "U" and shape == (),
                          "a JSON string", MAX_METADATA_BYTES)
            meta = _parse_metadata(raw, path)
            arch = _architecture(meta, path)
            state = _optimizer_names(meta, path)
            expected = {"metadata.npy", "params.npy"} | {f"optimizer.{n}.npy" for n in state}
            if set(members) != expected:
                names = sorted(name.removesuffix(".npy") for name in members)
                raise ModelFileError(f"{path}: not a fastprop model (arrays {names})")

            def flat(name):  # a member of n_params values of the network's dtype
                return _member(archive, members[f"{name}.npy"], path, name,
                               lambda dtype, shape: dtype.kind == "f" and
                               dtype.itemsize == arch.dtype.itemsize and
                               shape == (arch.n_params,),
                               f"{arch.n_params} {arch.dtype} values",
                               arch.n_params * arch.dtype.itemsize).astype(arch.dtype)

            params = flat("params")
            if "optimizer" in meta:
                meta["optimizer"]["state"] = {n: flat(f"optimizer.{n}") for n in state}
    except ModelFileError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError,
            RuntimeError, RecursionError, MemoryError, OverflowError, TypeError,
            NotImplementedError) as exc:
        raise ModelFileError(f"{path}: not a readable fastprop model file ({exc})") from None
    # (flat: native byte order, a copy of its own)
    if not np.isfinite(params).all():
        raise ModelFileError(f"{path}: params contain NaN or infinity")
    return arch, meta, params


#: The largest metadata member read (its JSON is a few hundred bytes).
MAX_METADATA_BYTES = 1 << 20


def _member(archive, info, path, name, expected, described, max_bytes):
    """One ``.npy`` member of the archive, its header checked first: ``expected(dtype,
    shape)`` must hold and its data be at most ``max_bytes``, and the member's declared
    size must be that of its header and data (no more: a zip bomb), before any data is
    read."""
    from numpy.lib import format as npy

    with archive.open(info) as fh:
        version = npy.read_magic(fh)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise ModelFileError(f"{path}: {name} is not a .npy array (version {version})")
        read = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, _, dtype = read(fh, max_header_size=10000)
        n_bytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if dtype.hasobject or not expected(dtype, shape) or n_bytes > max_bytes:
            raise ModelFileError(f"{path}: {name} must be {described}, the file declares "
                                 f"shape {shape} of {dtype}")
        if info.file_size != fh.tell() + n_bytes:
            raise ModelFileError(f"{path}: {name} declares {n_bytes} bytes of data but its "
                                 f"member holds {info.file_size - fh.tell()}")
        data = fh.read(n_bytes)
    if len(data) != n_bytes:
        raise ModelFileError(f"{path}: {name} is truncated")
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def _optimizer_names(meta: dict, path) -> list[str]:
    """The optimizer state buffers the metadata lists ([] without an optimizer); its
    other fields are checked when the optimizer is rebuilt (``from_state_dict``)."""
    if "optimizer" not in meta:
        return []
    saved = meta["optimizer"]
    if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict) or \
            not isinstance(saved.get("state"), list) or \
            not all(isinstance(n, str) and n.isidentifier() for n in saved["state"]):
        raise ModelFileError(f"{path}: metadata field 'optimizer' is invalid")
    return list(saved["state"])


def _architecture(meta: dict, path):
    from ._limits import check_bytes
    from .architecture import Architecture

    try:
        delta = meta.get("huber_delta", 1.0)
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or \
                not 0 < delta < float("inf"):
            raise ValueError(f"huber_delta must be a positive number, got {delta!r}")
        from .dropout import check_dropout

        rates = meta.get("dropout", [])
        if not isinstance(rates, list):
            raise ValueError(f"dropout must be a list, got {rates!r}")
        rates = check_dropout(rates, len(meta["sizes"]) - 2) if rates else ()
        arch = Architecture(tuple(meta["sizes"]), tuple(meta["activations"]), meta["loss"],
                            meta["bias"], np.dtype(meta["dtype"]), float(meta["leaky_slope"]),
                            float(delta), rates)
        check_bytes(arch.n_params * arch.dtype.itemsize, "the parameters", "sizes")
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: invalid architecture ({exc})") from None
    if meta["n_params"] != arch.n_params:
        raise ModelFileError(f"{path}: metadata says {meta['n_params']} parameters, the "
                             f"architecture has {arch.n_params}")
    return arch


def _parse_metadata(raw, path) -> dict:
    import json

    try:
        meta = json.loads(str(raw))
    except (ValueError, RecursionError) as exc:  # bad JSON, a huge integer, deep nesting
        raise ModelFileError(f"{path}: metadata is not valid JSON "
                             f"({type(exc).__name__}: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a fastprop model file")
    version = meta.get("format_version")
    if version not in READS_VERSIONS or isinstance(version, bool):
        raise ModelFileError(
            f"{path}: format version {version!r} is not supported (this fastprop reads "
            f"versions {', '.join(map(str, READS_VERSIONS))}); upgrade fastprop to read it"
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
