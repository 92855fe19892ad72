"""Each epoch's sample order, in C: the generator documented in ``fastprop.shuffle``.

    stream = mix(seed + γ·(epoch + 1)) ;  key[i] = mix(stream + γ·(i + 1))
    order  = indices sorted by (key, index)
"""

from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memset


cdef extern from *:
    """
    static const unsigned long long FASTPROP_GAMMA = 0x9E3779B97F4A7C15ULL;
    static const unsigned long long FASTPROP_DROPOUT_SALT = 0xD1B54A32D192ED03ULL;
    """
    const unsigned long long FASTPROP_GAMMA
    const unsigned long long FASTPROP_DROPOUT_SALT  # (fastprop.dropout's σ)


ctypedef struct KeyIndex:
    uint64_t key
    int64_t index


cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    """The splitmix64 finaliser."""
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline void radix_sort(KeyIndex* a, KeyIndex* tmp, int64_t n) noexcept nogil:
    """Sort ``a`` by key, stably (equal keys keep their order), with eight counting-sort
    passes over the key's bytes, least significant first; ``tmp`` holds n pairs."""
    cdef int64_t count[256]
    cdef int64_t i, total, c
    cdef int shift, b
    cdef KeyIndex* swap
    for shift in range(0, 64, 8):
        memset(count, 0, sizeof(count))
        for i in range(n):
            count[(a[i].key >> shift) & 0xFF] += 1
        total = 0
        for b in range(256):
            c = count[b]
            count[b] = total
            total += c
        for i in range(n):
            b = (a[i].key >> shift) & 0xFF
            tmp[count[b]] = a[i]
            count[b] += 1
        swap = a
        a = tmp
        tmp = swap
    # eight passes: the sorted pairs are back in the caller's ``a``


cdef inline void fill_epoch_order(int64_t* order, int64_t n, uint64_t seed, uint64_t epoch,
                                  KeyIndex* work) noexcept nogil:
    """Write epoch ``epoch``'s order of ``n`` samples into ``order``; ``work`` holds 2n pairs.

    Indices start ascending and the radix sort is stable, so equal keys stay in index
    order: the order is exactly ``argsort(key, kind="stable")``."""
    cdef uint64_t gamma = FASTPROP_GAMMA
    cdef uint64_t stream = mix64(seed + gamma * (epoch + 1))
    cdef int64_t i
    for i in range(n):
        work[i].key = mix64(stream + gamma * <uint64_t>(i + 1))
        work[i].index = i
    radix_sort(work, work + n, n)
    for i in range(n):
        order[i] = work[i].index
