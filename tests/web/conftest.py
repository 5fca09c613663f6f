"""The browser every web test drives: Debian's chromium (no browser download is possible here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..api.conftest import start_server
from ..support import missing

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not os.path.exists(CHROMIUM):
        missing("Debian's chromium for the browser tests", "apt-get install chromium")
    return {"executable_path": CHROMIUM, "args": ["--no-sandbox"]}  # root in CI: chromium's own sandbox refuses


def shot(page, name: str, full_page: bool = True) -> None:
    if os.environ.get("CODEARENA_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


@pytest.fixture(scope="module")
def site(tmp_path_factory, sandbox):
    with start_server(f"sqlite:///{tmp_path_factory.mktemp('web')}/web.db", sandbox) as running:
        yield running


@pytest.fixture
def browse(site, page):
    """The page, opened at the site, recording every URL it requests."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(site.url + "/")
    yield page
    outside = [url for url in requested if not url.startswith(site.url + "/")]
    assert not outside, f"requests left the platform: {outside}"


def sign_in(page, username: str, password: str = "password123") -> None:
    """Through the page's own form (the users the tests add have this password)."""
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(password)
    page.get_by_test_id("sign-in-submit").click()
    page.get_by_test_id("who").filter(has_text=username).wait_for()
