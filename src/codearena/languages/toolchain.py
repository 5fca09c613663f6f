"""What a language's boxes get: the host paths its toolchain reads (a JDK's /etc/java-*) and the
files toolchains share between compiles, made once per machine (prepared.py): a JVM compiler's
class-data archive (class_data.py) and a C++ compiler's precompiled headers (headers.py).

Every language's boxes get the same binds, all read-only and none secret (system configuration,
compiled system headers, archived JDK classes): a worker slot keeps one started box for all its
jobs, and a job in another language than the last would start another box (about 10 ms, and
18 ms more per job in a slot alternating C and Java, measured)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from . import class_data, headers
from .catalog import CORE_IDS, LANGUAGES
from .prepared import Prepared

if TYPE_CHECKING:
    from ..sandbox import Bind
    from .spec import Language

_BY_ID = {language.id: language for language in LANGUAGES}
# The catalog's languages with prepared files (in the catalog's order: a fixed bind order).
_PREPARING = tuple(language for language in LANGUAGES
                   if class_data.shares_classes(language) or language.precompiled_headers)
# Those looked for from any box (the core languages': Java's archive, C++'s headers), so that the
# bind set is whole from a process's first jobs; the others' join it once their own box asks.
_LOOKED_FOR_EVERYWHERE = frozenset(language.id for language in _PREPARING if language.id in CORE_IDS)

# language id -> (Prepared.generation, its binds): recomputed only when a lookup has ended since
# (the binds of every run are asked for; computing them is some 20 µs, the cached answer under 1).
_answered: dict[str, tuple[int, tuple[Bind, ...]]] = {}


def box_binds(language: Language) -> list[Bind]:
    """Every bind of the language's boxes, compiles and runs alike: the paths every catalog
    language reads, then the prepared files this process has found (each looked for on first
    use, in the background; until found, boxes go without)."""
    if _BY_ID.get(language.id) is not language:
        return _binds(language, in_catalog=False)
    generation = Prepared.generation  # read first: a lookup ending meanwhile makes the next call recompute
    answered = _answered.get(language.id)
    if answered is None or answered[0] != generation:
        answered = _answered[language.id] = (generation, tuple(_binds(language, in_catalog=True)))
    return list(answered[1])


def _binds(language: Language, in_catalog: bool) -> list[Bind]:
    own = _catalog_own_binds()
    if not in_catalog:  # a language built outside the catalog (tests): its own paths too
        own += tuple(bind for bind in language.binds() if bind not in own)
    looked_for = _LOOKED_FOR_EVERYWHERE | {language.id}
    binds = [*own, *(bind for prepared in _PREPARING for bind in _prepared(prepared, look=prepared.id in looked_for))]
    if not in_catalog:
        binds += _prepared(language, look=True)
    return binds


def _prepared(language: Language, look: bool) -> list[Bind]:
    return class_data.binds(language, look) + headers.binds(language, look)


@functools.cache
def _catalog_own_binds() -> tuple[Bind, ...]:
    """Every catalog language's own host paths, globbed once per process (a toolchain installed
    while it runs is seen at its restart, as the catalog's availability is)."""
    return tuple(dict.fromkeys(bind for language in LANGUAGES for bind in language.binds()))


def compile_command(language: Language, argv: list[str], env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """A compile command (argv, environment) as the language's boxes run it: with its
    toolchain's prepared files, those there."""
    argv, env = class_data.compile_command(language, argv, env)
    return headers.compile_command(language, argv), env
