/* Flush denormal floats to zero for the duration of a training call, then restore.
 *
 * A network trained to saturation produces |ŷ − y| and deltas below the smallest
 * normal float; arithmetic on such denormals is ~100× slower on x86. Setting FTZ/DAZ
 * (x86 MXCSR) or FZ (AArch64 FPCR) makes them zero instead. The caller's floating-point
 * state is saved on entry and restored on exit, so nothing outside the call changes.
 */
#ifndef FASTPROP_FPENV_H
#define FASTPROP_FPENV_H

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#include <xmmintrin.h>
static inline unsigned long fastprop_flush_denormals(void) {
    unsigned int old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u);  /* FTZ (bit 15) | DAZ (bit 6) */
    return (unsigned long)old;
}
static inline void fastprop_restore_fpenv(unsigned long old) { _mm_setcsr((unsigned int)old); }
#elif defined(__aarch64__) && defined(__GNUC__)
static inline unsigned long fastprop_flush_denormals(void) {
    unsigned long fpcr;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr | (1UL << 24)));  /* FZ */
    return fpcr;
}
static inline void fastprop_restore_fpenv(unsigned long old) {
    __asm__ __volatile__("msr fpcr, %0" : : "r"(old));
}
#else
static inline unsigned long fastprop_flush_denormals(void) { return 0; }
static inline void fastprop_restore_fpenv(unsigned long old) { (void)old; }
#endif

#endif
