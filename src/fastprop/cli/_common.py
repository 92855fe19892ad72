"""What the command modules share: the usage error and the parsing of layer sizes."""

from __future__ import annotations


class UsageError(Exception):
    """Bad command-line arguments (exit status 2)."""


def parse_sizes(text: str, name: str, allow_empty: bool = False) -> list[int]:
    if allow_empty and text.strip().lower() in ("", "none", "0"):
        return []
    try:
        sizes = [int(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{name} must be integers separated by commas, like 64,64; "
                         f"got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise UsageError(f"{name} must be positive, got {text!r}")
    return sizes
