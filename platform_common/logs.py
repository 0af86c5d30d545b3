"""JSON logs, one object per line: an event name and coordinates, never payloads.

Libraries that log through the standard library (gunicorn, alembic, httpx) are rendered as
JSON too, so every line of every service parses the same way.
"""

from __future__ import annotations

import logging
import sys

import structlog

# Chatty at INFO, and httpx logs every request URL.
_QUIET = ("httpx", "httpx2", "alembic", "kafka", "urllib3")


def configure_logging(level: str = "INFO") -> None:
    numeric = logging.getLevelName(level.upper())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # One write per line: several gunicorn workers share the log file, and print()
        # writes the newline separately, so two workers' lines could run together.
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
