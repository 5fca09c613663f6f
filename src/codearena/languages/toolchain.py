"""What a language's boxes get from the files its toolchain shares between compiles, made once
per machine (prepared.py): a JVM compiler's class-data archive (class_data.py) and a C++
compiler's precompiled headers (headers.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import class_data, headers
from .catalog import LANGUAGES

if TYPE_CHECKING:
    from ..sandbox import Bind
    from .spec import Language


def box_binds(language: Language) -> list[Bind]:
    """Every bind of the language's boxes, read-only: its own, its compiler's archive, and the
    precompiled headers (once there). Compiles and runs alike: one bind set keeps a slot's
    started box the same for both. The headers are in every language's boxes (compiled system
    headers, nothing secret), so that C, C++, Python and JavaScript jobs, one after another in a
    slot, keep one started box: another bind set would start another."""
    return language.binds() + class_data.binds(language) + every_box_headers()


_WITH_HEADERS = tuple(language for language in LANGUAGES if language.precompiled_headers)


def every_box_headers() -> list[Bind]:
    """The precompiled headers of the catalog's languages, those there, in a fixed order."""
    return [bind for language in _WITH_HEADERS for bind in headers.binds(language)]


def compile_command(language: Language, argv: list[str], env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """A compile command (argv, environment) as the language's boxes run it: with its
    toolchain's prepared files, those there."""
    argv, env = class_data.compile_command(language, argv, env)
    return headers.compile_command(language, argv), env
