"""The command line's small promises: the plain progress lines carry their own epoch's
values once each, options that would be ignored are refused, optional libraries are
checked before the work, counts read right, and --help shows the defaults."""

import importlib.util
import sys

import numpy as np
import pytest

import fastprop as fp
from fastprop.cli import main


def test_each_plain_progress_line_shows_its_own_epoch(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    X, y = fp.data.two_moons(80, seed=0)
    net = fp.Network([2, 8, 1], seed=0)
    history = net.fit(X, y, epochs=5, lr=0.1, validation_data=(X, y), progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 5
    for epoch, line in enumerate(lines):
        assert line.startswith(f"training {epoch + 1}/5 epochs")
        assert f"val_loss={history.val_loss[epoch]:.4g}" in line


@pytest.mark.parametrize("extra", [["--x", "1,2"], ["--weights", "1"],
                                   ["--activation", "tanh"], ["--seed", "3"]])
def test_explain_example_refuses_options_it_would_ignore(extra, capsys):
    assert main(["explain", "--example", "two-inputs-sigmoid-mse", *extra]) == 2
    err = capsys.readouterr().err
    assert extra[0] in err and err.count("\n") == 1


def test_optional_libraries_are_checked_before_the_work(monkeypatch, tmp_path, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real(name, *a))
    csv = tmp_path / "d.csv"
    np.savetxt(csv, np.column_stack([np.arange(20.0), np.arange(20) % 2]), delimiter=",",
               header="x,label", comments="")
    assert main(["train", str(csv), "--target", "label", "--plot", str(tmp_path / "l.png"),
                 "-o", str(tmp_path / "m.npz")]) == 2
    assert "--plot needs matplotlib" in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()  # nothing was trained
    assert main(["explain", "--example", "two-inputs-sigmoid-mse", "--png",
                 str(tmp_path / "s.png")]) == 2
    assert capsys.readouterr().out == ""


def test_one_epoch_reads_as_one_epoch(tmp_path, capsys):
    csv = tmp_path / "d.csv"
    np.savetxt(csv, np.column_stack([np.arange(20.0), np.arange(20) % 2]), delimiter=",",
               header="x,label", comments="")
    assert main(["train", str(csv), "--target", "label", "--epochs", "1", "-o",
                 str(tmp_path / "m.npz"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "· 1 epoch in " in out and " 0.0 s" not in out


def test_help_shows_the_defaults(capsys):
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "(default: 50)" in out and "(default: 64,64)" in out and "(default: adam)" in out
