"""CodeArena: a safe, fast code-execution platform."""

__version__ = "0.1.0"
