"""One user cannot starve the others: shared by the direct-mode and queue-mode tests."""

from __future__ import annotations

import threading
import time

import httpx

SLEEPER = "import time\ntime.sleep(1000)\n"
HELLO = "print('hello')\n"


def check_one_user_cannot_starve_another(url: str, attacker: httpx.Client, victim: httpx.Client) -> None:
    """12 programs that sleep through the largest time limit from one user; the other user's hello
    world still answers at once (while every admitted sleeper is still running), and the attacker's
    runs beyond its cap are refused with 429 + Retry-After."""
    answers: list[httpx.Response] = []
    finished_at: list[float] = []
    lock = threading.Lock()

    def attack() -> None:
        answer = attacker.post("/api/execute", json={"code": SLEEPER, "language": "python", "timeLimit": 10})
        with lock:
            answers.append(answer)
            finished_at.append(time.monotonic())

    threads = [threading.Thread(target=attack) for _ in range(12)]
    for thread in threads:
        thread.start()
    # Once 10 of the 12 were refused, the other 2 hold their slots (sleeping for ~21 s of wall limit).
    deadline = time.monotonic() + 30
    while sum(1 for a in list(answers) if a.status_code == 429) < 10:
        assert time.monotonic() < deadline, [a.status_code for a in answers]
        time.sleep(0.01)
    started = time.monotonic()
    hello = victim.post("/api/execute", json={"code": HELLO, "language": "python"})
    answered = time.monotonic()
    assert hello.status_code == 200 and hello.json()["stdout"] == "hello\n"
    assert answered - started < 2.0, f"the other user waited {answered - started:.1f} s"
    for thread in threads:
        thread.join()
    refused = [a for a in answers if a.status_code == 429]
    assert len(refused) == 10 and all(int(a.headers["Retry-After"]) >= 1 for a in refused)
    assert "in progress" in refused[0].json()["detail"]
    slept = [a for a in answers if a.status_code == 200]
    assert [a.json()["verdict"] for a in slept] == ["TLE", "TLE"]
    assert min(t for t, a in zip(finished_at, answers) if a.status_code == 200) > answered  # they were still running


def check_a_run_whose_client_went_away_is_stopped(server_url: str, token: str) -> float:
    """A client sends a program that sleeps through a 21 s wall limit and hangs up after 1 s. With one
    run allowed per user, the user's next run is admitted as soon as the first was stopped: seconds,
    not the wall limit. Returns how long that took."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server_url, headers=headers, timeout=1.0) as impatient:
        try:
            impatient.post("/api/execute", json={"code": SLEEPER, "language": "python", "timeLimit": 10})
            raise AssertionError("the sleeper answered")
        except httpx.ReadTimeout:
            pass  # the client gives up and closes its connection
    gone_at = time.monotonic()
    with httpx.Client(base_url=server_url, headers=headers, timeout=30) as client:
        while True:
            answer = client.post("/api/execute", json={"code": HELLO, "language": "python"})
            if answer.status_code == 200:
                break
            assert answer.status_code == 429, answer.text  # the first run still holds the user's place
            assert time.monotonic() - gone_at < 15, "the abandoned run was not stopped"
            time.sleep(0.1)
    assert answer.json()["stdout"] == "hello\n"
    return time.monotonic() - gone_at
