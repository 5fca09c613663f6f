"""The execution service as it is deployed: the job API with the Judge0 and Piston APIs mounted
beside it (each when enabled).

The only module that knows them all: the service knows "extensions", each adapter knows the
service's public store interface, and none imports another's assembly.
"""

from __future__ import annotations

from fastapi import FastAPI

from .adapters.judge0 import Judge0Extension, Judge0Settings
from .adapters.piston import PistonExtension, PistonSettings
from .common_settings import CommonSettings
from .service.app import create_service_app
from .service.settings import QueueSettings, ServiceSettings


def execution_service_app(queue: QueueSettings, service: ServiceSettings | None = None,
                          common: CommonSettings | None = None, judge0: Judge0Settings | None = None,
                          piston: PistonSettings | None = None) -> FastAPI:
    judge0 = judge0 if judge0 is not None else Judge0Settings()
    piston = piston if piston is not None else PistonSettings()
    common = common or CommonSettings()
    extensions = [*([Judge0Extension(judge0, queue, common)] if judge0.enabled else []),
                  *([PistonExtension(piston)] if piston.enabled else [])]
    return create_service_app(queue, service, common, extensions)
