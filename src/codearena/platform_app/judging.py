"""Submissions are stored first, then judged in the background, and always end finished.

The record exists (status `pending`) before judging starts. A judging claims its submission
(pending -> judging, atomically, so two server replicas never judge the same one), runs through
the executor, and stores the verdict; if anything raises, the submission ends as IE
with the reason. On start, a server resumes submissions left pending, and those left judging
longer than STALE_CLAIM by a server that died.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..engine.judge import JudgeResult
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


class SubmissionJudge:
    def __init__(self, sessions: sessionmaker[Session], execution: Execution, runs: InFlightRuns | None = None):
        self.sessions = sessions
        self.execution = execution
        self.runs = runs or InFlightRuns(0)  # judging counts against its author's runs in progress
        self.tasks: dict[int, asyncio.Task] = {}

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
                .values(status="judging", claimed_at=utcnow())
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
            submission.tests = [
                test_result_out(t, show_io=True, sample=t.name in samples).model_dump(by_alias=True, exclude_none=True)
                for t in result.tests
            ]
            submission.judged_at = utcnow()

    async def _judge(self, submission_id: int) -> None:
        try:
            claimed = await run_in_threadpool(self._claim, submission_id)
            if claimed is None:
                return
            job, samples, author = claimed
            async with self.runs.slot(author, wait=True):  # waits while its author has runs in progress
                while True:
                    try:
                        result = await self.execution.executor.run(job)
                        break
                    except ExecutorBusy:
                        # Accepted work waits for capacity rather than failing.
                        await asyncio.sleep(BUSY_RETRY_SECONDS)
            await run_in_threadpool(self._store, submission_id, result, samples)
            log.info("submission %d judged: %s", submission_id, result.verdict.value)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever failed, the submission must end
            log.exception("judging submission %d failed", submission_id)
            failure = JudgeResult(Verdict.IE, f"internal error while judging: {exc}")
            try:
                await run_in_threadpool(self._store, submission_id, failure)
            except Exception:  # noqa: BLE001 - the database itself is failing; resumed on restart
                log.exception("could not record the failure of submission %d", submission_id)
