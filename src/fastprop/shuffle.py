"""The documented generator of each epoch's sample order.

Both engines produce exactly this order (the compiled engine in C, tested against this
module), so ``fit(..., shuffle=True, seed=s)`` trains to the same weights on either.

For ``n`` samples, epoch ``e`` and seed ``s`` (all unsigned 64-bit, arithmetic mod 2⁶⁴)::

    mix(z)   = splitmix64 finaliser: z ^= z >> 30; z *= 0xBF58476D1CE4E5B9;
                                     z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31
    stream   = mix(s + γ·(e + 1))                  γ = 0x9E3779B97F4A7C15
    key[i]   = mix(stream + γ·(i + 1))             i = 0 … n−1
    order    = the indices sorted by (key, index)  (a stable argsort of key)

Sorting by independent 64-bit random keys gives a uniformly random permutation (ties,
with probability below n²/2⁶⁵, are broken by index, so the order is always defined).
"""

from __future__ import annotations

import numpy as np

GAMMA = 0x9E3779B97F4A7C15
_M1, _M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_MASK = (1 << 64) - 1


def _mix(z: np.ndarray) -> np.ndarray:
    z = z ^ (z >> np.uint64(30))
    z = z * np.uint64(_M1)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(_M2)
    return z ^ (z >> np.uint64(31))


def epoch_keys(n: int, seed: int, epoch: int) -> np.ndarray:
    """The n sort keys of epoch ``epoch`` (uint64).

    Examples
    --------
    >>> epoch_keys(3, seed=0, epoch=0).dtype
    dtype('uint64')
    """
    with np.errstate(over="ignore"):
        start = np.array([(seed + GAMMA * (epoch + 1)) & _MASK], dtype=np.uint64)
        stream = _mix(start)[0]
        counters = np.arange(1, n + 1, dtype=np.uint64) * np.uint64(GAMMA) + stream
        return _mix(counters)


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The sample order (int64 indices) of epoch ``epoch`` for ``n`` samples and ``seed``.

    Examples
    --------
    >>> sorted(epoch_order(5, seed=1, epoch=0).tolist())
    [0, 1, 2, 3, 4]
    """
    return np.argsort(epoch_keys(n, seed, epoch), kind="stable").astype(np.int64)


def random_seed() -> int:
    """A fresh 63-bit seed from the operating system's entropy.

    Examples
    --------
    >>> 0 <= random_seed() < 2**64
    True
    """
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
