"""The execution service against its own OpenAPI document: no input makes it answer 5xx, and
every answer has its documented shape."""

from __future__ import annotations

from ..schemathesis_run import assert_clean, run_schemathesis
from .conftest import TOKEN


def test_no_server_errors_and_answers_match_the_schema(queue):
    queue.start_worker(concurrency=2)
    assert_clean(run_schemathesis(queue.service.url, TOKEN, extra=("--header", f"X-Auth-Token: {TOKEN}")))
