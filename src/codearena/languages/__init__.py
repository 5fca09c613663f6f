"""Layer 2: the languages, as data. Look one up by id, alias or file extension."""

from __future__ import annotations

from pathlib import Path

from .catalog import LANGUAGES
from .spec import SELF_TEST_INPUT, SELF_TEST_OUTPUT, Language


class UnknownLanguage(ValueError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"unknown language {name!r}; supported: {', '.join(supported_ids())}")


_BY_NAME = {alias: lang for lang in LANGUAGES for alias in (lang.id, *lang.aliases)}
_BY_EXTENSION = {ext: lang for lang in LANGUAGES for ext in lang.extensions}


def supported_ids() -> list[str]:
    return [lang.id for lang in LANGUAGES]


def get_language(name: str) -> Language:
    try:
        return _BY_NAME[name.strip().lower()]
    except KeyError:
        raise UnknownLanguage(name) from None


def language_for_file(path: str | Path) -> Language:
    suffix = Path(path).suffix.lower()
    try:
        return _BY_EXTENSION[suffix]
    except KeyError:
        raise UnknownLanguage(suffix or str(path)) from None


__all__ = ["LANGUAGES", "Language", "SELF_TEST_INPUT", "SELF_TEST_OUTPUT", "UnknownLanguage",
           "get_language", "language_for_file", "supported_ids"]
