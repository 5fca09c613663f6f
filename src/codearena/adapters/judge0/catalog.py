"""Judge0 CE's language ids and statuses, and how a CodeArena verdict becomes a Judge0 status."""

from __future__ import annotations

import signal as signals
from dataclasses import dataclass
from functools import lru_cache

from ...languages import LANGUAGES as CATALOG, Language, get_language


@dataclass(frozen=True)
class Judge0Language:
    id: int  # Judge0 CE's id
    language: str  # CodeArena's language id
    label: str  # the name before the version, as Judge0 CE writes it
    toolchain: str = ""  # the compiler or runtime named in the version, if any

    @property
    def engine(self) -> Language:
        return get_language(self.language)

    @property
    def name(self) -> str:
        # The real installed version, e.g. "C (GCC 12.2.0)", "Python (3.11.2)"; a project has none.
        if self.engine.project:
            return self.label
        version = self.engine.version() or "unknown"
        return f"{self.label} ({self.toolchain + ' ' if self.toolchain else ''}{version})"

    def details(self) -> dict:
        """GET /languages/{id}: the command lines CodeArena actually runs."""
        engine = self.engine
        source = engine.source_file

        def command(argv: tuple[str, ...] | None) -> str | None:
            if argv is None:
                return None
            words = [w.replace("{options}", "%s").replace("{source}", source).replace("{main}", engine.entry("")).replace(
                "{memory_mb}", "MEMORY_MB") for w in argv]
            return " ".join(words)

        return {"id": self.id, "name": self.name, "is_archived": False, "source_file": source,
                "compile_cmd": command(engine.compile), "run_cmd": command(engine.run)}


# Judge0 CE's ids for the five languages, plus the ids the official SDK's aliases resolve to on
# v1.13.1 (CPP and CPP_GCC -> 52). Both C++ ids run the same installed compiler.
LANGUAGES: tuple[Judge0Language, ...] = (
    Judge0Language(50, "c", "C", "GCC"),
    Judge0Language(52, "cpp", "C++", "GCC"),
    Judge0Language(54, "cpp", "C++", "GCC"),
    Judge0Language(62, "java", "Java", "OpenJDK"),
    Judge0Language(63, "javascript", "JavaScript", "Node.js"),
    Judge0Language(71, "python", "Python"),
)
# Every other language under the Judge0 ids its catalog entry carries (the five above keep the
# exact names Judge0 CE and its SDK use).
_NAMED = {known.id for known in LANGUAGES}
LANGUAGES += tuple(Judge0Language(judge0_id, lang.id, lang.label, lang.implementation)
                   for lang in CATALOG for judge0_id in lang.judge0_ids if judge0_id not in _NAMED)
BY_ID = {lang.id: lang for lang in LANGUAGES}


@lru_cache(maxsize=1)
def available_languages() -> tuple[Judge0Language, ...]:
    return tuple(lang for lang in LANGUAGES if lang.engine.available())


def language_list() -> list[dict]:
    """GET /languages: active languages as {id, name}, ordered by name as Judge0 does."""
    return sorted(({"id": lang.id, "name": lang.name} for lang in available_languages()),
                  key=lambda item: (item["name"], item["id"]))


STATUSES = {
    1: "In Queue",
    2: "Processing",
    3: "Accepted",
    4: "Wrong Answer",
    5: "Time Limit Exceeded",
    6: "Compilation Error",
    7: "Runtime Error (SIGSEGV)",
    8: "Runtime Error (SIGXFSZ)",
    9: "Runtime Error (SIGFPE)",
    10: "Runtime Error (SIGABRT)",
    11: "Runtime Error (NZEC)",
    12: "Runtime Error (Other)",
    13: "Internal Error",
    14: "Exec Format Error",
}
IN_QUEUE, PROCESSING, ACCEPTED, WRONG_ANSWER, TIME_LIMIT, COMPILATION_ERROR = 1, 2, 3, 4, 5, 6
NZEC, RUNTIME_OTHER, INTERNAL_ERROR = 11, 12, 13
_BY_SIGNAL = {signals.SIGSEGV: 7, signals.SIGXFSZ: 8, signals.SIGFPE: 9, signals.SIGABRT: 10}


def status_json(status_id: int) -> dict:
    return {"id": status_id, "description": STATUSES[status_id]}


def runtime_error_status(signal: int | None, exit_code: int | None) -> int:
    """Judge0's split of runtime errors: by the fatal signal, else NZEC for a non-zero exit."""
    if signal is not None:
        return _BY_SIGNAL.get(signal, RUNTIME_OTHER)
    return NZEC if exit_code else RUNTIME_OTHER


def strip_output(text: str) -> str:
    """v1.13.1's comparison: trailing whitespace of every line, and trailing lines, do not count."""
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()


@dataclass(frozen=True)
class Outcome:
    status: int
    message: str | None  # as isolate words it ("Exited with error status 1", ...)
    exit_code: int | None
    exit_signal: int | None


def outcome_of(result: dict, expected_output: str | None, cpu_time_limit: float) -> Outcome:
    """A finished job's result (ExecutionResult as a dict) as Judge0 reports it."""
    verdict = result.get("verdict")
    signal, exit_code = result.get("signal"), result.get("exit_code")
    if verdict == "CE":
        return Outcome(COMPILATION_ERROR, None, None, None)
    if verdict == "IE":
        return Outcome(INTERNAL_ERROR, result.get("message") or "internal error", None, None)
    if verdict == "TLE" or (verdict != "OLE" and float(result.get("time") or 0) > cpu_time_limit):
        # The program is stopped at cpu_time_limit + cpu_extra_time, but exceeding the limit is TLE.
        wall = "wall" in (result.get("message") or "")
        return Outcome(TIME_LIMIT, "Time limit exceeded" + (" (wall clock)" if wall else ""), exit_code, signal)
    if verdict == "OLE":  # isolate's file size limit: the program gets SIGXFSZ
        return Outcome(_BY_SIGNAL[signals.SIGXFSZ], "Output limit exceeded", exit_code,
                       signal if signal is not None else int(signals.SIGXFSZ))
    if verdict == "MLE":
        return Outcome(runtime_error_status(signal, exit_code), "Memory limit exceeded", exit_code, signal)
    if verdict == "RE":
        message = f"Caught fatal signal {signal}" if signal is not None else f"Exited with error status {exit_code}"
        return Outcome(runtime_error_status(signal, exit_code), message, exit_code, signal)
    accepted = expected_output is None or strip_output(expected_output) == strip_output(result.get("stdout") or "")
    return Outcome(ACCEPTED if accepted else WRONG_ANSWER, None, exit_code if exit_code is not None else 0, None)
