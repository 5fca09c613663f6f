"""The API's JSON shapes: camelCase on the wire, documented in the OpenAPI schema.

Result shapes are the same whichever execution mode ran the code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

VerdictCode = Literal["AC", "WA", "TLE", "MLE", "OLE", "RE", "CE", "IE"]
USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


# --- accounts -------------------------------------------------------------------------------

class Credentials(ApiModel):
    username: str = Field(pattern=USERNAME_PATTERN, description="3-32 letters, digits, '_', '.', '-'")
    password: str = Field(min_length=8, max_length=256)


class UserOut(ApiModel):
    id: int
    username: str
    role: Literal["user", "admin"]
    created_at: datetime


class TokenOut(ApiModel):
    token: str = Field(description="send as `Authorization: Bearer TOKEN`")
    token_type: str = "Bearer"
    expires_at: datetime
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

class ExecuteRequest(ApiModel):
    code: str = Field(description="the program's source")
    language: str = Field(description="python, javascript, c, cpp or java (aliases: py, js, node, c++, ...)")
    input: str = Field("", description="standard input")
    time_limit: float | None = Field(None, gt=0, le=10, description="CPU seconds (default: server setting)")
    memory_limit: int | None = Field(None, ge=16, le=1024, description="MB (default: server setting)")


# --- problems -------------------------------------------------------------------------------

class CheckerIn(ApiModel):
    type: Literal["standard", "exact", "lines", "float", "unordered", "custom"] = "standard"
    abs_tol: float = Field(1e-6, ge=0)
    rel_tol: float = Field(1e-6, ge=0)
    source: str | None = Field(None, description="custom checker's code, run as `checker input output answer`")
    language: str | None = Field(None, description="custom checker's language")


class TestIn(ApiModel):
    name: str | None = Field(None, max_length=100, description="default: its position, 1-based")
    input: str = ""
    expected_output: str
    sample: bool = Field(False, description="samples are shown to everyone and used by /api/problems/run")
    points: float | None = Field(None, ge=0)


class ProblemIn(ApiModel):
    slug: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]{0,99}$", description="default: from the title")
    title: str = Field(min_length=1, max_length=200)
    statement: str = ""
    time_limit: float = Field(1.0, gt=0, le=30, description="CPU seconds per test")
    memory_limit: int = Field(256, ge=16, le=2048, description="MB")
    checker: CheckerIn = Field(default_factory=CheckerIn)
    tests: list[TestIn] = Field(min_length=1)


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


class ProblemRunRequest(ApiModel):
    problem_id: int
    code: str
    language: str


# --- submissions ----------------------------------------------------------------------------

class SubmissionRequest(ApiModel):
    problem_id: int
    code: str
    language: str


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
    created_at: datetime
    judged_at: datetime | None


class SubmissionPage(ApiModel):
    items: list[SubmissionOut]
    total: int
    page: int
    page_size: int


# --- modules --------------------------------------------------------------------------------

class ModuleTestIn(ApiModel):
    name: str | None = Field(None, max_length=100)
    input: str = ""
    expected_output: str


class ModuleIn(ApiModel):
    title: str = Field(min_length=1, max_length=200)
    content: str = ""
    language: str
    starter_code: str = ""
    stdin: str = ""
    tests: list[ModuleTestIn] = Field(default_factory=list)
    time_limit: float = Field(2.0, gt=0, le=10)
    memory_limit: int = Field(256, ge=16, le=1024)


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


class ModuleExecuteRequest(ApiModel):
    module_id: int
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


class ExecutionStatusOut(BaseModel):
    mode: str
    queueServiceAvailable: bool
    config: ExecutionConfigOut
    timestamp: str
    uptime: float
