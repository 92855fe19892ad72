"""Exercise every compiled kernel on small random problems (run under valgrind by
tools/memcheck.sh): both dtypes, batch 1, partial and full batches, shuffle, every
activation and loss, BLAS-sized and loop-sized layers, every matrix-product kernel path
this CPU runs under valgrind (own kernels at the edges of their blocking, and in training),
predict chunking (> 256 rows),
training buffers kept between fit calls (odd and even step counts, per-epoch calls with
validation), sample weights, the activations that keep z, the pointwise losses, every
optimizer, dropout, class weights, fastprop.sklearn's compiled epoch (Poisson too), and
the synchronous steps of training over MPI."""

import numpy as np

import fastprop as fp

rng = np.random.default_rng(0)
CASES = [
    ([3, 2, 1], "relu", "sigmoid", "bce"),
    ([2, 1, 1], "sigmoid", "sigmoid", "mse"),
    ([5, 7, 4, 3], "tanh", "softmax", "cross_entropy"),
    ([4, 3, 3], "leaky_relu", "softmax", "mse"),
    ([6, 40, 30, 2], "identity", "tanh", "mse"),  # BLAS path (rows·n_in·n_out ≥ 4096)
]
for sizes, act, out, loss in CASES:
    for dtype in ("float64", "float32"):
        for bias in (True, False):
            n = int(rng.integers(1, 300))
            X = rng.normal(size=(n, sizes[0]))
            k = sizes[-1]
            y = {"bce": lambda n=n, k=k: rng.integers(0, 2, size=(n, k)).astype(float),
                 "mse": lambda n=n, k=k: rng.normal(size=(n, k)),
                 "cross_entropy": lambda n=n, k=k: rng.integers(0, k, size=n)}[loss]()
            net = fp.Network(sizes, activation=act, output=out, loss=loss, bias=bias,
                             dtype=dtype, engine="cython", seed=1)
            net.predict(np.vstack([X] * 2))
            net.loss(X, y)
            net.gradients(X, y)
            net.step(X[:1], y[:1], 0.01)
            for batch in (1, 7, n, n + 5):
                for opt in (fp.SGD(0.01, momentum=0.9, nesterov=True, weight_decay=0.01),
                            fp.Adam(0.001)):
                    net.fit(X, y, epochs=2, batch_size=batch, optimizer=opt, seed=3)
                    net.fit(X, y, epochs=1, batch_size=batch, optimizer=opt, shuffle=False)
                    net.fit(X, y, epochs=2, batch_size=batch, optimizer=opt,
                            validation_data=(X[:5], y[:5]))
                    net.fit(X, y, epochs=2, batch_size=batch, optimizer=opt,
                            sample_weight=rng.uniform(0, 2, size=n))

# the activations whose f′ needs z (a kept z buffer), the pointwise losses, the adaptive
# optimizers (empty state slots), class weights
NEWER = [([3, 6, 5, 2], ["gelu", "silu"], "softplus", "huber"),
         ([4, 50, 40, 3], ["gelu_tanh", "elu"], "selu", "mae"),
         ([3, 5, 2], ["softplus"], "exp", "poisson")]
for sizes, acts, out, loss in NEWER:
    for dtype in ("float64", "float32"):
        n = int(rng.integers(20, 120))
        X = rng.normal(size=(n, sizes[0]))
        y = rng.poisson(1.0, size=(n, sizes[-1])).astype(float)
        net = fp.Network(sizes, activation=acts, output=out, loss=loss, dtype=dtype, seed=2)
        net.predict(np.vstack([X] * 3))
        net.gradients(X, y, sample_weight=rng.uniform(0, 2, size=n))
        for opt in (fp.AdamW(0.001, amsgrad=True), fp.RMSprop(0.001, momentum=0.5,
                                                              centered=True),
                    fp.RMSprop(0.001), fp.Adagrad(0.01, lr_decay=0.1)):
            net.fit(X, y, epochs=2, batch_size=7, optimizer=opt, seed=1)
            net.fit(X, y, epochs=1, batch_size=n, optimizer=opt, shuffle=False,
                    sample_weight=rng.uniform(0, 2, size=n))
for dtype in ("float64", "float32"):  # dropout: masks and masked activations
    Xd, yd = rng.normal(size=(45, 5)), rng.integers(0, 2, size=45).astype(float)
    drop = fp.Network([5, 40, 30, 1], activation="gelu", dropout=[0.3, 0.1], dtype=dtype,
                      seed=4)
    drop.fit(Xd, yd, epochs=2, batch_size=8, optimizer=fp.Adam(0.01))
    drop.fit(Xd, yd, epochs=1, batch_size=45, shuffle=False)
    drop.gradients(Xd, yd, training=True)
for dtype in ("float64", "float32"):  # schedules and clipping: per-epoch rates, the
    # unfused step with the norm, the fused one with clamped values (short and long layers)
    Xc, yc = rng.normal(size=(60, 70)), rng.integers(0, 2, size=60).astype(float)
    clip = fp.Network([70, 33, 2, 1], dtype=dtype, seed=5)
    for kwargs in ({"clip_norm": 0.01}, {"clip_norm": 1e9, "clip_value": 0.001},
                   {"clip_value": 0.01}, {"clip_norm": 0.1, "clip_value": 0.01}):
        clip.fit(Xc, yc, epochs=3, batch_size=9, optimizer=fp.Adam(0.01),
                 lr_schedule=fp.schedules.StepLR(1, 0.5), **kwargs)
    clip.fit(Xc, yc, epochs=2, batch_size=9, validation_data=(Xc, yc), metrics=["f1"],
             callbacks=[fp.callbacks.EarlyStopping(patience=0)])
Xb, yb = rng.normal(size=(40, 3)), rng.integers(0, 3, size=40)
fp.Network([3, 4, 3], loss="cross_entropy", seed=0).fit(Xb, yb, epochs=2,
                                                        class_weight="balanced")

from fastprop.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

Xc = rng.normal(size=(157, 6))
for dtype in (np.float64, np.float32):
    for solver in ("sgd", "adam"):
        for shuffle in (True, False):
            common = dict(hidden_layer_sizes=(9, 5), solver=solver, batch_size=20, max_iter=3,
                          shuffle=shuffle, alpha=1e-3, random_state=0, tol=0)
            MLPClassifier(**common).fit(Xc.astype(dtype), rng.integers(0, 3, size=157))
            MLPRegressor(**common).fit(Xc.astype(dtype), rng.normal(size=(157, 2)),
                                       sample_weight=rng.uniform(0, 2, size=157))
            MLPRegressor(loss="poisson", **common).fit(
                Xc.astype(dtype), rng.poisson(1.0, size=(157, 2)).astype(float))
from fastprop import _kernels, _products  # noqa: E402

ORDER = ["portable", "avx2", "avx512"]
for path in ["blas", *ORDER[: ORDER.index(_kernels.state()["best"]) + 1]]:
    with _kernels.use(path):
        for dtype in (np.float64, np.float32):
            # partial tiles and panels, two K blocks, rows 4 KiB apart, more rows than a block
            for M, K, N in [(1, 1, 1), (9, 257, 33), (12, 40, 1024), (300, 20, 17)]:
                for ta in (False, True):
                    for tb in (False, True):
                        A = rng.normal(size=(K, M) if ta else (M, K)).astype(dtype)
                        B = rng.normal(size=(N, K) if tb else (K, N)).astype(dtype)
                        C = np.empty((M, N), dtype)
                        _products._product(A, B, ta, tb, C)
                        _products._product(A, B, ta, tb, C, accumulate=True)
            net = fp.Network([300, 40, 30, 2], output="identity", loss="mse",
                             dtype=dtype.__name__, seed=1)
            Xk = rng.normal(size=(37, 300))
            net.fit(Xk, rng.normal(size=(37, 2)), epochs=1, batch_size=16, seed=0)
            MLPRegressor(hidden_layer_sizes=(40,), max_iter=2, batch_size=16, tol=0,
                         random_state=0).fit(Xk.astype(dtype), rng.normal(size=37))
# Synchronous steps over MPI (fastprop.distributed) without MPI: the compiled loop's
# reduce callable stands for a second rank with the same sums (×2), epochs with more
# steps than this shard's batches (a ragged shard), clipping, weights, shuffled or not.
for dtype in ("float64", "float32"):
    net = fp.Network([6, 9, 3], loss="cross_entropy", output="softmax", dtype=dtype, seed=1)
    Xr, Yr = net._data(rng.normal(size=(23, 6)), rng.integers(0, 3, size=23))
    sums = np.empty(net.n_params + 3, dtype=dtype)
    for seed, weights, clip in [(None, None, 0.0), (5, rng.uniform(0, 2, 23).astype(dtype),
                                                    0.5)]:
        opt = fp.Adam(0.01)
        opt.bind(net.n_params, net.dtype, (net.sizes, net.bias))
        net._engine.train(net.arch, net.params, Xr, Yr, epochs=2, first_epoch=0,
                          batch_size=4, optimizer=opt, seed=seed, losses=np.empty(2),
                          backup=np.empty_like(net.params), backup_valid=False,
                          stop=np.zeros(1, np.int8), weights=weights, clip_norm=clip,
                          reduce=lambda sums=sums: np.multiply(sums, 2, out=sums),
                          sums=sums, steps=8)
print("memcheck driver finished")
