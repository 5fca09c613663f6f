"""Uploading a problem package as a zip (POST /api/problems/package): what `codearena problems
import` does with a directory, through HTTP, with every file of the archive checked first."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "aplusb"


def zipped(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def example_files(folder: str | None, slug_suffix: str) -> dict[str, bytes]:
    files = {str(p.relative_to(EXAMPLE)): p.read_bytes() for p in EXAMPLE.rglob("*") if p.is_file()}
    files["problem.toml"] = files["problem.toml"].replace(b"title = \"", f"title = \"{slug_suffix} ".encode(), 1)
    return {f"{folder}/{name}" if folder else name: data for name, data in files.items()}


def upload(client, archive: bytes, **params):
    return client.post("/api/problems/package", params=params, content=archive,
                       headers={"Content-Type": "application/zip"})


def test_a_zipped_package_folder_becomes_a_problem_named_after_it(admin, alice):
    folder = "aplusb-" + Path(__file__).stem[-6:] + str(id(admin))[-5:]
    answer = upload(admin, zipped(example_files(folder, "Zipped")))
    assert answer.status_code == 201, answer.text
    problem = answer.json()
    assert problem["slug"] == folder and problem["title"].startswith("Zipped ")
    assert problem["testCount"] == len(list((EXAMPLE / "tests").glob("*.in")))
    assert problem["samples"] and problem["statement"] == (EXAMPLE / "statement.md").read_text()
    again = upload(admin, zipped(example_files(folder, "Zipped")))
    assert again.status_code == 409 and "replace=true" in again.json()["detail"]
    replaced = upload(admin, zipped(example_files(folder, "Replaced")), replace="true")
    assert replaced.status_code == 201 and replaced.json()["id"] == problem["id"]
    assert replaced.json()["title"].startswith("Replaced ")
    assert upload(alice, zipped(example_files(folder, "x"))).status_code == 403


def test_files_at_the_top_take_their_slug_from_the_title(admin):
    answer = upload(admin, zipped(example_files(None, "Top level " + str(id(admin))[-6:])))
    assert answer.status_code == 201, answer.text
    assert answer.json()["slug"].startswith("top-level-")


@pytest.mark.parametrize("files, message", [
    ({"problem.toml": 'title = "x"\nstatement = "../../../../etc/passwd"\n', "tests/1.in": "1", "tests/1.out": "1"},
     "the statement '../../../../etc/passwd' is outside the package"),
    ({"notes.txt": "no toml here"}, "problem.toml: missing"),
    ({"problem.toml": 'title = "x"\n', "tests/1.in": "1"}, "tests/1.out: missing"),
    ({"../escape.txt": "x"}, "holds '.' or '..'"),
    ({"tests/1.in": "1", "tests": "a file named like the directory"}, "both a file and a directory"),
    ({"tests": "a file first", "tests/1.in": "1"}, "both a file and a directory"),
])
def test_a_package_that_cannot_be_a_problem_is_422_saying_why(admin, files, message):
    answer = upload(admin, zipped(files))
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert message in detail and "codearena-package-" not in detail  # its own paths, not the server's


def test_a_body_that_is_not_a_zip_is_422(admin):
    answer = upload(admin, b"plain text, not an archive")
    assert answer.status_code == 422 and "not a zip archive" in answer.json()["detail"]
