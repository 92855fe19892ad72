"""Shared fixtures: every numeric test runs on both engines (and, where it says so, dtypes)."""

import numpy as np
import pytest

#: Programs the tests start as processes of their own (``mpiexec -n 2 …``), not modules
#: to import here.
collect_ignore = ["mpi_programs"]

ENGINES = ["numpy", "cython"]
DTYPES = ["float64", "float32"]
#: Relative tolerance of a float32 result against the float64 truth.
RTOL = {"float64": 1e-12, "float32": 1e-5}


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


@pytest.fixture(params=DTYPES)
def dtype(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(12345)



@pytest.fixture(scope="session")
def client():
    """A Dask client of a two-worker cluster on this machine, one worker process with one
    thread each, shared by every Dask test of the session."""
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is not "
                                      "installed: pip install 'fastprop-mlp[dask]'")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                       dashboard_address=None, processes=True)
    with cluster, distributed.Client(cluster) as dask_client:
        yield dask_client
