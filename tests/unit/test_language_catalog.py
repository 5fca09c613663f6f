"""The catalog as data: unique names, a default in every family, and packages that the install
scripts really install."""

import re
from collections import Counter
from pathlib import Path

import pytest

from codearena.languages import LANGUAGES

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _script_packages(name: str) -> set[str]:
    text = (SCRIPTS / name).read_text()
    if name == "install-languages.sh":
        block = re.search(r"PACKAGES=\((.*?)\n\)", text, re.S).group(1)
        return {word for line in block.splitlines() for word in line.split("#")[0].split()}
    return set(re.findall(r"^need_(?:cmd|file) \S+ (\S+)", text, re.M))


def test_names_are_unique():
    names = Counter(name.lower() for lang in LANGUAGES for name in (lang.id, *lang.aliases))
    assert [name for name, count in names.items() if count > 1] == []
    extensions = Counter(ext for lang in LANGUAGES for ext in lang.extensions)
    assert [ext for ext, count in extensions.items() if count > 1] == []
    judge0 = Counter(judge0_id for lang in LANGUAGES for judge0_id in lang.judge0_ids)
    assert [i for i, count in judge0.items() if count > 1] == []


def test_every_family_has_its_default_entry():
    ids = {lang.id for lang in LANGUAGES}
    assert {lang.family_id for lang in LANGUAGES} <= ids
    assert len({lang.family_id for lang in LANGUAGES}) >= 20  # distinct languages, versions aside


def test_every_language_is_installed_by_the_setup_scripts():
    installed = _script_packages("install-languages.sh") | _script_packages("install-system-deps.sh")
    wanted = {package for lang in LANGUAGES for package in lang.packages}
    assert wanted - installed == set()
    assert _script_packages("install-languages.sh") - wanted == set()  # nothing installed for no language
    assert all(lang.packages for lang in LANGUAGES)


def test_judge0_answers_every_language_under_its_ids():
    from codearena.adapters.judge0.catalog import BY_ID

    for lang in LANGUAGES:
        for judge0_id in lang.judge0_ids:
            assert BY_ID[judge0_id].language == lang.id
    assert BY_ID[73].engine.id == "rust" and BY_ID[75].engine.id == "c-clang"


def test_a_job_names_a_version_and_keeps_only_the_chosen_id():
    import pytest
    from pydantic import ValidationError

    from codearena.execution.contract import Job

    job = Job(language="python", version="pypy", source="print(1)")
    assert (job.language, job.version) == ("pypy", None)
    assert Job.model_validate_json(job.model_dump_json()).language == "pypy"
    with pytest.raises(ValidationError) as raised:
        Job(language="c", version="tcc", source="int main(){}")
    assert "tcc" in str(raised.value) and "Clang" in str(raised.value)


def test_every_entry_is_in_the_languages_doc():
    # docs/languages.md's table is written by hand: a new entry must be added to it.
    doc = (Path(__file__).resolve().parents[2] / "docs" / "languages.md").read_text()
    missing = [lang.id for lang in LANGUAGES if f"| `{lang.id}`" not in doc]
    assert missing == [], f"docs/languages.md has no row for {missing}"


def test_compiler_options_go_where_each_compiled_template_says():
    takers = {lang.id for lang in LANGUAGES if lang.takes_compiler_options}
    assert takers == {lang.id for lang in LANGUAGES if lang.compiled and lang.id not in ("nasm", "multi-file")}
    for lang in LANGUAGES:
        if lang.takes_compiler_options:  # after CodeArena's flags, before the source
            assert lang.compile.count("{options}") == 1, lang.id
            assert lang.compile.index("{options}") == lang.compile.index("{source}") - 1, lang.id


def test_a_language_without_its_toolchain_is_named_as_not_installed():
    from dataclasses import replace

    from codearena.languages import NotInstalled, get_language, require_installed

    absent = replace(get_language("bash"), id="absent", label="Absent", version_command=("codearena-no-such-tool",))
    with pytest.raises(NotInstalled) as err:
        require_installed(absent)
    assert str(err.value).startswith("Absent (absent) is not installed on this server; installed: ")


@pytest.mark.parametrize("wanted, installed, matches", [
    ("3", "3.11.2", True), ("3.11", "3.11.2", True), ("3.11.2", "3.11.2", True), ("3.x", "3.9.16", True),
    ("*", "1.0", True), ("latest", "1.0", True), ("3.1", "3.11.2", False), ("3.11.2.1", "3.11.2", False),
    ("4", "3.11.2", False), ("x.11", "3.11.2", True),
])
def test_one_version_matcher_for_every_front_end(wanted, installed, matches):
    from codearena.languages import version_matches

    assert version_matches(wanted, installed) is matches
