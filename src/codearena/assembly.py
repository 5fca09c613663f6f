"""The execution service as it is deployed: the job API with the Judge0 API mounted beside it.

The only module that knows both: the service knows "extensions", the Judge0 adapter knows the
service's public store interface, and neither imports the other's assembly.
"""

from __future__ import annotations

from fastapi import FastAPI

from .adapters.judge0 import Judge0Extension, Judge0Settings
from .common_settings import CommonSettings
from .service.app import create_service_app
from .service.settings import QueueSettings, ServiceSettings


def execution_service_app(queue: QueueSettings, service: ServiceSettings | None = None,
                          common: CommonSettings | None = None, judge0: Judge0Settings | None = None) -> FastAPI:
    judge0 = judge0 if judge0 is not None else Judge0Settings()
    common = common or CommonSettings()
    extensions = [Judge0Extension(judge0, queue, common)] if judge0.enabled else []
    return create_service_app(queue, service, common, extensions)
