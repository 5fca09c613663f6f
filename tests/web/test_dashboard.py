"""The admin's execution dashboard in a real browser, in queue mode: it shows the queue, the
service's live worker and slots, and then, when the service stops, the fallback and its reason,
refreshing by itself."""

from __future__ import annotations

import uuid

import pytest

from ..integration.conftest import platform, queue_mode
from ..queue.conftest import Queue, ServiceServer, queue_settings, remove_prefix, require_redis, service_app
from .conftest import shot, sign_in


@pytest.fixture
def queued_site(sandbox, tmp_path):
    """A platform in queue mode in front of a service with one worker of 2 slots; the service
    can be stopped by the test (`stop_service`)."""
    require_redis()
    prefix = f"codearena-test-{uuid.uuid4().hex[:10]}"
    service = ServiceServer(service_app(queue_settings(prefix))).__enter__()
    queue = Queue(prefix, service)
    queue.start_worker(concurrency=2)
    stopped = []

    def stop_service():
        queue.stop_workers()
        service.__exit__(None, None, None)
        stopped.append(True)

    try:
        with platform(tmp_path, sandbox, queue_mode(service.url, breaker_failures=1)) as server:
            server.add_user("dash-admin", role="admin")
            server.add_user("dash-user")
            yield server, stop_service
    finally:
        if not stopped:
            stop_service()
        remove_prefix(prefix)


def _sign_in(page, site, username):
    page.goto(site.url + "/")  # (the requests this page makes are checked by the test: none leaves the origin)
    sign_in(page, username)


def _run_python(page, code):
    page.get_by_test_id("tab-playground").click()
    page.get_by_test_id("language").select_option("python")
    page.get_by_test_id("editor").evaluate("(e, code) => e.CodeMirror.setValue(code)", code)
    page.get_by_test_id("run").click()
    page.wait_for_function("() => !['-', 'running...'].includes(document.querySelector('[data-testid=verdict]').textContent)",
                           timeout=60000)
    return page.get_by_test_id("verdict").text_content()


def _shows(page, testid, text):
    """Until the dashboard, refreshing by itself, shows `text` in `testid` (no reload, no click)."""
    page.get_by_test_id(testid).filter(has_text=text).wait_for(timeout=30000)


def test_the_dashboard_shows_the_queue_then_the_fallback_when_the_service_stops(queued_site, page):
    site, stop_service = queued_site
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    _sign_in(page, site, "dash-user")
    assert page.get_by_test_id("tab-dashboard").is_hidden()  # not for users
    page.get_by_test_id("sign-out").click()
    _sign_in(page, site, "dash-admin")
    assert _run_python(page, "print('through the queue')") == "AC"
    page.get_by_test_id("tab-dashboard").click()
    _shows(page, "dash-mode", "queue")
    _shows(page, "dash-service", "healthy")
    _shows(page, "dash-workers", "1")
    _shows(page, "dash-slots", "2")
    _shows(page, "dash-backlog", "interactive 0")
    _shows(page, "dash-executions", "queue 1")
    _shows(page, "dash-breaker", "closed")

    stop_service()
    assert _run_python(page, "print('direct, after the fallback')") == "AC"  # the user sees no difference
    assert page.get_by_test_id("output").text_content() == "direct, after the fallback\n"
    page.get_by_test_id("tab-dashboard").click()
    _shows(page, "dash-service", "down")
    _shows(page, "dash-executions", "fallback 1")
    _shows(page, "dash-breaker", "open")
    events = page.get_by_test_id("dash-events").locator("tbody tr")
    events.first.wait_for()
    assert "fallback" in events.first.text_content() and "unreachable" in events.first.text_content()
    shot(page, "dashboard")
    assert [url for url in requested if not url.startswith(site.url + "/")] == []  # nothing left the platform
