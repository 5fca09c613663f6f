"""Structured logs: one line per event, `LOG_LEVEL` honoured, component tags kept in the message.

Operators grep for the tags ([EXEC-WRAPPER], [DIRECT-EXEC], [EXEC-SERVICE], [SANDBOX]); each line
is also a JSON object so log shippers need no parsing rules.
"""

from __future__ import annotations

import json
import logging
import sys
import time

_LEVELS = {"trace": logging.DEBUG, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
           "warning": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL}
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"color_message"}  # uvicorn's terminal copy of msg


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        event.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            event["exc"] = self.formatException(record.exc_info)
        return json.dumps(event, default=str, ensure_ascii=False)


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_LEVELS.get(level.lower(), logging.INFO))
    if root.level > logging.DEBUG:
        # Migrations announce each plugin at INFO: operators need only what changed (kept at debug).
        logging.getLogger("alembic").setLevel(logging.WARNING)


def shorten(code: str, width: int = 60) -> str:
    """A program's source on one short line, for a log line. Only its start is read: a log line
    must not cost a pass over a 64 KiB source (every job logs one)."""
    head = code[: width * 8]
    flat = " ".join(head.split())
    return flat if len(flat) <= width and len(head) == len(code) else flat[: width - 3] + "..."
