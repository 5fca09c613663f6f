"""Layer 3: compile once, run, give verdicts. Pure: (source, language, inputs, limits) -> results."""

from .execute import ExecutionResult, execute
from .verdicts import Verdict

__all__ = ["ExecutionResult", "Verdict", "execute"]
