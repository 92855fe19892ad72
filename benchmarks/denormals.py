"""Does training slow down on denormal floats? (The compiled engine sets FTZ/DAZ while it
trains; arithmetic on subnormal floats is several times slower on x86 otherwise.)

Two checks, both float32:

* **saturation** — a tabular network is trained with Adam until its loss is ~1e-9
  (outputs saturated, gradients tiny); the time of one epoch early in training is
  compared with one late in training (each the fastest of a few frozen epochs: same
  data, a learning rate too small to change any float32 parameter).
* **stress** — a ReLU network whose first-layer weights are scaled to ~1e-39, so that
  every hidden pre-activation and activation is subnormal, against the same network
  unscaled; for the compiled engine (flushes) and the NumPy engine (does not), as the
  control that shows what the slowdown would be on this CPU;
* **cpu_penalty** — subnormal vs normal float32 multiplies in NumPy, the raw penalty.
"""

from __future__ import annotations

import time

import numpy as np

FROZEN_LR = 1e-30  # below half an ulp of every parameter: the step changes nothing


def _subnormal_share(a) -> float:
    a = np.abs(np.asarray(a, dtype=np.float32))
    return float(np.mean((a > 0) & (a < np.finfo(np.float32).tiny)))


def _epoch_times(nets, X, y, batch, repeats=7) -> list[float]:
    """Fastest epoch of each network, timed in turns (a change of load hits all alike)."""
    import fastprop as fp

    best = [np.inf] * len(nets)
    for _ in range(repeats):
        for i, net in enumerate(nets):
            start = time.perf_counter()
            net.fit(X, y, epochs=1, batch_size=batch, optimizer=fp.SGD(FROZEN_LR),
                    shuffle=False)
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def saturation(epochs: int = 150, n: int = 4096, batch: int = 32) -> dict:
    import fastprop as fp

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 32)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.float32)
    net = fp.Network([32, 64, 64, 1], dtype="float32", seed=0)
    optimizer = fp.Adam(0.01)
    net.fit(X, y, epochs=1, batch_size=batch, optimizer=optimizer, shuffle=False)
    early_net = net.copy()
    history = net.fit(X, y, epochs=epochs, batch_size=batch, optimizer=optimizer,
                      shuffle=False)
    early, late = _epoch_times([early_net, net], X, y, batch)
    reference = net.copy(engine="numpy")  # no flushing: shows the subnormals that occur
    _, grad_w, _ = reference.gradients(X, y)
    return {"epochs": epochs + 1, "final_loss": history.loss[-1],
            "early_epoch_s": early, "late_epoch_s": late, "slowdown": late / early,
            "subnormal_share_output": _subnormal_share(reference.predict(X)),
            "subnormal_share_grad": _subnormal_share(np.concatenate(
                [g.ravel() for g in grad_w]))}


def stress(n: int = 4096, batch: int = 32) -> dict:
    import fastprop as fp

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 32)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.float32)
    out = {}
    for engine, m in (("cython", n), ("numpy", min(n, 1024))):
        nets = []
        for scale in (1.0, 1e-39):  # normal, then every hidden value subnormal
            net = fp.Network([32, 64, 64, 1], dtype="float32", seed=0, engine=engine)
            net.weights[0][...] *= np.float32(scale)
            net.biases[0][...] = 0
            nets.append(net)
        hidden = np.maximum(X[:m] @ nets[1].weights[0], 0)
        out["subnormal_share_hidden"] = _subnormal_share(hidden[hidden != 0])
        normal, subnormal = (t / m for t in _epoch_times(nets, X[:m], y[:m], batch))
        out[engine] = {"normal_s_per_sample": normal, "subnormal_s_per_sample": subnormal,
                       "slowdown": subnormal / normal}
    return out


def cpu_penalty(n: int = 1 << 20, repeats: int = 15) -> float:
    """How much slower this CPU multiplies subnormal float32s than normal ones
    (NumPy, no flushing): the penalty the flushing avoids, where it applies."""
    out = np.empty(n, dtype=np.float32)
    inputs = [np.full(n, value, dtype=np.float32) for value in (1e-3, 1e-39)]
    best = [np.inf, np.inf]
    for _ in range(repeats):
        for i, x in enumerate(inputs):
            start = time.perf_counter()
            np.multiply(x, np.float32(0.5), out=out)
            best[i] = min(best[i], time.perf_counter() - start)
    return best[1] / best[0]


def run(quick: bool = False) -> dict:
    return {"cpu_penalty": cpu_penalty(),
            "saturation": saturation(epochs=40 if quick else 150),
            "stress": stress(n=1024 if quick else 4096)}
