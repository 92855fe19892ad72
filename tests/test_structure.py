"""The package's shape: imports point one way (no cycle, function-local imports
included), no module is over 400 lines, the package never imports the benchmark harness,
and the docs and messages speak of the project alone."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "fastprop"
pytestmark = pytest.mark.skipif(not PACKAGE.is_dir(), reason="needs the source tree")


def _modules() -> dict[str, Path]:
    """Every module of the package by name: its Python files and its compiled modules
    (``csrc/<name>.pyx`` is ``fastprop.<name>``)."""
    out = {f"fastprop.{p.stem}": p for p in (ROOT / "csrc").glob("*.pyx")}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules) -> set[str]:
    """Every module of the package that ``name`` imports, anywhere in it."""
    if path.suffix != ".py":
        return set()
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + is_package]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in modules or t.startswith("benchmarks"))
    return found - {name}


def _graph():
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_package():
    graph = _graph()
    assert "fastprop.network" in graph and "fastprop.engines.numpy_engine" in graph
    assert "fastprop.trace_steps" in graph["fastprop.network_views"]  # local imports count
    assert _cycles(graph) == []


def test_lower_layers_never_import_the_network():
    graph = _graph()
    for name in ("activations", "losses", "optim", "architecture", "_validation", "trace",
                 "trace_steps", "trace_check",
                 "trace_text", "plotting", "io", "interop", "training", "history",
                 "engines.numpy_engine", "engines.cython_engine", "gradcheck"):
        assert "fastprop.network" not in graph[f"fastprop.{name}"], name


def test_the_package_never_imports_the_benchmarks():
    for name, targets in _graph().items():
        assert not any(t.startswith("benchmarks") for t in targets), name
        path = _modules()[name]
        assert path.suffix != ".py" or "sys.path" not in path.read_text(encoding="utf-8"), name


@pytest.mark.parametrize("folder, pattern", [("src/fastprop", "*.py"), ("csrc", "*.p*")])
def test_no_module_is_over_400_lines(folder, pattern):
    long = {p.name: n for p in (ROOT / folder).rglob(pattern)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}


def test_docs_and_messages_stand_alone():
    leak = re.compile(r"\.\./shared|\bissues? #?\d+\b", re.IGNORECASE)
    files = [ROOT / "README.md", ROOT / "benchmarks" / "README.md",
             *(ROOT / "docs").rglob("*.md"), *PACKAGE.rglob("*.py"),
             *(ROOT / "benchmarks").glob("*.py"), *(ROOT / "tests").glob("*.py")]
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in files
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if leak.search(line) and p.name != "test_structure.py"]
    assert hits == []
