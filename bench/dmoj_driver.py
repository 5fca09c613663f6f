"""The DMOJ judge (the peer in `bench/peer.py`), loaded once as in production, grading on request.

Runs under DMOJ's own virtualenv (`scripts/install-dmoj.sh`), never CodeArena's: it imports
nothing from this repository. Usage: `python dmoj_driver.py JUDGE_YML EXECUTOR...`; then one
JSON request per line on stdin, {"problem", "language", "source", "time_limit", "memory_kb"},
and one JSON answer per line on stdout, {"verdicts": [...], "compile_error": str | null}.
The first line written is {"ready": [executors that passed DMOJ's self-test]}.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    config, wanted = sys.argv[1], sys.argv[2:]
    answers, sys.stdout = sys.stdout, sys.stderr  # DMOJ prints its self-tests: keep stdout for answers
    # judgeenv reads its own command line: give it the one dmoj-cli would get.
    sys.argv = ["dmoj-cli", "-c", config, "-e", ",".join(wanted), "--no-ansi"]
    from dmoj import executors, judgeenv
    from dmoj.cli import LocalJudge, LocalPacketManager
    from dmoj.judge import Submission

    judgeenv.load_env(cli=True)
    executors.load_executors()

    class Recorder(LocalPacketManager):
        def __init__(self, judge):
            super().__init__(judge)
            self.verdicts: list[str] = []
            self.compile_error: str | None = None

        def test_case_status_packet(self, position, result):
            self.verdicts.append(result.readable_codes()[0])

        def compile_error_packet(self, log):
            self.compile_error = log

    judge = LocalJudge()
    recorder = Recorder(judge)
    judge.packet_manager = recorder
    print(json.dumps({"ready": sorted(executors.executors)}), file=answers, flush=True)
    for number, line in enumerate(sys.stdin, start=1):
        request = json.loads(line)
        recorder.verdicts, recorder.compile_error = [], None
        judge.begin_grading(Submission(number, request["problem"], request["language"], request["source"],
                                       request["time_limit"], request["memory_kb"], False, {}),
                            blocking=True, report=lambda _message: None)
        print(json.dumps({"verdicts": recorder.verdicts, "compile_error": recorder.compile_error}), file=answers,
              flush=True)
    judge.murder()
    return 0


if __name__ == "__main__":
    sys.exit(main())
