"""Schemathesis against a running server's own OpenAPI document, bounded so it fits in `make
test`: property-based requests from the schema (examples, boundary values, fuzzing), and two
checks: no 5xx answer, and every answer matches its documented schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ST = str(Path(sys.executable).with_name("st"))


def run_schemathesis(base_url: str, token: str, examples: int = 10, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ST, "run", f"{base_url}/openapi.json", "--header", f"Authorization: Bearer {token}",
         "--checks", "not_a_server_error,response_schema_conformance", "--max-examples", str(examples),
         "--phases", "examples,coverage,fuzzing", "--seed", "20261130", "--workers", "1", "--no-color", *extra],
        capture_output=True, text=True, timeout=900)


def assert_clean(result: subprocess.CompletedProcess) -> None:
    summary = result.stdout[-3000:]
    assert result.returncode == 0, f"schemathesis found failures:\n{result.stdout[-12000:]}"
    assert " passed" in summary and "failures" not in summary.split("SUMMARY", 1)[-1].lower().replace("0 failures", "")
