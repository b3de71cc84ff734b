"""Build of the optional native search core (explorer/_native.c); metadata is in pyproject.toml.

The extension is optional: where no C compiler is available kafkacheck falls back to
explorer/native.py's pure-Python twin, which computes the same fingerprints, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "kafkacheck.explorer._native",
            sources=["explorer/_native.c"],
            optional=True,
            extra_compile_args=["-O3"],
        )
    ]
)
