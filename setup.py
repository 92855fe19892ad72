"""Build the Cython kernels: every csrc/<name>.pyx becomes the extension fastprop.<name>."""

import sys
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent
PYX_FILES = sorted((HERE / "csrc").glob("*.pyx"))

if sys.platform == "win32":
    COMPILE_ARGS = ["/O2"]
else:
    # -O3 for the loops; no -ffast-math: the kernels must give the reference engine's numbers.
    COMPILE_ARGS = ["-O3", "-fno-strict-aliasing"]

# Python's own CFLAGS carry -g: on Linux, drop the debug info when linking (GNU ld), so
# that wheels built from the sdist are as small as the released ones (1 MB -> 0.26 MB).
LINK_ARGS = ["-Wl,--strip-debug"] if sys.platform.startswith("linux") else []

extensions = [
    Extension(
        f"fastprop.{pyx.stem}",
        [str(pyx.relative_to(HERE))],
        include_dirs=[numpy.get_include(), "csrc"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=COMPILE_ARGS,
        extra_link_args=LINK_ARGS,
    )
    for pyx in PYX_FILES
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": 3},
        include_path=["csrc"],
    ),
)
