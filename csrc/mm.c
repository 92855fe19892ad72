/* fastprop's own matrix products: row-major C (+)= op(A)·op(B), for the shapes training an
 * MLP has (a batch of rows times layer widths), where they beat BLAS (mm_wanted).
 *
 * The method is BLIS's. The K terms are taken in blocks of MM_KC; op(A) in blocks of MC
 * rows, each split into tiles of MR rows; op(B) in panels of NR columns. A microkernel
 * (mmkernel.h) computes one MR × NR tile of C over one block of K in registers:
 *
 *     for each K block pc:                  C (+)= op(A)[:, pc]·op(B)[pc, :]
 *       for each A block ic (MC rows):      packed into the scratch when scattered
 *         for each B panel jr (NR columns): packed when transposed, scattered or narrow
 *           for each tile ir (MR rows):     C[ic+ir : +MR, jr : +NR] (+)= tile product
 *
 * Packing copies a block into the order the kernel reads it (A: per tile, k-major with MR
 * values per k; B: kc rows of NR values, the last panel zero-padded), so that the kernel
 * streams memory with constant strides. It pays only when the operand is transposed or
 * spread over more memory than the caches keep close (mm_scattered): the small products
 * of MLP training mostly run on their operands in place.
 *
 * The driver moves values without looking at them, so it serves float and double alike
 * (es: the element size); only the kernels are typed. They are compiled for each
 * instruction set (GCC/Clang target attributes) and chosen when the module is imported.
 */

#include "mm.h"

#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define MM_VECTORS 1 /* GCC/Clang vector extensions */
#else
#define MM_VECTORS 0 /* MSVC: plain C kernels */
#endif

#if MM_VECTORS && (defined(__x86_64__) || defined(__i386__))
#define MM_X86 1
#else
#define MM_X86 0
#endif

#if defined(__clang__)
#define MM_PRAGMA_UNROLL _Pragma("unroll")
#define MM_PRAGMA_UNROLL_K _Pragma("unroll 2")
#elif defined(__GNUC__)
#define MM_PRAGMA_UNROLL _Pragma("GCC unroll 32")
#define MM_PRAGMA_UNROLL_K _Pragma("GCC unroll 2")
#else
#define MM_PRAGMA_UNROLL
#define MM_PRAGMA_UNROLL_K
#endif

#define MM_CAT_(a, b) a##b
#define MM_CAT(a, b) MM_CAT_(a, b)

/* K terms per block: a packed B panel (MM_KC × NR) stays in L1. */
#define MM_KC 256
/* Bytes of the scratch kept for one packed B panel: MM_KC × the widest NR (32 floats or 16
 * doubles); the rest of MM_PACK_BYTES holds a packed A block. */
#define MM_PANEL_BYTES (MM_KC * 32 * 4)

#define MM_MIN(a, b) ((a) < (b) ? (a) : (b))

/* --- the microkernels ------------------------------------------------------------------ */

/* Portable: 16-byte vectors (SSE2 on x86-64, NEON on arm64), or plain C under MSVC. */
#define MM_TARGET
#define MM_BASE mm_portable_f
#define MM_T float
#define MM_VEC_NAME mm_portable_vf
#define MM_MR 4
#if MM_VECTORS
#define MM_VL 4
#define MM_NV 2
#else
#define MM_VL 1
#define MM_NV 8
#endif
#include "mmkernel.h"

#define MM_TARGET
#define MM_BASE mm_portable_d
#define MM_T double
#define MM_VEC_NAME mm_portable_vd
#define MM_MR 4
#if MM_VECTORS
#define MM_VL 2
#define MM_NV 2
#else
#define MM_VL 1
#define MM_NV 4
#endif
#include "mmkernel.h"

#if MM_X86
/* AVX2 + FMA: 32-byte vectors, a 6 × 2-vector tile (12 accumulators of 16 registers). */
#define MM_TARGET __attribute__((target("avx2,fma")))
#define MM_BASE mm_avx2_f
#define MM_T float
#define MM_VEC_NAME mm_avx2_vf
#define MM_MR 6
#define MM_VL 8
#define MM_NV 2
#include "mmkernel.h"

#define MM_TARGET __attribute__((target("avx2,fma")))
#define MM_BASE mm_avx2_d
#define MM_T double
#define MM_VEC_NAME mm_avx2_vd
#define MM_MR 6
#define MM_VL 4
#define MM_NV 2
#include "mmkernel.h"

/* AVX-512: 64-byte vectors, an 8 × 2-vector tile (16 accumulators of 32 registers). */
#define MM_TARGET __attribute__((target("avx512f")))
#define MM_BASE mm_avx512_f
#define MM_T float
#define MM_VEC_NAME mm_avx512_vf
#define MM_MR 8
#define MM_VL 16
#define MM_NV 2
#include "mmkernel.h"

#define MM_TARGET __attribute__((target("avx512f")))
#define MM_BASE mm_avx512_d
#define MM_T double
#define MM_VEC_NAME mm_avx512_vd
#define MM_MR 8
#define MM_VL 8
#define MM_NV 2
#include "mmkernel.h"
#endif

typedef void (*mm_kernel)(mm_idx kc, const void* a, mm_idx ars, mm_idx aks, const void* b,
                          mm_idx bks, void* c, mm_idx ldc, int accumulate, mm_idx mv,
                          mm_idx nv);

typedef struct {
    mm_kernel strided; /* A and B in place (B's rows contiguous) */
    mm_kernel packed;  /* A and B packed */
    mm_idx mr, nr;     /* the tile */
} mm_kernels;

#define MM_ENTRY(base, mr, nr) {base##_strided, base##_packed, mr, nr}

/* By instruction set (MM_PORTABLE, MM_AVX2, MM_AVX512); float, then double. */
static const mm_kernels KERNELS_F[3] = {
    MM_ENTRY(mm_portable_f, 4, 8),
#if MM_X86
    MM_ENTRY(mm_avx2_f, 6, 16),
    MM_ENTRY(mm_avx512_f, 8, 32),
#else
    MM_ENTRY(mm_portable_f, 4, 8),
    MM_ENTRY(mm_portable_f, 4, 8),
#endif
};
static const mm_kernels KERNELS_D[3] = {
    MM_ENTRY(mm_portable_d, 4, 4),
#if MM_X86
    MM_ENTRY(mm_avx2_d, 6, 8),
    MM_ENTRY(mm_avx512_d, 8, 16),
#else
    MM_ENTRY(mm_portable_d, 4, 4),
    MM_ENTRY(mm_portable_d, 4, 4),
#endif
};

/* --- choosing the kernels ---------------------------------------------------------------- */

static int selected = MM_PORTABLE;
static int mode = MM_AUTO;
static int (*blas_threads)(void) = NULL;

int mm_best(void)
{
#if MM_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return MM_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return MM_AVX2;
#endif
    return MM_PORTABLE;
}

int mm_select(int isa)
{
    if (isa < MM_PORTABLE || isa > mm_best())
        return -1;
    selected = isa;
    return isa;
}

int mm_selected(void) { return selected; }
void mm_set_mode(int m) { mode = m; }
int mm_mode(void) { return mode; }
void mm_set_blas_threads_query(int (*query)(void)) { blas_threads = query; }

/* The measured rule (benchmarks/kernels.py, 1 thread, AVX-512 Skylake-X, against SciPy's
 * OpenBLAS 0.3.30 on its SkylakeX kernel). These kernels win on AVX-512 only, and there
 *   - for δ·Wᵀ (trans_b) with few terms (K ≤ 64: an output layer or a narrow one), where
 *     OpenBLAS's packing of Wᵀ costs more than the product: 1.2-2x;
 *   - for a·W and aᵀ·δ of batch-sized products with whole panels (N a multiple of 32, at
 *     least 128) and at least 64 terms, up to 2^26 multiply-adds: 5-20 %; in float64
 *     only from 32 rows;
 * and lose to it on narrow outputs (N < 32: the tile is mostly padding), on large
 * products, and whenever BLAS runs more than one thread (it splits a product over the
 * cores, these kernels do not): from 2^22 multiply-adds up, a product goes to BLAS unless
 * BLAS is known to run one thread. */
int mm_wanted(mm_idx M, mm_idx N, mm_idx K, int trans_b, int is_double)
{
    double madds = (double)M * (double)N * (double)K;
    if (mode == MM_ALWAYS)
        return 1;
    if (mode == MM_NEVER || selected != MM_AVX512 || N < 32)
        return 0;
    if (madds >= 4194304.0 && (blas_threads == NULL || blas_threads() != 1))
        return 0;
    if (trans_b)
        return K <= 64;
    return N % 32 == 0 && N >= 128 && K >= 64 && madds <= 67108864.0 && (!is_double || M >= 32);
}

/* --- packing ------------------------------------------------------------------------------ */

/* Whether `lines` lines `stride_bytes` apart are worth packing before a kernel reads them:
 * they span more than L1 and L2 keep close, or their stride is a multiple of 4 KiB (every
 * line in one cache set). */
static int mm_scattered(mm_idx lines, mm_idx stride_bytes)
{
    return lines > 1 && (lines * stride_bytes > 1024 * 1024 || stride_bytes % 4096 == 0);
}

/* A block (mc × kc, op(A)[i, k] at a[i·ars + k·aks]) into tiles of MR rows, each k-major
 * (MR values per k, rows past mc zero). */
#define MM_PACK_A(T)                                                                      \
    do {                                                                                  \
        const T* src = (const T*)a;                                                       \
        T* dst = (T*)out;                                                                 \
        for (i0 = 0; i0 < mc; i0 += mr, dst += kc * mr) {                                 \
            mv = MM_MIN(mr, mc - i0);                                                     \
            for (k = 0; k < kc; k++) {                                                    \
                T* d = dst + k * mr;                                                      \
                const T* s = src + i0 * ars + k * aks;                                    \
                if (ars == 1)                                                             \
                    memcpy(d, s, (size_t)mv * sizeof(T));                                 \
                else                                                                      \
                    for (r = 0; r < mv; r++)                                              \
                        d[r] = s[r * ars];                                                \
                for (r = mv; r < mr; r++)                                                 \
                    d[r] = 0;                                                             \
            }                                                                             \
        }                                                                                 \
    } while (0)

static void pack_a(size_t es, const void* a, mm_idx ars, mm_idx aks, mm_idx mc, mm_idx kc,
                   mm_idx mr, void* out)
{
    mm_idx i0, k, r, mv;
    if (es == sizeof(float))
        MM_PACK_A(float);
    else
        MM_PACK_A(double);
}

/* A B panel (kc × nv, op(B)[k, j] at b[k·bks + j·bjs]) into kc rows of nr values (columns
 * past nv zero). */
#define MM_PACK_B(T)                                                                      \
    do {                                                                                  \
        const T* src = (const T*)b;                                                       \
        T* dst = (T*)out;                                                                 \
        if (bjs == 1) {                                                                   \
            for (k = 0; k < kc; k++) {                                                    \
                memcpy(dst + k * nr, src + k * bks, (size_t)nv * sizeof(T));              \
                for (j = nv; j < nr; j++)                                                 \
                    dst[k * nr + j] = 0;                                                  \
            }                                                                             \
        } else {                                                                          \
            for (j = 0; j < nv; j++)                                                      \
                for (k = 0; k < kc; k++)                                                  \
                    dst[k * nr + j] = src[j * bjs + k * bks];                             \
            for (k = 0; k < kc; k++)                                                      \
                for (j = nv; j < nr; j++)                                                 \
                    dst[k * nr + j] = 0;                                                  \
        }                                                                                 \
    } while (0)

static void pack_b(size_t es, const void* b, mm_idx bks, mm_idx bjs, mm_idx kc, mm_idx nv,
                   mm_idx nr, void* out)
{
    mm_idx k, j;
    if (es == sizeof(float))
        MM_PACK_B(float);
    else
        MM_PACK_B(double);
}

/* --- the driver ---------------------------------------------------------------------------- */

static void gemm(const mm_kernels* kn, size_t es, int trans_a, int trans_b, mm_idx M,
                 mm_idx N, mm_idx K, const char* A, mm_idx lda, const char* B, mm_idx ldb,
                 int accumulate, char* C, mm_idx ldc, void* pack)
{
    const mm_idx mr = kn->mr, nr = kn->nr;
    /* op(A)[i, k] at A[i·ars + k·aks], op(B)[k, j] at B[k·bks + j·bjs] */
    const mm_idx ars = trans_a ? 1 : lda, aks = trans_a ? lda : 1;
    const mm_idx bks = trans_b ? 1 : ldb, bjs = trans_b ? ldb : 1;
    const mm_idx a_block = (mm_idx)((MM_PACK_BYTES - MM_PANEL_BYTES) / (MM_KC * es));
    const mm_idx mc_max = a_block / mr * mr;
    char* packed_b = (char*)pack;
    char* packed_a = (char*)pack + MM_PANEL_BYTES;
    mm_idx pc, ic, jr, ir, r;

    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) {
        if (!accumulate)
            for (r = 0; r < M; r++)
                memset(C + r * ldc * (mm_idx)es, 0, (size_t)N * es);
        return;
    }
    for (pc = 0; pc < K; pc += MM_KC) {
        const mm_idx kc = MM_MIN(MM_KC, K - pc);
        const int add = accumulate || pc > 0;
        const int b_scattered = !trans_b && mm_scattered(kc, ldb * (mm_idx)es);
        for (ic = 0; ic < M; ic += mc_max) {
            const mm_idx mc = MM_MIN(mc_max, M - ic);
            const char* a = A + (ic * ars + pc * aks) * (mm_idx)es;
            const int a_packed = mm_scattered(trans_a ? kc : mc, lda * (mm_idx)es);
            if (a_packed)
                pack_a(es, a, ars, aks, mc, kc, mr, packed_a);
            for (jr = 0; jr < N; jr += nr) {
                const mm_idx nv = MM_MIN(nr, N - jr);
                const char* b = B + (pc * bks + jr * bjs) * (mm_idx)es;
                mm_idx b_stride = ldb;
                if (a_packed || trans_b || b_scattered || nv < nr) {
                    pack_b(es, b, bks, bjs, kc, nv, nr, packed_b);
                    b = packed_b;
                    b_stride = nr;
                }
                for (ir = 0; ir < mc; ir += mr) {
                    const mm_idx mv = MM_MIN(mr, mc - ir);
                    char* c = C + ((ic + ir) * ldc + jr) * (mm_idx)es;
                    if (a_packed)
                        kn->packed(kc, packed_a + ir * kc * (mm_idx)es, 1, mr, b, nr, c,
                                   ldc, add, mv, nv);
                    else
                        kn->strided(kc, a + ir * ars * (mm_idx)es, ars, aks, b, b_stride,
                                    c, ldc, add, mv, nv);
                }
            }
        }
    }
}

void mm_sgemm(int trans_a, int trans_b, mm_idx M, mm_idx N, mm_idx K, const float* A,
              mm_idx lda, const float* B, mm_idx ldb, int accumulate, float* C, mm_idx ldc,
              void* pack)
{
    gemm(&KERNELS_F[selected], sizeof(float), trans_a, trans_b, M, N, K, (const char*)A,
         lda, (const char*)B, ldb, accumulate, (char*)C, ldc, pack);
}

void mm_dgemm(int trans_a, int trans_b, mm_idx M, mm_idx N, mm_idx K, const double* A,
              mm_idx lda, const double* B, mm_idx ldb, int accumulate, double* C,
              mm_idx ldc, void* pack)
{
    gemm(&KERNELS_D[selected], sizeof(double), trans_a, trans_b, M, N, K, (const char*)A,
         lda, (const char*)B, ldb, accumulate, (char*)C, ldc, pack);
}
