"""save/load: round trip, atomic writes, no pickle, refusal of bad files."""

import json
import os
import zipfile

import numpy as np
import pytest

import fastprop as fp


def test_round_trip(tmp_path, engine, dtype):
    net = fp.Network([3, 5, 2], activation="tanh", loss="cross_entropy", dtype=dtype,
                     engine=engine, seed=3)
    net.fit(np.random.default_rng(0).normal(size=(8, 3)), [0, 1] * 4, epochs=2, lr=0.1)
    path = tmp_path / "m.npz"
    net.save(path)
    back = fp.load(path)
    assert back.params.tobytes() == net.params.tobytes()
    assert back.arch == net.arch and back.engine == engine and back.seed == 3
    assert back._epochs_trained == 2
    assert fp.load(path, engine="numpy").engine == "numpy"
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temporary file left


def test_continued_training_after_load_matches(tmp_path, engine):
    X, y = fp.data.two_moons(40, seed=0)
    a = fp.Network([2, 4, 1], engine=engine, seed=1)
    a.fit(X, y, epochs=2, lr=0.1)
    a.save(tmp_path / "a.npz")
    b = fp.load(tmp_path / "a.npz")
    a.fit(X, y, epochs=2, lr=0.1)
    b.fit(X, y, epochs=2, lr=0.1)
    assert a.params.tobytes() == b.params.tobytes()


def test_save_replaces_atomically(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    old = fp.Network([2, 2, 1], seed=0)
    old.save(path)
    new = fp.Network([2, 2, 1], seed=1)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError):
        new.save(path)
    monkeypatch.undo()
    assert fp.load(path).params.tobytes() == old.params.tobytes()
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def _write(path, metadata, params):
    np.savez(path, metadata=np.array(json.dumps(metadata)), params=params)


def _meta(net):
    return json.loads(str(np.load(net, allow_pickle=False)["metadata"]))


@pytest.mark.parametrize("mutate,match", [
    (lambda m, p: ({**m, "format_version": 99}, p), "version"),
    (lambda m, p: ({**m, "format": "other"}, p), "not a fastprop"),
    (lambda m, p: (m, p[:-1]), "params must be"),
    (lambda m, p: (m, p.astype(np.float32)), "params must be"),
    (lambda m, p: ({**m, "sizes": [3, -1, 1]}, p), "sizes"),
    (lambda m, p: ({**m, "activations": ["relu"]}, p), "activation"),
    (lambda m, p: ({**m, "loss": "hinge"}, p), "invalid"),
    (lambda m, p: (m, np.full_like(p, np.nan)), "NaN"),
])
def test_load_refuses_inconsistent_files(tmp_path, mutate, match):
    good = tmp_path / "good.npz"
    fp.Network([3, 2, 1], seed=0).save(good)
    meta, params = _meta(good), np.load(good)["params"]
    meta, params = mutate(meta, params)
    bad = tmp_path / "bad.npz"
    _write(bad, meta, params)
    with pytest.raises(fp.ModelFileError, match=match):
        fp.load(bad)


def test_load_refuses_garbage_truncation_and_pickles(tmp_path):
    good = tmp_path / "good.npz"
    fp.Network([3, 2, 1], seed=0).save(good)
    data = good.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "random.npz").write_bytes(os.urandom(500))
    np.savez(tmp_path / "pickle.npz", metadata=np.array([{"x": 1}], dtype=object),
             params=np.zeros(3))
    with zipfile.ZipFile(tmp_path / "empty.npz", "w"):
        pass
    for name in ["trunc.npz", "random.npz", "pickle.npz", "empty.npz", "missing.npz"]:
        with pytest.raises(fp.ModelFileError):
            fp.load(tmp_path / name)
    assert issubclass(fp.ModelFileError, ValueError)
