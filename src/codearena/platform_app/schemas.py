"""The API's JSON shapes: camelCase on the wire, documented in the OpenAPI schema.

Result shapes are the same whichever execution mode ran the code.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from ..execution.contract import MAX_CPU_SECONDS, MAX_MEMORY_MB, MIN_MEMORY_MB
from ..validation import lone_surrogate

VerdictCode = Literal["AC", "WA", "TLE", "MLE", "OLE", "RE", "CE", "IE"]
USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"
MAX_ROW_ID = 2**31 - 1  # ids are 32-bit integers in the database
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID, description="an id")]
# SQLite hands datetimes back without their zone; every one the API stores is UTC.
UtcDatetime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=timezone.utc))]


def _text_problem(value: str, allow_nul: bool) -> str | None:
    if (at := lone_surrogate(value)) is not None:
        return (f"holds a lone UTF-16 surrogate ({value[at]!r} at character {at}), which is not "
                "Unicode text; send valid UTF-8")
    if not allow_nul and "\x00" in value:
        return f"holds a NUL character (\\u0000) at character {value.index(chr(0))}, which cannot be stored; remove it"
    return None


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class RequestModel(ApiModel):
    """A request body: text that is valid Unicode and, where it is stored, free of NUL characters
    (PostgreSQL text cannot hold them): a clear 422, never a failure deep in a driver."""

    nul_allowed: ClassVar[frozenset[str]] = frozenset()  # fields that are never stored as text

    @model_validator(mode="after")
    def _valid_text(self):
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, str) and (problem := _text_problem(value, name in self.nul_allowed)):
                raise ValueError(f"{to_camel(name)} {problem}")
        return self


# --- accounts -------------------------------------------------------------------------------

class Credentials(RequestModel):
    username: str = Field(pattern=USERNAME_PATTERN, description="3-32 letters, digits, '_', '.', '-'")
    password: str = Field(min_length=8, max_length=256)


class UserOut(ApiModel):
    id: int
    username: str
    role: Literal["user", "admin"]
    created_at: UtcDatetime


class TokenOut(ApiModel):
    token: str = Field(description="send as `Authorization: Bearer TOKEN`")
    token_type: str = "Bearer"
    expires_at: UtcDatetime
    user: UserOut


# --- results --------------------------------------------------------------------------------

class ExecutionResultOut(ApiModel):
    """One program run. Times in seconds, memory in KB."""

    success: bool = Field(description="true when the verdict is AC (ran and exited 0 within limits)")
    verdict: VerdictCode = Field(description="AC, WA, TLE, MLE, OLE, RE, CE or IE")
    message: str = Field(description="what happened, for people")
    stdout: str = Field(description="standard output (capped)")
    stderr: str = Field(description="error output (capped)")
    compile_output: str = Field(description="the compiler's messages, for compiled languages")
    exit_code: int | None = Field(description="exit status, when the program exited")
    signal: int | None = Field(description="the signal that killed it, if one did")
    time: float = Field(description="CPU seconds used")
    wall_time: float = Field(description="elapsed seconds")
    memory: int = Field(description="peak memory in KB")
    language: str
    raw_stdout: str | None = Field(None, description="only when stdout is not UTF-8: its exact bytes, base64 "
                                   "(`stdout` then shows them with U+FFFD for the bytes that are not text)")
    raw_stderr: str | None = Field(None, description="the same for stderr")


class TestResultOut(ApiModel):
    name: str
    verdict: VerdictCode
    message: str
    time: float
    wall_time: float
    memory: int
    exit_code: int | None = None
    signal: int | None = None
    points: float | None = None
    sample: bool | None = Field(None, description="in a submission: whether this is a sample test (hidden "
                                "tests show users only their number, verdict, time, memory and points)")
    input: str | None = Field(None, description="sample tests only")
    expected_output: str | None = Field(None, description="sample tests only")
    stdout: str | None = Field(None, description="sample tests only")
    stderr: str | None = Field(None, description="sample tests only")


class TestsRunOut(ApiModel):
    """A run against test cases: per-test results and one overall verdict."""

    verdict: VerdictCode
    message: str
    compile_output: str
    passed: int
    total: int
    tests: list[TestResultOut]
    language: str


# --- execute --------------------------------------------------------------------------------

class ExecuteRequest(RequestModel):
    nul_allowed: ClassVar[frozenset[str]] = frozenset({"code", "input"})  # run, never stored

    code: str = Field(description="the program's source")
    language: str = Field(description="a language id or alias (GET /api/languages): python, javascript, c, cpp, java, go, rust, ...")
    version: str | None = Field(None, description="a version within the language's family: an implementation "
                                "(pypy, clang), an id or a version number; default: the family's default")
    input: str = Field("", description="standard input")
    time_limit: float | None = Field(None, gt=0, le=10, description="CPU seconds (default: server setting)")
    memory_limit: int | None = Field(None, ge=16, le=1024, description="MB (default: server setting)")


# --- problems -------------------------------------------------------------------------------

class CheckerIn(RequestModel):
    type: Literal["standard", "exact", "lines", "float", "unordered", "custom"] = "standard"
    abs_tol: float = Field(1e-6, ge=0)
    rel_tol: float = Field(1e-6, ge=0)
    source: str | None = Field(None, description="custom checker's code, run as `checker input output answer`")
    language: str | None = Field(None, description="custom checker's language")


class TestIn(RequestModel):
    nul_allowed: ClassVar[frozenset[str]] = frozenset({"input", "expected_output"})  # stored as bytes

    name: str | None = Field(None, max_length=100, description="default: its position, 1-based")
    input: str = ""
    expected_output: str
    sample: bool = Field(False, description="samples are shown to everyone and used by /api/problems/run")
    points: float | None = Field(None, ge=0)


class ProblemIn(RequestModel):
    slug: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]{0,99}$", description="default: from the title")
    title: str = Field(min_length=1, max_length=200)
    statement: str = ""
    time_limit: float = Field(1.0, gt=0, le=MAX_CPU_SECONDS, description="CPU seconds per test")
    memory_limit: int = Field(256, ge=MIN_MEMORY_MB, le=MAX_MEMORY_MB, description="MB")
    checker: CheckerIn = Field(default_factory=CheckerIn)
    tests: list[TestIn] = Field(min_length=1)


class ProblemPatch(RequestModel):
    """PATCH: only the fields sent change (`tests`, when sent, replaces every test)."""

    slug: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")
    title: str | None = Field(None, min_length=1, max_length=200)
    statement: str | None = None
    time_limit: float | None = Field(None, gt=0, le=MAX_CPU_SECONDS)
    memory_limit: int | None = Field(None, ge=MIN_MEMORY_MB, le=MAX_MEMORY_MB)
    checker: CheckerIn | None = None
    tests: list[TestIn] | None = Field(None, min_length=1)


class TestOut(ApiModel):
    name: str
    input: str
    expected_output: str
    sample: bool
    points: float | None = None


class CheckerOut(ApiModel):
    type: str
    abs_tol: float | None = None
    rel_tol: float | None = None
    language: str | None = None
    source: str | None = Field(None, description="admins only")


class ProblemSummaryOut(ApiModel):
    id: int
    slug: str
    title: str
    time_limit: float
    memory_limit: int


class ProblemOut(ProblemSummaryOut):
    statement: str
    checker: CheckerOut
    samples: list[TestOut]
    tests: list[TestOut] | None = Field(None, description="every test, hidden ones included: admins only")
    test_count: int


class ProblemRunRequest(RequestModel):
    nul_allowed: ClassVar[frozenset[str]] = frozenset({"code"})  # run, never stored

    problem_id: RowId
    code: str
    language: str
    version: str | None = Field(None, description="a version within the language's family: an implementation "
                                "(pypy, clang), an id or a version number; default: the family's default")


# --- submissions ----------------------------------------------------------------------------

class SubmissionRequest(RequestModel):
    problem_id: RowId
    code: str
    language: str
    version: str | None = Field(None, description="a version within the language's family: an implementation "
                                "(pypy, clang), an id or a version number; default: the family's default")


class SubmissionOut(ApiModel):
    id: int
    problem_id: int
    user_id: int
    language: str
    status: Literal["pending", "judging", "finished"]
    verdict: VerdictCode | None
    message: str
    compile_output: str
    score: float | None
    max_score: float | None
    time: float | None = Field(description="largest CPU seconds of any test")
    memory: int | None = Field(description="largest peak KB of any test")
    tests: list[TestResultOut]
    code: str
    created_at: UtcDatetime
    judged_at: UtcDatetime | None


class SubmissionPage(ApiModel):
    items: list[SubmissionOut]
    total: int
    page: int
    page_size: int


# --- modules --------------------------------------------------------------------------------

class ModuleTestIn(RequestModel):
    name: str | None = Field(None, max_length=100)
    input: str = ""
    expected_output: str


class ModuleIn(RequestModel):
    title: str = Field(min_length=1, max_length=200)
    content: str = ""
    language: str
    starter_code: str = ""
    stdin: str = ""
    tests: list[ModuleTestIn] = Field(default_factory=list)
    time_limit: float = Field(2.0, gt=0, le=10)
    memory_limit: int = Field(256, ge=16, le=1024)


class ModulePatch(RequestModel):
    """PATCH: only the fields sent change."""

    title: str | None = Field(None, min_length=1, max_length=200)
    content: str | None = None
    language: str | None = None
    starter_code: str | None = None
    stdin: str | None = None
    tests: list[ModuleTestIn] | None = None
    time_limit: float | None = Field(None, gt=0, le=10)
    memory_limit: int | None = Field(None, ge=16, le=1024)


class ModuleOut(ApiModel):
    id: int
    title: str
    content: str
    language: str
    starter_code: str
    stdin: str
    tests: list[ModuleTestIn]
    time_limit: float
    memory_limit: int


class ModuleExecuteRequest(RequestModel):
    nul_allowed: ClassVar[frozenset[str]] = frozenset({"code", "input"})  # run, never stored

    module_id: RowId
    code: str | None = Field(None, description="default: the module's starter code")
    input: str | None = Field(None, description="default: the module's stdin")


class ModuleExecuteOut(ExecutionResultOut):
    tests: TestsRunOut | None = Field(None, description="the module's tests, when it has any")


# --- health ---------------------------------------------------------------------------------

class ExecutionHealth(BaseModel):
    mode: str
    queueServiceAvailable: bool


class ServicesHealth(BaseModel):
    database: str
    execution: ExecutionHealth


class HealthOut(BaseModel):
    status: Literal["healthy", "unhealthy"]
    timestamp: str
    uptime: float
    services: ServicesHealth


class ExecutionConfigOut(BaseModel):
    queueUrl: str
    pollInterval: int
    maxPollTime: int
    timeout: int


class BreakerOut(BaseModel):
    open: bool = Field(description="every execution goes direct until the service's health probe passes")
    failures: int = Field(description="queue failures in a row")
    threshold: int


class ExecutionEventOut(BaseModel):
    at: str
    event: Literal["fallback", "failure", "busy"]
    reason: str


class ExecutionStatusOut(BaseModel):
    mode: str
    queueServiceAvailable: bool
    config: ExecutionConfigOut
    timestamp: str
    uptime: float


class ExecutionDashboardOut(ExecutionStatusOut):
    """The status, and for the admin's dashboard: how this server's executions go, and the
    execution service's own account of its workers and backlog."""
    breaker: BreakerOut | None = Field(None, description="queue mode's circuit breaker")
    service: dict | None = Field(None, description="the execution service's /health: status, workers, slots, "
                                                   "backlog by priority; null when it does not answer")
    runsPerMinute: float = Field(0.0, description="executions this server finished in the last minute")
    executions: dict[str, int] = Field(default_factory=dict, description="since start: queue, fallback (queue "
                                                                         "mode) or direct")
    direct: dict[str, int] = Field(default_factory=dict, description="this server's own sandbox: slots, in flight")
    recent: list[ExecutionEventOut] = Field(default_factory=list, description="the latest fallbacks and failures, "
                                                                              "newest first")
