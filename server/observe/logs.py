"""One log format for the whole process: bondfloor's own loggers, granian's and the access
log all go through the same handler, as text for people or one JSON object a line for
journald (`[logging] format`).

Granian applies this dictConfig in its main process and again in its worker, so the app's
lines and the server's lines look alike.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from server.config import LoggingSettings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
ACCESS_FIELDS = ("method", "route", "path", "status", "duration_ms", "device", "user")
"""Extra fields an access log record carries (server/observe/requests.py)."""
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in line and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_dictconfig(settings: LoggingSettings) -> dict[str, Any]:
    """The `logging.config.dictConfig` for the server process and granian's worker."""
    formatter: dict[str, Any] = (
        {"()": "server.observe.logs.JsonFormatter"}
        if settings.format == "json"
        else {"format": TEXT_FORMAT}
    )
    level = settings.level.upper()
    handler = {"class": "logging.StreamHandler", "formatter": "floor", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"floor": formatter},
        "handlers": {"floor": handler},
        "root": {"handlers": ["floor"], "level": level},
        "loggers": {
            # granian's own loggers do not propagate: give them the same handler.
            "_granian": {"handlers": ["floor"], "level": level, "propagate": False},
            "granian.access": {"handlers": ["floor"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["floor"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure_logging(settings: LoggingSettings) -> None:
    """Apply the one format in this process (the CLI's own commands, uvicorn)."""
    import logging.config

    logging.config.dictConfig(logging_dictconfig(settings))
