"""fastprop's own matrix products (mm.c, mm.h): microkernels per instruction set, and the
rule that sends a product to them or to BLAS (``mm_wanted``)."""

cdef extern from "mm.h" nogil:
    enum:
        MM_PACK_BYTES
        MM_PORTABLE
        MM_AVX2
        MM_AVX512
        MM_AUTO
        MM_ALWAYS
        MM_NEVER
    int mm_best()
    int mm_select(int isa)
    int mm_selected()
    void mm_set_mode(int mode)
    int mm_mode()
    void mm_set_blas_threads_query(int (*query)() noexcept nogil)
    bint mm_wanted(Py_ssize_t M, Py_ssize_t N, Py_ssize_t K, bint trans_b, bint is_double)
    void mm_sgemm(bint trans_a, bint trans_b, Py_ssize_t M, Py_ssize_t N, Py_ssize_t K,
                  const float* A, Py_ssize_t lda, const float* B, Py_ssize_t ldb,
                  bint accumulate, float* C, Py_ssize_t ldc, void* pack)
    void mm_dgemm(bint trans_a, bint trans_b, Py_ssize_t M, Py_ssize_t N, Py_ssize_t K,
                  const double* A, Py_ssize_t lda, const double* B, Py_ssize_t ldb,
                  bint accumulate, double* C, Py_ssize_t ldc, void* pack)


cdef inline object mm_configure(int mode, int isa, size_t blas_threads_query):
    """Set which products run here (MM_AUTO, MM_ALWAYS, MM_NEVER), with which kernels
    (an MM_* instruction set, or −1: this CPU's best), and how to ask the BLAS for its
    thread count (a C function's address, or 0: unknown)."""
    if mm_select(mm_best() if isa < 0 else isa) < 0:
        raise ValueError(f"this CPU cannot run the kernels of instruction set {isa}")
    mm_set_mode(mode)
    mm_set_blas_threads_query(<int (*)() noexcept nogil>blas_threads_query)


cdef inline tuple mm_state():
    """(mode, selected instruction set, the best this CPU runs)."""
    return mm_mode(), mm_selected(), mm_best()
