"""The browser every web test drives: Debian's chromium (no browser download is possible here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
