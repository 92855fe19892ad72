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

