"""Base64 as Judge0 (Ruby's Base64.encode64 / decode64) writes and reads it.

encode64 breaks the text into lines of 60 characters, each ending in "\n" (so a short value is
"aGVsbG8=\n"); decode64 skips anything outside the alphabet and tolerates missing padding.
"""

from __future__ import annotations

import base64
import re

_LINE_BYTES = 45  # 45 bytes -> 60 characters
_NOT_ALPHABET = re.compile(rb"[^A-Za-z0-9+/]")


def encode64(data: bytes) -> str:
    return "".join(base64.b64encode(data[i:i + _LINE_BYTES]).decode() + "\n"
                   for i in range(0, len(data), _LINE_BYTES))


def decode64(text: str) -> bytes:
    """Lenient, as Ruby's: characters outside the alphabet are skipped, padding is optional."""
    clean = _NOT_ALPHABET.sub(b"", text.encode("ascii", "ignore"))
    if len(clean) % 4 == 1:  # a lone trailing character holds no whole byte
        clean = clean[:-1]
    return base64.b64decode(clean + b"=" * (-len(clean) % 4))
