"""Run by tests/test_distributed.py as ``mpiexec -n 2 python -m mpi4py two_ranks.py``.

Each check trains over MPI on two ranks with shards of different sizes and compares with
one process replaying the same steps on the union of the ranks' batches; any failed
assertion aborts both ranks (``python -m mpi4py``), so the exit status tells the test.
"""

import sys

import numpy as np
from mpi4py import MPI

import fastprop as fp
from fastprop.distributed import rank_seed
from fastprop.shuffle import epoch_order

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
assert size == 2, size
rng = np.random.default_rng(100 + rank)
ROWS = (7, 12)  # ragged: rank 0 runs out of batches first
X = rng.normal(size=(ROWS[rank], 4))
y = (X[:, 0] - X[:, 2] > 0).astype(float)
W = rng.uniform(0.5, 2.0, size=ROWS[rank])


def replay(make_optimizer, batch, epochs, seed, shuffle, weighted):
    """One process, the union of both ranks' batches at every step (rank 0's start)."""
    shards = comm.allgather((X, y, W))
    start = comm.bcast(fp.Network([4, 6, 1], seed=0).params if rank == 0 else None, root=0)
    net = fp.Network([4, 6, 1], seed=0)
    net.params[...] = start
    opt = make_optimizer()
    steps = max(-(-len(s[0]) // batch) for s in shards)
    for e in range(epochs):
        orders = [epoch_order(len(s[0]), rank_seed(seed, r), e) if shuffle else
                  np.arange(len(s[0])) for r, s in enumerate(shards)]
        for k in range(steps):
            rows = [o[k * batch:(k + 1) * batch] for o in orders]
            Xb = np.concatenate([s[0][r] for s, r in zip(shards, rows)])
            yb = np.concatenate([s[1][r] for s, r in zip(shards, rows)])
            wb = np.concatenate([s[2][r] for s, r in zip(shards, rows)])
            _, grad = net.gradients(Xb, yb, flat=True, sample_weight=wb if weighted else None)
            net.apply_gradient(grad, opt)
    return net


def identical_on_every_rank(array):
    copies = comm.allgather(array.tobytes())
    assert all(c == copies[0] for c in copies), "ranks differ"


def check_equals_one_process_on_the_union(make_optimizer, shuffle, weighted, engine):
    # rank 1 starts elsewhere: rank 0's wins
    net = fp.Network([4, 6, 1], seed=rank, engine=engine)
    history = net.fit(X, y, epochs=3, batch_size=4, optimizer=make_optimizer(),
                      shuffle=shuffle, seed=5, comm=comm,
                      sample_weight=W if weighted else None)
    identical_on_every_rank(net.params)
    reference = replay(make_optimizer, 4, 3, 5, shuffle, weighted)
    np.testing.assert_allclose(net.params, reference.params, rtol=1e-10, atol=1e-12)
    for name, buffer in reference.optimizer.state.items():
        np.testing.assert_allclose(net.optimizer.state[name], buffer, rtol=1e-10, atol=1e-13)
    assert net.optimizer.t == reference.optimizer.t == 3 * 3
    assert len(history.loss) == 3 and comm.allgather(history.loss)[0] == history.loss
    assert net.epochs_trained == 3


def check_one_diverging_rank_stops_all():
    net = fp.Network([4, 6, 1], loss="mse", seed=0)
    Xd = X * (1e200 if rank == 1 else 1.0)  # only rank 1's gradient overflows
    before = comm.bcast(net.params.copy(), root=0)
    try:
        net.fit(Xd, y, epochs=2, batch_size=4, lr=0.1, shuffle=False, comm=comm)
    except fp.DivergenceError as err:
        assert (err.epoch, err.batch) == (0, 0), (err.epoch, err.batch)
        assert "1 rank(s)" in str(err), err
    else:
        raise AssertionError("no DivergenceError")
    assert np.array_equal(net.params, before)


def check_both_engines_diverge_alike():
    """Parameters that blow up: both engines stop at the same step, every rank with the
    parameters from before the step that led there (as one process's fit)."""
    outcomes = []
    for engine in ("cython", "numpy"):
        net = fp.Network([4, 6, 1], loss="mse", seed=0, engine=engine)
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # (the NumPy engine's loss)
                net.fit(X * 1e3, y * 1e3, epochs=5, batch_size=4, lr=10.0, shuffle=False,
                        comm=comm)
        except fp.DivergenceError as err:
            outcomes.append((err.epoch, err.batch, net.params.copy()))
        else:
            raise AssertionError(f"no DivergenceError with {engine}")
        identical_on_every_rank(net.params)
        assert np.isfinite(net.params).all()
    (e1, b1, p1), (e2, b2, p2) = outcomes
    assert (e1, b1) == (e2, b2) and (e1, b1) != (0, 0), outcomes
    np.testing.assert_allclose(p1, p2, rtol=1e-12)


def check_a_bad_argument_on_one_rank_is_named_on_all():
    net = fp.Network([4, 6, 1], seed=0)
    bad_y = y[:-1] if rank == 1 else y
    try:
        net.fit(X, bad_y, epochs=1, comm=comm)
    except ValueError as err:
        assert rank == 1, err
    except RuntimeError as err:
        assert rank == 0 and "rank 1 of 2 refused to train" in str(err), err
    else:
        raise AssertionError("no error")
    other = fp.Network([4, 5 + rank, 1], seed=0)
    try:
        other.fit(X, y, epochs=1, comm=comm)
    except ValueError as err:
        assert "rank 1's network" in str(err), err
    else:
        raise AssertionError("no error")


def check_local_sgd_averages_each_epoch():
    net = fp.Network([4, 6, 1], seed=0)
    history = net.fit(X, y, epochs=20, batch_size=4, optimizer=fp.Adam(0.02), comm=comm,
                      sync="epoch", validation_data=(X, y))
    identical_on_every_rank(net.params)
    assert history.loss[-1] < history.loss[0] and len(history.val_loss) == 20
    assert comm.allgather(history.val_accuracy)[0] == history.val_accuracy


for check, args in [
    (check_equals_one_process_on_the_union,
     (lambda: fp.SGD(0.1, momentum=0.9), True, False, "cython")),
    (check_equals_one_process_on_the_union,
     (lambda: fp.Adam(0.01), False, True, "cython")),
    (check_equals_one_process_on_the_union,
     (lambda: fp.SGD(0.1, momentum=0.9), True, True, "numpy")),
    (check_one_diverging_rank_stops_all, ()),
    (check_both_engines_diverge_alike, ()),
    (check_a_bad_argument_on_one_rank_is_named_on_all, ()),
    (check_local_sgd_averages_each_epoch, ()),
]:
    check(*args)
    comm.Barrier()
    if rank == 0:
        print(f"ok {check.__name__}", flush=True)
if len(sys.argv) > 1 and sys.argv[1] == "fail-on-rank-1" and rank == 1:
    raise RuntimeError("rank 1 fails on purpose")  # python -m mpi4py: aborts both
comm.Barrier()
