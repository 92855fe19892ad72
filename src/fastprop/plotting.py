"""Pictures: loss curves, the network as a diagram, decision boundaries (needs matplotlib).

matplotlib is the optional ``plot`` extra (``pip install "fastprop-mlp[plot]"``), imported
only when a picture is asked for. Every function returns the matplotlib ``Figure``. With
``path`` it saves a PNG there, drawing on a figure of its own that never touches pyplot's
global state or needs a display; with ``ax`` it draws into that axes; with neither it
makes a pyplot figure (so it shows in a notebook or with ``plt.show()``).
"""

from __future__ import annotations

import os

import numpy as np

#: Resolution of saved PNGs: a figure of w × h inches is a PNG of (w·DPI) × (h·DPI) pixels.
DPI = 100
_NODE_COLOURS = {"input": "#cfe3f7", "hidden": "#d8f0d2", "output": "#ffd9b3"}


def _matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "fastprop's pictures need matplotlib, which is not installed: "
            "pip install 'fastprop-mlp[plot]'  (or pip install matplotlib)"
        ) from None
    return matplotlib


def _figure(ax, path, size):
    """``(fig, ax)``: the given axes, a display-free figure when saving, else pyplot's."""
    _matplotlib()
    if ax is not None:
        return ax.figure, ax
    if path is not None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=size, dpi=DPI)
        return fig, fig.add_subplot()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, dpi=DPI)
    return fig, ax


def _finish(fig, path):
    if path is not None:
        path = os.fspath(path)
        fig.savefig(path, dpi=DPI, format="png")
    return fig


def plot_history(history, path=None, ax=None, title: str | None = None):
    """Plot the training (and validation) loss per epoch; validation accuracy, when
    recorded, on a second axis. Saves an 800 × 500 PNG to ``path`` if given.

    Parameters
    ----------
    history : fp.History
    path : str or os.PathLike, optional
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fastprop as fp
    >>> X, y = fp.data.xor(100)
    >>> h = fp.Network([2, 8, 1], seed=0).fit(X, y, epochs=20, lr=0.5)
    >>> fig = h.plot()  # or h.plot("loss.png")
    """
    loss = list(getattr(history, "loss", None) or [])
    if not hasattr(history, "loss"):
        raise TypeError(f"history must be a fp.History, got {type(history).__name__}")
    if not loss:
        raise ValueError("history has no epochs to plot (train for at least one epoch)")
    fig, ax = _figure(ax, path, (8, 5))
    epochs = np.arange(1, len(loss) + 1)
    style = {"marker": "o", "markersize": 3} if len(loss) <= 40 else {}
    ax.plot(epochs, loss, label="training loss", color="#1f77b4", **style)
    values = list(loss)
    if history.val_loss:
        ax.plot(epochs[:len(history.val_loss)], history.val_loss, label="validation loss",
                color="#ff7f0e", **style)
        values += list(history.val_loss)
    positive = min(values) > 0
    if positive and max(values) / min(values) > 100:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (mean per sample)" + (", log scale" if ax.get_yscale() == "log" else ""))
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if history.val_accuracy:
        acc = ax.twinx()
        acc.plot(epochs[:len(history.val_accuracy)], history.val_accuracy, "--",
                 color="#2ca02c", label="validation accuracy")
        acc.set_ylim(0, 1.02)
        acc.set_ylabel("accuracy")
        more = acc.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, loc="center right")
    ax.set_title(title or f"Training: {len(loss)} epochs, final loss {loss[-1]:.4g}")
    fig.tight_layout()
    return _finish(fig, path)


# ------------------------------------------------------------------ network diagram
def _shown(size: int, limit: int = 12) -> list[int]:
    """Indices of the nodes drawn for a layer: all, or the first ones and the last."""
    return list(range(size)) if size <= limit else list(range(limit - 2)) + [size - 1]


def draw_network(net, path=None, trace=None, ax=None):
    """Draw the network: nodes named as in ``net.trace`` (A, B, C… input to output), edges
    coloured by the weight's sign (blue +, red −), as thick as its size and labelled with
    its value; given a ``trace`` of this network, also each edge's gradient ∂L/∂w and
    each node's activation a and delta δ. Layers of more than 12 nodes show their first
    ten and their last; labels are left out when there are too many edges to read.

    Parameters
    ----------
    net : fp.Network
    path : str or os.PathLike, optional
        Save a PNG here.
    trace : fp.Trace, optional
        A trace of ``net`` (``net.trace(x, y, lr)``): its weights, gradients and node values
        are shown.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fastprop as fp
    >>> ex = fp.examples.get("three-inputs-relu-sigmoid-bce")
    >>> net = ex.network()
    >>> fig = net.draw(trace=net.trace(ex.x, ex.y, ex.lr))  # or net.draw("net.png", ...)
    """
    from ._names import edge_name, node_names
    from ._validation import check_network
    from .trace import Trace
    from .trace_text import format_number as _fmt

    check_network(net)
    if trace is not None:
        if not isinstance(trace, Trace):
            raise TypeError(f"trace must be a fp.Trace (net.trace(x, y, lr)), got "
                            f"{type(trace).__name__}")
        if trace.arch.sizes != net.arch.sizes:
            raise ValueError(f"trace is of a network with sizes {list(trace.arch.sizes)}, "
                             f"not {list(net.sizes)}")
    sizes, names = net.sizes, node_names(net.sizes)
    shown = [_shown(s) for s in sizes]
    tall = max(len(s) for s in shown)
    gap = 3.2  # distance between layers, in node spacings
    fig, ax = _figure(ax, path, (gap * (len(sizes) - 1) + 2.2, max(3.0, tall + 1.2)))
    pos = {(k, j): (gap * k, (len(idx) - 1) / 2 - r) for k, idx in enumerate(shown)
           for r, j in enumerate(idx)}
    weights = trace.weights if trace is not None else net.weights
    n_edges = sum(len(a) * len(b) for a, b in zip(shown[:-1], shown[1:], strict=True))
    biggest = max((float(np.abs(W).max()) for W in weights), default=1.0) or 1.0
    for k, W in enumerate(weights):
        pairs = [(i, j) for i in shown[k] for j in shown[k + 1]]
        for rank, (i, j) in enumerate(pairs):
            (x0, y0), (x1, y1), w = pos[k, i], pos[k + 1, j], float(W[i, j])
            ax.plot([x0, x1], [y0, y1], color="#3070b0" if w >= 0 else "#c03030",
                    lw=0.6 + 2.4 * abs(w) / biggest, alpha=0.75, zorder=1)
            if n_edges <= 40:
                text = f"{edge_name(names[k][i], names[k + 1][j])} = {_fmt(w, 5)}"
                if trace is not None:
                    text += f"\n∂L/∂w = {_fmt(trace.grad_weights[k][i, j], 5)}"
                # each edge of a layer gets its own place along the gap: labels of edges
                # that meet at a node do not sit on top of each other
                t = 0.2 + 0.6 * (rank + 0.5) / len(pairs)
                ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), text, ha="center",
                        va="center", fontsize=7, zorder=3, bbox={
                            "boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                            "alpha": 0.85})
    for (k, j), (x, y) in pos.items():
        _node(ax, x, y, names[k][j], k, len(sizes), trace)
    for k, idx in enumerate(shown):
        if len(idx) < sizes[k]:
            ax.text(gap * k, pos[k, idx[-2]][1] - 0.5, "⋮", ha="center", va="center",
                    fontsize=14)
    ax.set_xlim(-0.8, gap * (len(sizes) - 1) + 0.8)
    ax.set_ylim(-(tall - 1) / 2 - 0.9, (tall - 1) / 2 + 0.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    title = repr(net) + ("" if trace is not None else
                         "\nedges: blue w > 0, red w < 0, thicker = larger |w|")
    if trace is not None:
        title += f"\none step on {trace.n_samples} sample(s), η = {_fmt(trace.lr, 5)}: " \
                 f"loss {_fmt(trace.loss, 5)}"
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _finish(fig, path)


def _node(ax, x, y, name, k, n_layers, trace):
    role = "input" if k == 0 else ("output" if k == n_layers - 1 else "hidden")
    from matplotlib.patches import Circle

    ax.add_patch(Circle((x, y), 0.25, fc=_NODE_COLOURS[role], ec="#333333", lw=1.2, zorder=4))
    ax.text(x, y, name, ha="center", va="center", fontsize=9 if len(name) <= 2 else 6,
            fontweight="bold", zorder=5)
    if trace is not None and trace.n_samples == 1:
        from .trace_text import format_number as _fmt

        node = trace.node(name)
        text = f"a = {_fmt(node['a'], 5)}" + (f"\nδ = {_fmt(node['delta'], 5)}" if k else "")
        ax.text(x, y - 0.3, text, ha="center", va="top", fontsize=7, zorder=5)


# ---------------------------------------------------------------- decision boundary
def plot_decision_boundary(net, X, y=None, path=None, ax=None, resolution: int = 200,
                           title: str | None = None):
    """Colour the plane by the network's prediction and scatter the samples on it.

    For ``bce`` the colour is P(class 1) with the 0.5 contour drawn; for
    ``cross_entropy`` the predicted class; for ``mse`` the first output. Saves a
    700 × 600 PNG to ``path`` if given.

    Parameters
    ----------
    net : fp.Network with 2 inputs
    X : array-like, shape (n, 2)
    y : array-like, shape (n,), optional
        Labels (class ids, or targets) that colour the points.
    path : str or os.PathLike, optional
    ax : matplotlib Axes, optional
    resolution : int, default 200
        Grid points per axis.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fastprop as fp
    >>> X, y = fp.data.two_moons(200, seed=0)
    >>> net = fp.Network([2, 16, 1], seed=0)
    >>> _ = net.fit(X, y, epochs=30, optimizer=fp.Adam(0.01))
    >>> from fastprop.plotting import plot_decision_boundary
    >>> fig = plot_decision_boundary(net, X, y)  # or path="moons.png"
    """
    from ._validation import as_float_matrix, check_int, check_network
    from .losses import LOSSES

    check_network(net)
    if net.sizes[0] != 2:
        raise ValueError(f"a decision boundary needs a network with 2 inputs; this one has "
                         f"{net.sizes[0]}")
    Xv = as_float_matrix(X, "X", net.dtype, net.sizes[0], allow_1d_as_row=True)
    labels = None
    if y is not None:
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] > 1:
            labels = labels.argmax(axis=1)
        labels = labels.reshape(-1)
        if labels.shape[0] != Xv.shape[0] or labels.dtype.kind not in "biuf":
            raise ValueError(f"y must hold {Xv.shape[0]} numeric labels, one per row of X")
    resolution = check_int(resolution, "resolution", minimum=2)
    fig, ax = _figure(ax, path, (7, 6))
    lo, hi = Xv.min(axis=0), Xv.max(axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-9)
    gx, gy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution))
    out = net.predict(np.column_stack([gx.ravel(), gy.ravel()]))
    targets = LOSSES[net.loss_name].targets
    if targets == "classes":
        k = out.shape[1]
        field = out.argmax(axis=1).reshape(gx.shape)
        shade = ax.contourf(gx, gy, field, levels=np.arange(k + 1) - 0.5, cmap="tab10",
                            vmin=-0.5, vmax=9.5, alpha=0.3)
        fig.colorbar(shade, ax=ax, label="predicted class", ticks=range(k))
    else:
        field = out[:, 0].reshape(gx.shape)
        bce = targets == "probability"
        shade = ax.contourf(gx, gy, field, levels=np.linspace(0, 1, 11) if bce else 20,
                            cmap="RdBu_r", alpha=0.4)
        if bce:
            ax.contour(gx, gy, field, levels=[0.5], colors="k", linewidths=1.5)
        fig.colorbar(shade, ax=ax, label="P(class 1)" if bce else "network output")
    if labels is not None:
        classes = targets == "classes"
        ax.scatter(Xv[:, 0], Xv[:, 1], c=labels, cmap="tab10" if classes else "bwr",
                   vmin=-0.5 if classes else float(labels.min()),
                   vmax=9.5 if classes else max(float(labels.max()), float(labels.min()) + 1),
                   edgecolors="white", linewidths=0.6, s=22, zorder=3)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_title(title or f"Decision boundary of Network({list(net.sizes)})")
    fig.tight_layout()
    return _finish(fig, path)
