"""Helpers the tests share: number comparisons and bitwise parameter equality."""

import numpy as np
import pytest

#: Relative tolerance of each dtype against the float64 truth (engines agree to this).
TOL = {"float64": 1e-12, "float32": 1e-5}


def close(actual, exact, rtol=1e-12):
    """One number equal to ``exact`` to relative ``rtol`` (no absolute slack)."""
    assert actual == pytest.approx(exact, rel=rtol, abs=0), (actual, exact)


def arrays_close(a, b, dtype, what, floor=1e-30):
    """Arrays equal to within TOL[dtype] relative to the largest magnitude (at least
    ``floor``)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    tol = TOL[dtype]
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, floor)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * scale, err_msg=what)


def params_equal(a, b):
    """Bitwise equality of two flat parameter buffers."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
