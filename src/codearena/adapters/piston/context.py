"""What the Piston API's routes share (app.state.piston), built by the PistonExtension."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from ...service.state import ServiceState
from .settings import PistonSettings


@dataclass
class PistonContext:
    settings: PistonSettings
    state: ServiceState | None = None  # the service's, once it started


def piston_context(request: Request) -> PistonContext:
    return request.app.state.piston
