"""Validation errors described for people: which field or variable, and what to fix."""

from __future__ import annotations

from pydantic import ValidationError


def describe_request_errors(errors: list[dict], content_type: str = "application/json") -> str:
    """A FastAPI RequestValidationError's errors as one line: `code: Field required; ...`, in
    plain words where FastAPI's own are cryptic (a broken JSON body, a body that is not JSON)."""
    parts = []
    for e in errors:
        loc = list(e["loc"])
        if e["type"] == "json_invalid":
            reason = (e.get("ctx") or {}).get("error", "invalid JSON")
            where = f" at character {loc[1]}" if len(loc) > 1 else ""
            parts.append(f"the request body is not valid JSON: {reason}{where}")
        elif loc == ["body"] and "json" not in content_type.lower():
            parts.append("the request body must be a JSON object: send it with Content-Type: application/json")
        else:
            message = e["msg"].removeprefix("Value error, ")
            parts.append(f"{'.'.join(str(p) for p in loc if p != 'body') or 'body'}: {message}")
    return "; ".join(parts)


def describe_settings_error(exc: ValidationError, prefix: str = "") -> str:
    """Name the environment variable to fix, e.g. `EXECUTION_MODE: Input should be 'direct' or 'queue'`."""
    parts = []
    for error in exc.errors():
        name = (prefix + "_".join(str(p) for p in error["loc"])).upper()
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{name}: {message}" if error["loc"] else message)
    return "; ".join(parts)


def lone_surrogate(text: str) -> int | None:
    """Where `text` holds a lone UTF-16 surrogate (JSON's "\\ud800" decodes to one), which is not
    Unicode text and cannot be encoded as UTF-8; None when it holds none."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as exc:
        return exc.start


def invalid_text_path(value, path: str = "") -> str | None:
    """The dotted path of the first string in a JSON-like value that holds a lone surrogate."""
    if isinstance(value, str):
        return path or "body" if lone_surrogate(value) is not None else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, item in items:
        found = invalid_text_path(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


NAME_MAX = 255  # bytes in one file name (Linux)
MAX_PATH_DEPTH = 16


def relative_path_parts(path: str) -> tuple[str, ...]:
    """The components of a file's path inside a box ("src/a.c" -> ("src", "a.c")); ValueError,
    saying what is wrong, for anything that could name a place outside it or a special name."""
    if not isinstance(path, str) or not path:
        raise ValueError("a file path cannot be empty")
    if path.startswith("/"):
        raise ValueError(f"{path!r} is absolute: give a path relative to the program's directory")
    if "\x00" in path or "\\" in path:
        raise ValueError(f"{path!r} holds a NUL or a backslash")
    parts = tuple(part for part in path.split("/") if part)
    if any(part in (".", "..") for part in parts):
        raise ValueError(f"{path!r} holds '.' or '..': give a plain relative path")
    if len(parts) > MAX_PATH_DEPTH:
        raise ValueError(f"{path!r} is deeper than {MAX_PATH_DEPTH} directories")
    too_long = next((part for part in parts if len(part.encode()) > NAME_MAX), None)
    if too_long is not None:
        raise ValueError(f"a name in {path!r} is longer than {NAME_MAX} bytes")
    return parts
