"""What the service's routes share, built once per app by its lifespan (app.state.service)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from ..common_settings import CommonSettings
from .metrics import ServiceMetrics
from .settings import QueueSettings, ServiceSettings
from .store import ServiceStore
from .waiters import Waiters


@dataclass
class ServiceState:
    queue: QueueSettings
    service: ServiceSettings
    common: CommonSettings
    store: ServiceStore
    waiters: Waiters
    metrics: ServiceMetrics
    started: float


async def service_state(request: Request) -> ServiceState:
    # async: a plain function would be called in a thread, a hand-off per request
    return request.app.state.service
