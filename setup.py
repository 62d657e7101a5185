"""Builds the Cython extensions in ext/ into tsstore._<name> modules.

Metadata lives in pyproject.toml. Every compiled module has a pure-Python twin
(tsstore/_<name>_py.py); the package falls back to it when the build is absent
or when TSSTORE_NO_EXTENSIONS=1 is set.
"""
import glob
import os

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = [
    Extension(
        f"tsstore._{os.path.splitext(os.path.basename(path))[0]}",
        [path],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    )
    for path in sorted(glob.glob("ext/*.pyx"))
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    ),
)
