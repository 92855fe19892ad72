/* fastprop's own matrix products (mm.c): row-major C (+)= op(A)·op(B). */
#ifndef FASTPROP_MM_H
#define FASTPROP_MM_H

#include <stddef.h>

typedef ptrdiff_t mm_idx;

/* The workspace a product packs blocks of A and B into (64-byte aligned at best). */
#define MM_PACK_BYTES (288 * 1024)

/* The microkernels, by instruction set (mm_best: the best this CPU runs). */
enum { MM_PORTABLE = 0, MM_AVX2 = 1, MM_AVX512 = 2 };

int mm_best(void);
/* Use the microkernels of `isa` from now on; -1 (and no change) if this CPU lacks it. */
int mm_select(int isa);
int mm_selected(void);

/* Which products run here rather than in BLAS (mm_wanted): */
enum { MM_AUTO = 0,    /* by the measured rule of mm.c */
       MM_ALWAYS = 1,  /* every product (the tests' switch) */
       MM_NEVER = 2 }; /* none: BLAS */
void mm_set_mode(int mode);
int mm_mode(void);
/* How to ask the BLAS how many threads it runs (NULL: unknown, assumed more than one). */
void mm_set_blas_threads_query(int (*query)(void));
int mm_wanted(mm_idx M, mm_idx N, mm_idx K, int trans_b, int is_double);

/* C (M × N) = op(A)·op(B), or C += op(A)·op(B) when accumulate. lda, ldb, ldc are the row
 * lengths of A, B, C as stored: A is M × K (K × M when trans_a), B is K × N (N × K when
 * trans_b). `pack` is MM_PACK_BYTES of scratch. */
void mm_sgemm(int trans_a, int trans_b, mm_idx M, mm_idx N, mm_idx K, const float* A,
              mm_idx lda, const float* B, mm_idx ldb, int accumulate, float* C, mm_idx ldc,
              void* pack);
void mm_dgemm(int trans_a, int trans_b, mm_idx M, mm_idx N, mm_idx K, const double* A,
              mm_idx lda, const double* B, mm_idx ldb, int accumulate, double* C,
              mm_idx ldc, void* pack);

#endif
