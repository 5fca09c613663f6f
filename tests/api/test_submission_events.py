"""A submission's verdict arriving test by test, in direct mode."""

from __future__ import annotations

from .submission_events import check_tests_arrive_while_judging


def test_tests_arrive_while_the_submission_is_judged(admin, alice, bob):
    check_tests_arrive_while_judging(admin, alice, bob)


def test_a_judging_of_many_tests_stores_them_at_a_measured_pace(server, admin, alice):
    import time

    from sqlalchemy import event

    from codearena.platform_app.judging import LIVE_WRITE_INTERVAL

    from .test_problems import problem_body

    tests = [{"name": f"t{i}", "input": f"{i} 1\n", "expectedOutput": f"{i + 1}\n"} for i in range(60)]
    problem = admin.post("/api/problems", json=problem_body(tests=tests)).json()
    writes = []
    engine = server.services.engine

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE submissions SET tests"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        started = time.monotonic()
        done = alice.post("/api/submissions?wait=60", json={"problemId": problem["id"], "language": "c",
                                                            "code": '#include <stdio.h>\nint main(){long a,b;'
                                                                    'scanf("%ld %ld",&a,&b);printf("%ld\\n",a+b);}'}).json()
        elapsed = time.monotonic() - started
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert done["verdict"] == "AC" and len(done["tests"]) == 60
    # Live writes: the first at once, then at most one per interval (however fast the tests come).
    assert 1 <= len(writes) <= elapsed / LIVE_WRITE_INTERVAL + 2, (len(writes), elapsed)
