"""Layer 2: the languages, as data. Look one up by id, alias or file extension."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .catalog import LANGUAGES
from .spec import SELF_TEST_INPUT, SELF_TEST_OUTPUT, Language


class UnknownLanguage(ValueError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"unknown language {name!r}; supported: {', '.join(supported_ids())}")


class UnknownVersion(ValueError):
    def __init__(self, language: Language, version: str):
        self.version = version
        offered = ", ".join(f"{lang.implementation or lang.id} {lang.version()}" for lang in versions_of(language))
        super().__init__(f"{language.label} has no version {version!r}; installed: {offered}")


class NotInstalled(ValueError):
    """The catalog knows the language, and this machine has not installed its toolchain."""

    def __init__(self, language: Language):
        self.language = language
        super().__init__(f"{language.name} ({language.id}) is not installed on this server; installed: "
                         f"{', '.join(installed_ids())}")


_BY_NAME = {alias.lower(): lang for lang in LANGUAGES for alias in (lang.id, *lang.aliases)}
_BY_EXTENSION = {ext: lang for lang in LANGUAGES for ext in lang.extensions}


def supported_ids() -> list[str]:
    return [lang.id for lang in LANGUAGES]


def installed_ids() -> list[str]:
    return [lang.id for lang in LANGUAGES if lang.available()]


def probe_installed_versions() -> None:
    """Ask every installed toolchain its version now (each answer is kept), several at a time."""
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="probe-version") as pool:
        list(pool.map(Language.version, [lang for lang in LANGUAGES if lang.available()]))


def require_installed(language: Language) -> Language:
    """The language, if its toolchain is installed here (every CodeArena process of a deployment
    runs the same image, so what this process has, the workers have); else NotInstalled."""
    if not language.available():
        raise NotInstalled(language)
    return language


def versions_of(language: Language) -> list[Language]:
    """The entries of the language's family (CPython and PyPy, GCC and Clang), the default first."""
    family = [lang for lang in LANGUAGES if lang.family_id == language.family_id]
    return sorted(family, key=lambda lang: lang.id != lang.family_id)


def version_matches(wanted: str, installed: str) -> bool:
    """A version as users write it, against the installed one, on whole components: '3' and
    '3.11' match 3.11.2 (not 3.1), 'x' or '*' stands for any component ('3.x'), and '*', 'x',
    'latest' for any version."""
    if wanted in ("*", "x", "latest"):
        return True
    have = installed.split(".")
    return all(part in ("x", "*") or (i < len(have) and have[i] == part) for i, part in enumerate(wanted.split(".")))


def _matches(language: Language, version: str) -> bool:
    if version in (language.id, language.implementation.lower()):
        return True
    return version_matches(version, language.version())


def get_language(name: str, version: str | None = None) -> Language:
    """By id, alias or (for the default) family; `version` picks within the family: an
    implementation ("pypy", "clang"), an id, or a version number ("3.9", "14"). "*" or none: as named."""
    try:
        language = _BY_NAME[name.strip().lower()]
    except KeyError:
        raise UnknownLanguage(name) from None
    wanted = (version or "").strip().lower()
    if not wanted or wanted in ("*", "latest", "default") or _matches(language, wanted):
        return language
    for candidate in versions_of(language):
        if _matches(candidate, wanted):
            return candidate
    raise UnknownVersion(language, version or "")


def language_for_file(path: str | Path) -> Language:
    suffix = Path(path).suffix.lower()
    try:
        return _BY_EXTENSION[suffix]
    except KeyError:
        raise UnknownLanguage(suffix or str(path)) from None


__all__ = ["LANGUAGES", "Language", "NotInstalled", "SELF_TEST_INPUT", "SELF_TEST_OUTPUT", "UnknownLanguage",
           "UnknownVersion", "get_language", "installed_ids", "language_for_file", "probe_installed_versions",
           "require_installed", "supported_ids", "version_matches",
           "versions_of"]
