"""Pictures: each plot renders to a non-empty PNG of the documented size (Agg backend)."""

import struct
import sys

import numpy as np
import pytest

import fastprop as fp
from fastprop import plotting


def png_size(path):
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", head[16:24])


def check_png(path, fig):
    """A PNG of the figure's size in pixels, with more than one colour in it."""
    width, height = png_size(path)
    w_in, h_in = fig.get_size_inches()
    assert (width, height) == (round(w_in * plotting.DPI), round(h_in * plotting.DPI))
    pixels = pytest.importorskip("matplotlib.image").imread(str(path))
    assert pixels.std() > 0.01, "blank image"
    return width, height


@pytest.fixture(autouse=True)
def _agg():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")


@pytest.fixture(scope="module")
def moons():
    X, y = fp.data.two_moons(120, noise=0.2, seed=0)
    net = fp.Network([2, 8, 1], seed=0, engine="numpy")
    history = net.fit(X[:90], y[:90], epochs=15, batch_size=16, optimizer=fp.Adam(0.02),
                      validation_data=(X[90:], y[90:]))
    return net, history, X, y


def test_history_plot(tmp_path, moons):
    _, history, _, _ = moons
    path = tmp_path / "loss.png"
    fig = history.plot(path)
    assert check_png(path, fig) == (800, 500)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["training loss", "validation loss"]
    assert list(ax.get_lines()[0].get_ydata()) == history.loss
    assert fig.axes[1].get_ylabel() == "accuracy"  # validation accuracy on a second axis


def test_history_plot_into_given_axes(moons):
    from matplotlib.figure import Figure

    _, history, _, _ = moons
    fig = Figure()
    ax = fig.add_subplot()
    assert history.plot(ax=ax, title="mine") is fig
    assert ax.get_title() == "mine"
    with pytest.raises(ValueError, match="no epochs"):
        fp.History().plot()


def test_draw_worked_example_with_trace(tmp_path, engine):
    ex = fp.examples.get("three-inputs-relu-sigmoid-bce")
    net = ex.network(engine=engine)
    trace = net.trace(ex.x, ex.y, ex.lr)
    path = tmp_path / "net.png"
    fig = net.draw(path, trace=trace)
    assert check_png(path, fig) == (860, 420)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"A", "B", "C", "D", "E", "F"} <= set(texts)  # nodes named as in the trace
    assert "EF = 1\n∂L/∂w = 5.99996" in texts  # edge labels: weight and gradient
    assert "a = 0.99999\nδ = 0.99999" in texts  # node F's activation and delta


def test_draw_big_network_is_readable(tmp_path):
    net = fp.Network([2, 32, 32, 1], seed=0, engine="numpy")
    path = tmp_path / "big.png"
    fig = net.draw(path)
    check_png(path, fig)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "h1_32" in texts and "h1_11" not in texts and "⋮" in texts
    assert not any(t.startswith("x1-h1_1 =") for t in texts)  # too many edges to label


def test_draw_rejects_a_foreign_trace():
    net = fp.Network([2, 3, 1], seed=0, engine="numpy")
    other = fp.Network([2, 2, 1], seed=0, engine="numpy").trace([1, 2], 1, lr=0.1)
    with pytest.raises(ValueError, match="trace"):
        net.draw(trace=other)
    with pytest.raises(TypeError, match="trace"):
        net.draw(trace="not a trace")


def test_decision_boundary(tmp_path, moons):
    net, _, X, y = moons
    path = tmp_path / "boundary.png"
    fig = plotting.plot_decision_boundary(net, X, y, path=path, resolution=60)
    assert check_png(path, fig) == (700, 600)
    assert fig.axes[1].get_ylabel() == "P(class 1)"  # the colour bar


def test_decision_boundary_classes_and_bad_input(tmp_path):
    X, y = fp.data.spirals(90, seed=0)
    net = fp.Network([2, 8, 3], loss="cross_entropy", seed=0, engine="numpy")
    path = tmp_path / "spirals.png"
    check_png(path, plotting.plot_decision_boundary(net, X, y, path=path, resolution=40))
    with pytest.raises(ValueError, match="2 inputs"):
        plotting.plot_decision_boundary(fp.Network([3, 1], engine="numpy"), np.ones((4, 3)))
    with pytest.raises(ValueError, match="y must hold"):
        plotting.plot_decision_boundary(net, X, y[:5])
    with pytest.raises(ValueError, match="X"):
        plotting.plot_decision_boundary(net, X[:, :1])


def test_missing_matplotlib_says_how_to_install(monkeypatch, moons):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    _, history, _, _ = moons
    with pytest.raises(ImportError, match=r"pip install .fastprop-mlp\[plot\]"):
        history.plot()
    with pytest.raises(ImportError, match="matplotlib"):
        fp.Network([2, 1], engine="numpy").draw()
