"""What the Judge0 API's routes share (app.state.judge0), built by the Judge0Extension."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from ...common_settings import CommonSettings
from ...service.settings import QueueSettings
from ...service.state import ServiceState
from .callbacks import CallbackGuard
from .index import SubmissionIndex
from .settings import Judge0Settings


@dataclass
class Judge0Context:
    settings: Judge0Settings
    queue: QueueSettings
    common: CommonSettings
    guard: CallbackGuard
    authn_tokens: list[str]
    authz_tokens: list[str]
    state: ServiceState | None = None  # the service's, once it started
    index: SubmissionIndex | None = field(default=None)


def judge0_context(request: Request) -> Judge0Context:
    return request.app.state.judge0
