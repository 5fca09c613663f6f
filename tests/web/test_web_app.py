"""The web app in a real browser: Debian's chromium driven by Playwright (pytest-playwright),
against a real platform server (direct mode, the real sandbox, SQLite). Every request the page
makes is recorded: none may leave the server's own origin.

`CODEARENA_SCREENSHOTS=1` (make screenshots) also saves each page to docs/screenshots/.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from codearena.languages import LANGUAGES

from ..api.submission_events import SLOW_SECOND, slow_problem
from .conftest import shot as _shot, sign_in

PROGRAMS = {  # each reads a name and greets it
    "python": "print('hello', input())\n",
    "javascript": "console.log('hello ' + require('fs').readFileSync(0, 'utf8').trim());\n",
    "c": '#include <stdio.h>\nint main(void){char s[32];scanf("%31s",s);printf("hello %s\\n",s);return 0;}\n',
    "cpp": "#include <iostream>\nint main(){std::string s;std::cin>>s;std::cout<<\"hello \"<<s<<std::endl;}\n",
    "java": "public class Main{public static void main(String[] a){System.out.println(\"hello \"+new java.util.Scanner(System.in).next());}}\n",
    "rust": "fn main(){let mut s=String::new();std::io::stdin().read_line(&mut s).unwrap();println!(\"hello {}\", s.trim());}\n",
}


def _sign_up(page) -> str:
    name = f"student-{uuid.uuid4().hex[:6]}"
    page.get_by_test_id("username").fill(name)
    page.get_by_test_id("password").fill("a-long-password")
    page.get_by_test_id("sign-up").click()
    page.get_by_test_id("who").filter(has_text=name).wait_for()
    return name


def _set_code(page, code: str) -> None:
    page.get_by_test_id("editor").evaluate("(element, code) => element.CodeMirror.setValue(code)", code)


def _run(page, language: str, code: str, stdin: str = "") -> str:
    page.get_by_test_id("language").select_option(language)
    _set_code(page, code)
    page.get_by_test_id("stdin").fill(stdin)
    page.get_by_test_id("run").click()
    verdict = page.get_by_test_id("verdict")
    page.wait_for_function("() => !['-', 'running...'].includes(document.querySelector('[data-testid=verdict]').textContent)",
                           timeout=60000)
    return verdict.text_content()


def test_sign_up_then_run_in_the_five_languages_and_rust(browse):
    page = browse
    _shot(page, "sign-in")
    _sign_up(page)
    # The picker offers every installed language but a multi-file program (its files are the program).
    installed = [lang for lang in LANGUAGES if lang.available() and not lang.project]
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=language] option').length >= {len(installed)}")
    options = page.get_by_test_id("language").locator("option").all_text_contents()
    assert len(options) == len(installed) >= 20 and all(any(ch.isdigit() for ch in option) for option in options)
    for language, code in PROGRAMS.items():
        assert _run(page, language, code, "arena") == "AC", (language, page.get_by_test_id("message").text_content())
        assert page.get_by_test_id("output").text_content() == "hello arena\n", language
        assert page.get_by_test_id("cpu-time").text_content().endswith(" s")
        assert page.get_by_test_id("memory").text_content().endswith(" KB")
    _shot(page, "playground")


def test_a_compile_error_and_a_time_limit_are_shown_as_such(browse):
    page = browse
    _sign_up(page)
    assert _run(page, "c", "int main(void) { return missing; }\n") == "CE"
    assert "missing" in page.get_by_test_id("compile-output").text_content()
    assert page.get_by_test_id("output").text_content() == ""
    assert _run(page, "python", "while True:\n    pass\n") == "TLE"


def test_program_output_is_text_never_html(browse):
    page = browse
    _sign_up(page)
    evil = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 1\">"
    assert _run(page, "python", f"print({evil!r})\nimport sys; print({evil!r}, file=sys.stderr)\n") == "AC"
    assert page.get_by_test_id("output").text_content() == evil + "\n"
    assert page.get_by_test_id("output").locator("script, img").count() == 0
    assert page.evaluate("() => window.pwned") is None


def test_ctrl_enter_runs_and_the_keyboard_reaches_everything(browse):
    page = browse
    _sign_up(page)
    page.get_by_test_id("language").select_option("python")
    _set_code(page, "")
    page.get_by_test_id("editor").locator(".CodeMirror-lines").click()
    page.keyboard.type("print(6 * 7)")
    page.keyboard.press("Control+Enter")
    page.get_by_test_id("output").filter(has_text="42").wait_for()
    assert page.get_by_test_id("verdict").text_content() == "AC"
    # Tab leaves the editor (it does not trap the focus) for the next field
    page.get_by_test_id("editor").locator(".CodeMirror-lines").click()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "stdin"
    for field in ("username", "password"):  # every form field has a label
        assert page.locator(f"label[for={field}]").count() == 1


def test_every_page_fits_a_375_pixel_screen(site, page):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(site.url + "/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    _shot(page, "sign-in-phone")
    name = f"phone-admin-{uuid.uuid4().hex[:6]}"
    site.add_user(name, role="admin")
    sign_in(page, name)
    for tab, view in [("tab-playground", "playground"), ("tab-problems", "problems"), ("tab-submissions", "submissions"),
                      ("tab-modules", "modules"), ("tab-authoring", "authoring"), ("tab-dashboard", "dashboard")]:
        page.get_by_test_id(tab).click()
        page.locator(f"#{view}").wait_for()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, f"the {view} page is {width} px wide on a 375 px screen"


def test_security_headers(site, page):
    response = page.goto(site.url + "/")
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path, rendered", [("/docs", ".swagger-ui .info"), ("/redoc", "redoc-wrap, .redoc-wrap")])
def test_the_api_docs_work_offline(site, page, path, rendered):
    """Every asset comes from the platform. ReDoc's bundle always asks its CDN for a logo: the
    page's Content-Security-Policy stops that in the browser, before any connection is made."""
    answered, blocked = [], []
    page.on("response", lambda response: answered.append(response.url))
    page.on("requestfailed", lambda request: blocked.append((request.url, request.failure)))
    page.goto(site.url + path)
    page.locator(rendered).first.wait_for(timeout=30000)
    own = (site.url + "/", "blob:" + site.url + "/", "data:")
    assert all(url.startswith(own) for url in answered), answered
    assert all(failure in ("csp", "net::ERR_BLOCKED_BY_CSP") for url, failure in blocked if not url.startswith(own)), blocked
    _shot(page, path.strip("/"), full_page=False)


@pytest.fixture(scope="module")
def problem(site) -> dict:
    """A problem an admin made through the API, with a statement that tries to inject HTML."""
    site.add_user("web-admin", role="admin")
    with site.client("web-admin") as admin:
        answer = admin.post("/api/problems", json={
            "title": "Sum of two", "time_limit": 1, "memory_limit": 128,
            "statement": "Add **a** and *b*.\n\n<script>window.pwned = 1</script>\n\n[a link](javascript:window.pwned=1)",
            "tests": [{"input": "1 2\n", "expectedOutput": "3\n", "sample": True},
                      {"input": "40 2\n", "expectedOutput": "42\n"},
                      {"input": "-5 5\n", "expectedOutput": "0\n"}]})
        assert answer.status_code == 201, answer.text
        return answer.json()


def _open_problem(page, title: str) -> None:
    page.get_by_test_id("tab-problems").click()
    page.get_by_test_id("problem-link").filter(has_text=title).click()
    page.get_by_test_id("problem-title").filter(has_text=title).wait_for()


def _judged(page, button: str) -> str:
    page.get_by_test_id(button).click()
    page.wait_for_function("() => !['-', 'judging...'].includes("
                           "document.querySelector('[data-testid=submission-verdict]').textContent)", timeout=60000)
    return page.get_by_test_id("submission-verdict").text_content()


def test_a_problem_page_renders_its_statement_safely_and_judges(browse, problem):
    page = browse
    _sign_up(page)
    _open_problem(page, problem["title"])
    statement = page.get_by_test_id("statement")
    assert statement.locator("strong").text_content() == "a"  # Markdown rendered
    assert "<script>" in statement.text_content() and statement.locator("script").count() == 0  # raw HTML as text
    assert statement.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("() => window.pwned") is None
    assert "1 2" in page.get_by_test_id("samples").text_content()
    assert "time limit 1" in page.get_by_test_id("limits").text_content()
    page.get_by_test_id("problem-language").select_option("python")
    page.get_by_test_id("solution-editor").evaluate("(e, code) => e.CodeMirror.setValue(code)",
                                                    "a, b = map(int, input().split())\nprint(a + b)\n")
    assert _judged(page, "run-samples") == "AC"
    assert page.get_by_test_id("test-table").locator("tbody tr").count() == 1  # the sample only
    assert _judged(page, "submit") == "AC"
    rows = page.get_by_test_id("test-table").locator("tbody tr")
    assert rows.count() == 3 and all("AC" in rows.nth(i).text_content() for i in range(3))
    _shot(page, "problem")
    page.get_by_test_id("solution-editor").evaluate("(e) => e.CodeMirror.setValue('print(0)')")
    assert _judged(page, "submit") == "WA"
    page.get_by_test_id("tab-submissions").click()  # my submissions: newest first, only mine
    rows = page.get_by_test_id("submission-table").locator("tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2
    assert "WA" in rows.nth(0).text_content() and "AC" in rows.nth(1).text_content()
    assert problem["title"] in rows.nth(0).text_content()
    _shot(page, "submissions")


def test_a_submissions_tests_appear_one_by_one_while_it_is_judged(browse, site, problem):
    with site.client("web-admin") as admin:
        slow = admin.post("/api/problems", json={**slow_problem(), "title": "Slow hidden test"}).json()
    page = browse
    _sign_up(page)
    _open_problem(page, slow["title"])
    page.get_by_test_id("problem-language").select_option("python")
    page.get_by_test_id("solution-editor").evaluate("(e, code) => e.CodeMirror.setValue(code)", SLOW_SECOND)
    page.get_by_test_id("submit").click()
    rows = page.get_by_test_id("test-table").locator("tbody tr")
    rows.first.wait_for()
    # The sample's row is shown while the hidden test still sleeps: the verdict has not come yet.
    assert rows.count() == 1 and page.get_by_test_id("submission-verdict").text_content() == "judging..."
    page.wait_for_function("() => document.querySelector('[data-testid=submission-verdict]').textContent === 'AC'",
                           timeout=60000)
    assert rows.count() == 3
