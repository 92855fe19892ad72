# cython: language_level=3
"""Each epoch's sample order, in C: the generator documented in ``fastprop.shuffle``.

    stream = mix(seed + γ·(epoch + 1)) ;  key[i] = mix(stream + γ·(i + 1))
    order  = indices sorted by (key, index)
"""

from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport qsort


cdef extern from *:
    """
    static const unsigned long long FASTPROP_GAMMA = 0x9E3779B97F4A7C15ULL;
    """
    const unsigned long long FASTPROP_GAMMA


ctypedef struct KeyIndex:
    uint64_t key
    int64_t index


cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    """The splitmix64 finaliser."""
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline int compare_keys(const void* pa, const void* pb) noexcept nogil:
    cdef const KeyIndex* a = <const KeyIndex*> pa
    cdef const KeyIndex* b = <const KeyIndex*> pb
    if a.key != b.key:
        return -1 if a.key < b.key else 1
    return -1 if a.index < b.index else (1 if a.index > b.index else 0)


cdef inline void fill_epoch_order(int64_t* order, int64_t n, uint64_t seed, uint64_t epoch,
                                  KeyIndex* work) noexcept nogil:
    """Write epoch ``epoch``'s order of ``n`` samples into ``order``; ``work`` holds n pairs."""
    cdef uint64_t gamma = FASTPROP_GAMMA
    cdef uint64_t stream = mix64(seed + gamma * (epoch + 1))
    cdef int64_t i
    for i in range(n):
        work[i].key = mix64(stream + gamma * <uint64_t>(i + 1))
        work[i].index = i
    qsort(work, <size_t>n, sizeof(KeyIndex), compare_keys)
    for i in range(n):
        order[i] = work[i].index
