"""Training over MPI (``fit(..., comm=...)``, ``fastprop.distributed``).

The two-rank checks run as a separate MPI job, ``mpiexec -n 2 python -m mpi4py
tests/mpi_programs/two_ranks.py`` (with a timeout): two ranks equal one process on the
union of their batches (SGD with momentum, Adam with sample weights; ragged shards;
both engines), every rank ends bit-identical, one diverging rank makes every rank raise,
both engines diverge at the same step with the same parameters, a bad
argument on one rank is named on all, local SGD averages each epoch. Here, in this
process: the same code on a communicator of one rank, and the pieces around it.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastprop as fp
from fastprop import distributed

PROGRAM = Path(__file__).parent / "mpi_programs" / "two_ranks.py"


def _mpiexec():
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def _needs_mpi():
    pytest.importorskip("mpi4py", reason="mpi4py is not installed: pip install "
                        "'fastprop-mlp[mpi]' to test training over MPI")
    if _mpiexec() is None:
        pytest.skip("no mpiexec on PATH (the mpich wheel provides one)")


def _run_two_ranks(*args):
    _needs_mpi()
    return subprocess.run([_mpiexec(), "-n", "2", sys.executable, "-m", "mpi4py",
                           str(PROGRAM), *args], capture_output=True, text=True,
                          timeout=180)


def test_two_ranks_train_as_one_process_on_the_union_of_their_batches():
    done = _run_two_ranks()
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert done.stdout.count("ok ") == 7, done.stdout


def test_a_failing_rank_ends_every_rank():
    """An exception on rank 1 (after training) ends the job: no rank is left waiting."""
    done = _run_two_ranks("fail-on-rank-1")
    assert done.returncode != 0 and "rank 1 fails on purpose" in done.stderr


@pytest.fixture
def comm_self():
    _needs_mpi()
    from mpi4py import MPI

    return MPI.COMM_SELF


@pytest.mark.parametrize("extra", [{}, {"clip_norm": 0.05, "clip_value": 0.01,
                                       "lr_schedule": fp.schedules.ExponentialLR(0.5)}])
@pytest.mark.parametrize("make", [lambda: fp.SGD(0.1, momentum=0.9), lambda: fp.Adam(0.01)])
def test_one_rank_is_plain_training(comm_self, rng, make, engine, extra):
    X = rng.normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(float)
    alone = fp.Network([3, 5, 1], seed=0, engine=engine)
    over = fp.Network([3, 5, 1], seed=0, engine=engine)
    h1 = alone.fit(X, y, epochs=3, batch_size=8, optimizer=make(), shuffle=False,
                   validation_data=(X, y), **extra)
    h2 = over.fit(X, y, epochs=3, batch_size=8, optimizer=make(), shuffle=False,
                  validation_data=(X, y), comm=comm_self, **extra)
    assert h2.lr == h1.lr
    np.testing.assert_allclose(over.params, alone.params, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h2.loss, h1.loss, rtol=1e-12)
    np.testing.assert_allclose(h2.val_loss, h1.val_loss, rtol=1e-12)
    assert over.optimizer.t == alone.optimizer.t and over.epochs_trained == 3


def test_what_training_over_mpi_refuses(comm_self, rng):
    X, y = rng.normal(size=(10, 3)), np.zeros(10)
    net = fp.Network([3, 2, 1], seed=0)
    with pytest.raises(TypeError, match="does not take callbacks"):
        net.fit(X, y, comm=comm_self, callbacks=[fp.callbacks.EarlyStopping()])
    with pytest.raises(ValueError, match="sync must be"):
        net.fit(X, y, comm=comm_self, sync="sometimes")
    with pytest.raises(ValueError, match="dropout"):
        fp.Network([3, 2, 1], dropout=0.5, seed=0).fit(X, y, comm=comm_self)


def test_an_all_reduce_that_never_completes_times_out():
    _needs_mpi()

    class Never:
        def Test(self):
            return False

    class Comm:
        def Iallreduce(self, send, recv, op):
            return Never()

        def Get_rank(self):
            return 1

    run = object.__new__(distributed._Run)
    run.comm, run.timeout, run.size = Comm(), 0.05, 2
    with pytest.raises(TimeoutError, match="rank 1: the other ranks did not answer"):
        run.allreduce(np.zeros(2), np.zeros(2))


def test_shard_cuts_contiguous_even_blocks():
    assert distributed.shard_bounds(10, 4) == [(0, 2), (2, 5), (5, 7), (7, 10)]

    class Rank:
        def __init__(self, rank):
            self.rank = rank

        def Get_rank(self):
            return self.rank

        def Get_size(self):
            return 3

    X, y = np.arange(14).reshape(7, 2), np.arange(7)
    parts = [distributed.shard(X, y, Rank(r)) for r in range(3)]
    assert np.concatenate([p[1] for p in parts]).tolist() == list(range(7))
    with pytest.raises(ValueError, match="X has 7 rows but y has 6"):
        distributed.shard(X, y[:-1], Rank(0))


def test_rank_seeds_differ_and_are_fixed():
    seeds = {distributed.rank_seed(3, r) for r in range(64)}
    assert len(seeds) == 64 and distributed.rank_seed(3, 0) == distributed.rank_seed(3, 0)


def test_init_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r"pip install 'fastprop-mlp\[mpi\]'"):
        distributed.init()
