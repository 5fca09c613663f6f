"""A Judge0 submission: the request's validation (v1.13.1's rules and messages) and its view.

A submission is a queue job (the job contract: source, stdin, limits) whose `meta` holds the rest
of what Judge0 echoes (expected_output, the limits as given, the callback URL); the view is
computed from those, the job's state and its result whenever it is read.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import shlex
from dataclasses import dataclass
from datetime import datetime, timezone

from ...common_settings import CommonSettings
from ...execution.contract import Job, JobFile, LimitsSpec
from ...service.store import StoredJob
from ...validation import lone_surrogate
from .archive import ArchiveError, unpack_zip
from .catalog import BY_ID, IN_QUEUE, PROCESSING, outcome_of, status_json
from .encoding import decode64, encode64
from .settings import Judge0Settings

# SubmissionSerializer's attributes in v1.13.1: the table's columns (id excepted), status, language.
ATTRIBUTES = (
    "source_code", "language_id", "stdin", "expected_output", "stdout", "status_id", "created_at",
    "finished_at", "time", "memory", "stderr", "token", "number_of_runs", "cpu_time_limit", "cpu_extra_time",
    "wall_time_limit", "memory_limit", "stack_limit", "max_processes_and_or_threads",
    "enable_per_process_and_thread_time_limit", "enable_per_process_and_thread_memory_limit", "max_file_size",
    "compile_output", "exit_code", "exit_signal", "message", "wall_time", "compiler_options",
    "command_line_arguments", "redirect_stderr_to_stdout", "callback_url", "additional_files", "enable_network",
    "status", "language",
)
DEFAULT_FIELDS = ("token", "time", "memory", "stdout", "stderr", "compile_output", "message", "status")
TEXT_FIELDS = {"source_code", "stdin", "expected_output", "stdout", "stderr", "compile_output", "message"}
DECIMAL_FIELDS = {"cpu_time_limit", "cpu_extra_time", "wall_time_limit", "time", "wall_time"}
MIN_RUN_SECONDS = 0.01  # the engine needs a positive CPU limit; 0 + 0 extra still means "TLE at once"
_LEADING_INT = re.compile(r"\s*[+-]?\d+")
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


class NotUTF8(ValueError):
    """A wanted attribute holds bytes that are not UTF-8, asked for without base64 (400 in Judge0)."""


class InvalidFields(ValueError):
    """`fields` names something a submission does not have: 400 {"error": "invalid fields: [...]"}."""


def requested_fields(fields: str | None) -> tuple[str, ...]:
    names = [name for name in (fields or "").split(",") if name]
    if "*" in names:
        return ATTRIBUTES
    invalid = [name for name in names if name not in ATTRIBUTES]
    if invalid:
        raise InvalidFields(f"invalid fields: [{', '.join(invalid)}]")
    return tuple(names) or DEFAULT_FIELDS


# -- request values, cast as Rails casts them ------------------------------------------------

def _blank(value) -> bool:
    return value is None or value is False or (isinstance(value, str) and not value.strip()) or value in ([], {})


def _number(value) -> float | None:
    """Rails' numericality: numbers and numeric strings; None for anything else ("is not a number").
    An integer too large for a float is a number out of every range (infinity keeps its sign)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _integer(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return ruby_to_i(value)
    return None


def ruby_to_i(text: str) -> int:
    """Ruby's String#to_i: the leading integer ("3x" is 3), else 0."""
    match = _LEADING_INT.match(text)
    return int(match.group()) if match else 0


def _boolean(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "f", "0", "off", "no", "")
    return bool(value)


def _count(limit: float) -> str:
    return str(limit)  # Ruby prints 15.0 as "15.0" and 20 as "20"


def decimal_string(value: float | None) -> str | None:
    """A decimal column in JSON, as Rails writes it: "5.0", "0.012"."""
    if value is None:
        return None
    text = f"{value:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def iso_time(timestamp: float | None) -> str | None:
    if not timestamp:
        return None
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- validation ------------------------------------------------------------------------------

@dataclass
class Accepted:
    """A valid submission: the job to queue and what its `meta` keeps for the Judge0 view."""
    job: Job
    params: dict  # every request-side attribute, defaults applied (no source or stdin)
    callback_url: str | None


def parse_submission(raw: dict, base64_encoded: bool, settings: Judge0Settings, limits: CommonSettings,
                     callback_refusal: str | None = None) -> Accepted | dict[str, list[str]]:
    """Accepted, or the errors v1.13.1 would give ({attribute: [messages]}, answered as 422).

    callback_refusal: why the callback URL may not be called (CallbackGuard), if it may not."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    def text(name: str, decode: bool) -> str | None:
        value = raw.get(name)
        if value is None:
            return None
        value = value if isinstance(value, str) else json.dumps(value)
        if lone_surrogate(value) is not None:  # "\ud800" in the JSON: not text, in any encoding
            add(name, "is not valid Unicode text (it holds a lone UTF-16 surrogate)")
            return None
        return decode64(value).decode("utf-8", "replace") if decode else value

    source = text("source_code", base64_encoded)
    stdin = text("stdin", base64_encoded)
    expected = text("expected_output", base64_encoded)
    compiler_options, arguments = text("compiler_options", False), text("command_line_arguments", False)
    callback_url = text("callback_url", False)

    def value(name: str, default):
        given = raw.get(name)
        return default if given is None else given  # Ruby's ||= keeps 0 and false

    numbers = {
        "number_of_runs": (value("number_of_runs", settings.number_of_runs), 0, False, settings.max_number_of_runs),
        "cpu_time_limit": (value("cpu_time_limit", settings.cpu_time_limit), 0, True, settings.max_cpu_time_limit),
        "cpu_extra_time": (value("cpu_extra_time", settings.cpu_extra_time), 0, True, settings.max_cpu_extra_time),
        "wall_time_limit": (value("wall_time_limit", settings.wall_time_limit), 1, True, settings.max_wall_time_limit),
        "memory_limit": (value("memory_limit", settings.memory_limit), 2048, True, settings.max_memory_limit),
        "stack_limit": (value("stack_limit", settings.stack_limit), 0, True, settings.max_stack_limit),
        "max_processes_and_or_threads": (value("max_processes_and_or_threads", settings.max_processes_and_or_threads),
                                         0, False, settings.max_max_processes_and_or_threads),
    }
    language_id = _integer(raw.get("language_id")) if not _blank(raw.get("language_id")) else None
    language = BY_ID.get(language_id) if language_id is not None else None
    if language is not None and not language.engine.available():
        language = None
    is_project = language is not None and language.engine.project
    if is_project and not _blank(source):
        add("source_code", "must be blank")
    elif not is_project and _blank(source):
        add("source_code", "can't be blank")
    if is_project and _blank(raw.get("additional_files")):
        add("additional_files", "can't be blank")
    if language_id is None:
        add("language_id", "can't be blank")
    parsed: dict[str, float] = {}
    for name, (given, low, inclusive, high) in numbers.items():
        number = _number(given)
        if number is None:
            add(name, "is not a number")
        elif (number < low) if inclusive else (number <= low):
            add(name, f"must be greater than{' or equal to' if inclusive else ''} {low}")
        elif number > high:
            add(name, f"must be less than or equal to {_count(high)}")
        else:
            parsed[name] = number
        if name == "max_processes_and_or_threads":  # v1.13.1 checks these two next: same key order
            for option in ("enable_per_process_and_thread_time_limit", "enable_per_process_and_thread_memory_limit"):
                if _boolean(value(option, False)):
                    add(option, "this option cannot be enabled")
    max_file_size = _number(value("max_file_size", settings.max_file_size))
    if max_file_size is None:
        add("max_file_size", "is not a number")
    elif max_file_size < 0:
        add("max_file_size", "must be greater than or equal to 0")
    elif max_file_size > settings.max_max_file_size:
        add("max_file_size", f"must be less than or equal to {settings.max_max_file_size}")
    for name, given in (("compiler_options", compiler_options), ("command_line_arguments", arguments)):
        if given is not None and len(given) > 512:
            add(name, "is too long (maximum is 512 characters)")
    if language is None:
        add("language_id", f"language with id {'' if language_id is None else language_id} doesn't exist")
    options: tuple[str, ...] = ()
    if not _blank(compiler_options) and (language is not None or not settings.enable_compiler_options):
        refusal = settings.compiler_options_refusal(language.engine if language else None, language.name if language else "")
        if refusal:
            add("compiler_options", refusal)
        else:
            try:
                options = tuple(shlex.split(compiler_options))
            except ValueError as exc:
                add("compiler_options", f"cannot be split into arguments ({exc})")
    args: list[str] = []
    if not _blank(arguments):
        if not settings.enable_command_line_arguments:
            add("command_line_arguments", "setting command line arguments is not allowed")
        else:
            try:
                args = shlex.split(arguments)
            except ValueError as exc:
                add("command_line_arguments", f"cannot be split into arguments ({exc})")
    if not _blank(callback_url):
        if not settings.enable_callbacks:
            add("callback_url", "setting callback is not allowed")
        elif callback_refusal is not None:
            add("callback_url", callback_refusal)
    files: tuple[JobFile, ...] = ()
    archive = raw.get("additional_files")
    if not _blank(archive):
        if not settings.enable_additional_files:
            add("additional_files", "setting additional files is not allowed")
        elif not isinstance(archive, str):
            add("additional_files", "must be a base64-encoded zip archive")
        else:
            try:
                files = unpack_zip(decode64(archive), settings.max_extract_size * 1024)
            except (ArchiveError, binascii.Error) as exc:
                add("additional_files", str(exc))
    if not _blank(raw.get("enable_network")) and _boolean(raw.get("enable_network")):
        add("enable_network", "enabling network is not allowed")
    # CodeArena's own bounds (Judge0 has none): what a worker accepts.
    for name, given, limit in (("source_code", source, limits.max_code_bytes), ("stdin", stdin, limits.max_input_bytes),
                               ("expected_output", expected, limits.max_input_bytes)):
        if given is not None and len(given.encode()) > limit:
            add(name, f"is too long (maximum is {limit} bytes)")
    if errors:
        return errors

    params = {
        "language_id": language_id,
        "expected_output": expected,
        "has_stdin": stdin is not None,
        "number_of_runs": int(parsed["number_of_runs"]),
        "cpu_time_limit": parsed["cpu_time_limit"],
        "cpu_extra_time": parsed["cpu_extra_time"],
        "wall_time_limit": parsed["wall_time_limit"],
        "memory_limit": int(parsed["memory_limit"]),
        "stack_limit": int(parsed["stack_limit"]),
        "max_processes_and_or_threads": int(parsed["max_processes_and_or_threads"]),
        "max_file_size": int(max_file_size),
        "compiler_options": compiler_options,
        "command_line_arguments": arguments,
        "additional_files": encode64(decode64(archive)) if files else None,
        "redirect_stderr_to_stdout": _boolean(value("redirect_stderr_to_stdout", settings.redirect_stderr_to_stdout)),
        "callback_url": callback_url,
    }
    job = Job(
        kind="run", language=language.language, source=source or "", stdin=stdin or "", args=tuple(args),
        files=files, compiler_options=() if is_project else options,  # a project builds by its own script
        merge_stderr=params["redirect_stderr_to_stdout"], runs=params["number_of_runs"], priority="interactive",
        limits=LimitsSpec(
            # Killed at the limit plus the extra time; the view reports TLE past the limit itself.
            cpu_time=max(params["cpu_time_limit"] + params["cpu_extra_time"], MIN_RUN_SECONDS),
            wall_time=params["wall_time_limit"],
            memory_mb=max(16, math.ceil(params["memory_limit"] / 1024)),
            processes=params["max_processes_and_or_threads"],
            stdout_bytes=max(1, params["max_file_size"] * 1024),
            stack_mb=max(1, math.ceil(params["stack_limit"] / 1024)),
        ),
    )
    return Accepted(job, params, callback_url if not _blank(callback_url) else None)


# -- the view --------------------------------------------------------------------------------

def view(token: str, stored: StoredJob, wanted: tuple[str, ...], base64_encoded: bool) -> dict:
    """The submission as v1.13.1 serializes it, with only the `wanted` attributes."""
    params = json.loads(stored.meta or "{}")
    request = stored.job
    result = stored.result
    state = stored.state
    values: dict = {
        "source_code": request["source"] or None, "language_id": params["language_id"],  # a project has none
        "stdin": request["stdin"] if params.get("has_stdin") else None,
        "expected_output": params["expected_output"], "token": token,
        "created_at": iso_time(stored.created_at),
        "finished_at": None, "time": None, "wall_time": None, "memory": None, "stdout": None, "stderr": None,
        "compile_output": None, "message": None, "exit_code": None, "exit_signal": None,
        "additional_files": params.get("additional_files"), "enable_network": False,
        "enable_per_process_and_thread_time_limit": False, "enable_per_process_and_thread_memory_limit": False,
        **{name: params[name] for name in (
            "number_of_runs", "cpu_time_limit", "cpu_extra_time", "wall_time_limit", "memory_limit", "stack_limit",
            "max_processes_and_or_threads", "max_file_size", "compiler_options", "command_line_arguments",
            "redirect_stderr_to_stdout", "callback_url")},
    }
    if result is None and state == "cancelled":  # only through the service's own DELETE /jobs/{id}
        result = {"verdict": "IE", "message": "the submission was cancelled before it ran"}
    if result is None:
        status = PROCESSING if state == "running" else IN_QUEUE
    else:
        outcome = outcome_of(result, params["expected_output"], params["cpu_time_limit"])
        status = outcome.status
        values.update(
            finished_at=iso_time(stored.finished_at),
            stdout=result.get("stdout") or None, stderr=result.get("stderr") or None,
            compile_output=result.get("compile_output") or None, message=outcome.message,
            exit_code=outcome.exit_code, exit_signal=outcome.exit_signal,
        )
        if result.get("verdict") not in ("CE", "IE"):
            values.update(time=round(float(result.get("time") or 0), 3),
                          wall_time=round(float(result.get("wall_time") or 0), 3),
                          memory=int(result.get("memory") or 0))
    language = BY_ID[params["language_id"]]
    values["status_id"], values["status"] = status, status_json(status)
    values["language"] = {"id": language.id, "name": language.name}

    # Output that is not UTF-8 keeps its exact bytes for base64 answers (the text lost some).
    raw = {name: result.get(f"raw_{name}") for name in ("stdout", "stderr")} if result else {}
    out = {}
    for name in ATTRIBUTES:
        if name not in wanted:
            continue
        item = values[name]
        if name in DECIMAL_FIELDS:
            item = decimal_string(item)
        elif name in TEXT_FIELDS and item is not None:
            exact = raw.get(name)
            if base64_encoded:
                item = encode64(base64.b64decode(exact) if exact else item.encode())
            elif exact:
                raise NotUTF8(name)
        out[name] = item
    return out
