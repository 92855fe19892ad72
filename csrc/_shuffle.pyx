# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Each epoch's sample order, in C: the generator documented in ``fastprop.shuffle``.

    stream = mix(seed + γ·(epoch + 1)) ;  key[i] = mix(stream + γ·(i + 1))
    order  = indices sorted by (key, index)
"""

from libc.stdint cimport uint64_t, int64_t
from libc.stdlib cimport qsort, malloc, free

import numpy as np

cdef uint64_t GAMMA = 0x9E3779B97F4A7C15ULL


cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    """The splitmix64 finaliser."""
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


ctypedef struct KeyIndex:
    uint64_t key
    int64_t index


cdef int compare_keys(const void* pa, const void* pb) noexcept nogil:
    cdef const KeyIndex* a = <const KeyIndex*> pa
    cdef const KeyIndex* b = <const KeyIndex*> pb
    if a.key != b.key:
        return -1 if a.key < b.key else 1
    return -1 if a.index < b.index else (1 if a.index > b.index else 0)


cdef int fill_epoch_order(int64_t* order, int64_t n, uint64_t seed, uint64_t epoch,
                          KeyIndex* work) noexcept nogil:
    """Write epoch ``epoch``'s order of ``n`` samples into ``order``; ``work`` holds n pairs."""
    cdef uint64_t stream = mix64(seed + GAMMA * (epoch + 1))
    cdef int64_t i
    for i in range(n):
        work[i].key = mix64(stream + GAMMA * <uint64_t>(i + 1))
        work[i].index = i
    qsort(work, <size_t>n, sizeof(KeyIndex), compare_keys)
    for i in range(n):
        order[i] = work[i].index
    return 0


def epoch_order(Py_ssize_t n, seed, epoch):
    """The sample order (int64) of ``epoch`` for ``n`` samples: see ``fastprop.shuffle``."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    cdef uint64_t s = <uint64_t>(int(seed) & 0xFFFFFFFFFFFFFFFF)
    cdef uint64_t e = <uint64_t>(int(epoch) & 0xFFFFFFFFFFFFFFFF)
    out = np.empty(n, dtype=np.int64)
    if n == 0:
        return out
    cdef int64_t[::1] order = out
    cdef KeyIndex* work = <KeyIndex*> malloc(n * sizeof(KeyIndex))
    if work == NULL:
        raise MemoryError()
    with nogil:
        fill_epoch_order(&order[0], n, s, e, work)
    free(work)
    return out
