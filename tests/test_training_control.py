"""Training control: schedules, clipping, callbacks, early stopping, exact resume.

* Each schedule gives PyTorch's scheduler's rates over 20 epochs, and a network trained
  with it ends at the weights torch.optim reaches with that scheduler (1e-8).
* ``clip_norm`` / ``clip_value`` equal ``clip_grad_norm_`` / ``clip_grad_value_`` over
  30 mini-batch steps (1e-8), on both engines, which agree with each other.
* ``ReduceLROnPlateau`` gives PyTorch's rates on the same sequence of monitored values.
* ``EarlyStopping(restore_best=True)`` leaves exactly the best epoch's parameters.
* ``fit(10)``, save, load, ``fit(10, optimizer=loaded.optimizer)`` is bit for bit
  ``fit(20)``.
* Bad settings fail before training, with the network and optimizer unchanged.

Torch-dependent tests skip without torch (CI installs it).
"""

import math
import os

import numpy as np
import pytest

import fastprop as fp
from fastprop import callbacks as cb
from fastprop import schedules as sch

ENGINES = ["cython", "numpy"]


def moons(n=120, seed=0):
    X, y = fp.data.two_moons(n, seed=seed)
    return X, y


# ---------------------------------------------------------------- schedules
def schedule_pairs():
    """(fastprop schedule, a function making the torch scheduler for an optimizer)."""
    lrs = pytest.importorskip("torch").optim.lr_scheduler
    return [
        (sch.StepLR(3, gamma=0.5), lambda o: lrs.StepLR(o, 3, gamma=0.5)),
        (sch.MultiStepLR([2, 5, 5, 11], gamma=0.3),
         lambda o: lrs.MultiStepLR(o, [2, 5, 5, 11], gamma=0.3)),
        (sch.ExponentialLR(0.8), lambda o: lrs.ExponentialLR(o, 0.8)),
        (sch.CosineAnnealingLR(7, eta_min=0.01),
         lambda o: lrs.CosineAnnealingLR(o, 7, eta_min=0.01)),
        (sch.CosineAnnealingLR(20), lambda o: lrs.CosineAnnealingLR(o, 20)),
        (sch.LinearLR(0.1, 1.0, 6), lambda o: lrs.LinearLR(o, 0.1, 1.0, 6)),
        (sch.LinearLR(1.0, 0.2, 4), lambda o: lrs.LinearLR(o, 1.0, 0.2, 4)),
        (sch.LambdaLR(lambda e: 1 / (1 + e)), lambda o: lrs.LambdaLR(o, lambda e: 1 / (1 + e))),
    ]


def torch_rates(make, base, epochs):
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base)
    scheduler = make(opt)
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return out


@pytest.mark.parametrize("index", range(8))
def test_each_schedule_gives_torchs_rates_over_20_epochs(index):
    ours, make = schedule_pairs()[index]
    expected = torch_rates(make, 0.3, 20)
    X, y = moons()
    h = fp.Network([2, 4, 1], seed=0).fit(X, y, epochs=20, lr=0.3, lr_schedule=ours)
    np.testing.assert_allclose(h.lr, expected, rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(ours.rates(0, 20, 0.3), expected, rtol=1e-8, atol=1e-15)


def torch_train(net, X, y, opt_factory, epochs=1, batch=None, schedule=None,
                clip_norm=None, clip_value=None):
    """Train net.to_torch() on (X, y) in order (batches of ``batch`` rows) with BCE."""
    torch = pytest.importorskip("torch")
    model = net.to_torch()
    opt = opt_factory(torch.optim, model.parameters())
    scheduler = None if schedule is None else schedule(opt)
    Xt, Yt = torch.tensor(X), torch.tensor(y, dtype=torch.float64).reshape(-1, 1)
    batch = batch or len(X)
    for _ in range(epochs):
        for start in range(0, len(X), batch):
            opt.zero_grad()
            out = model(Xt[start:start + batch])
            loss = torch.nn.functional.binary_cross_entropy(out, Yt[start:start + batch])
            loss.backward()
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            if clip_value is not None:
                torch.nn.utils.clip_grad_value_(model.parameters(), clip_value)
            opt.step()
        if scheduler is not None:
            scheduler.step()
    return fp.Network.from_torch(model).params


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("index", [0, 3, 5])
def test_training_with_a_schedule_follows_torch(engine, index):
    ours, make = schedule_pairs()[index]
    X, y = moons()
    net = fp.Network([2, 8, 1], seed=1, engine=engine)
    expected = torch_train(net, X, y, lambda o, p: o.SGD(p, lr=0.5, momentum=0.9),
                           epochs=20, batch=40, schedule=make)
    net.fit(X, y, epochs=20, batch_size=40, shuffle=False,
            optimizer=fp.SGD(0.5, momentum=0.9), lr_schedule=ours)
    np.testing.assert_allclose(net.params, expected, rtol=1e-8, atol=1e-12)


def test_invscaling_is_scikit_learns_rule():
    stochastic = pytest.importorskip("sklearn.neural_network._stochastic_optimizers")
    X, y = moons(90)
    opt = stochastic.SGDOptimizer([np.zeros(1)], learning_rate_init=0.2,
                                  lr_schedule="invscaling", power_t=0.4)
    expected = []
    for epoch in range(12):  # scikit-learn: t_ counts the samples seen
        expected.append(opt.learning_rate)
        opt.iteration_ends(len(X) * (epoch + 1))
    h = fp.Network([2, 3, 1], seed=0).fit(X, y, epochs=12, lr=0.2,
                                          lr_schedule=sch.InvScaling(0.4))
    np.testing.assert_allclose(h.lr, expected, rtol=1e-12)


def test_a_pure_schedule_with_clipping_runs_in_one_compiled_call(monkeypatch):
    X, y = moons()
    net = fp.Network([2, 8, 1], seed=0)
    calls = []
    train = net._engine.train
    monkeypatch.setattr(net._engine, "train", lambda *a, **k: calls.append(k["epochs"]) or
                        train(*a, **k))
    h = net.fit(X, y, epochs=25, lr=0.1, lr_schedule=sch.CosineAnnealingLR(25),
                clip_norm=0.5, clip_value=0.1)
    assert calls == [25] and len(h.lr) == 25 and h.lr[0] == 0.1


def test_the_schedule_continues_with_the_optimizer_across_fits():
    X, y = moons()
    net = fp.Network([2, 4, 1], seed=0)
    opt = fp.SGD(0.1)
    net.fit(X, y, epochs=4, optimizer=opt, lr_schedule=sch.ExponentialLR(0.5))
    h = net.fit(X, y, epochs=2, optimizer=opt, lr_schedule=sch.ExponentialLR(0.5))
    assert opt.epochs == 6 and h.lr == [0.1 * 0.5 ** 4, 0.1 * 0.5 ** 5]
    opt.reset()
    assert net.fit(X, y, epochs=1, optimizer=opt,
                   lr_schedule=sch.ExponentialLR(0.5)).lr == [0.1]


# ---------------------------------------------------------------- clipping
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("opt", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("clip", [(0.05, None), (None, 0.01), (0.3, 0.02), (1e9, None)])
def test_clipping_equals_torchs_over_30_steps(engine, opt, clip):
    X, y = moons(120, seed=2)
    net = fp.Network([2, 16, 8, 1], activation="tanh", seed=4, engine=engine)
    factories = {
        "sgd": (lambda o, p: o.SGD(p, lr=0.3, momentum=0.9, weight_decay=0.01),
                fp.SGD(0.3, momentum=0.9, weight_decay=0.01)),
        "adam": (lambda o, p: o.Adam(p, lr=0.02), fp.Adam(0.02)),
        "adamw": (lambda o, p: o.AdamW(p, lr=0.02, weight_decay=0.1),
                  fp.AdamW(0.02, weight_decay=0.1)),
    }
    make, ours = factories[opt]
    expected = torch_train(net, X, y, make, epochs=3, batch=12, clip_norm=clip[0],
                           clip_value=clip[1])
    net.fit(X, y, epochs=3, batch_size=12, shuffle=False, optimizer=ours,
            clip_norm=clip[0], clip_value=clip[1])
    np.testing.assert_allclose(net.params, expected, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-5)])
def test_both_engines_clip_alike(dtype, tol):
    X, y = moons(200, seed=5)
    nets = [fp.Network([2, 12, 6, 1], seed=2, engine=e, dtype=dtype) for e in ENGINES]
    for net in nets:
        net.fit(X, y, epochs=6, batch_size=16, optimizer=fp.Adam(0.05), clip_norm=0.2,
                clip_value=0.03, lr_schedule=sch.StepLR(2, 0.5))
    np.testing.assert_allclose(nets[0].params, nets[1].params, rtol=tol, atol=tol)
    assert nets[0].history.loss == pytest.approx(nets[1].history.loss, rel=tol)


def test_clipping_changes_training_only_when_it_binds():
    X, y = moons()
    a, b, c = (fp.Network([2, 8, 1], seed=0) for _ in range(3))
    a.fit(X, y, epochs=5, lr=0.5)
    b.fit(X, y, epochs=5, lr=0.5, clip_norm=1e12)
    c.fit(X, y, epochs=5, lr=0.5, clip_norm=1e-3)
    assert np.array_equal(a.params, b.params) and not np.allclose(a.params, c.params)


# ---------------------------------------------------------------- plateau
def plateau_sequences():
    rng = np.random.default_rng(0)
    walk = list(np.cumsum(rng.normal(0, 1, 60)) + 100)
    steps = [5, 4, 4, 4, 4, 3.9999, 3.9999, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1] * 2
    return [walk, steps, [-v for v in steps]]


@pytest.mark.parametrize("values", plateau_sequences())
@pytest.mark.parametrize("settings", [
    {}, {"patience": 2, "factor": 0.5}, {"patience": 0, "cooldown": 2, "factor": 0.5},
    {"patience": 1, "threshold": 0.1, "threshold_mode": "abs", "factor": 0.3},
    {"patience": 1, "min_lr": 0.05, "factor": 0.5}, {"mode": "max", "patience": 1}])
def test_reduce_lr_on_plateau_is_pytorchs_rule(values, settings):
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    torch_settings = dict(settings, mode=settings.get("mode", "min"))
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **torch_settings)
    ours = cb.ReduceLROnPlateau(monitor="val_loss", **settings)

    class Net:
        optimizer = fp.SGD(1.0)

    ours.on_train_begin(Net)
    got, expected = [], []
    for epoch, value in enumerate(values):
        scheduler.step(value)
        ours.on_epoch_end(Net, epoch, {"val_loss": value})
        expected.append(opt.param_groups[0]["lr"])
        got.append(Net.optimizer.lr)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert min(expected) < 1.0  # the sequence made it act


def test_reduce_lr_on_plateau_in_fit_changes_the_optimizers_rate():
    X, y = moons()
    net = fp.Network([2, 8, 1], seed=0)
    opt = fp.Adam(0.05)
    h = net.fit(X, y, epochs=30, optimizer=opt, validation_data=(X, y), callbacks=[
        cb.ReduceLROnPlateau(patience=0, threshold=0.2, factor=0.5)])
    assert h.lr[0] == 0.05 and min(h.lr) < 0.05 and opt.lr == pytest.approx(
        h.lr[-1] * (0.5 if opt.lr < h.lr[-1] else 1))
    assert all(b <= a for a, b in zip(h.lr, h.lr[1:]))


# ---------------------------------------------------------------- early stopping
@pytest.mark.parametrize("engine", ENGINES)
def test_early_stopping_restores_the_best_epoch_exactly(engine):
    X, y = moons(300, seed=3)
    train, val = (X[:150], y[:150]), (X[150:], y[150:])
    make = lambda: fp.Network([2, 32, 1], seed=7, engine=engine)  # noqa: E731
    net = make()
    stop = cb.EarlyStopping(patience=4)
    h = net.fit(*train, epochs=400, batch_size=16, optimizer=fp.Adam(0.05),
                validation_data=val, callbacks=[stop])
    assert h.stopped_epoch is not None and len(h.loss) == h.stopped_epoch + 1 < 400
    best = int(np.argmin(h.val_loss))
    assert h.best_epoch == best == stop.best_epoch and h.stopped_epoch - best == 4
    again = make()  # the same training, best + 1 epochs, in one compiled call
    again.fit(*train, epochs=best + 1, batch_size=16, optimizer=fp.Adam(0.05))
    assert np.array_equal(net.params, again.params)
    assert net.loss(*val) == h.val_loss[best]


def test_early_stopping_monitors_max_metrics_and_min_delta():
    X, y = moons(300, seed=3)
    net = fp.Network([2, 16, 1], seed=0)
    stop = cb.EarlyStopping(monitor="val_f1", patience=2, min_delta=0.01)
    h = net.fit(X[:200], y[:200], epochs=200, optimizer=fp.Adam(0.02), metrics=["f1"],
                validation_data=(X[200:], y[200:]), callbacks=[stop])
    f1 = h["val_f1"]
    assert stop.larger_is_better and h.best_epoch is not None and h.stopped_epoch is not None
    assert f1[h.best_epoch] == stop.best == pytest.approx(
        net.evaluate(X[200:], y[200:], metrics=["f1"])["f1"])
    assert all(v <= stop.best + 0.01 for v in f1[h.best_epoch + 1:])  # none beat it by
    assert h.stopped_epoch - h.best_epoch == 2                          # min_delta


def test_early_stopping_without_restore_keeps_the_last_epoch():
    X, y = moons()
    net, ref = fp.Network([2, 8, 1], seed=0), fp.Network([2, 8, 1], seed=0)
    h = net.fit(X, y, epochs=60, lr=2.0, validation_data=(X, y),
                callbacks=[cb.EarlyStopping(patience=0, restore_best=False)])
    assert h.stopped_epoch is not None and len(h.loss) < 60
    ref.fit(X, y, epochs=len(h.loss), lr=2.0)
    assert np.array_equal(net.params, ref.params)


# ---------------------------------------------------------------- callbacks
def test_hooks_run_in_order_and_a_true_stops_after_that_epoch():
    X, y = moons()
    events = []

    class Recorder(cb.Callback):
        def on_train_begin(self, net):
            events.append("begin")

        def on_epoch_end(self, net, epoch, logs):
            events.append((epoch, sorted(logs)))
            return epoch == 2

        def on_train_end(self, net, history):
            events.append(("end", len(history.loss)))

    seen = []
    other = cb.LambdaCallback(on_epoch_end=lambda net, e, logs: seen.append(e))
    h = fp.Network([2, 4, 1], seed=0).fit(X, y, epochs=10, lr=0.1, callbacks=[Recorder(),
                                                                              other])
    keys = ["loss", "lr"]
    assert events == ["begin", (0, keys), (1, keys), (2, keys), ("end", 3)]
    assert seen == [0, 1, 2] and len(h.loss) == 3 and h.stopped_epoch is None


def test_logs_hold_validation_scores_and_metrics_as_evaluate_gives_them():
    X, y = moons(200, seed=1)
    val = (X[:60], y[:60])
    checks = []

    def compare(net, epoch, logs):
        checks.append((logs, net.evaluate(*val, metrics=["f1", "roc_auc"]),
                       net.evaluate(X, y, metrics=["f1", "roc_auc"])))

    net = fp.Network([2, 8, 1], seed=0)
    h = net.fit(X, y, epochs=4, lr=0.3, validation_data=val, metrics=["f1", "roc_auc"],
                callbacks=[cb.LambdaCallback(on_epoch_end=compare)])
    for epoch, (logs, on_val, on_train) in enumerate(checks):
        assert logs["val_loss"] == on_val["loss"] == h.val_loss[epoch]
        assert logs["val_accuracy"] == on_val["accuracy"]
        assert logs["val_f1"] == on_val["f1"] == h.metrics["val_f1"][epoch]
        assert logs["roc_auc"] == on_train["roc_auc"] == h["roc_auc"][epoch]
        assert logs["loss"] == h.loss[epoch] and logs["lr"] == 0.3
    assert sorted(h.to_dict()) == ["f1", "loss", "lr", "roc_auc", "val_accuracy", "val_f1",
                                   "val_loss", "val_roc_auc"]


def test_regression_metrics_in_fit():
    X, y = moons()
    target = X[:, 0] * 2 - X[:, 1]
    h = fp.Network([2, 8, 1], loss="mse", seed=0).fit(X, target, epochs=3, lr=0.05,
                                                        metrics=["r2", "rmse"])
    assert len(h["r2"]) == 3 and all(math.isfinite(v) for v in h["rmse"])


def test_model_checkpoint_saves_every_epoch_or_the_best(tmp_path):
    X, y = moons()
    every = cb.ModelCheckpoint(tmp_path / "e{epoch:02d}-{loss:.3f}.npz")
    best = cb.ModelCheckpoint(tmp_path / "best.npz", save_best_only=True)
    stop = cb.EarlyStopping(patience=3)
    net = fp.Network([2, 8, 1], seed=0)
    h = net.fit(X, y, epochs=40, optimizer=fp.Adam(0.05), validation_data=(X[:40], y[:40]),
                callbacks=[every, best, stop])
    files = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("e"))
    assert len(files) == len(h.loss) and files[0].startswith("e01-")
    assert os.path.basename(every.last_saved) == files[-1]
    saved = fp.load(tmp_path / "best.npz")  # the best epoch, as restored
    assert np.array_equal(saved.params, net.params)
    assert isinstance(saved.optimizer, fp.Adam) and saved.optimizer.t > 0


# ---------------------------------------------------------------- exact resume
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("make", [
    lambda: fp.SGD(0.2, momentum=0.9, nesterov=True), lambda: fp.Adam(0.01, amsgrad=True),
    lambda: fp.AdamW(0.01, weight_decay=0.05), lambda: fp.RMSprop(0.005, centered=True),
    lambda: fp.Adagrad(0.1, lr_decay=0.01)])
def test_fit_save_load_fit_is_bit_for_bit_one_fit(engine, make, tmp_path):
    X, y = moons(150, seed=4)
    kwargs = dict(batch_size=16, lr_schedule=sch.CosineAnnealingLR(20), clip_norm=0.5)
    whole = fp.Network([2, 16, 8, 1], seed=5, engine=engine, dropout=0.1)
    whole.fit(X, y, epochs=20, optimizer=make(), **kwargs)
    first = fp.Network([2, 16, 8, 1], seed=5, engine=engine, dropout=0.1)
    first.fit(X, y, epochs=10, optimizer=make(), **kwargs)
    first.save(tmp_path / "half.npz")
    loaded = fp.load(tmp_path / "half.npz")
    assert loaded.optimizer is not first.optimizer and loaded.epochs_trained == 10
    h = loaded.fit(X, y, epochs=10, optimizer=loaded.optimizer, **kwargs)
    assert np.array_equal(loaded.params, whole.params)
    assert h.lr == whole.history.lr[10:]


def test_a_file_without_an_optimizer_is_format_1_and_loads(tmp_path):
    import zipfile

    net = fp.Network([2, 3, 1], seed=0)
    net.save(tmp_path / "fresh.npz")
    meta = fp.io.read_model(tmp_path / "fresh.npz")[1]
    assert meta["format_version"] == 1 and fp.load(tmp_path / "fresh.npz").optimizer is None
    net.fit(*moons(), epochs=1, optimizer=fp.Adam(0.01))
    net.save(tmp_path / "trained.npz")
    with zipfile.ZipFile(tmp_path / "trained.npz") as archive:
        assert sorted(archive.namelist()) == ["metadata.npy", "optimizer.exp_avg.npy",
                                              "optimizer.exp_avg_sq.npy", "params.npy"]
    assert fp.io.read_model(tmp_path / "trained.npz")[1]["format_version"] == 2


def test_a_pickled_network_keeps_its_optimizer():
    import pickle

    net = fp.Network([2, 3, 1], seed=0)
    net.fit(*moons(), epochs=2, optimizer=fp.SGD(0.1, momentum=0.5))
    again = pickle.loads(pickle.dumps(net))
    assert np.array_equal(again.optimizer.state["momentum_buffer"],
                          net.optimizer.state["momentum_buffer"])


# ---------------------------------------------------------------- bad settings
BAD = [
    (dict(callbacks=[cb.EarlyStopping()]), ValueError, "val_loss"),
    (dict(callbacks=[cb.ReduceLROnPlateau(monitor="val_f1")]), ValueError, "val_f1"),
    (dict(callbacks=[cb.EarlyStopping(monitor="f1")], metrics=[]), ValueError, "'f1'"),
    (dict(callbacks=cb.EarlyStopping(monitor="loss")), TypeError, "callbacks"),
    (dict(callbacks=["stop"]), TypeError, r"callbacks\[0\]"),
    (dict(lr_schedule=sch.LambdaLR(lambda e: 1 - e / 2)), ValueError, "epoch 3"),
    (dict(lr_schedule="cosine"), TypeError, "lr_schedule"),
    (dict(clip_norm=0.0), ValueError, "clip_norm"),
    (dict(clip_norm=-1.0), ValueError, "clip_norm"),
    (dict(clip_value=float("nan")), ValueError, "clip_value"),
    (dict(metrics=["nope"]), ValueError, "nope"),
]


@pytest.mark.parametrize("kwargs, error, match", BAD)
def test_bad_settings_fail_before_training(kwargs, error, match):
    X, y = moons()
    net = fp.Network([2, 4, 1], seed=0)
    before = net.params.copy()
    opt = fp.Adam(0.01)
    with pytest.raises(error, match=match):
        net.fit(X, y, epochs=5, optimizer=opt, **kwargs)
    assert np.array_equal(net.params, before) and net.history is None
    assert net.optimizer is None and net.epochs_trained == 0
    assert opt.state == {} and opt.t == 0 and opt.epochs == 0


def test_a_checkpoint_in_a_missing_directory_fails_before_training(tmp_path):
    X, y = moons()
    net = fp.Network([2, 4, 1], seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError, match="does not exist"):
        net.fit(X, y, epochs=3, callbacks=[cb.ModelCheckpoint(tmp_path / "no" / "m.npz",
                                                              monitor="loss")])
    with pytest.raises(ValueError, match="field"):
        net.fit(X, y, epochs=3, callbacks=[cb.ModelCheckpoint(tmp_path / "{nope}.npz")])
    assert np.array_equal(net.params, before) and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("make, match", [
    (lambda: cb.EarlyStopping(patience=-1), "patience"),
    (lambda: cb.EarlyStopping(min_delta=-0.1), "min_delta"),
    (lambda: cb.EarlyStopping(mode="lowest"), "mode"),
    (lambda: cb.ReduceLROnPlateau(factor=1.5), "factor"),
    (lambda: cb.ReduceLROnPlateau(threshold_mode="pct"), "threshold_mode"),
    (lambda: sch.StepLR(0), "step_size"),
    (lambda: sch.ExponentialLR(-0.5), "gamma"),
    (lambda: sch.CosineAnnealingLR(10, eta_min=-1), "eta_min"),
    (lambda: sch.LinearLR(0.0), "start_factor"),
    (lambda: sch.MultiStepLR([3, -1]), "milestones"),
    (lambda: sch.LambdaLR(3), "lr_lambda"),
])
def test_bad_callback_and_schedule_arguments_are_named(make, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rate_of_zero_is_a_step_of_nothing_on_both_engines(engine):
    X, y = moons()
    net = fp.Network([2, 6, 1], seed=0, engine=engine)
    h = net.fit(X, y, epochs=4, batch_size=30, optimizer=fp.SGD(0.3, momentum=0.9),
                lr_schedule=sch.LambdaLR(lambda e: max(0.0, 1 - e / 2)))
    assert h.lr == [0.3, 0.15, 0.0, 0.0]
    ref = fp.Network([2, 6, 1], seed=0, engine="numpy")
    ref.fit(X, y, epochs=4, batch_size=30, optimizer=fp.SGD(0.3, momentum=0.9),
            lr_schedule=sch.LambdaLR(lambda e: max(0.0, 1 - e / 2)))
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_checkpoint_resumes_exactly(engine, tmp_path):
    X, y = moons(150, seed=6)
    kwargs = dict(batch_size=16, lr_schedule=sch.ExponentialLR(0.9), clip_value=0.5)
    whole = fp.Network([2, 12, 1], seed=2, engine=engine, dropout=0.2)
    whole.fit(X, y, epochs=8, optimizer=fp.Adam(0.01), **kwargs)
    net = fp.Network([2, 12, 1], seed=2, engine=engine, dropout=0.2)
    net.fit(X, y, epochs=8, optimizer=fp.Adam(0.01), **kwargs, callbacks=[
        cb.ModelCheckpoint(tmp_path / "e{epoch}.npz")])
    assert np.array_equal(net.params, whole.params)
    loaded = fp.load(tmp_path / "e3.npz")
    assert loaded.epochs_trained == 3 and loaded.optimizer.epochs == 3
    loaded.fit(X, y, epochs=5, optimizer=loaded.optimizer, **kwargs)
    assert np.array_equal(loaded.params, whole.params)


def test_huge_numbers_in_a_saved_optimizer_are_a_model_file_error(tmp_path):
    import json

    net = fp.Network([2, 3, 1], seed=0)
    net.fit(*moons(), epochs=1, optimizer=fp.Adam(0.01))
    net.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(str(arrays["metadata"]))
    for change in ({"config": dict(meta["optimizer"]["config"], lr=10**400)},
                   {"t": 2**70}, {"epochs": -1}, {"kind": "lion"}):
        bad = dict(meta, optimizer=dict(meta["optimizer"], **change))
        path = tmp_path / "bad.npz"
        np.savez(path, **dict(arrays, metadata=np.array(json.dumps(bad))))
        with pytest.raises(fp.ModelFileError):
            fp.load(path)


def test_saving_refuses_an_optimizer_that_does_not_fit(tmp_path):
    net = fp.Network([2, 3, 1], seed=0)
    other = fp.Network([2, 5, 1], seed=0)
    other.fit(*moons(), epochs=1, optimizer=fp.Adam(0.01))
    net.optimizer = other.optimizer
    with pytest.raises(fp.ModelFileError, match="not saved"):
        net.save(tmp_path / "m.npz")
    net.optimizer = "adam"
    with pytest.raises(TypeError, match="net.optimizer"):
        net.save(tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_an_overflowing_schedule_is_refused_before_training():
    X, y = moons()
    net = fp.Network([2, 3, 1], seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError, match="finite"):
        net.fit(X, y, epochs=3000, lr=0.1, lr_schedule=sch.ExponentialLR(10.0))
    assert np.array_equal(net.params, before) and net.history is None


def test_an_interrupt_in_an_epochs_last_step_keeps_the_lists_aligned(monkeypatch):
    X, y = moons(60)
    net = fp.Network([2, 4, 1], seed=0)
    train = net._engine.train

    def interrupted_after_two(*args, **kwargs):
        train(*args, **kwargs)
        if net.epochs_trained == 1:  # (counted before this call): set as it ends
            kwargs["stop"][0] = 1

    monkeypatch.setattr(net._engine, "train", interrupted_after_two)
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, y, epochs=5, lr=0.1, validation_data=(X, y), metrics=["f1"])
    h = net.history
    assert len(h.loss) == len(h.lr) == len(h.val_loss) == len(h["f1"]) == 2


def test_a_callback_cannot_train_its_own_network():
    X, y = moons(40)
    net = fp.Network([2, 3, 1], seed=0)
    nested = cb.LambdaCallback(on_epoch_end=lambda n, e, logs: n.fit(X, y, epochs=1))
    with pytest.raises(RuntimeError, match="this very thread"):
        net.fit(X, y, epochs=2, callbacks=[nested])


def test_divergence_and_interrupts_still_behave():
    X, y = moons()
    ended = []
    net = fp.Network([2, 8, 1], loss="mse", seed=0)
    with pytest.raises(fp.DivergenceError) as info:
        net.fit(X, y * 1e200, epochs=5, lr=1.0, validation_data=(X, y),
                callbacks=[cb.LambdaCallback(on_train_end=lambda n, h: ended.append(1))])
    assert ended == [] and info.value.history is net.history
