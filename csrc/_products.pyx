"""The layers' matrix products (``_blas.gemm``: fastprop's own kernels or BLAS, as
``fastprop._kernels`` configures them), callable from Python for the tests and the
benchmarks. mm.c is compiled into this module as into the engines, and configured with
them."""

cimport numpy as cnp

from _blas cimport gemm
from _mm cimport MM_PACK_BYTES, mm_configure, mm_state

import time

import numpy as np

cnp.import_array()

#: Bytes at the start of every workspace for the matrix products' packing (mm.h).
PACK_BYTES = MM_PACK_BYTES
mm_configure(0, -1, 0)


def _configure_kernels(int mode, int isa, size_t blas_threads_query):
    """This module's matrix products: see ``fastprop._kernels``."""
    mm_configure(mode, isa, blas_threads_query)


def _kernel_state():
    return mm_state()


def _product(cnp.ndarray A, cnp.ndarray B, bint trans_a, bint trans_b, cnp.ndarray C,
             bint accumulate=False, Py_ssize_t repeat=1):
    """C (+)= op(A)·op(B) through the layers' ``gemm`` as configured, ``repeat`` times
    without the GIL; returns the seconds it took. For the tests and the benchmarks:
    C-contiguous 2-D arrays of one floating type, shapes checked here."""
    if not (A.dtype == B.dtype == C.dtype) or A.dtype.kind != "f" or A.itemsize not in (4, 8):
        raise TypeError("A, B and C must share a float32 or float64 dtype")
    for name, X in (("A", A), ("B", B), ("C", C)):
        if X.ndim != 2 or not X.flags.c_contiguous:
            raise ValueError(f"{name} must be a C-contiguous 2-D array")
    cdef Py_ssize_t M = A.shape[1] if trans_a else A.shape[0]
    cdef Py_ssize_t K = A.shape[0] if trans_a else A.shape[1]
    cdef Py_ssize_t N = B.shape[0] if trans_b else B.shape[1]
    if (B.shape[1] if trans_b else B.shape[0]) != K or C.shape[0] != M or C.shape[1] != N:
        raise ValueError("the shapes of A, B and C do not match")
    if not (0 < M < 2**31 and 0 < N < 2**31 and 0 < K < 2**31) or repeat < 1:
        raise ValueError("empty or too large a product, or repeat < 1")
    pack = np.empty(MM_PACK_BYTES, dtype=np.uint8)
    cdef void* p = cnp.PyArray_DATA(pack)
    cdef void* a = cnp.PyArray_DATA(A)
    cdef void* b = cnp.PyArray_DATA(B)
    cdef void* c = cnp.PyArray_DATA(C)
    cdef int lda = <int>A.shape[1], ldb = <int>B.shape[1]
    cdef bint single = A.itemsize == 4
    cdef Py_ssize_t i
    start = time.perf_counter()
    with nogil:
        for i in range(repeat):
            if single:
                gemm(trans_a, trans_b, <int>M, <int>N, <int>K, <float*>a, lda, <float*>b,
                     ldb, accumulate, <float*>c, <int>N, p)
            else:
                gemm(trans_a, trans_b, <int>M, <int>N, <int>K, <double*>a, lda, <double*>b,
                     ldb, accumulate, <double*>c, <int>N, p)
    return time.perf_counter() - start
