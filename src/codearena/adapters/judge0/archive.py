"""Judge0's `additional_files`: a zip archive, unpacked into the job's files.

Judge0 unzips it inside the sandbox; here it is read in the adapter with every bound set before
a byte is trusted (codearena.archives), and Judge0's silent skips become a 422 saying why.
"""

from __future__ import annotations

import base64

from ...archives import ArchiveError, read_zip
from ...execution.contract import MAX_FILES, JobFile

__all__ = ["ArchiveError", "unpack_zip"]


def unpack_zip(archive: bytes, max_bytes: int) -> tuple[JobFile, ...]:
    """The archive's regular files as job files (directories are implied by their paths)."""
    return tuple(JobFile(path=path, content=base64.b64encode(data).decode(), encoding="base64")
                 for path, data in read_zip(archive, max_bytes, MAX_FILES))
