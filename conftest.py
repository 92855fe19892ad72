"""Shared by the tests and the package's docstring examples (``--doctest-modules
--pyargs fastprop``): an example that needs an optional library (PyTorch, ONNX,
matplotlib, scikit-learn, pandas) is skipped when that library is not installed, instead
of failing. An example needs a library when it imports it, or calls what uses it."""

import importlib.util
import re

import pytest

#: Optional library -> calls whose examples need it (besides importing it).
NEEDS = {
    "torch": ("to_torch(", "from_torch("),
    "onnx": ("to_onnx(",),
    "matplotlib": (".plot(", ".draw(", "plot_decision_boundary(", "draw_network(",
                   "plot_history("),
    "sklearn": ("to_sklearn(", "from_sklearn("),
    "pandas": (),
    "tqdm": (),
    "distributed": (),
}
_IMPORT = re.compile(r"^\s*(?:import|from)\s+(\w+)", re.MULTILINE)


def _needed(source: str) -> set[str]:
    imported = set(_IMPORT.findall(source))
    return {lib for lib, calls in NEEDS.items()
            if lib in imported or any(call in source for call in calls)}


def pytest_collection_modifyitems(config, items):
    for item in items:
        test = getattr(item, "dtest", None)
        if test is None:
            continue
        source = "\n".join(example.source for example in test.examples)
        missing = sorted(lib for lib in _needed(source)
                         if importlib.util.find_spec(lib) is None)
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"needs {', '.join(missing)}"))


def pytest_ignore_collect(collection_path, config):
    """``fastprop.dask`` imports dask and distributed: without them there is nothing of
    it to collect (importing it says what to install)."""
    inside = collection_path.parent if collection_path.suffix == ".py" else collection_path
    if inside.name == "dask" and inside.parent.name == "fastprop":
        return importlib.util.find_spec("distributed") is None or None
    return None
