"""``fastprop demo``: the main job on built-in data.

The three-input worked example's first step and its training on six points, then a
larger network on two moons, again with early stopping, and (with matplotlib) pictures.
"""

from __future__ import annotations

import os
import textwrap
import time

import numpy as np

from .._version import __version__


def _demo(args) -> int:
    from .. import data, examples
    from ..network import Network
    from ..optim import Adam

    t0 = time.perf_counter()
    print(f"fastprop {__version__} demo: backpropagation step by step, then at speed "
          f"(engine: {args.engine})\n")
    _say("1. The three-input worked example (3 → 2 → 1, ReLU, sigmoid, every weight 1, no "
         "biases) learns the six-point rule 'y = 1 if the third number is positive'.\n")
    X, y = data.six_points()
    net = examples.get("three-inputs-relu-sigmoid-bce").network(engine=args.engine)
    print("The first training step (all six points in one batch, η = 0.1):\n")
    print(net.trace(X, y, lr=0.1))
    print("\n(The text's own single-point step: fastprop explain --example "
          "three-inputs-relu-sigmoid-bce)\n")
    net.fit(X, y, epochs=200, batch_size=6, lr=0.1, shuffle=False)
    y_hat = net.predict(X)[:, 0]
    for x, target, p in zip(X, y, y_hat, strict=True):
        print(f"  x = {'(' + ', '.join(f'{v:g}' for v in x) + ')':12s}  y = {target:g}  "
              f"ŷ = {p:.5f}")
    acc = net.evaluate(X, y)["accuracy"]
    print(f"After 200 steps: accuracy {acc:.2f} ({round(acc * len(y))} of {len(y)} points).")
    _symmetry_lesson(net, y, y_hat)
    _say("\n2. A larger network, [2, 32, 32, 1] with ReLU and Adam, on 600 two-moons points "
         "(noise 0.2, seed 0), a quarter of them held out.\n")
    Xm, ym = data.two_moons(600, noise=0.2, seed=0)
    big = Network([2, 32, 32, 1], activation="relu", loss="bce", seed=0, engine=args.engine)
    history = big.fit(Xm[:450], ym[:450], epochs=args.epochs, batch_size=32,
                      optimizer=Adam(0.01), validation_data=(Xm[450:], ym[450:]),
                      progress=args.progress)
    train, test = big.evaluate(Xm[:450], ym[:450]), big.evaluate(Xm[450:], ym[450:])
    print(f"{len(history.loss)} epochs: training loss {train['loss']:.4f}, accuracy "
          f"{train['accuracy']:.3f}; held-out loss {test['loss']:.4f}, accuracy "
          f"{test['accuracy']:.3f}")
    val_loss = history.val_loss or []  # a list: validation_data was given
    best = int(np.argmin(val_loss))
    if val_loss[-1] > 1.2 * val_loss[best]:
        _say(f"The held-out loss was lowest ({val_loss[best]:.4f}) after epoch "
             f"{best + 1}; since then the network has been fitting the noise of its training "
             "points (overfitting).")
        _early_stopping(args, Xm, ym)
    _demo_pictures(args, history, big, Xm, ym)
    print(f"\nDone in {time.perf_counter() - t0:.1f} s.")
    return 0


def _early_stopping(args, X, y) -> None:
    """The same training again, stopped by ``EarlyStopping`` at its best epoch."""
    from ..callbacks import EarlyStopping
    from ..network import Network
    from ..optim import Adam

    net = Network([2, 32, 32, 1], activation="relu", loss="bce", seed=0, engine=args.engine)
    stop = EarlyStopping(patience=10)
    history = net.fit(X[:450], y[:450], epochs=args.epochs, batch_size=32,
                      optimizer=Adam(0.01), validation_data=(X[450:], y[450:]),
                      callbacks=[stop])
    test = net.evaluate(X[450:], y[450:])
    ran = f"stopped after epoch {stop.stopped_epoch + 1}" if stop.stopped_epoch is not None \
        else f"ran all {len(history.loss)} epochs"
    kept = "the last" if stop.best_epoch is None else f"epoch {stop.best_epoch + 1}"
    _say(f"\n3. The same training with fp.callbacks.EarlyStopping(patience=10): it {ran} "
         f"and kept the weights of {kept}: held-out loss "
         f"{test['loss']:.4f}, accuracy {test['accuracy']:.3f}.")


def _say(text: str) -> None:
    print("\n".join(textwrap.fill(part, width=92) if part else part
                    for part in text.split("\n")))


def _symmetry_lesson(net, y, y_hat) -> None:
    W = net.weights[0]
    if not (np.array_equal(W[:, 0], W[:, 1]) and np.all(y_hat[y == 0] == 0.5)):
        return
    _say("Why do the negatives sit at exactly ŷ = 0.5? Every weight started at 1, so D and E "
         "compute the same thing and get the same gradient at every step: they stay identical "
         "forever (symmetry), and the network acts like one ReLU unit. Without a bias that "
         "unit outputs 0 for every negative point, so z_F = 0 and ŷ = σ(0) = 0.5: right by "
         "the 0.5 threshold, but not confident. Random initial weights break the symmetry, "
         "and biases let ŷ move away from 0.5.")


def _demo_pictures(args, history, big, X, y) -> None:
    if args.no_plots:
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib is not installed: no pictures (pip install 'fastprop-mlp[plot]' to get "
              "them).")
        return
    from .. import examples
    from ..plotting import plot_decision_boundary

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    ex = examples.get("three-inputs-relu-sigmoid-bce")
    first = ex.network(engine=args.engine)
    files = {"moons-loss.png": lambda p: history.plot(p, title="Two moons: loss per epoch"),
             "moons-boundary.png": lambda p: plot_decision_boundary(big, X, y, path=p),
             "three-inputs-step.png": lambda p: first.draw(p, trace=first.trace(ex.x, ex.y,
                                                                                ex.lr))}
    for name, draw in files.items():
        draw(os.path.join(out, name))
    print(f"Pictures in {out}: {', '.join(files)}")
