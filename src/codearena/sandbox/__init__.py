"""Layer 1: run one argv in isolation under limits and report measured facts. Knows no language."""

from .box import Box
from .bwrap import BOX_PATH, Bind
from .limits import MIB, LimitHit, Limits, RunResult
from .errors import SandboxUnavailable
from .kept import keep_boxes, tidy_kept_boxes
from .runner import Sandbox, get_sandbox

__all__ = ["BOX_PATH", "MIB", "Bind", "Box", "LimitHit", "Limits", "RunResult", "Sandbox", "SandboxUnavailable", "get_sandbox",
           "keep_boxes", "tidy_kept_boxes"]
