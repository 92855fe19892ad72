"""Fuzz: a saved model with random byte mutations either loads as an equal network or is
refused with ModelFileError — never another exception, never a crash, never pickle."""

import numpy as np
import pytest

import fastprop as fp


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "model.npz"
    net = fp.Network([4, 5, 3], activation="tanh", loss="cross_entropy", seed=0)
    net.save(path)
    return net, path.read_bytes()


@pytest.mark.parametrize("chunk", range(4))
def test_mutated_files_load_equal_or_fail_clearly(saved, tmp_path, chunk):
    net, data = saved
    rng = np.random.default_rng(chunk)
    target = tmp_path / "m.npz"
    outcomes = {"equal": 0, "refused": 0}
    for _ in range(150):
        blob = bytearray(data)
        kind = rng.integers(0, 3)
        if kind == 0:  # flip a few bytes
            for pos in rng.integers(0, len(blob), size=rng.integers(1, 8)):
                blob[pos] = int(rng.integers(0, 256))
        elif kind == 1:  # truncate
            del blob[int(rng.integers(0, len(blob))):]
        else:  # insert random bytes
            pos = int(rng.integers(0, len(blob)))
            blob[pos:pos] = rng.integers(0, 256, size=int(rng.integers(1, 32))).astype(
                np.uint8).tobytes()
        target.write_bytes(bytes(blob))
        try:
            back = fp.load(target)
        except fp.ModelFileError as exc:
            assert str(exc)
            outcomes["refused"] += 1
            continue
        # a mutation that still loads must describe a valid network; if it kept the
        # architecture, predictions are finite
        assert np.isfinite(back.params).all()
        if back.arch == net.arch and back.params.tobytes() == net.params.tobytes():
            outcomes["equal"] += 1
    assert outcomes["refused"] > 0
