"""Authoring in a real browser: an admin uploads a problem package (a zip), writes a problem and
a module in the forms; a student then finds them, reads the module and runs it on its tests."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

from .conftest import shot, sign_in

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "aplusb"


def _package(tmp_path: Path, folder: str) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in EXAMPLE.rglob("*"):
            if path.is_file():
                archive.write(path, f"{folder}/{path.relative_to(EXAMPLE)}")
    target = tmp_path / f"{folder}.zip"
    target.write_bytes(buffer.getvalue())
    return target


def test_an_admin_authors_and_a_student_uses_it(browse, site, tmp_path):
    page = browse
    author = f"author-{uuid.uuid4().hex[:6]}"
    site.add_user(author, role="admin")
    sign_in(page, author)
    page.get_by_test_id("tab-authoring").click()

    folder = f"aplusb-{uuid.uuid4().hex[:6]}"
    page.get_by_test_id("package-file").set_input_files(str(_package(tmp_path, folder)))
    page.get_by_test_id("package-upload").click()
    page.get_by_test_id("package-message").filter(has_text="Imported").wait_for()
    assert folder in page.get_by_test_id("package-message").text_content()

    page.get_by_test_id("pf-title").fill("Hand made")
    page.get_by_test_id("pf-statement").fill("Print the input **twice**.")
    page.get_by_test_id("pf-tests").fill('[{"input": "ab\\n", "expectedOutput": "abab\\n", "sample": true}]')
    page.get_by_test_id("pf-save").click()
    page.get_by_test_id("pf-message").filter(has_text="Saved").wait_for()
    page.get_by_test_id("pf-tests").fill("not json")
    page.get_by_test_id("pf-save").click()
    page.get_by_test_id("pf-message").filter(has_text="not a JSON list").wait_for()  # said, not sent

    page.get_by_test_id("mf-title").fill("Greetings")
    page.get_by_test_id("mf-language").select_option("python")
    page.get_by_test_id("mf-content").fill("# Say hello\n\nRead a name, greet it. <b>not bold</b>")
    page.get_by_test_id("mf-starter").fill("print('hello', input())\n")
    page.get_by_test_id("mf-stdin").fill("world")
    page.get_by_test_id("mf-tests").fill('[{"input": "x", "expectedOutput": "hello x"}]')
    page.get_by_test_id("mf-save").click()
    page.get_by_test_id("mf-message").filter(has_text="Saved").wait_for()
    shot(page, "authoring")

    page.get_by_test_id("sign-out").click()
    page.get_by_test_id("username").fill(f"learner-{uuid.uuid4().hex[:6]}")
    page.get_by_test_id("password").fill("a-long-password")
    page.get_by_test_id("sign-up").click()
    page.get_by_test_id("tab-modules").wait_for()
    assert page.get_by_test_id("tab-authoring").is_hidden()  # admins only

    page.get_by_test_id("tab-problems").click()
    page.get_by_test_id("problem-link").filter(has_text="Hand made").wait_for()
    page.get_by_test_id("tab-modules").click()
    page.get_by_test_id("module-link").filter(has_text="Greetings").click()
    content = page.get_by_test_id("module-content")
    content.locator("h1").filter(has_text="Say hello").wait_for()  # Markdown rendered
    assert content.locator("b").count() == 0 and "<b>not bold</b>" in content.text_content()  # raw HTML as text
    assert "print('hello', input())" in page.get_by_test_id("module-editor").text_content()
    page.get_by_test_id("module-run").click()
    page.get_by_test_id("module-passed").filter(has_text="1 of 1 passed").wait_for(timeout=60000)
    assert page.get_by_test_id("module-verdict").text_content() == "AC"
    assert page.get_by_test_id("module-output").text_content() == "hello world\n"
    shot(page, "module")
