"""Builds the Cython extensions in ext/ into the packages that use them.

Metadata lives in pyproject.toml. ext/<name>.pyx becomes tsstore.<package>._<name>, beside
its pure-Python twin, the public module tsstore.<package>.<name>, which switches to the
compiled module at its end (tsstore/_ext.py) unless the build is absent or
TSSTORE_NO_EXTENSIONS=1 is set.
"""
import glob
import os

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

# The package each compiled concern belongs to.
PACKAGE_OF = {
    "carbon_parser": "tsstore.ingest",
    "rollup": "tsstore.ingest",
    "segment_codec": "tsstore.store",
    "render_json": "tsstore.api",
    "path_table": "tsstore.index",
}


def _module_name(path: str) -> str:
    name = os.path.splitext(os.path.basename(path))[0]
    if name not in PACKAGE_OF:
        raise SystemExit(f"setup.py: {path} has no package in PACKAGE_OF; add it there")
    return f"{PACKAGE_OF[name]}._{name}"


extensions = [
    Extension(
        _module_name(path),
        [path],
        include_dirs=["ext", numpy.get_include()],  # ext/<name>.h: the C part of a .pyx
        depends=glob.glob(os.path.splitext(path)[0] + ".h"),
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
