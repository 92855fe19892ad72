"""Dataset: validation, conversion, batches, split, CSV and .npy loading."""

import numpy as np
import pytest

import fastprop as fp


def test_converts_to_contiguous_dtype():
    X = np.asfortranarray(np.arange(12, dtype=np.int32).reshape(4, 3))
    ds = fp.Dataset(X, [0, 1, 0, 1], dtype="float32")
    assert ds.X.dtype == np.float32 and ds.X.flags.c_contiguous
    np.testing.assert_array_equal(ds.X, X)
    assert (ds.n_samples, ds.n_features, len(ds)) == (4, 3, 4)
    assert "n_samples=4" in repr(ds)


def test_batches_keep_last_partial_batch_and_shuffle_with_seed():
    X = np.arange(10.0).reshape(10, 1)
    ds = fp.Dataset(X, np.arange(10))
    sizes = [len(xb) for xb, _ in ds.batches(4)]
    assert sizes == [4, 4, 2]
    rows = np.concatenate([yb for _, yb in ds.batches(3, shuffle=True, seed=1, epoch=2)])
    np.testing.assert_array_equal(rows, fp.shuffle.epoch_order(10, 1, 2))
    with pytest.raises(ValueError, match="seed"):
        next(ds.batches(3, shuffle=True))


def test_split_is_a_partition():
    ds = fp.Dataset(np.arange(20.0).reshape(10, 2), np.arange(10))
    train, test = ds.split(0.3, seed=0)
    assert (len(train), len(test)) == (7, 3)
    assert sorted(np.concatenate([train.y, test.y]).tolist()) == list(range(10))
    again = ds.split(0.3, seed=0)[1]
    np.testing.assert_array_equal(again.y, test.y)
    np.testing.assert_array_equal(ds.split(0.3)[1].y, [7, 8, 9])
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match="fraction"):
            ds.split(bad)


def test_from_csv_with_header_and_named_target(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label,c\n1,2,0,3\n4,5,1,6\n7,8,1,9\n")
    ds = fp.Dataset.from_csv(path, target="label")
    np.testing.assert_array_equal(ds.X, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    np.testing.assert_array_equal(ds.y, [0, 1, 1])
    assert ds.feature_names == ["a", "b", "c"]
    assert fp.Dataset.from_csv(path, target=-1).y.tolist() == [3, 6, 9]
    with pytest.raises(ValueError, match="no column named"):
        fp.Dataset.from_csv(path, target="nope")


def test_from_csv_without_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,2,0\n3,4,1\n")
    ds = fp.Dataset.from_csv(path)
    np.testing.assert_array_equal(ds.y, [0, 1])


def test_from_csv_rejects_non_numeric_and_missing(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,x\n")
    with pytest.raises(ValueError, match="not a numeric CSV"):
        fp.Dataset.from_csv(path)
    with pytest.raises(ValueError, match="not a file"):
        fp.Dataset.from_csv(tmp_path / "missing.csv")


def test_from_npy_memory_maps(tmp_path, engine):
    X, y = fp.data.two_moons(100, seed=0)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    ds = fp.Dataset.from_npy(tmp_path / "X.npy", tmp_path / "y.npy")
    assert isinstance(ds.X, np.memmap)
    net = fp.Network([2, 8, 1], engine=engine, seed=0)
    ref = net.copy()
    net.fit(ds, epochs=2, batch_size=10, lr=0.1, seed=0)
    ref.fit(X, y, epochs=2, batch_size=10, lr=0.1, seed=0)
    np.testing.assert_array_equal(net.params, ref.params)
    copied = fp.Dataset.from_npy(tmp_path / "X.npy", tmp_path / "y.npy", mmap=False)
    assert not isinstance(copied.X, np.memmap)


def test_from_npy_refuses_pickled_objects(tmp_path):
    np.save(tmp_path / "X.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "y.npy", np.zeros(1))
    with pytest.raises(ValueError, match="pickle"):
        fp.Dataset.from_npy(tmp_path / "X.npy", tmp_path / "y.npy")
