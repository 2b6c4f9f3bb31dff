"""Builds ingest's optional C reader; everything else is in pyproject.toml.

The extension is optional: where no C compiler is found the install goes on,
and ingest.otlp_protobuf decodes every body with the protobuf library alone.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ingest._otlp_traces",
            sources=[
                "ingest/c_reader/wire.c",
                "ingest/c_reader/values.c",
                "ingest/c_reader/traces.c",
            ],
            depends=["ingest/c_reader/wire.h", "ingest/c_reader/values.h"],
            optional=True,
        )
    ]
)
