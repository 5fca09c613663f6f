"""Validation errors described for people: which field or variable, and what to fix."""

from __future__ import annotations

from pydantic import ValidationError


def describe_request_errors(errors: list[dict]) -> str:
    """A FastAPI RequestValidationError's errors as one line: `code: Field required; ...`."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in errors)


def describe_settings_error(exc: ValidationError, prefix: str = "") -> str:
    """Name the environment variable to fix, e.g. `EXECUTION_MODE: Input should be 'direct' or 'queue'`."""
    parts = []
    for error in exc.errors():
        name = (prefix + "_".join(str(p) for p in error["loc"])).upper()
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{name}: {message}" if error["loc"] else message)
    return "; ".join(parts)
