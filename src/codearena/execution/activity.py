"""What this process's executions did lately, for the admin's dashboard: runs per minute, and
the recent fallbacks (noted by the FallbackExecutor) and failures with their reasons."""

from __future__ import annotations

import time
from collections import deque
from datetime import datetime, timezone

from ..engine.verdicts import Verdict
from .contract import Job, Result
from .executor import Executor, ExecutorBusy, OnTest

WINDOW_SECONDS = 60.0
RECENT_EVENTS = 20


class Activity:
    def __init__(self, window: float = WINDOW_SECONDS, keep: int = RECENT_EVENTS):
        self.window = window
        self._finished: deque[float] = deque()  # monotonic times, within the window
        self.recent: deque[dict] = deque(maxlen=keep)  # newest last
        self.total = 0

    def finished(self) -> None:
        now = time.monotonic()
        self._finished.append(now)
        self.total += 1
        self._trim(now)

    def note(self, event: str, reason: str) -> None:
        """A fallback, a failure of the system (IE), a refusal for lack of capacity."""
        self.recent.append({"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "event": event,
                            "reason": reason[:300]})

    def per_minute(self) -> float:
        self._trim(time.monotonic())
        return len(self._finished) * 60.0 / self.window

    def _trim(self, now: float) -> None:
        while self._finished and self._finished[0] < now - self.window:
            self._finished.popleft()


class RecordedExecutor:
    """An executor whose every execution is counted in `activity` (failures of the system noted)."""

    def __init__(self, inner: Executor, activity: Activity):
        self.inner = inner
        self.activity = activity

    async def run(self, job: Job, on_test: OnTest | None = None) -> Result:
        try:
            result = await self.inner.run(job, on_test)
        except ExecutorBusy as exc:
            self.activity.note("busy", str(exc))
            raise
        self.activity.finished()
        if result.verdict == Verdict.IE:
            self.activity.note("failure", result.message)
        return result

    def __getattr__(self, name: str):  # stats, breaker, primary, ...: the inner executor's
        return getattr(self.inner, name)

    async def aclose(self) -> None:
        await self.inner.aclose()
