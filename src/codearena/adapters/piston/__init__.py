"""The Piston v2 API over CodeArena's job contract (docs/piston.md)."""

from .extension import PistonExtension
from .settings import PistonSettings

__all__ = ["PistonExtension", "PistonSettings"]
