"""The platform's per-request dependencies that do no blocking I/O run on the event loop: FastAPI
runs a sync dependency in its threadpool, a thread hop on every request (the platform's CPU per
queued run was 1.08-1.10x with these three sync)."""

from __future__ import annotations

import inspect

import pytest

from codearena.platform_app import deps


@pytest.mark.parametrize("dependency", [deps.services, deps.current_user, deps.require_admin])
def test_a_dependency_without_blocking_io_is_a_coroutine_function(dependency):
    assert inspect.iscoroutinefunction(dependency), f"{dependency.__name__} would cost a threadpool hop per request"


def test_the_database_session_stays_in_the_threadpool():
    # It blocks on the database: on the event loop it would stall every other request.
    assert not inspect.iscoroutinefunction(deps.db_session) and inspect.isgeneratorfunction(deps.db_session)
