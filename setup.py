"""Build the Cython kernels: each module of EXTENSION_MODULES, csrc/<name>.pyx, becomes the
extension fastprop.<name>, compiled with COMPILER_DIRECTIVES and COMPILE_ARGS.

tools/memcheck.sh reads EXTENSION_MODULES from here (``runpy.run_path`` with another
``run_name``, which builds nothing).
"""

import sys
from pathlib import Path

#: The compiled modules, csrc/<name>.pyx -> fastprop.<name>.
EXTENSION_MODULES = ("_codes", "_engine", "_products", "_shuffle", "_sklearn_epoch")

#: C sources compiled into a module besides its .pyx: the matrix products (csrc/mm.c), into
#: each module whose kernels run a training step, and into _products, which calls them from
#: Python for the tests and benchmarks.
C_SOURCES = {name: ["csrc/mm.c"] for name in ("_engine", "_products", "_sklearn_epoch")}

#: Cython directives of every module. The kernels trust their arguments (no bounds or
#: wraparound checks, C division) only because the Python layer and ``_checks.pxd``
#: validated every one of them first.
COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
}

if sys.platform == "win32":
    COMPILE_ARGS = ["/O2"]
else:
    # -O3 for the loops; no -ffast-math: the kernels must give the reference engine's numbers.
    COMPILE_ARGS = ["-O3", "-fno-strict-aliasing"]

# Python's own CFLAGS carry -g: on Linux, drop the debug info when linking (GNU ld), so
# that wheels built from the sdist are as small as the released ones (1 MB -> 0.26 MB).
LINK_ARGS = ["-Wl,--strip-debug"] if sys.platform.startswith("linux") else []


def extensions():
    import numpy
    from setuptools import Extension

    return [
        Extension(
            f"fastprop.{name}",
            [f"csrc/{name}.pyx", *C_SOURCES.get(name, [])],
            depends=[str(h) for h in Path("csrc").glob("*.h")],  # rebuilt when they change
            include_dirs=[numpy.get_include(), "csrc"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            extra_compile_args=COMPILE_ARGS,
            extra_link_args=LINK_ARGS,
        )
        for name in EXTENSION_MODULES
    ]


if __name__ == "__main__":
    from Cython.Build import cythonize
    from setuptools import setup

    missing = sorted({p.stem for p in (Path(__file__).parent / "csrc").glob("*.pyx")}
                     - set(EXTENSION_MODULES))
    if missing:
        sys.exit(f"setup.py: csrc/ holds modules not in EXTENSION_MODULES: {missing}")
    setup(ext_modules=cythonize(extensions(), compiler_directives=COMPILER_DIRECTIVES,
                                include_path=["csrc"]))
