"""One settings tree: every environment variable in exactly one section, documented from it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from codearena.settings import SECTIONS, markdown, variables

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_no_environment_variable_is_read_by_two_sections():
    names = Counter(name for section in SECTIONS.values() for name, _default, _meaning in variables(section))
    assert [name for name, count in names.items() if count > 1] == []


def test_every_setting_says_what_it_is_for():
    undocumented = [name for section in SECTIONS.values() for name, _d, meaning in variables(section)
                    if not meaning and not name.startswith("JUDGE0_")]  # Judge0's own: docs/judge0.md
    assert undocumented == []


def test_docs_configuration_is_generated_from_the_tree():
    assert DOCS.read_text() == markdown() + "\n", "run `make config-docs`"
