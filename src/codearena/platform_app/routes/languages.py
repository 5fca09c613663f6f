"""GET /api/languages: what the language picker offers (public: it reveals nothing a user could not try)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ...languages import LANGUAGES

router = APIRouter(prefix="/api", tags=["languages"])


class LanguageOut(BaseModel):
    id: str
    name: str
    version: str
    extensions: list[str]
    aliases: list[str]
    compiled: bool
    family: str = Field(description="the language; its entries are the versions a request chooses between")
    implementation: str
    default: bool = Field(description="the family's default version")
    judge0_ids: list[int]
    takes_compiler_options: bool
    project: bool = Field(description="a multi-file program: its files are the program (the job contract's `files`)")


@router.get("/languages", response_model=list[LanguageOut])
def languages() -> list[LanguageOut]:  # sync: the first call probes the toolchains' versions (in a thread)
    """The installed languages (a language whose toolchain is missing here is left out)."""
    return [LanguageOut(id=lang.id, name=lang.name, version=lang.version(), extensions=list(lang.extensions),
                        aliases=list(lang.aliases), compiled=lang.compile is not None, family=lang.family_id,
                        implementation=lang.implementation, default=lang.id == lang.family_id,
                        judge0_ids=list(lang.judge0_ids), takes_compiler_options=lang.takes_compiler_options,
                        project=lang.project)
            for lang in LANGUAGES if lang.available()]
