"""Row-major matrix products: fastprop's own kernels (``_mm.pxd``) where they win, else
SciPy's BLAS (``scipy.linalg.cython_blas``).

The only place that knows BLAS is column-major. A row-major matrix X (r × c) is, in
memory, the column-major matrix Xᵀ with leading dimension c, so the row-major product
C = op(A)·op(B) is computed as the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ (as scikit-learn's
``_gemm`` does): swap the operands and keep each one's transpose flag.
"""

from cython cimport floating
from scipy.linalg.cython_blas cimport ddot, dgemm, sdot, sgemm

from _mm cimport mm_dgemm, mm_sgemm, mm_wanted


cdef inline void gemm(bint trans_a, bint trans_b, int M, int N, int K, const floating* A,
                      int lda, const floating* B, int ldb, bint accumulate, floating* C,
                      int ldc, void* pack) noexcept nogil:
    """C (M × N) = op(A)·op(B), or C += op(A)·op(B) when ``accumulate``; all row-major,
    op(X) = Xᵀ if trans_x. ``pack`` is the workspace's MM_PACK_BYTES for fastprop's own
    kernels (``mm_wanted`` decides), or NULL: BLAS.

    lda, ldb, ldc are the row lengths of A, B, C as stored (A is M × K, or K × M when
    trans_a; B is K × N, or N × K when trans_b).
    """
    if pack != NULL and mm_wanted(M, N, K, trans_b, floating is double):
        if floating is double:
            mm_dgemm(trans_a, trans_b, M, N, K, A, lda, B, ldb, accumulate, C, ldc, pack)
        else:
            mm_sgemm(trans_a, trans_b, M, N, K, A, lda, B, ldb, accumulate, C, ldc, pack)
        return
    cdef char ta = b'T' if trans_a else b'N'
    cdef char tb = b'T' if trans_b else b'N'
    cdef floating alpha = 1, beta = 1 if accumulate else 0
    if floating is double:
        dgemm(&tb, &ta, &N, &M, &K, &alpha, <double*>B, &ldb, <double*>A, &lda, &beta,
              C, &ldc)
    else:
        sgemm(&tb, &ta, &N, &M, &K, &alpha, <float*>B, &ldb, <float*>A, &lda, &beta,
              C, &ldc)


cdef inline double dot(Py_ssize_t n, const floating* x, const floating* y) noexcept nogil:
    """Σ x_i·y_i through BLAS (as NumPy's ``np.dot`` of two vectors computes it)."""
    cdef int n_ = <int>n, one = 1
    if floating is double:
        return ddot(&n_, <double*>x, &one, <double*>y, &one)
    else:
        return sdot(&n_, <float*>x, &one, <float*>y, &one)
