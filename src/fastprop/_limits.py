"""What can be allocated: sizes are checked against the machine's memory before any
buffer is made, so that a mistyped size is a one-line error, not minutes of swapping and
a bare ``MemoryError``.
"""

from __future__ import annotations

import os

_FALLBACK = 1 << 40  # 1 TiB where the system does not say


def physical_memory() -> int:
    """The machine's physical memory in bytes (a generous fallback where unknown).

    >>> physical_memory() > 0
    True
    """
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return _FALLBACK


def check_bytes(n_bytes: int, what: str, name: str) -> None:
    """ValueError naming ``name`` when ``what`` would take more than the machine's
    physical memory.

    >>> check_bytes(10**30, "the parameters", "sizes")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: sizes: the parameters would take 1e+30 bytes, more than this machine's memory (...)
    """
    limit = physical_memory()
    if n_bytes > limit:
        raise ValueError(f"{name}: {what} would take {n_bytes:.3g} bytes, more than this "
                         f"machine's memory ({limit / 2**30:.1f} GiB)")
