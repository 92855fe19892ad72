"""Row-major matrix products through SciPy's BLAS (``scipy.linalg.cython_blas``).

The only place that knows BLAS is column-major. A row-major matrix X (r × c) is, in
memory, the column-major matrix Xᵀ with leading dimension c, so the row-major product
C = op(A)·op(B) is computed as the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ (as scikit-learn's
``_gemm`` does): swap the operands and keep each one's transpose flag.
"""

from cython cimport floating
from scipy.linalg.cython_blas cimport ddot, dgemm, sdot, sgemm


cdef inline void gemm(bint trans_a, bint trans_b, int M, int N, int K, floating alpha,
                      const floating* A, int lda, const floating* B, int ldb, floating beta,
                      floating* C, int ldc) noexcept nogil:
    """C (M × N) = alpha·op(A)·op(B) + beta·C, all row-major; op(X) = Xᵀ if trans_x.

    lda, ldb, ldc are the row lengths of A, B, C as stored (A is M × K, or K × M when
    trans_a; B is K × N, or N × K when trans_b).
    """
    cdef char ta = b'T' if trans_a else b'N'
    cdef char tb = b'T' if trans_b else b'N'
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
