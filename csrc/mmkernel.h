/* The register-blocked microkernels of fastprop's matrix products (mm.c). mm.c includes this
 * file once per instruction set and floating type with these macros defined, and it
 * defines two kernels, MM_BASE##_strided (MM_PACKED 0) and MM_BASE##_packed (MM_PACKED 1),
 * by including itself:
 *
 *   MM_BASE     the kernels' name
 *   MM_T        float or double
 *   MM_VL       lanes per vector (MM_T's per SIMD register), 1 for plain C
 *   MM_NV       vectors per row of the tile: the tile is MM_MR rows × MM_NV·MM_VL columns
 *   MM_MR       rows of the tile
 *   MM_VEC_NAME the name of the vector type (MM_VL lanes of MM_T)
 *   MM_TARGET   the instruction set it is compiled for (a GCC/Clang target attribute)
 *   MM_PACKED   1: A and B are packed (ars = 1, aks = MM_MR, bks = MM_NV·MM_VL), and the
 *               compiler knows the strides; 0: any strides
 *
 * It computes one tile of C = A·B over a block of kc terms:
 *
 *     C[r, j] (+)= Σ_k A[r, k]·B[k, j]      r < MM_MR, j < MM_NV·MM_VL
 *
 * with A[r, k] at a[r·ars + k·aks] (rows r ≥ mv are read from row 0 and dropped: A holds
 * only mv valid rows) and B[k, j] at b[k·bks + j] (always MM_NV·MM_VL readable columns:
 * the driver pads the last panel). Only the mv × nv valid corner of C is written, added
 * to C when ``accumulate``. The MM_MR × MM_NV accumulators live in registers; each term k
 * loads one row of B (MM_NV vectors), broadcasts each A[r, k] and does MM_MR·MM_NV
 * fused multiply-adds.
 */

#ifndef MM_PACKED

#define MM_PACKED 0
#define MM_NAME MM_CAT(MM_BASE, _strided)
#include "mmkernel.h"
#undef MM_PACKED
#undef MM_NAME
#define MM_PACKED 1
#define MM_NAME MM_CAT(MM_BASE, _packed)
#include "mmkernel.h"
#undef MM_PACKED
#undef MM_NAME
#undef MM_BASE
#undef MM_T
#undef MM_VL
#undef MM_NV
#undef MM_MR
#undef MM_VEC_NAME
#undef MM_TARGET

#else

#if MM_VL > 1 && !MM_PACKED
typedef MM_T MM_VEC_NAME __attribute__((vector_size(MM_VL * sizeof(MM_T))));
#endif
#define MM_VEC MM_VEC_NAME
#if MM_PACKED
#define MM_ARS 1
#define MM_AKS MM_MR
#define MM_BKS (MM_NV * MM_VL)
#else
#define MM_ARS ars
#define MM_AKS aks
#define MM_BKS bks
#endif

MM_TARGET static void MM_NAME(mm_idx kc, const void* a_, mm_idx ars, mm_idx aks,
                              const void* b_, mm_idx bks, void* c_, mm_idx ldc,
                              int accumulate, mm_idx mv, mm_idx nv)
{
    enum { NR = MM_NV * MM_VL };
    const MM_T* a = (const MM_T*)a_;
    const MM_T* b = (const MM_T*)b_;
    MM_T* c = (MM_T*)c_;
    const MM_T* row[MM_MR];
    mm_idx r, j, k;
    for (r = 0; r < MM_MR; r++)
        row[r] = a + (MM_PACKED || r < mv ? r : 0) * MM_ARS;
    (void)ars; (void)aks; (void)bks;
#if MM_VL > 1
    MM_VEC acc[MM_MR][MM_NV];
    int v;
    MM_PRAGMA_UNROLL
    for (r = 0; r < MM_MR; r++)
        MM_PRAGMA_UNROLL
        for (v = 0; v < MM_NV; v++)
            acc[r][v] = (MM_VEC){0};
    MM_PRAGMA_UNROLL_K
    for (k = 0; k < kc; k++) {
        MM_VEC bk[MM_NV];
        MM_PRAGMA_UNROLL
        for (v = 0; v < MM_NV; v++)
            memcpy(&bk[v], b + k * MM_BKS + v * MM_VL, sizeof(MM_VEC));
        MM_PRAGMA_UNROLL
        for (r = 0; r < MM_MR; r++) {
            const MM_T ar = row[r][k * MM_AKS];  /* broadcast by the vector × scalar product */
            MM_PRAGMA_UNROLL
            for (v = 0; v < MM_NV; v++)
                acc[r][v] = acc[r][v] + bk[v] * ar;
        }
    }
    if (mv == MM_MR && nv == NR) {
        MM_PRAGMA_UNROLL
        for (r = 0; r < MM_MR; r++)
            MM_PRAGMA_UNROLL
            for (v = 0; v < MM_NV; v++) {
                MM_T* cp = c + r * ldc + v * MM_VL;
                MM_VEC old;
                if (accumulate) {
                    memcpy(&old, cp, sizeof(MM_VEC));
                    acc[r][v] = acc[r][v] + old;
                }
                memcpy(cp, &acc[r][v], sizeof(MM_VEC));
            }
        return;
    }
    MM_T tile[MM_MR][NR];
    memcpy(tile, acc, sizeof(tile));
#else
    MM_T tile[MM_MR][NR];
    for (r = 0; r < MM_MR; r++)
        for (j = 0; j < NR; j++)
            tile[r][j] = 0;
    for (k = 0; k < kc; k++) {
        const MM_T* bk = b + k * MM_BKS;
        for (r = 0; r < MM_MR; r++) {
            MM_T ar = row[r][k * MM_AKS];
            for (j = 0; j < NR; j++)
                tile[r][j] += ar * bk[j];
        }
    }
#endif
    for (r = 0; r < mv; r++)
        for (j = 0; j < nv; j++)
            c[r * ldc + j] = accumulate ? c[r * ldc + j] + tile[r][j] : tile[r][j];
}

#undef MM_VEC
#undef MM_ARS
#undef MM_AKS
#undef MM_BKS

#endif
