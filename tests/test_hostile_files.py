"""Hostile or broken model files are refused with ``ModelFileError`` naming the path,
before they cost memory or time: zip bombs, headers declaring huge arrays, pickles, a
bare ``.npy``, deeply nested or huge-number JSON. Either byte order loads."""

import io
import json
import pickle
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import fastprop as fp
from fastprop.cli import main


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asanyarray(array), allow_pickle=False)
    return buf.getvalue()


def _header(shape, dtype) -> bytes:
    """A .npy header declaring ``shape`` of ``dtype``, with no data after it."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
              "shape": shape})
    return buf.getvalue()


def _model(path, *, meta=None, params=None, extra=None, compress=zipfile.ZIP_STORED):
    net = fp.Network([3, 4, 1], seed=0)
    good = tmp = path.parent / "good.npz"
    net.save(good)
    with np.load(tmp) as npz:
        meta_text = str(npz["metadata"])
        good_params = npz["params"]
    with zipfile.ZipFile(path, "w", compress) as zf:
        zf.writestr("metadata.npy", meta if meta is not None else _npy(np.array(meta_text)))
        zf.writestr("params.npy", params if params is not None else _npy(good_params))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path, json.loads(meta_text), good_params


def _refused(path, match, capsys=None):
    t0 = time.perf_counter()
    tracemalloc.start()
    with pytest.raises(fp.ModelFileError, match=match) as info:
        fp.load(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.perf_counter() - t0 < 1 and peak < 20 * 2**20, (peak,)
    assert str(path) in str(info.value)
    if capsys is not None:  # fastprop info: one line, exit status 1, no traceback
        capsys.readouterr()
        assert main(["info", str(path)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path, capsys):
    n = 3 * 4 + 4 + 4 * 1 + 1
    bomb = _header((n,), "<f8") + bytes(8 * n) + bytes(300 * 2**20)  # 300 MB of zeros
    path, _, _ = _model(tmp_path / "bomb.npz", params=bomb, compress=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 2 * 2**20
    _refused(path, "declares .* bytes of data but its member holds", capsys)


def test_a_header_declaring_a_huge_array_costs_nothing(tmp_path, capsys):
    path, _, _ = _model(tmp_path / "huge.npz", params=_header((10**12,), "<f8"))
    _refused(path, r"params must be 21 float64 values, the file declares shape \(1000000000000,\)",
             capsys)


def test_metadata_declaring_a_huge_network_is_refused(tmp_path, capsys):
    net = fp.Network([3, 4, 1], seed=0)
    net.save(tmp_path / "g.npz")
    with np.load(tmp_path / "g.npz") as npz:
        meta = json.loads(str(npz["metadata"]))
    meta.update(sizes=[2**30, 2**30, 1], n_params=2**60 + 2**31)
    path, _, _ = _model(tmp_path / "wide.npz", meta=_npy(np.array(json.dumps(meta))),
                        params=_header((2**60 + 2**31,), "<f8"))
    _refused(path, "more than this machine's memory", capsys)


@pytest.mark.parametrize("member", ["params.npy", "metadata.npy"])
def test_pickled_members_are_refused(tmp_path, member):
    payload = pickle.dumps({"evil": [1, 2, 3]})
    kwargs = {"params": payload} if member == "params.npy" else {"meta": payload}
    path, _, _ = _model(tmp_path / "pickle.npz", **kwargs)
    _refused(path, "not a .npy array|not a readable fastprop model file")


def test_an_object_array_member_is_refused(tmp_path):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    path, _, _ = _model(tmp_path / "objects.npz", params=buf.getvalue())
    _refused(path, "params must be 21 float64 values")


def test_a_bare_npy_file_is_refused(tmp_path, capsys):
    path = tmp_path / "plain.npz"
    np.save(path.with_suffix(".npy"), np.zeros(3))
    path.with_suffix(".npy").rename(path)
    _refused(path, r"not an \.npz archive", capsys)


def test_extra_members_are_refused(tmp_path):
    path, _, _ = _model(tmp_path / "extra.npz", extra={"other.npy": _npy(np.zeros(2))})
    _refused(path, "not a fastprop model")


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000,
                                  '{"format": "fastprop", "n": ' + "9" * 5000 + "}",
                                  "{" + "x" * 2000])
def test_hostile_json_metadata_is_refused(tmp_path, capsys, text):
    path, _, _ = _model(tmp_path / "json.npz", meta=_npy(np.array(text)))
    _refused(path, "metadata", capsys)


def test_oversized_metadata_is_refused_unread(tmp_path):
    path, _, _ = _model(tmp_path / "big-meta.npz", meta=_header((), "<U10000000"))
    _refused(path, "metadata must be a JSON string")


def test_big_endian_parameters_load(tmp_path):
    path, _, good = _model(tmp_path / "be.npz", params=_npy(np.arange(21.0).astype(">f8")))
    net = fp.load(path)
    assert net.params.dtype == np.dtype("<f8") and net.params.tolist() == list(np.arange(21.0))
    assert net.predict(np.ones((1, 3))).shape == (1, 1)


def test_a_truncated_member_is_refused(tmp_path):
    path, _, good = _model(tmp_path / "cut.npz")
    data = path.read_bytes()
    (tmp_path / "cut2.npz").write_bytes(data[: len(data) - 40])
    _refused(tmp_path / "cut2.npz", "not a readable fastprop model file|truncated")
