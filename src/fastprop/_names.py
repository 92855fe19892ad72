"""Names of a network's nodes and edges, as the worked examples write them.

Nodes are named A, B, C, … from the inputs to the output, and an edge by its two nodes
("EF" is the weight from E to F). A network with more than 26 nodes is named by layer
instead: inputs x1, x2, …; hidden layer k: hk_1, hk_2, …; outputs o1, o2, …; an edge
then joins its two nodes with a dash ("x1-h1_3").
"""

from __future__ import annotations

import string


def node_names(sizes) -> list[list[str]]:
    """Names of the nodes, one list per layer (inputs first): letters up to 26 nodes.

    >>> node_names([3, 2, 1])
    [['A', 'B', 'C'], ['D', 'E'], ['F']]
    """
    sizes = list(sizes)
    if sum(sizes) <= 26:
        letters = iter(string.ascii_uppercase)
        return [[next(letters) for _ in range(s)] for s in sizes]
    prefix = ["x"] + [f"h{k}_" for k in range(1, len(sizes) - 1)] + ["o"]
    return [[f"{prefix[k]}{j + 1}" for j in range(s)] for k, s in enumerate(sizes)]


def edge_name(src: str, dst: str) -> str:
    """"EF" for letters, "x1-h1_3" for layer-indexed names."""
    return src + dst if len(src) == 1 and len(dst) == 1 else f"{src}-{dst}"


def span(names) -> str:
    """A list of names for a message: all of them, or the first and the last.

    >>> span(["A", "B"]), span([f"x{i}" for i in range(1, 11)])
    ('A, B', 'x1 … x10')
    """
    return ", ".join(names) if len(names) <= 6 else f"{names[0]} … {names[-1]}"
