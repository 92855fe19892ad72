"""fastprop's own matrix-product kernels (csrc/mm.c) and the switch between them and BLAS.

Every path this CPU runs — BLAS, the portable kernels, AVX2 + FMA, AVX-512 — must give
NumPy's product, for every transpose, with and without accumulation, at shapes that hit
each edge of the blocking (partial tiles and panels, several K blocks, several A blocks,
packed and in-place operands); and the engines must still agree through each path.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from test_engines_agree import check_engines_agree, problems

from fastprop import _kernels, _products

ORDER = ["portable", "avx2", "avx512"]
RUNNABLE = ORDER[: ORDER.index(_kernels.state()["best"]) + 1]
PATHS = ["blas", *RUNNABLE]

# (M, K, N): one element; partial 8 × 32 tiles; a tile exactly; more than one K block
# (256 terms each); more A rows than one block holds (256 float32, 128 float64); rows
# 4 KiB apart (packed against cache-set conflicts); operands too spread to use in place.
SHAPES = [(1, 1, 1), (3, 7, 5), (8, 256, 32), (9, 257, 33), (17, 3, 1), (64, 784, 128),
          (300, 520, 70), (5, 1030, 600), (12, 40, 1024), (40, 1024, 12), (260, 1100, 96)]


def _reference(A, B, ta, tb, C, accumulate):
    a = (A.T if ta else A).astype(np.float64)
    b = (B.T if tb else B).astype(np.float64)
    return a @ b + (C.astype(np.float64) if accumulate else 0.0)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_path_gives_numpys_product(path, dtype):
    rng = np.random.default_rng(7)
    # float rounding grows like √K relative to the largest |entry| of the product
    tol = {"float32": 3e-7, "float64": 5e-16}[dtype]
    with _kernels.use(path):
        for M, K, N in SHAPES:
            for ta in (False, True):
                for tb in (False, True):
                    for accumulate in (False, True):
                        A = rng.standard_normal((K, M) if ta else (M, K)).astype(dtype)
                        B = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
                        C = rng.standard_normal((M, N)).astype(dtype)
                        want = _reference(A, B, ta, tb, C, accumulate)
                        _products._product(A, B, ta, tb, C, accumulate)
                        scale = np.sqrt(K) * np.max(np.abs(want))
                        err = np.max(np.abs(C - want)) / scale
                        assert err < tol, (path, dtype, M, K, N, ta, tb, accumulate, err)


@pytest.mark.parametrize("path", PATHS)
def test_a_product_overwrites_what_c_held(path):
    # without accumulate, C's old contents (here NaN) must not leak into the result
    A = np.ones((9, 300), np.float32)
    B = np.ones((300, 40), np.float32)
    C = np.full((9, 40), np.nan, np.float32)
    with _kernels.use(path):
        _products._product(A, B, False, False, C)
    assert np.array_equal(C, np.full((9, 40), 300.0, np.float32))


@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.function_scoped_fixture])
@given(p=problems())
def test_engines_agree_on_every_path(path, p):
    assume(p["sizes"][0] * max(p["sizes"]) >= 64)  # big enough to reach the products
    with _kernels.use(path):
        check_engines_agree(p)


def test_use_restores_the_choice_and_configure_names_a_bad_one():
    before = _kernels.state()
    with _kernels.use("blas"):
        assert _kernels.state()["choice"] == "blas"
    assert _kernels.state() == before
    with pytest.raises(ValueError, match="kernels must be one of auto, blas, portable"):
        _kernels.configure("sse9")
    assert _kernels.state() == before


@pytest.mark.skipif(RUNNABLE == ORDER, reason="this CPU runs every instruction set")
def test_kernels_this_cpu_cannot_run_are_refused():
    before = _kernels.state()
    with pytest.raises(ValueError, match="this CPU cannot run"):
        _kernels.configure(ORDER[-1])
    assert _kernels.state() == before


def _state_under(value):
    env = dict(os.environ, FASTPROP_KERNELS=value)
    code = "from fastprop import _kernels; print(_kernels.state()['choice'])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)


def test_the_environment_chooses_the_kernels():
    assert _state_under("BLAS").stdout.strip() == "blas"
    assert _state_under("portable").stdout.strip() == "portable"


def test_a_bad_environment_value_is_named_and_auto_used():
    run = _state_under("fastest")
    assert run.stdout.strip() == "auto"
    assert run.stderr.strip() == ("fastprop: FASTPROP_KERNELS ignored: kernels must be one "
                                  "of auto, blas, portable, avx2, avx512, not 'fastest'")
