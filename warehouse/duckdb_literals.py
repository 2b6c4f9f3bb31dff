"""DuckDB string literals, for the few statements that take no parameters.

COPY targets, view definitions and COMMENT ON accept no bound values. The
texts quoted here are our own: temporary paths, paths under the lake's root,
and the marts' comments.
"""

from __future__ import annotations


def quote(text: str) -> str:
    """`text` as a single-quoted DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"
