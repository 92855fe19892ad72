"""Packaging: what `import fastprop` costs and loads, and where its version comes from.

Each check runs `import fastprop` in a fresh interpreter (a subprocess), since this test
session has long since imported fastprop and, through other tests, its optional extras.
"""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

import fastprop

#: Imported only when a feature that needs them is used (scikit-learn adapters, PyTorch
#: comparisons, plotting, progress bars); `import fastprop` must load none of them.
OPTIONAL = ("sklearn", "torch", "matplotlib", "tqdm")
#: fastprop's own import time, on top of numpy and scipy, must stay under this.
IMPORT_BUDGET_S = 0.050
#: The project root when the tests run from a checkout or an unpacked sdist, else None
#: (cibuildwheel and tools/check_wheel.sh run a copy of tests/ next to pyproject.toml only).
ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def python(code: str) -> str:
    """Run `code` in a fresh interpreter with a clean environment; return its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_loads_no_optional_dependency():
    loaded = json.loads(
        python("import json, sys, fastprop; print(json.dumps(sorted(sys.modules)))")
    )
    top_level = {name.split(".")[0] for name in loaded}
    assert not top_level & set(OPTIONAL), (
        f"`import fastprop` imported {sorted(top_level & set(OPTIONAL))}: import them "
        "inside the functions that need them"
    )


def test_import_time_on_top_of_numpy_and_scipy():
    # CPU time of the import, not wall time: the test machine is often shared with other
    # work (CI, parallel builds), which stretches wall time but not the import's own cost.
    code = (
        "import numpy, scipy, time\n"
        "w0, c0 = time.perf_counter(), time.process_time()\n"
        "import fastprop\n"
        "print(time.process_time() - c0, time.perf_counter() - w0)\n"
    )
    runs = [tuple(map(float, python(code).split())) for _ in range(5)]
    cpu = min(c for c, _ in runs)
    wall = min(w for _, w in runs)
    assert cpu < IMPORT_BUDGET_S, (
        f"import fastprop takes {cpu * 1e3:.1f} ms of CPU ({wall * 1e3:.1f} ms wall) on top of "
        f"numpy+scipy, best of {len(runs)}; budget {IMPORT_BUDGET_S * 1e3:.0f} ms. "
        "See `python -X importtime -c 'import fastprop'`"
    )
    cpu_median = statistics.median(c for c, _ in runs) * 1e3
    wall_median = statistics.median(w for _, w in runs) * 1e3
    print(
        f"import fastprop on top of numpy+scipy: {cpu_median:.1f} ms CPU, "
        f"{wall_median:.1f} ms wall (medians of {len(runs)})"
    )


def test_version_is_a_release_version():
    # PEP 440, public part only: what PyPI and the v<version> release tag accept.
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", fastprop.__version__)


def test_version_matches_installed_metadata():
    try:
        dist = importlib.metadata.distribution("fastprop-mlp")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("fastprop is imported from a source tree, not installed")
    package_dir = Path(fastprop.__file__).resolve().parent
    files = [Path(dist.locate_file(f)).resolve() for f in dist.files or []]
    if not any(f.parent == package_dir for f in files) and not (dist.read_text("direct_url.json")):
        pytest.skip("the installed fastprop distribution is not the one imported here")
    assert dist.version == fastprop.__version__, (
        f"installed metadata says {dist.version}, fastprop.__version__ is "
        f"{fastprop.__version__}: reinstall (pip install . in a checkout)"
    )


def test_version_has_one_source():
    if not PYPROJECT.is_file():
        pytest.skip("no pyproject.toml next to tests/")
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert "version" not in project, "the version is set in src/fastprop/_version.py only"
    assert "version" in project.get("dynamic", [])


def test_every_cython_module_is_compiled_and_installed():
    csrc = ROOT / "csrc"
    if not csrc.is_dir():
        pytest.skip("no csrc/ next to tests/ (tests copied outside the source tree)")
    package_dir = Path(fastprop.__file__).resolve().parent
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    compiled = {p.name.split(".")[0] for p in package_dir.iterdir() if p.name.endswith(suffixes)}
    missing = sorted(p.stem for p in csrc.glob("*.pyx") if p.stem not in compiled)
    assert not missing, (
        f"csrc/ has {missing} but {package_dir} has no compiled module for them: "
        "rebuild (pip install .)"
    )
