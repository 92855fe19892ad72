"""``fit(progress=…)``: a bar per epoch with the running loss and validation metrics."""

import sys

import numpy as np
import pytest

import fastprop as fp
from fastprop._progress import postfix as _postfix
from fastprop._progress import progress_bar as _progress_bar
from fastprop.history import History


@pytest.fixture(scope="module")
def data():
    X, y = fp.data.two_moons(80, seed=0)
    return X[:60], y[:60], (X[60:], y[60:])


def train(engine, data, **kwargs):
    X, y, val = data
    net = fp.Network([2, 6, 1], seed=3, engine=engine)
    history = net.fit(X, y, epochs=6, batch_size=16, lr=0.2, validation_data=val, **kwargs)
    return net, history


def test_bar_shows_loss_and_validation_metrics(engine, data, capsys):
    pytest.importorskip("tqdm")
    net, history = train(engine, data, progress=True)
    err = capsys.readouterr().err
    assert "6/6" in err and "epoch" in err
    assert f"loss={history.loss[-1]:.4g}" in err
    assert f"val_loss={history.val_loss[-1]:.4g}" in err and "val_acc=" in err


def test_progress_does_not_change_the_numbers(engine, data, capsys):
    quiet_net, quiet = train(engine, data)
    assert capsys.readouterr().err == ""  # off by default
    loud_net, loud = train(engine, data, progress=True)
    assert quiet.loss == loud.loss and quiet.val_loss == loud.val_loss
    np.testing.assert_array_equal(quiet_net.params, loud_net.params)


def test_auto_is_quiet_when_not_a_terminal(data, capsys):
    train("numpy", data, progress="auto")  # pytest's captured stderr is not a terminal
    assert capsys.readouterr().err == ""
    assert _progress_bar(5, False) is None and _progress_bar(5, "auto") is None


def test_plain_text_bar_without_tqdm(data, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    _, history = train("numpy", data, progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith("training 6/6 epochs [" + "#" * 30 + "]")
    assert f"val_loss={history.val_loss[-1]:.4g}" in lines[-1]
    assert len(lines) == 6  # not a terminal: one line per tenth of the epochs, no repeats


def test_postfix():
    h = History(validation=True, classification=True)
    assert _postfix(h) == {}
    h.loss.append(0.123456)
    h.val_loss.append(0.5)
    h.val_accuracy.append(0.75)
    assert _postfix(h) == {"loss": "0.1235", "val_loss": "0.5", "val_acc": "0.7500"}
