"""GET /api/languages: what the language picker offers (public: it reveals nothing a user could not try)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ...languages import LANGUAGES

router = APIRouter(prefix="/api", tags=["languages"])


class LanguageOut(BaseModel):
    id: str
    name: str
    version: str
    extensions: list[str]
    aliases: list[str]
    compiled: bool


@router.get("/languages", response_model=list[LanguageOut])
def languages() -> list[LanguageOut]:  # sync: the first call probes the toolchains' versions (in a thread)
    return [LanguageOut(id=lang.id, name=lang.name, version=lang.version(), extensions=list(lang.extensions),
                        aliases=list(lang.aliases), compiled=lang.compile is not None)
            for lang in LANGUAGES]
