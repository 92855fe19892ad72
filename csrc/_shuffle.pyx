"""Python access to the C epoch order (``fastprop.shuffle`` is its reference)."""

from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free, malloc

import numpy as np

from _order cimport KeyIndex, fill_epoch_order


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
    cdef KeyIndex* work = <KeyIndex*> malloc(2 * n * sizeof(KeyIndex))
    if work == NULL:
        raise MemoryError()
    with nogil:
        fill_epoch_order(&order[0], n, s, e, work)
    free(work)
    return out
