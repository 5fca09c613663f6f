"""A Piston v2 execute request, validated with Piston's own messages, turned into a Job."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from pydantic import ValidationError

from ...execution.contract import Job, JobFile, LimitsSpec
from ...languages import LANGUAGES, Language, version_matches  # Piston's semver ranges, in the forms clients send
from ...validation import describe_request_errors
from .settings import PistonSettings


class PistonError(ValueError):
    """{"message": ...}, Piston's error shape; 400 unless said otherwise."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status

    @classmethod
    def unauthorized(cls) -> "PistonError":
        return cls("a valid token is required in Authorization (PISTON_AUTH_TOKEN)", 401)


@dataclass(frozen=True)
class Runtime:
    language: Language
    version: str

    @property
    def view(self) -> dict:
        return {"language": self.language.id, "version": self.version, "aliases": list(self.language.aliases)}


def runtimes() -> list[Runtime]:
    return [Runtime(language, language.version()) for language in LANGUAGES if language.available()]


def find_runtime(language: str, version: str) -> Runtime:
    """The first installed runtime of that name, or of that family, whose version matches:
    python 3.11 is CPython, python 3.9 PyPy (each also answers to its own id)."""
    for runtime in runtimes():
        names = (runtime.language.id, *runtime.language.aliases, runtime.language.family_id)
        if language in names and version_matches(version, runtime.version):
            return runtime
    raise PistonError(f"{language}-{version} runtime is unknown")


def _number(body: dict, key: str, default: int, most: int, allow_minus_one: bool = False) -> int:
    value = body.get(key, default)
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise PistonError(f"{key} must be a number") from None
    if allow_minus_one and value == -1:
        return most
    if value < 1:
        raise PistonError(f"{key} must be a positive number")
    if value > most:
        raise PistonError(f"{key} cannot exceed the configured limit of {most}")
    return value


ENCODINGS = ("utf8", "base64", "hex")


def _files(body: dict) -> list[dict]:
    files = body.get("files")
    if isinstance(files, str):  # a form body (the pistonapi client): each `files` value is one file's content
        files = [files]
    if not isinstance(files, list) or not files:
        raise PistonError("files is required as an array")
    files = [{"content": f} if isinstance(f, str) else f for f in files]
    if any(not isinstance(f, dict) or not isinstance(f.get("content"), str) for f in files):
        raise PistonError("files.content is required as a string")
    if any(f.get("encoding", "utf8") not in ENCODINGS for f in files):
        raise PistonError(f"files.encoding must be one of {', '.join(ENCODINGS)}")
    return files


def _file_bytes(file: dict) -> bytes:
    content, encoding = file["content"], file.get("encoding", "utf8")
    try:
        if encoding == "base64":
            return base64.b64decode(content, validate=True)
        if encoding == "hex":
            return bytes.fromhex(content)
    except (binascii.Error, ValueError):
        raise PistonError(f"files.content is not valid {encoding}") from None
    return content.encode()


def _program(files: list[dict]) -> tuple[str, tuple[JobFile, ...]]:
    """Piston writes every file into the job's directory and runs the first: the first is the
    source here, the others its files (named as given, or file{i}.code as Piston names them)."""
    try:
        source = _file_bytes(files[0]).decode()
    except UnicodeDecodeError:
        raise PistonError("files[0] (the program) is not UTF-8 text") from None
    others = []
    for index, file in enumerate(files[1:], start=1):
        name = file.get("name") or f"file{index}.code"
        if not isinstance(name, str):
            raise PistonError("files.name must be a string")
        try:
            others.append(JobFile(path=name, content=base64.b64encode(_file_bytes(file)).decode(), encoding="base64"))
        except ValidationError as exc:
            raise PistonError(f"files[{index}].name: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    return source, tuple(others)


@dataclass(frozen=True)
class Execution:
    runtime: Runtime
    job: Job


def parse_execute(body: dict, settings: PistonSettings) -> Execution:
    language, version = body.get("language"), body.get("version")
    if not isinstance(language, str) or not language:
        raise PistonError("language is required as a string")
    if not isinstance(version, str) or not version:
        raise PistonError("version is required as a string")
    files = _files(body)
    stdin = body.get("stdin", "")
    if not isinstance(stdin, str):
        raise PistonError("stdin must be a string")
    args = body.get("args", [])
    args = [args] if isinstance(args, str) else args
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise PistonError("args must be an array of strings")
    run_timeout = _number(body, "run_timeout", settings.run_timeout, settings.run_timeout)
    # `timeout` (sent by pistonapi, 10000 by default) is not Piston v2's: ignored, as Piston does.
    _number(body, "compile_timeout", settings.compile_timeout, settings.compile_timeout)
    memory = _number(body, "run_memory_limit", settings.run_memory_limit, settings.run_memory_limit, allow_minus_one=True)
    _number(body, "compile_memory_limit", settings.run_memory_limit, settings.run_memory_limit, allow_minus_one=True)
    runtime = find_runtime(language, version)
    seconds = run_timeout / 1000
    limits = LimitsSpec(cpu_time=seconds, wall_time=seconds, memory_mb=max(16, memory // (1024 * 1024)))
    source, others = _program(files)
    try:
        job = Job.for_run(source, runtime.language.id, stdin, limits, args=tuple(args), files=others)
    except ValidationError as exc:
        raise PistonError(describe_request_errors(exc.errors())) from None
    return Execution(runtime, job)
