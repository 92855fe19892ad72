"""Shared by the tests and the package's docstring examples (``--doctest-modules
--pyargs fastprop``): an example that imports an optional library (PyTorch, ONNX, pandas)
is skipped when that library is not installed, instead of failing."""

import importlib.util
import re

import pytest

OPTIONAL = ("torch", "onnx", "onnxruntime", "pandas", "matplotlib", "sklearn", "tqdm")
_IMPORT = re.compile(r"^\s*(?:import|from)\s+(\w+)", re.MULTILINE)


def pytest_collection_modifyitems(config, items):
    for item in items:
        test = getattr(item, "dtest", None)
        if test is None:
            continue
        wanted = {m for ex in test.examples for m in _IMPORT.findall(ex.source)}
        missing = sorted(m for m in wanted & set(OPTIONAL)
                         if importlib.util.find_spec(m) is None)
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"needs {', '.join(missing)}"))
