"""Submissions are stored first, then judged in the background, and always end finished.

The record exists (status `pending`) before judging starts. A judging claims its submission
(pending -> judging, atomically, so two server replicas never judge the same one), runs through
the executor, and stores the verdict; if anything raises, the submission ends as IE
with the reason. On start, a server resumes submissions left pending, and those left judging
longer than STALE_CLAIM by a server that died.

While it is judged, each test's result is stored as it arrives (the submission's `tests` grow,
its status still `judging`), and whoever follows it here is told at once (`changed`): that is how
a verdict arrives test by test (GET /api/submissions/{id}/events). A follower on another
replica sees the same rows in the database.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..engine.judge import JudgeResult, TestResult
from ..engine.verdicts import Verdict
from ..execution import Execution, ExecutorBusy, Job
from .fairshare import InFlightRuns
from .models import Problem, Submission, utcnow
from .problems import judge_job
from .results import test_result_out

log = logging.getLogger("codearena.platform_app.judging")
STALE_CLAIM = timedelta(minutes=15)
BUSY_RETRY_SECONDS = 1.0
DB_WATCH_INTERVAL = 0.25  # seconds between looks at a submission judged by another replica
LIVE_WRITE_INTERVAL = 0.2  # seconds between two stores of a judging's tests so far


class SubmissionJudge:
    def __init__(self, sessions: sessionmaker[Session], execution: Execution, runs: InFlightRuns | None = None):
        self.sessions = sessions
        self.execution = execution
        self.runs = runs or InFlightRuns(0)  # judging counts against its author's runs in progress
        self.tasks: dict[int, asyncio.Task] = {}
        self._live: dict[int, _LiveTests] = {}  # judged here, not finished: its tests so far
        self._changed: dict[int, asyncio.Event] = {}

    def judged_here(self, submission_id: int) -> bool:
        return submission_id in self.tasks

    def watch(self, submission_id: int) -> asyncio.Event:
        """Set at the next change of the submission's stored state judged here (a test, its end).
        Take it before reading the submission: a change after the read still sets it."""
        return self._changed.setdefault(submission_id, asyncio.Event())

    def unwatch(self, submission_id: int, event: asyncio.Event) -> None:
        """A follower leaves. Only a submission judged elsewhere is forgotten: nothing here would
        ever set its event, and its other followers watch the database anyway."""
        if not self.judged_here(submission_id) and self._changed.get(submission_id) is event:
            del self._changed[submission_id]

    def _announce(self, submission_id: int) -> None:
        event = self._changed.pop(submission_id, None)
        if event is not None:
            event.set()

    def _tested(self, submission_id: int, samples: frozenset[str], test: TestResult) -> None:
        """A test judged (on the loop): kept, then written by one writer at a time, newest last."""
        live = self._live.setdefault(submission_id, _LiveTests())
        # By name: a judging that starts again elsewhere (a fallback) replaces what it told before.
        live.tests[test.name] = _stored_test(test, samples)
        live.version += 1
        if live.writer is None or live.writer.done():
            live.writer = asyncio.create_task(self._write_live(submission_id, live))

    async def _write_live(self, submission_id: int, live: "_LiveTests") -> None:
        """The first test is written at once; later ones at most every LIVE_WRITE_INTERVAL, each
        write all of them so far (a judging of 1000 fast tests writes dozens of rows, not 1000)."""
        loop = asyncio.get_running_loop()
        while True:
            pause = live.written_at + LIVE_WRITE_INTERVAL - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)  # pacing the database, not waiting for anything
            version = live.version
            await run_in_threadpool(self._store_partial, submission_id, list(live.tests.values()))
            live.written_at = loop.time()
            self._announce(submission_id)
            if live.version == version:
                return

    def _store_partial(self, submission_id: int, tests: list[dict]) -> None:
        with self.sessions() as session, session.begin():  # never over a finished submission's tests
            session.execute(update(Submission).where(Submission.id == submission_id, Submission.status == "judging")
                            .values(tests=tests))

    def start(self, submission_id: int) -> asyncio.Task:
        task = asyncio.create_task(self._judge(submission_id), name=f"judge-{submission_id}")
        self.tasks[submission_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(submission_id, None))
        return task

    async def wait(self, submission_id: int, timeout: float) -> None:
        """Until the submission is finished or `timeout` seconds passed. A judging in this process
        is awaited; one in another replica is watched in the database."""
        task = self.tasks.get(submission_id)
        if task is not None:
            await asyncio.wait({task}, timeout=timeout)
            return
        deadline = asyncio.get_running_loop().time() + timeout
        while await run_in_threadpool(self._status, submission_id) not in ("finished", None):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            task = self.tasks.get(submission_id)
            if task is not None:  # it was resumed here meanwhile
                await asyncio.wait({task}, timeout=remaining)
                return
            await asyncio.sleep(min(DB_WATCH_INTERVAL, remaining))

    def _status(self, submission_id: int) -> str | None:
        with self.sessions() as session:
            return session.scalar(select(Submission.status).where(Submission.id == submission_id))

    async def resume_unfinished(self) -> int:
        ids = await run_in_threadpool(self._unfinished_ids)
        for submission_id in ids:
            self.start(submission_id)
        if ids:
            log.info("resuming %d unfinished submissions", len(ids))
        return len(ids)

    async def stop(self) -> None:
        """Shutdown: unfinished judgings go back to pending, for the next start to resume."""
        ids = list(self.tasks)
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        if ids:
            await run_in_threadpool(self._release, ids)

    def _release(self, ids: list[int]) -> None:
        with self.sessions() as session, session.begin():
            session.execute(update(Submission).where(Submission.id.in_(ids), Submission.status == "judging")
                            .values(status="pending", claimed_at=None))

    def _unfinished_ids(self) -> list[int]:
        stale = utcnow() - STALE_CLAIM
        with self.sessions() as session:
            rows = session.scalars(select(Submission.id).where(or_(
                Submission.status == "pending",
                (Submission.status == "judging") & (Submission.claimed_at < stale),
            )).order_by(Submission.id))
            return list(rows)

    def _claim(self, submission_id: int) -> tuple[Job, frozenset[str], int] | None:
        """pending (or stale judging) -> judging: the job, the names of its sample tests and its
        author; None when someone else has it or it is gone."""
        stale = utcnow() - STALE_CLAIM
        with self.sessions() as session, session.begin():
            claimed = session.execute(
                update(Submission)
                .where(Submission.id == submission_id)
                .where(or_(Submission.status == "pending",
                           (Submission.status == "judging") & (Submission.claimed_at < stale)))
                .values(status="judging", claimed_at=utcnow(), tests=[])  # an earlier attempt's tests are not this one's
            ).rowcount
            if not claimed:
                return None
            submission = session.get(Submission, submission_id)
            problem = session.get(Problem, submission.problem_id)
            samples = frozenset(t.name for t in problem.tests if t.is_sample)
            return (judge_job(problem, submission.code, submission.language, samples_only=False), samples,
                    submission.user_id)

    def _store(self, submission_id: int, result: JudgeResult, samples: frozenset[str] = frozenset()) -> None:
        """Every detail is stored, each test marked sample or hidden; what a reader may see of it
        is decided when it is read (results.submission_out)."""
        with self.sessions() as session, session.begin():
            submission = session.get(Submission, submission_id)
            submission.status = "finished"
            submission.verdict = result.verdict.value
            submission.message = result.message
            submission.compile_output = result.compile_output
            submission.score, submission.max_score = result.score, result.max_score
            submission.time = round(result.time, 4) if result.tests else None
            submission.memory = result.memory if result.tests else None
            submission.tests = [_stored_test(t, samples) for t in result.tests]
            submission.judged_at = utcnow()

    async def _judge(self, submission_id: int) -> None:
        try:
            claimed = await run_in_threadpool(self._claim, submission_id)
            if claimed is None:
                return
            job, samples, author = claimed
            on_test = lambda test: self._tested(submission_id, samples, test)  # noqa: E731
            async with self.runs.slot(author, wait=True):  # waits while its author has runs in progress
                while True:
                    try:
                        result = await self.execution.executor.run(job, on_test)
                        break
                    except ExecutorBusy:
                        # Accepted work waits for capacity rather than failing.
                        await asyncio.sleep(BUSY_RETRY_SECONDS)
            await self._settle_live(submission_id)
            await run_in_threadpool(self._store, submission_id, result, samples)
            self._announce(submission_id)
            log.info("submission %d judged: %s", submission_id, result.verdict.value)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever failed, the submission must end
            log.exception("judging submission %d failed", submission_id)
            failure = JudgeResult(Verdict.IE, f"internal error while judging: {exc}")
            try:
                await self._settle_live(submission_id)
                await run_in_threadpool(self._store, submission_id, failure)
                self._announce(submission_id)
            except Exception:  # noqa: BLE001 - the database itself is failing; resumed on restart
                log.exception("could not record the failure of submission %d", submission_id)

    async def _settle_live(self, submission_id: int) -> None:
        """The live writes stop before the verdict is stored, which holds every test anyway. One
        already in a thread may still finish: it changes only a submission still `judging`, so
        none lands over the verdict."""
        live = self._live.pop(submission_id, None)
        if live is not None and live.writer is not None:
            live.writer.cancel()
            await asyncio.gather(live.writer, return_exceptions=True)


@dataclass
class _LiveTests:
    tests: dict[str, dict] = field(default_factory=dict)
    version: int = 0
    writer: asyncio.Task | None = None
    written_at: float = float("-inf")  # the loop's time of the last store


def _stored_test(test: TestResult, samples: frozenset[str]) -> dict:
    """A test as a submission stores it: every detail, marked sample or hidden (what a reader may
    see of it is decided when it is read: results.submission_out)."""
    return test_result_out(test, show_io=True, sample=test.name in samples).model_dump(by_alias=True, exclude_none=True)
