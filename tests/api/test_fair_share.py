"""Fair share in direct mode, and the throttles on accounts."""

from __future__ import annotations

import pytest

from codearena.execution import ExecutionSettings

from .conftest import start_server
from .fair_share import check_a_run_whose_client_went_away_is_stopped, check_one_user_cannot_starve_another


@pytest.fixture
def fair_server(tmp_path, sandbox):
    # 4 slots on a 2-core machine: sleepers use no CPU; the cap (2) leaves the others room.
    with start_server(f"sqlite:///{tmp_path}/fair.db", sandbox, ExecutionSettings(direct_concurrency=4),
                      max_runs_per_user=2, login_rate_limit="5/minute", register_rate_limit="3/hour") as server:
        server.add_user("attacker")
        server.add_user("victim")
        yield server


def test_one_user_cannot_starve_another_in_direct_mode(fair_server):
    with fair_server.client("attacker") as attacker, fair_server.client("victim") as victim:
        check_one_user_cannot_starve_another(fair_server.url, attacker, victim)


def test_logins_are_throttled_per_address_and_per_username(fair_server):
    with fair_server.client() as anyone:
        codes = [anyone.post("/api/auth/login", json={"username": "victim", "password": "wrong-password"}).status_code
                 for _ in range(8)]
        # Two logins went to the fixture's sign-ins; then 401s until the limit, then 429 with Retry-After.
        assert codes[:3] == [401, 401, 401] and codes[-1] == 429
        refused = anyone.post("/api/auth/login", json={"username": "attacker", "password": "password123"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_registration_is_throttled_and_can_be_closed(fair_server, tmp_path, sandbox):
    with fair_server.client() as anyone:
        codes = [anyone.post("/api/auth/register", json={"username": f"new{i}", "password": "password123"}).status_code
                 for i in range(5)]
        assert codes == [201, 201, 201, 429, 429]
    with start_server(f"sqlite:///{tmp_path}/closed.db", sandbox, registration_open=False) as closed:
        with closed.client() as anyone:
            answer = anyone.post("/api/auth/register", json={"username": "someone", "password": "password123"})
            assert answer.status_code == 403 and "closed" in answer.json()["detail"]


def test_a_run_whose_client_went_away_is_stopped_in_direct_mode(tmp_path, sandbox):
    with start_server(f"sqlite:///{tmp_path}/gone.db", sandbox, max_runs_per_user=1) as server:
        server.add_user("leaver")
        with server.client("leaver") as client:
            token = client.headers["Authorization"].split()[1]
        check_a_run_whose_client_went_away_is_stopped(server.url, token)


def test_replicas_share_the_runs_in_progress_through_redis():
    import asyncio
    import uuid

    from codearena.platform_app.fairshare import InFlightRuns, TooManyRuns

    async def scenario():
        prefix = f"codearena-test-inflight-{uuid.uuid4().hex[:8]}"
        one = InFlightRuns(2, "redis://127.0.0.1:6379/0", prefix)
        two = InFlightRuns(2, "redis://127.0.0.1:6379/0", prefix)  # another server replica
        try:
            async with one.slot(7), two.slot(7):
                with pytest.raises(TooManyRuns):
                    async with one.slot(7):
                        pass
                async with two.slot(8):  # another user is not affected
                    pass
            async with two.slot(7), one.slot(7):  # both places were given back
                pass
        finally:
            await one.aclose()
            await two.aclose()

    asyncio.run(scenario())
