"""Health and execution status: the guide's exact shapes; unhealthy with 503 when the database is gone."""

from __future__ import annotations

from datetime import datetime

from .conftest import create_postgres_database, start_server


def test_health_has_exactly_the_guides_keys(anonymous):
    answer = anonymous.get("/api/health")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"status", "timestamp", "uptime", "services"}
    assert set(body["services"]) == {"database", "execution"}
    assert set(body["services"]["execution"]) == {"mode", "queueServiceAvailable"}
    assert body["status"] == "healthy" and body["services"]["database"] == "connected"
    assert body["services"]["execution"] == {"mode": "direct", "queueServiceAvailable": False}
    assert datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00")).tzinfo is not None
    assert body["uptime"] >= 0


def test_probes_need_no_token_and_say_nothing_more(anonymous):
    assert anonymous.get("/livez").json() == {"status": "ok"}
    assert anonymous.get("/readyz").json() == {"status": "ready"}


def test_execution_status_has_exactly_the_guides_keys(admin):
    body = admin.get("/api/execution/status").json()
    assert set(body) == {"mode", "queueServiceAvailable", "config", "timestamp", "uptime"}
    assert body["config"] == {"queueUrl": "http://localhost:3001", "pollInterval": 1000, "maxPollTime": 60000,
                              "timeout": 30000}
    assert body["mode"] == "direct"


def test_the_dashboard_counts_executions_in_direct_mode(admin, alice):
    before = admin.get("/api/execution/dashboard").json()
    assert alice.post("/api/execute", json={"code": "print(1)", "language": "python"}).json()["verdict"] == "AC"
    after = admin.get("/api/execution/dashboard").json()
    assert after["mode"] == "direct" and after["breaker"] is None and after["service"] is None  # no service here
    assert after["executions"]["direct"] == before["executions"]["direct"] + 1
    assert after["runsPerMinute"] >= 1 and after["direct"]["slots"] >= 1
    assert {"mode", "queueServiceAvailable", "config", "timestamp", "uptime"} <= set(after)


def test_health_is_503_unhealthy_when_the_database_is_gone(sandbox):
    database = create_postgres_database()
    try:
        with start_server(database.url, sandbox) as running, running.client() as client:
            assert client.get("/api/health").status_code == 200
            assert client.get("/readyz").json() == {"status": "ready"}
            database.drop()  # WITH (FORCE): every connection of the server is cut
            answer = client.get("/api/health")
            assert answer.status_code == 503
            body = answer.json()
            assert body["status"] == "unhealthy" and body["services"]["database"] == "disconnected"
            assert set(body) == {"status", "timestamp", "uptime", "services"}
            not_ready = client.get("/readyz")
            assert not_ready.status_code == 503 and not_ready.json() == {"status": "unavailable"}
            assert client.get("/livez").json() == {"status": "ok"}  # alive: restarting it would not help
    finally:
        database.drop()


def test_languages_lists_ids_names_versions_extensions_and_whether_compiled(anonymous):
    languages = {lang["id"]: lang for lang in anonymous.get("/api/languages").json()}
    from codearena.languages import LANGUAGES as CATALOG

    assert set(languages) == {lang.id for lang in CATALOG if lang.available()} >= {"python", "javascript", "c", "cpp", "java"}
    assert languages["c"]["compiled"] is True and languages["python"]["compiled"] is False
    assert ".py" in languages["python"]["extensions"] and languages["java"]["name"].startswith("Java")
    assert all(lang["version"][0].isdigit() for lang in languages.values())
    assert languages["c"]["takes_compiler_options"] is True and languages["python"]["takes_compiler_options"] is False
    assert languages["multi-file"]["project"] is True and languages["c"]["project"] is False
