"""Tables. Changing one means a new Alembic revision in migrations/versions."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from ..execution.contract import digest


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="user")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Problem(Base):
    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(200))
    statement: Mapped[str] = mapped_column(Text, default="")
    time_limit: Mapped[float] = mapped_column(Float, default=1.0)  # CPU seconds per test
    memory_limit: Mapped[int] = mapped_column(Integer, default=256)  # MB
    checker: Mapped[dict] = mapped_column(JSON, default=dict)  # CheckerConfig.to_dict()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    tests: Mapped[list["ProblemTest"]] = relationship(
        back_populates="problem", cascade="all, delete-orphan", order_by="ProblemTest.position")


class ProblemTest(Base):
    __tablename__ = "problem_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    input_sha256: Mapped[str] = mapped_column(String(64), index=True)
    expected_sha256: Mapped[str] = mapped_column(String(64), index=True)
    data_bytes: Mapped[int] = mapped_column(Integer, default=0)  # the larger of input and expected
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    points: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The data is loaded only where it is read: a judge job names it by digest (it is stored
    # once beside the queue, or fetched once into this machine's cache in direct mode). Last:
    # SQLite walks a big value's pages to reach any column after it (migration 0003).
    input: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    expected: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    problem: Mapped[Problem] = relationship(back_populates="tests")

    @validates("input", "expected")
    def _name_by_digest(self, key: str, value: bytes) -> bytes:
        setattr(self, f"{key}_sha256", digest(value))
        self.data_bytes = max(len(value), self.data_bytes or 0)
        return value


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    language: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|judging|finished
    verdict: Mapped[str | None] = mapped_column(String(4), nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    compile_output: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    time: Mapped[float | None] = mapped_column(Float, nullable=True)
    memory: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tests: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # judging began
    judged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Module(Base):
    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(32))
    starter_code: Mapped[str] = mapped_column(Text, default="")
    stdin: Mapped[str] = mapped_column(Text, default="")
    tests: Mapped[list] = mapped_column(JSON, default=list)  # [{"name", "input", "expectedOutput"}]
    time_limit: Mapped[float] = mapped_column(Float, default=2.0)
    memory_limit: Mapped[int] = mapped_column(Integer, default=256)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
