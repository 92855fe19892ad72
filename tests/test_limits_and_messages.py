"""Sizes and counts that would exhaust memory are refused at once with a one-line error
naming the argument, and bad CSV files get messages that say what is wrong."""

import signal
import sys
import time
import tracemalloc

import numpy as np
import pytest

import fastprop as fp
from fastprop import training
from fastprop.cli import main


def _quick(call, *args, **kwargs):
    t0 = time.perf_counter()
    with pytest.raises(ValueError) as info:
        call(*args, **kwargs)
    assert time.perf_counter() - t0 < 1
    return str(info.value)


def test_a_network_larger_than_memory_is_refused():
    message = _quick(fp.Network, [2**40, 2**40, 1])
    assert message.startswith("sizes:") and "more than this machine's memory" in message


@pytest.mark.parametrize("argv", [
    ["train", "CSV", "--target", "y", "--hidden", "10000000000"],
    ["explain", "--sizes", "100000,100000,1", "--x", "1", "--y", "1"],
])
def test_the_command_line_refuses_huge_networks_in_one_line(argv, tmp_path, capsys):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,y\n1,2,0\n3,4,1\n2,2,0\n")
    argv = [str(csv) if a == "CSV" else a for a in argv]
    t0 = time.perf_counter()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert time.perf_counter() - t0 < 2 and err.count("\n") == 1
    assert "more than this machine's memory" in err


def test_sparse_class_ids_do_not_make_a_billion_outputs(tmp_path, capsys):
    csv = tmp_path / "d.csv"
    csv.write_text("a,label\n" + "".join(f"{i},{c}\n" for i, c in
                                         enumerate([0, 1, 1000000000] * 4)))
    assert main(["train", str(csv), "--target", "label", "--loss", "cross_entropy",
                 "--epochs", "1", "-o", str(tmp_path / "m.npz")]) == 0
    assert "3 classes (0, 1, 1000000000)" in capsys.readouterr().out
    assert fp.load(tmp_path / "m.npz").network.sizes[-1] == 3  # labels, not ids


@pytest.mark.skipif(sys.platform == "win32", reason="SIGALRM")
def test_a_billion_epochs_allocate_nothing_up_front(engine):
    net = fp.Network([2, 4, 1], engine=engine, seed=0)
    X, y = fp.data.xor(8)

    class Timeout(Exception):
        pass

    def handler(signum, frame):
        raise Timeout

    previous = signal.signal(signal.SIGALRM, handler)
    tracemalloc.start()
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    t0 = time.perf_counter()
    try:
        with pytest.raises(Timeout):
            net.fit(X, y, epochs=10**9, batch_size=8, lr=0.1)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 3 and peak < 64 * 2**20


def test_epochs_in_several_engine_calls_equal_one_call(engine, monkeypatch):
    X, y = fp.data.two_moons(64, seed=0)
    one = fp.Network([2, 8, 1], engine=engine, seed=0)
    h1 = one.fit(X, y, epochs=10, batch_size=16, optimizer=fp.Adam(0.01))
    monkeypatch.setattr(training, "EPOCHS_PER_CALL", 3)
    several = fp.Network([2, 8, 1], engine=engine, seed=0)
    h2 = several.fit(X, y, epochs=10, batch_size=16, optimizer=fp.Adam(0.01))
    assert h1.loss == h2.loss and one.params.tobytes() == several.params.tobytes()


def test_a_batch_size_beyond_any_index_means_one_batch(engine):
    X, y = fp.data.xor(20)
    a, b = (fp.Network([2, 4, 1], engine=engine, seed=0) for _ in range(2))
    a.fit(X, y, epochs=3, batch_size=2**63, lr=0.1)
    b.fit(X, y, epochs=3, batch_size=20, lr=0.1)
    assert a.params.tobytes() == b.params.tobytes()


@pytest.mark.parametrize("kwargs", [dict(batch_size=0), dict(epochs=-1), dict(lr=-1.0),
                                    dict(validation_data=(np.ones((2, 5)), [0, 1]))])
def test_a_refused_fit_leaves_the_history_alone(kwargs):
    X, y = fp.data.xor(20)
    net = fp.Network([2, 4, 1], seed=0)
    history = net.fit(X, y, epochs=2)
    with pytest.raises((ValueError, TypeError)):
        net.fit(X, y, **{"epochs": 1, **kwargs})
    assert net.history is history and len(history.loss) == 2


@pytest.mark.parametrize("content, match", [
    (b"", "the file is empty"),
    (b"a,b,label\n", r"no data rows \(only a header\)"),
    (b"a,b,label\n1,1e999,0\n", "row 2, column 'b' is not a finite number"),
    (b"a,b,label\n1,2,0\n\xe9t\xe9,3,1\n", "not UTF-8 text"),
    (b"a,label,label\n1,2,0\n", "the column name 'label' appears 2 times"),
    (b"x" * (5 << 20) + b"\n", "longer than 4 MiB"),
], ids=["empty", "header-only", "overflow", "latin-1", "duplicate-target", "long-line"])
def test_bad_csv_files_are_named_clearly(tmp_path, content, match):
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    message = _quick(fp.Dataset.from_csv, path, target="label")
    assert str(path) in message
    with pytest.raises(ValueError, match=match):
        fp.Dataset.from_csv(path, target="label")


def test_an_empty_delimiter_is_named(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,label\n1,0\n")
    with pytest.raises(ValueError, match="delimiter must be one character"):
        fp.Dataset.from_csv(path, target="label", delimiter="")


def test_a_dataset_needs_features(tmp_path):
    with pytest.raises(ValueError, match="no feature columns"):
        fp.Dataset(np.zeros((5, 0)), np.zeros(5))
    np.save(tmp_path / "X.npy", np.zeros((5, 0)))
    np.save(tmp_path / "y.npy", np.zeros(5))
    with pytest.raises(ValueError, match="no feature columns"):
        fp.Dataset.from_npy(tmp_path / "X.npy", tmp_path / "y.npy")
